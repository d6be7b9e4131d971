//! What a parameter sweep reports: the objective, the grid's axes, each finished combination, the
//! best one and the walk-forward folds. Plain data, shared by the sweep itself (`optimize.rs`), the
//! results of an optimize run (`results.rs`) and the API.

use super::error::RunError;
use crate::engine::metrics::PerformanceMetrics;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a sweep ranks by (higher is better for all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    Sharpe,
    Sortino,
    Calmar,
    TotalReturn,
    ProfitFactor,
    FinalValue,
}

impl Objective {
    pub const ALL: [Objective; 6] = [
        Objective::Sharpe,
        Objective::Sortino,
        Objective::Calmar,
        Objective::TotalReturn,
        Objective::ProfitFactor,
        Objective::FinalValue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Sharpe => "sharpe",
            Objective::Sortino => "sortino",
            Objective::Calmar => "calmar",
            Objective::TotalReturn => "total_return",
            Objective::ProfitFactor => "profit_factor",
            Objective::FinalValue => "final_value",
        }
    }

    pub fn parse(s: &str) -> Result<Objective, RunError> {
        Objective::ALL
            .into_iter()
            .find(|o| o.as_str() == s.trim())
            .ok_or_else(|| {
                let all: Vec<&str> = Objective::ALL.iter().map(|o| o.as_str()).collect();
                RunError::field(
                    "objective",
                    format!("unknown objective '{s}'; one of {}", all.join(", ")),
                )
            })
    }

    /// The score of a result; `None` when the metric is undefined (e.g. no trades, no losses).
    pub fn score(self, m: &PerformanceMetrics, final_value: f64) -> Option<f64> {
        let v = match self {
            Objective::Sharpe => m.sharpe_ratio,
            Objective::Sortino => m.sortino_ratio,
            Objective::Calmar => m.calmar_ratio,
            Objective::TotalReturn => Some(m.total_return),
            Objective::ProfitFactor => m.profit_factor,
            Objective::FinalValue => Some(final_value),
        };
        v.filter(|x| x.is_finite())
    }
}

/// A swept value as the published schema describes it (the sweep itself keeps JSON values).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // schema only
pub enum ParamValue {
    Number(f64),
    Bool(bool),
    Choice(String),
}

/// One swept parameter and its values, as a request gives them (numbers, booleans, choice names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Axis {
    pub name: String,
    #[schema(value_type = Vec<ParamValue>)]
    pub values: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WalkForward {
    pub folds: usize,
    pub train_pct: f64,
}

impl WalkForward {
    pub fn new(folds: usize, train_pct: f64) -> Result<WalkForward, RunError> {
        if !(1..=50).contains(&folds) {
            return Err(RunError::field(
                "walk_forward.folds",
                format!("folds must be from 1 to 50, got {folds}"),
            ));
        }
        if !(train_pct > 0.0 && train_pct < 1.0) {
            return Err(RunError::field(
                "walk_forward.train_pct",
                format!("train_pct is the training share of each fold, between 0 and 1 (e.g. 0.7), got {train_pct}"),
            ));
        }
        Ok(WalkForward { folds, train_pct })
    }
}

/// One evaluated combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Combination {
    #[schema(value_type = Object)]
    pub params: Map<String, Value>,
    pub metrics: PerformanceMetrics,
    pub final_value: f64,
    /// Round trips (what `metrics.total_trades` counts).
    pub trades: u64,
    /// The objective's value; null when it is undefined for this result.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Best {
    #[schema(value_type = Object)]
    pub params: Map<String, Value>,
    pub metrics: PerformanceMetrics,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrainPart {
    pub start: String,
    pub end: String,
    #[schema(value_type = Option<Object>)]
    pub best_params: Option<Map<String, Value>>,
    pub objective: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TestPart {
    pub start: String,
    pub end: String,
    pub metrics: Option<PerformanceMetrics>,
    pub final_value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fold {
    pub fold: usize,
    pub train: TrainPart,
    pub test: TestPart,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SweepReport {
    pub run_id: String,
    pub strategy: String,
    pub objective: Objective,
    pub axes: Vec<Axis>,
    /// Combinations in the grid.
    pub combinations: usize,
    /// Combinations that ran to the end.
    pub completed: usize,
    /// Combinations the strategy's own checks refused (e.g. fast >= slow), counted, not run.
    pub skipped: usize,
    /// Completed combinations with fewer round trips than `min_trades` (listed, never best).
    pub below_min_trades: usize,
    /// Every completed combination, best first (undefined scores last).
    pub results: Vec<Combination>,
    pub best: Option<Best>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walk_forward: Option<Vec<Fold>>,
    /// Candles per combination (all symbols).
    pub candles: usize,
    pub elapsed_ms: u64,
    /// The sweep was stopped: `results` holds the combinations that finished.
    #[serde(default)]
    pub stopped: bool,
}

/// Higher scores first; undefined scores after every defined one. The one ranking of a sweep: its
/// results table, its walk-forward folds and the best-so-far a running sweep shows.
pub fn best_first(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

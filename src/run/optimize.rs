//! Parameter sweeps: every combination of a grid, backtested on the same candles (loaded once and
//! shared read-only by the workers), ranked by an objective; optionally walk-forward, where each
//! fold's best combination on its training part is scored on the part after it.
//!
//! A combination is evaluated by exactly the code a plain backtest runs (`backtest::engine`,
//! `replay`, `results::metrics_of`), so its numbers are those of `backtest` with the same parameters.

use super::backtest::{self, Fetch};
use super::config::{self, RunConfig, RunRequest};
use super::error::{ErrorCode, RunError};
use super::results;
use crate::data::validate::fmt_ts;
use crate::engine::core::NoEvents;
use crate::engine::metrics::PerformanceMetrics;
use crate::engine::replay::replay;
use crate::engine::strategy::params::{ParamSpec, ParamType};
use crate::engine::Candle;
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// More combinations than this is refused before anything runs.
pub const MAX_COMBINATIONS: usize = 100_000;

/// What a sweep ranks by (higher is better for all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// One swept parameter and its values, as a request gives them (numbers, booleans, choice names).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Axis {
    pub name: String,
    pub values: Vec<Value>,
}

/// Parses `NAME=START..END[:STEP]` or `NAME=V1,V2,...` against the strategy's parameters: an unknown
/// name is `INVALID_PARAMS` (listing the accepted ones), a value out of range `VALIDATION_ERROR`.
pub fn parse_axis(strategy: &str, text: &str) -> Result<Axis, RunError> {
    let (name, spec) = text.split_once('=').ok_or_else(|| {
        RunError::field(
            "grid",
            format!("grid '{text}' must be NAME=START..END[:STEP] or NAME=V1,V2,..."),
        )
    })?;
    let param = param_spec(strategy, name.trim())?;
    let raw: Vec<String> = match spec.split_once("..") {
        Some((start, rest)) => {
            let (end, step) = rest.split_once(':').map_or((rest, None), |(e, s)| (e, Some(s)));
            range_values(&param, start, end, step)?
        }
        None => spec.split(',').map(|v| v.trim().to_string()).collect(),
    };
    axis_from(&param, raw.iter().map(String::as_str))
}

/// An axis from JSON values (`[5, 10, 20]` or `{"start": 5, "end": 50, "step": 5}`), as the API takes it.
pub fn axis_from_json(strategy: &str, name: &str, v: &Value) -> Result<Axis, RunError> {
    let param = param_spec(strategy, name)?;
    match v {
        Value::Array(items) => {
            let raw: Vec<String> = items
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), String::from))
                .collect();
            axis_from(&param, raw.iter().map(String::as_str))
        }
        Value::Object(m) => {
            let part = |k: &str| m.get(k).map(|x| x.as_str().map_or_else(|| x.to_string(), String::from));
            let (Some(start), Some(end)) = (part("start"), part("end")) else {
                return Err(RunError::field(
                    &format!("grid.{name}"),
                    "a range needs start and end (and step for floats)",
                ));
            };
            let step = part("step");
            let raw = range_values(&param, &start, &end, step.as_deref())?;
            axis_from(&param, raw.iter().map(String::as_str))
        }
        _ => Err(RunError::field(
            &format!("grid.{name}"),
            "grid values are a list [v1, v2, ...] or a range {\"start\", \"end\", \"step\"}",
        )),
    }
}

fn param_spec(strategy: &str, name: &str) -> Result<ParamSpec, RunError> {
    let def = crate::script::catalog::find(strategy).ok_or_else(|| {
        RunError::new(
            ErrorCode::UnknownStrategy,
            format!("unknown strategy '{strategy}'; see `strategies`"),
        )
    })?;
    let params = def.all_params();
    params
        .iter()
        .find(|p| p.name == name)
        .map(|p| (*p).clone())
        .ok_or_else(|| {
            let accepted: Vec<&str> = params.iter().map(|p| p.name.as_ref()).collect();
            RunError::new(
                ErrorCode::InvalidParams,
                format!(
                    "unknown grid parameter '{name}' for {strategy}; accepted: {}",
                    accepted.join(", ")
                ),
            )
            .with_details(serde_json::json!({ "field": format!("grid.{name}") }))
        })
}

/// Values from START to END inclusive: ints step 1 unless told, floats need a step.
fn range_values(p: &ParamSpec, start: &str, end: &str, step: Option<&str>) -> Result<Vec<String>, RunError> {
    let field = format!("grid.{}", p.name);
    let num =
        |s: &str, what: &str| {
            s.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
                RunError::field(&field, format!("{what} of the {} range is not a number: '{s}'", p.name))
            })
        };
    if !matches!(p.ty, ParamType::Int | ParamType::Float) {
        return Err(RunError::field(
            &field,
            format!(
                "{} is a {}: list its values (NAME=V1,V2) instead of a range",
                p.name,
                p.ty.as_str()
            ),
        ));
    }
    let (a, b) = (num(start, "start")?, num(end, "end")?);
    let step = match step {
        Some(s) => num(s, "step")?,
        None if p.ty == ParamType::Int => 1.0,
        None => {
            return Err(RunError::field(
                &field,
                format!("{} is a float: give a step, e.g. {}={a}..{b}:0.1", p.name, p.name),
            ))
        }
    };
    if step <= 0.0 || b < a {
        return Err(RunError::field(
            &field,
            format!("range {a}..{b}:{step} of {} must go up: end >= start, step > 0", p.name),
        ));
    }
    let count = ((b - a) / step + 1e-9).floor() + 1.0;
    if count > MAX_COMBINATIONS as f64 {
        return Err(RunError::field(
            &field,
            format!(
                "range of {} has {count} values; at most {MAX_COMBINATIONS} combinations in all",
                p.name
            ),
        ));
    }
    // Each value from start (no running sum), rounded so 0.1 steps print as 0.3, not 0.30000000000000004.
    Ok((0..count as usize)
        .map(|i| {
            let v = a + i as f64 * step;
            format!("{}", (v * 1e10).round() / 1e10)
        })
        .collect())
}

fn axis_from<'a>(p: &ParamSpec, raw: impl Iterator<Item = &'a str>) -> Result<Axis, RunError> {
    let field = format!("grid.{}", p.name);
    let mut values: Vec<Value> = Vec::new();
    for r in raw {
        let v = p.parse_str(r).map_err(|e| RunError::field(&field, e.to_string()))?;
        let shown = p.display_json(v);
        if !values.contains(&shown) {
            values.push(shown);
        }
    }
    if values.is_empty() {
        return Err(RunError::field(&field, format!("no values for {}", p.name)));
    }
    Ok(Axis {
        name: p.name.to_string(),
        values,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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

/// A sweep to run: the backtest request all combinations share, and the grid over it.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub base: RunRequest,
    pub axes: Vec<Axis>,
    pub objective: Objective,
    /// Combinations with fewer round trips are reported but not ranked as best.
    pub min_trades: u64,
    pub walk_forward: Option<WalkForward>,
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
}

impl Sweep {
    fn workers(&self) -> usize {
        match self.jobs {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// Every combination, first axis slowest; each over the base request's own parameters.
    pub fn combinations(&self) -> Result<Vec<Map<String, Value>>, RunError> {
        if self.axes.is_empty() {
            return Err(RunError::field(
                "grid",
                "the grid is empty: sweep at least one parameter",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for a in &self.axes {
            if !seen.insert(a.name.as_str()) {
                return Err(RunError::field("grid", format!("{} is swept twice", a.name)));
            }
        }
        let total = self
            .axes
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
            .filter(|n| *n <= MAX_COMBINATIONS)
            .ok_or_else(|| {
                RunError::field(
                    "grid",
                    format!("the grid has more than {MAX_COMBINATIONS} combinations; narrow it"),
                )
            })?;
        let mut out = Vec::with_capacity(total);
        for k in 0..total {
            let mut params = self.base.strategy_params.clone();
            let mut rest = k;
            for a in self.axes.iter().rev() {
                params.insert(a.name.clone(), a.values[rest % a.values.len()].clone());
                rest /= a.values.len();
            }
            out.push(params);
        }
        Ok(out)
    }
}

/// One evaluated combination.
#[derive(Debug, Clone, Serialize)]
pub struct Combination {
    pub params: Map<String, Value>,
    pub metrics: PerformanceMetrics,
    pub final_value: f64,
    /// Round trips (what `metrics.total_trades` counts).
    pub trades: u64,
    /// The objective's value; null when it is undefined for this result.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Best {
    pub params: Map<String, Value>,
    pub metrics: PerformanceMetrics,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainPart {
    pub start: String,
    pub end: String,
    pub best_params: Option<Map<String, Value>>,
    pub objective: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestPart {
    pub start: String,
    pub end: String,
    pub metrics: Option<PerformanceMetrics>,
    pub final_value: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    pub fold: usize,
    pub train: TrainPart,
    pub test: TestPart,
}

#[derive(Debug, Clone, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walk_forward: Option<Vec<Fold>>,
    /// Candles per combination (all symbols).
    pub candles: usize,
    pub elapsed_ms: u64,
}

/// Runs a sweep: candles loaded once, combinations spread over worker threads.
pub fn run(
    data_dir: &Path,
    sweep: &Sweep,
    known_exchanges: &[String],
    fetch: &dyn Fetch,
) -> Result<SweepReport, RunError> {
    let started = Instant::now();
    let combos = sweep.combinations()?;
    // Each combination's configuration, as `backtest` would validate it; refused ones are skipped.
    let mut first_error = None;
    let configs: Vec<Option<RunConfig>> = combos
        .iter()
        .map(|params| {
            let mut req = sweep.base.clone();
            req.strategy_params = params.clone();
            config::validate(&req, known_exchanges)
                .map_err(|e| first_error.get_or_insert(e).clone())
                .ok()
        })
        .collect();
    let Some(any) = configs.iter().flatten().next() else {
        let e = first_error.unwrap_or_else(|| RunError::field("grid", "no combination to run"));
        return Err(RunError::new(
            e.code,
            format!("every combination was refused; the first: {}", e.message),
        )
        .with_details(e.details));
    };
    let set = backtest::load_candles(data_dir, any, fetch)?;
    let series: Vec<&[Candle]> = set.series.iter().map(|s| &s[..]).collect();
    let candles = series.iter().map(|s| s.len()).sum();
    let outcomes = evaluate(&configs, &series, sweep.workers());
    let mut results = Vec::new();
    let mut failed = None;
    for (params, outcome) in combos.iter().cloned().zip(outcomes) {
        match outcome {
            Some(Ok((metrics, final_value))) => {
                let trades = metrics.total_trades;
                let score = sweep.objective.score(&metrics, final_value);
                results.push(Combination {
                    params,
                    metrics,
                    final_value,
                    trades,
                    score,
                });
            }
            Some(Err(e)) => {
                failed.get_or_insert(e);
            }
            None => {}
        }
    }
    if results.is_empty() {
        if let Some(e) = failed {
            return Err(e);
        }
    }
    let completed = results.len();
    let skipped = configs.iter().filter(|c| c.is_none()).count();
    rank(&mut results, sweep.min_trades);
    let below_min_trades = results.iter().filter(|r| r.trades < sweep.min_trades).count();
    let best = results.first().filter(|r| r.trades >= sweep.min_trades).map(|r| Best {
        params: r.params.clone(),
        metrics: r.metrics.clone(),
        score: r.score,
    });
    let walk_forward = match sweep.walk_forward {
        Some(wf) => Some(walk_forward(sweep, wf, &combos, &configs, &series)?),
        None => None,
    };
    Ok(SweepReport {
        run_id: format!("opt-{}", &backtest::run_id()["run-".len()..]),
        strategy: sweep.base.strategy_name.clone(),
        objective: sweep.objective,
        axes: sweep.axes.clone(),
        combinations: configs.len(),
        completed,
        skipped,
        below_min_trades,
        results,
        best,
        walk_forward,
        candles,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// Best first: qualified (enough trades) before not, then by score (undefined last); ties keep grid order.
fn rank(results: &mut [Combination], min_trades: u64) {
    results.sort_by(|a, b| {
        let qualified = |c: &Combination| c.trades >= min_trades;
        qualified(b)
            .cmp(&qualified(a))
            .then_with(|| best_first(a.score, b.score))
    });
}

/// Higher scores first; undefined scores after every defined one.
fn best_first(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

type Outcome = Result<(PerformanceMetrics, f64), RunError>;

/// Evaluates every configured combination on `series`, `jobs` at a time; `None` for skipped ones.
fn evaluate(configs: &[Option<RunConfig>], series: &[&[Candle]], jobs: usize) -> Vec<Option<Outcome>> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Outcome>>> = configs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, configs.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(cfg) = configs.get(i) else { break };
                if let Some(cfg) = cfg {
                    let outcome = evaluate_one(cfg, series);
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(outcome);
                    }
                }
            });
        }
    });
    slots.into_iter().map(|m| m.into_inner().ok().flatten()).collect()
}

/// One backtest, as `backtest::run_on` runs it, keeping only what a sweep reports.
pub fn evaluate_one(cfg: &RunConfig, series: &[&[Candle]]) -> Outcome {
    let mut eng = backtest::engine(cfg, NoEvents)?;
    replay(&mut eng, series, None, |_, _| {});
    if let Some(f) = eng.failure() {
        return Err(RunError::new(ErrorCode::InvalidParams, f.to_string()));
    }
    let out = eng.finish();
    let metrics = results::metrics_of(&out, cfg);
    Ok((metrics, out.portfolio.value()))
}

/// Candles of each series with `from <= ts < to`.
fn window<'a>(series: &[&'a [Candle]], from: i64, to: i64) -> Vec<&'a [Candle]> {
    series
        .iter()
        .map(|s| {
            let a = s.partition_point(|c| c.ts < from);
            let b = s.partition_point(|c| c.ts < to);
            &s[a..b]
        })
        .collect()
}

/// Contiguous folds over the first series' candles; in each, the grid runs on the first `train_pct`
/// and the best combination is backtested on the rest.
fn walk_forward(
    sweep: &Sweep,
    wf: WalkForward,
    combos: &[Map<String, Value>],
    configs: &[Option<RunConfig>],
    series: &[&[Candle]],
) -> Result<Vec<Fold>, RunError> {
    let times: Vec<i64> = series
        .first()
        .map(|s| s.iter().map(|c| c.ts).collect())
        .unwrap_or_default();
    let n = times.len();
    if n < wf.folds * 4 {
        return Err(RunError::field(
            "walk_forward.folds",
            format!("{n} candles are too few for {} folds", wf.folds),
        ));
    }
    let step = configs.iter().flatten().next().map_or(60_000, |c| c.timeframe.millis());
    let at = |i: usize| if i < n { times[i] } else { times[n - 1] + step };
    let mut folds = Vec::with_capacity(wf.folds);
    for f in 0..wf.folds {
        let (lo, hi) = (f * n / wf.folds, (f + 1) * n / wf.folds);
        let split = lo + (((hi - lo) as f64) * wf.train_pct).floor().max(1.0) as usize;
        let (train_from, test_from, test_to) = (at(lo), at(split.min(hi)), at(hi));
        let train = window(series, train_from, test_from);
        let outcomes = evaluate(configs, &train, sweep.workers());
        let mut scored: Vec<(usize, Option<f64>, u64)> = outcomes
            .iter()
            .enumerate()
            .filter_map(|(i, o)| match o {
                Some(Ok((m, v))) => Some((i, sweep.objective.score(m, *v), m.total_trades)),
                _ => None,
            })
            .filter(|(_, _, trades)| *trades >= sweep.min_trades)
            .collect();
        scored.sort_by(|a, b| best_first(a.1, b.1).then(a.0.cmp(&b.0)));
        let best = scored.first().copied();
        let test = window(series, test_from, test_to);
        let tested = best
            .and_then(|(i, _, _)| configs[i].as_ref())
            .map(|cfg| evaluate_one(cfg, &test))
            .transpose()?;
        folds.push(Fold {
            fold: f + 1,
            train: TrainPart {
                start: fmt_ts(train_from),
                end: fmt_ts(test_from),
                best_params: best.map(|(i, _, _)| combos[i].clone()),
                objective: best.and_then(|b| b.1),
            },
            test: TestPart {
                start: fmt_ts(test_from),
                end: fmt_ts(test_to),
                final_value: tested.as_ref().map(|t| t.1),
                metrics: tested.map(|t| t.0),
            },
        });
    }
    Ok(folds)
}

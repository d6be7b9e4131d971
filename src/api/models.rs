//! Request and response bodies of the Web API (Cracktrader's reference shapes).

use crate::engine::metrics::PerformanceMetrics;
use crate::run::config::{Mode, RunRequest, DEFAULT_CASH};
use crate::run::results::{EquityRecord, OrderRecord, PositionRecord, TradeRecord};
use crate::runner::status::StatusResponse;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

fn default_cash() -> f64 {
    DEFAULT_CASH
}
fn default_exchange() -> String {
    "sim".into()
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestRequest {
    pub strategy_name: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub strategy_params: Map<String, Value>,
    pub symbols: Vec<String>,
    #[schema(example = "1h")]
    pub timeframe: String,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default = "default_cash")]
    pub initial_cash: f64,
    #[serde(default = "default_exchange")]
    pub exchange: String,
    /// Fee rate per fill (default 0.001).
    #[serde(default)]
    pub commission: Option<f64>,
    #[serde(default)]
    pub slippage_bps: Option<f64>,
    /// Risk limits: `max_drawdown`, `max_daily_loss`, `max_position_value`, `max_open_orders`,
    /// `cooldown_bars`, `max_consecutive_rejections` (ranges in `/api/v1/meta`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub risk: Map<String, Value>,
}

impl From<BacktestRequest> for RunRequest {
    fn from(r: BacktestRequest) -> Self {
        RunRequest {
            strategy_name: r.strategy_name,
            strategy_params: r.strategy_params,
            symbols: r.symbols,
            timeframe: r.timeframe,
            start_date: r.start_date,
            end_date: r.end_date,
            initial_cash: r.initial_cash,
            exchange: r.exchange,
            commission: r.commission,
            slippage_bps: r.slippage_bps,
            mode: Mode::Backtest,
            data_file: None,
            exchange_config: Map::new(),
            risk: r.risk,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LiveMode {
    Paper,
    Live,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveTradingRequest {
    pub strategy_name: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub strategy_params: Map<String, Value>,
    pub symbols: Vec<String>,
    pub timeframe: String,
    #[serde(default = "default_exchange")]
    pub exchange: String,
    /// API keys and settings: `apiKey`, `secret`, `sandbox`, and for `sim` `speed`. Never echoed back.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub exchange_config: Map<String, Value>,
    pub mode: LiveMode,
    #[serde(default = "default_cash")]
    pub initial_cash: f64,
    #[serde(default)]
    pub commission: Option<f64>,
    #[serde(default)]
    pub slippage_bps: Option<f64>,
    /// Risk limits, as for backtests; paper and live runs also pause after
    /// `max_consecutive_rejections` (default 3) rejected orders in a row.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub risk: Map<String, Value>,
}

impl From<LiveTradingRequest> for RunRequest {
    fn from(r: LiveTradingRequest) -> Self {
        RunRequest {
            strategy_name: r.strategy_name,
            strategy_params: r.strategy_params,
            symbols: r.symbols,
            timeframe: r.timeframe,
            start_date: None,
            end_date: None,
            initial_cash: r.initial_cash,
            exchange: r.exchange,
            commission: r.commission,
            slippage_bps: r.slippage_bps,
            mode: match r.mode {
                LiveMode::Paper => Mode::Paper,
                LiveMode::Live => Mode::Live,
            },
            data_file: None,
            exchange_config: r.exchange_config,
            risk: r.risk,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Check {
    /// "ok", "degraded" or "error".
    pub status: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HealthResponse {
    /// "healthy", "degraded" or "unhealthy".
    pub status: String,
    pub checks: BTreeMap<String, Check>,
    #[schema(value_type = Object)]
    pub metrics: BTreeMap<String, Value>,
    pub timestamp: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DetailedStatusResponse {
    #[serde(flatten)]
    pub status: StatusResponse,
    /// Newest first.
    pub recent_trades: Vec<TradeRecord>,
    /// Newest first, one entry per order with its latest status.
    pub recent_orders: Vec<OrderRecord>,
    pub positions: Vec<PositionRecord>,
    /// At most 500 points, evenly spaced over the run.
    pub equity_curve: Vec<EquityRecord>,
    pub performance_metrics: Option<PerformanceMetrics>,
    pub health: HealthResponse,
    /// Orders of live runs interrupted by a crash that need a person to look at them.
    pub attention: Vec<crate::runner::status::Attention>,
    /// The run's most recent risk interventions, oldest first.
    #[serde(default)]
    pub risk_events: Vec<crate::run::results::RiskEventRecord>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParamInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub default: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StrategyInfo {
    pub name: String,
    pub description: String,
    pub params: Vec<ParamInfo>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StrategiesResponse {
    pub strategies: Vec<StrategyInfo>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExchangeInfo {
    pub id: String,
    pub name: String,
    pub modes: Vec<String>,
    pub timeframes: Vec<String>,
    pub sandbox: bool,
    pub sandbox_notes: String,
    pub requires_credentials: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExchangesResponse {
    pub exchanges: Vec<ExchangeInfo>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Holding {
    pub asset: String,
    pub symbol: String,
    pub amount: f64,
    /// Marked at the last price, in the quote currency.
    pub value: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BalanceResponse {
    pub run_id: Option<String>,
    pub cash: Option<f64>,
    pub total_value: Option<f64>,
    pub holdings: Vec<Holding>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MetaResponse {
    pub api_version: String,
    pub server_version: String,
    pub deprecations: Vec<String>,
    /// The keys a run request's `risk` object accepts, with their ranges.
    pub risk_keys: Vec<RiskKeyInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskKeyInfo {
    pub name: String,
    /// `int` or `float`.
    #[serde(rename = "type")]
    pub ty: String,
    pub min: f64,
    pub max: f64,
    pub description: String,
}

//! Request and response bodies of the Web API (Cracktrader's reference shapes).

use crate::engine::metrics::PerformanceMetrics;
pub use crate::run::request::{BacktestRequest, LiveMode, LiveTradingRequest};
use crate::run::results::{EquityRecord, OrderRecord, PositionRecord, TradeRecord};
use crate::runner::status::StatusResponse;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

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
    /// Engine, storage, exchange and history checks; left out for callers without a key when the
    /// server has keys (they name paths on the server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<BTreeMap<String, Check>>,
    /// Counters; left out like `checks`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metrics: Option<BTreeMap<String, Value>>,
    #[schema(format = DateTime)]
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
    /// `int`, `float`, `bool` or `choice`.
    #[serde(rename = "type")]
    pub ty: String,
    /// A number, a boolean, or a choice's name; null for optional parameters without one.
    pub default: Option<Value>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The options of a `choice` parameter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StrategyInfo {
    pub name: String,
    pub description: String,
    /// `builtin` or `script`.
    pub source: String,
    /// A script's file name (never its full path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// `ok`, or `error` for a script that does not load (see `error`).
    pub status: String,
    /// For a broken script: `file:line: message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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

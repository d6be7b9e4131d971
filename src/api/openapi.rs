//! The OpenAPI 3 document's frame: title, description and the models' schemas. The operations come
//! from the router itself (`routes::document`).

use super::error::{ErrorBody, ErrorResponse};
use super::models::*;
use crate::engine::metrics::PerformanceMetrics;
use crate::run::config::{Mode, RunConfig};
use crate::run::results::{EquityRecord, OrderRecord, PositionRecord, ResultsResponse, RunStatus, TradeRecord};
use crate::runner::events::{LogEvent, OrderEvent, TickerEvent};
use crate::runner::status::StatusResponse;
use crate::runner::RunResponse;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "cracktrader-tui Web API",
        description = "Cracktrader's Web API: runs, status, results and live events. Errors use {\"error\":{\"code\",\"message\",\"details\"}}. WebSockets: /api/v1/ws (subscribe to orders, trades, status, equity, ticker, logs, optimize) and /api/v1/ws/status."
    ),
    components(schemas(
        ErrorResponse,
        ErrorBody,
        BacktestRequest,
        LiveTradingRequest,
        LiveMode,
        RunResponse,
        StatusResponse,
        DetailedStatusResponse,
        HealthResponse,
        Check,
        ResultsResponse,
        RunConfig,
        Mode,
        RunStatus,
        OrderRecord,
        TradeRecord,
        PositionRecord,
        EquityRecord,
        PerformanceMetrics,
        StrategiesResponse,
        StrategyInfo,
        ParamInfo,
        ExchangesResponse,
        ExchangeInfo,
        BalanceResponse,
        Holding,
        MetaResponse,
        crate::api::models::RiskKeyInfo,
        OrderEvent,
        TickerEvent,
        LogEvent,
        crate::store::RunSummary,
        crate::store::PruneReport,
        crate::runner::status::Attention,
        crate::run::results::RiskEventRecord,
        crate::run::request::OptimizeRequest,
        crate::run::request::WalkForwardRequest,
        crate::run::sweep::SweepReport,
        crate::run::sweep::Combination,
        crate::run::sweep::Best,
        crate::run::sweep::Fold,
        crate::run::sweep::TrainPart,
        crate::run::sweep::TestPart,
        crate::run::sweep::Axis,
        crate::run::sweep::ParamValue,
        crate::run::sweep::Objective,
        crate::runner::status::OptimizeStatus,
        crate::runner::events::OptimizeBatch
    ))
)]
pub struct ApiDoc;

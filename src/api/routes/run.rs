//! Starting, stopping and resetting runs.

use crate::api::error::{ApiError, ApiJson, ErrorResponse};
use crate::api::models::{BacktestRequest, LiveTradingRequest};
use crate::api::ApiState;
use crate::data::source::known_exchanges;
use crate::run::config::{self, Mode, RunRequest};
use crate::run::error::{ErrorCode, RunError};
use crate::runner::RunResponse;
use axum::extract::State;
use axum::Json;

async fn start(st: &ApiState, req: RunRequest) -> Result<Json<RunResponse>, ApiError> {
    let data_dir = st.runner.data_dir.clone();
    let known = tokio::task::spawn_blocking(move || known_exchanges(&data_dir))
        .await
        .map_err(ApiError::internal)?;
    let cfg = config::validate(&req, &known)?;
    if cfg.mode == Mode::Live && !cfg.live.sandbox && !st.settings.allow_live {
        return Err(RunError::new(
            ErrorCode::LiveTradingDisabled,
            "real-money live trading is disabled on this server; use exchange_config.sandbox: true for the testnet, or start the server with --allow-live",
        )
        .into());
    }
    Ok(Json(st.runner.start(cfg).await?))
}

#[utoipa::path(post, path = "/api/v1/run/backtest", tag = "runs", request_body = BacktestRequest,
    responses((status = 200, body = RunResponse), (status = 400, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn run_backtest(
    State(st): State<ApiState>,
    ApiJson(body): ApiJson<BacktestRequest>,
) -> Result<Json<RunResponse>, ApiError> {
    start(&st, body.into()).await
}

#[utoipa::path(post, path = "/api/v1/run/live", tag = "runs", request_body = LiveTradingRequest,
    responses((status = 200, body = RunResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn run_live(
    State(st): State<ApiState>,
    ApiJson(body): ApiJson<LiveTradingRequest>,
) -> Result<Json<RunResponse>, ApiError> {
    start(&st, body.into()).await
}

#[utoipa::path(post, path = "/api/v1/run/stop", tag = "runs",
    responses((status = 200, body = RunResponse), (status = 409, body = ErrorResponse)))]
pub async fn run_stop(State(st): State<ApiState>) -> Result<Json<RunResponse>, ApiError> {
    Ok(Json(st.runner.stop().await?))
}

#[utoipa::path(delete, path = "/api/v1/run/reset", tag = "runs",
    responses((status = 200, body = RunResponse), (status = 409, body = ErrorResponse)))]
pub async fn run_reset(State(st): State<ApiState>) -> Result<Json<RunResponse>, ApiError> {
    Ok(Json(st.runner.reset().await?))
}

//! Starting, stopping and resetting runs.

use crate::api::error::{ApiError, ApiJson, ErrorResponse};
use crate::api::models::{BacktestRequest, LiveTradingRequest};
use crate::api::ApiState;
use crate::run::config::RunRequest;
use crate::run::request::OptimizeRequest;
use crate::runner::RunResponse;
use axum::extract::State;
use axum::Json;

async fn start(st: &ApiState, req: RunRequest) -> Result<Json<RunResponse>, ApiError> {
    Ok(Json(st.runner.start_request(req).await?))
}

#[utoipa::path(post, path = "/run/backtest", tag = "runs", request_body = BacktestRequest,
    responses((status = 200, body = RunResponse), (status = 400, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn run_backtest(
    State(st): State<ApiState>,
    ApiJson(body): ApiJson<BacktestRequest>,
) -> Result<Json<RunResponse>, ApiError> {
    start(&st, body.into()).await
}

#[utoipa::path(post, path = "/run/live", tag = "runs", request_body = LiveTradingRequest,
    responses((status = 200, body = RunResponse), (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn run_live(
    State(st): State<ApiState>,
    ApiJson(body): ApiJson<LiveTradingRequest>,
) -> Result<Json<RunResponse>, ApiError> {
    start(&st, body.into()).await
}

/// A parameter sweep as one run (mode `optimize`): progress in `/status` (`optimize`), finished
/// combinations on the `optimize` WebSocket channel, the ranked table in `/results` (`optimization`).
#[utoipa::path(post, path = "/run/optimize", tag = "runs", request_body = OptimizeRequest,
    responses((status = 200, body = RunResponse), (status = 400, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn run_optimize(
    State(st): State<ApiState>,
    ApiJson(body): ApiJson<OptimizeRequest>,
) -> Result<Json<RunResponse>, ApiError> {
    Ok(Json(st.runner.start_optimize(body).await?))
}

#[utoipa::path(post, path = "/run/stop", tag = "runs",
    responses((status = 200, body = RunResponse), (status = 409, body = ErrorResponse)))]
pub async fn run_stop(State(st): State<ApiState>) -> Result<Json<RunResponse>, ApiError> {
    Ok(Json(st.runner.stop().await?))
}

#[utoipa::path(delete, path = "/run/reset", tag = "runs",
    responses((status = 200, body = RunResponse), (status = 409, body = ErrorResponse)))]
pub async fn run_reset(State(st): State<ApiState>) -> Result<Json<RunResponse>, ApiError> {
    Ok(Json(st.runner.reset().await?))
}

#[utoipa::path(post, path = "/run/resume", tag = "runs",
    responses((status = 200, body = RunResponse), (status = 409, body = ErrorResponse)))]
pub async fn run_resume(State(st): State<ApiState>) -> Result<Json<RunResponse>, ApiError> {
    Ok(Json(st.runner.resume().await?))
}

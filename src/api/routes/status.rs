//! `GET /status` and `GET /status/detailed`: the runner's latest snapshot.

use super::health::health_report;
use crate::api::models::DetailedStatusResponse;
use crate::api::ApiState;
use crate::runner::status::StatusResponse;
use axum::extract::State;
use axum::Json;

#[utoipa::path(get, path = "/status", tag = "status", responses((status = 200, body = StatusResponse)))]
pub async fn status(State(st): State<ApiState>) -> Json<StatusResponse> {
    Json(st.runner.snapshot().status_response())
}

#[utoipa::path(get, path = "/status/detailed", tag = "status", responses((status = 200, body = DetailedStatusResponse)))]
pub async fn status_detailed(State(st): State<ApiState>) -> Json<DetailedStatusResponse> {
    let s = st.runner.snapshot();
    Json(DetailedStatusResponse {
        status: s.status_response(),
        recent_trades: s.recent_trades.iter().rev().cloned().collect(),
        recent_orders: s.recent_orders.iter().rev().cloned().collect(),
        positions: s.positions.clone(),
        equity_curve: s.equity_view(500),
        performance_metrics: s.metrics.clone(),
        health: health_report(&st),
        attention: s.attention.clone(),
        risk_events: s.risk_events.iter().cloned().collect(),
    })
}

//! `GET /balance`: cash and holdings of the current or last run.

use crate::api::models::{BalanceResponse, Holding};
use crate::api::ApiState;
use axum::extract::State;
use axum::Json;

#[utoipa::path(get, path = "/balance", tag = "status", responses((status = 200, body = BalanceResponse)))]
pub async fn balance(State(st): State<ApiState>) -> Json<BalanceResponse> {
    let s = st.runner.snapshot();
    let holdings = s
        .positions
        .iter()
        .map(|p| Holding {
            asset: p.symbol.split('/').next().unwrap_or(&p.symbol).to_string(),
            symbol: p.symbol.clone(),
            amount: p.size,
            value: p.value,
        })
        .collect();
    Json(BalanceResponse {
        run_id: s.run_id.clone(),
        cash: s.cash,
        total_value: s.value,
        holdings,
    })
}

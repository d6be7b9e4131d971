//! One file per group of routes; this one only wires paths to handlers.

mod balance;
mod catalog;
pub mod health;
mod meta;
mod results;
mod run;
mod runs;
mod status;
mod ws;

use super::ApiState;
use axum::routing::{delete, get, post};
use axum::Router;

pub use balance::*;
pub use catalog::*;
pub use health::*;
pub use meta::*;
pub use results::*;
pub use run::*;
pub use runs::*;
pub use status::*;
pub use ws::*;

pub fn router() -> Router<ApiState> {
    Router::new()
        .route("/health", get(health))
        .route("/status", get(status))
        .route("/status/detailed", get(status_detailed))
        .route("/run/backtest", post(run_backtest))
        .route("/run/live", post(run_live))
        .route("/run/stop", post(run_stop))
        .route("/run/resume", post(run_resume))
        .route("/run/reset", delete(run_reset))
        .route("/results", get(results))
        .route("/strategies", get(strategies))
        .route("/exchanges", get(exchanges))
        .route("/balance", get(balance))
        .route("/meta", get(meta))
        .route("/openapi.json", get(openapi_json))
        .route("/ws", get(ws))
        .route("/ws/status", get(ws_status))
        .route("/runs", get(runs_list))
        .route("/runs/{run_id}", get(runs_get).delete(runs_delete))
        .route("/runs/{run_id}/trades.csv", get(runs_trades_csv))
        .route("/runs/{run_id}/equity.csv", get(runs_equity_csv))
}

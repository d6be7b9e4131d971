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
use axum::routing::get;
use axum::Router;
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use balance::*;
pub use catalog::*;
pub use health::*;
pub use meta::*;
pub use results::*;
pub use run::*;
pub use runs::*;
pub use status::*;
pub use ws::*;

/// Every route of `/api/v1`, registered once: the router and the OpenAPI document both come from here,
/// so the document cannot drift from what is served.
fn documented() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(super::openapi::ApiDoc::openapi()).nest(
        "/api/v1",
        OpenApiRouter::new()
            .routes(routes!(health))
            .routes(routes!(status))
            .routes(routes!(status_detailed))
            .routes(routes!(run_backtest))
            .routes(routes!(run_live))
            .routes(routes!(run_stop))
            .routes(routes!(run_resume))
            .routes(routes!(run_reset))
            .routes(routes!(results))
            .routes(routes!(strategies))
            .routes(routes!(exchanges))
            .routes(routes!(balance))
            .routes(routes!(meta))
            .routes(routes!(openapi_json))
            .routes(routes!(runs_list, runs_prune))
            .routes(routes!(runs_get, runs_delete))
            .routes(routes!(runs_trades_csv))
            .routes(routes!(runs_equity_csv))
            // WebSockets are described in the document's description, not as operations.
            .route("/ws", get(ws))
            .route("/ws/status", get(ws_status)),
    )
}

/// The `/api/v1` routes, unlayered.
pub fn router() -> Router<ApiState> {
    documented().split_for_parts().0
}

/// The OpenAPI 3 document of exactly those routes.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| documented().split_for_parts().1)
}

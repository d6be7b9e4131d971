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
            .routes(routes!(run_optimize))
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
            .routes(routes!(runs_orders))
            .routes(routes!(runs_trades))
            .routes(routes!(runs_equity))
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
    DOC.get_or_init(|| {
        let mut doc = documented().split_for_parts().1;
        add_shared_responses(&mut doc);
        doc
    })
}

/// The answers every route can give that come from the layers around it rather than the handler:
/// 401 without a valid key (all but `/health`), 403 for a read-only key or a foreign `Origin` on a
/// state-changing route, 413 and 415 for request bodies, 429 past the rate limit. All use the error
/// envelope.
fn add_shared_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorResponse")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let open = path.ends_with("/health");
        let ops = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ];
        for (op, changes_state) in ops {
            let Some(op) = op.as_mut() else { continue };
            let responses = &mut op.responses.responses;
            let mut add = |code: &str, what: &str| {
                responses.entry(code.to_string()).or_insert_with(|| error(what));
            };
            if !open {
                add("401", "UNAUTHORIZED: an API key is required and was missing or wrong");
            }
            if changes_state {
                add("403", "FORBIDDEN: a read-only key, or a request from a foreign Origin");
            }
            if op.request_body.is_some() {
                add("413", "PAYLOAD_TOO_LARGE: the request body is over the limit");
                add("415", "INVALID_REQUEST (415): the body must be application/json");
            }
            add("429", "RATE_LIMITED: too many requests; see Retry-After");
        }
    }
}

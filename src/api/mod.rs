//! The Web API at `/api/v1`: REST + WebSocket over the runner, served by axum in the same process.

pub mod auth;
pub mod error;
mod guard;
pub mod host;
pub mod models;
pub mod openapi;
pub mod rate_limit;
mod routes;
mod schema_metrics;

use crate::run::error::ErrorCode;
use crate::runner::RunnerHandle;
use auth::ApiKey;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use error::ApiError;
use rate_limit::RateLimiter;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const API_VERSION: &str = "v1";
pub const BODY_LIMIT: usize = 256 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub keys: Vec<ApiKey>,
    /// Requests per minute per key (or client address); 0 disables the limit.
    pub rate_limit: u32,
    pub cors_origins: Vec<String>,
    /// How long a WebSocket write may wait on a client that is not reading before it is dropped.
    pub ws_send_timeout: std::time::Duration,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            keys: Vec::new(),
            rate_limit: 100,
            cors_origins: Vec::new(),
            ws_send_timeout: std::time::Duration::from_secs(10),
        }
    }
}

#[derive(Debug)]
pub struct ApiMetrics {
    pub started: Instant,
    pub requests_total: AtomicU64,
    pub ws_connections: AtomicU64,
}

#[derive(Clone)]
pub struct ApiState {
    pub runner: RunnerHandle,
    pub settings: Arc<ApiSettings>,
    pub metrics: Arc<ApiMetrics>,
    pub limiter: Arc<RateLimiter>,
}

impl ApiState {
    pub fn new(runner: RunnerHandle, settings: ApiSettings) -> Self {
        ApiState {
            runner,
            limiter: Arc::new(RateLimiter::new(settings.rate_limit)),
            settings: Arc::new(settings),
            metrics: Arc::new(ApiMetrics {
                started: Instant::now(),
                requests_total: AtomicU64::new(0),
                ws_connections: AtomicU64::new(0),
            }),
        }
    }
}

/// Counts the request, stamps the API version header, and puts the envelope on any error response the
/// framework produced by itself.
async fn finish(state: axum::extract::State<ApiState>, req: Request, next: Next) -> Response {
    state.metrics.requests_total.fetch_add(1, Ordering::Relaxed);
    let res = next.run(req).await;
    let mut res = error::envelope_errors(res).await;
    res.headers_mut().insert(
        HeaderName::from_static("x-cracktrader-api-version"),
        HeaderValue::from_static(API_VERSION),
    );
    res
}

async fn timeout(req: Request, next: Next) -> Result<Response, ApiError> {
    // WebSocket upgrades answer at once; the connection that follows is not a request to time out.
    tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await.map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::RequestTimeout,
            "the request took too long",
        )
    })
}

/// The rate-limit bucket of a request without a key: its client address.
pub(crate) fn client_address(req: &Request) -> String {
    req.extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| format!("ip:{}", c.0.ip()))
        .unwrap_or_else(|| "ip:unknown".into())
}

pub fn router(state: ApiState) -> Router {
    let api = routes::router()
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit::limit))
        .layer(middleware::from_fn_with_state(state.clone(), auth::require_key))
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard));
    let mut app = Router::new()
        .merge(api)
        .fallback(|| async { ApiError::for_status(StatusCode::NOT_FOUND) })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(timeout))
        .layer(middleware::from_fn_with_state(state.clone(), finish));
    if !state.settings.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = state
            .settings
            .cors_origins
            .iter()
            .filter_map(|o| o.parse().ok())
            .collect();
        app = app.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods(tower_http::cors::Any)
                .allow_headers(tower_http::cors::Any),
        );
    }
    app.with_state(state)
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("refusing to listen on {0} without API keys: add --api-key (or CRACKTRADER_API_KEYS), or bind 127.0.0.1")]
    OpenNonLoopback(SocketAddr),
    #[error("port {port} is in use ({addr}): use --port 0 for any free port (the address is shown), or --no-api for the dashboard alone", port = addr.port())]
    PortInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

/// Binds the listener (so a busy port fails before anything else happens).
pub async fn bind(addr: SocketAddr, settings: &ApiSettings) -> Result<tokio::net::TcpListener, ServeError> {
    if !addr.ip().is_loopback() && settings.keys.is_empty() {
        return Err(ServeError::OpenNonLoopback(addr));
    }
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => ServeError::PortInUse { addr },
            _ => ServeError::Bind { addr, source },
        })
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ApiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_busy_port_says_how_to_go_on() {
        let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = taken.local_addr().unwrap();
        let e = bind(addr, &ApiSettings::default()).await.unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("port {} is in use", addr.port()))
                && msg.contains("--port 0")
                && msg.contains("--no-api"),
            "{msg}"
        );
    }
}

//! Requests a browser could be tricked into sending. A page on another site may POST to a server on
//! loopback (no preflight for `text/plain`), and DNS rebinding can make its own name point here; both
//! are refused: state-changing requests and WebSocket handshakes whose `Origin` is neither an allowed
//! CORS origin nor this server, and, without API keys, any `Host` that is not a loopback name.

use super::error::ApiError;
use super::ApiState;
use crate::run::error::ErrorCode;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The `host[:port]` of an origin such as `http://localhost:8000`.
fn origin_authority(origin: &str) -> &str {
    origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/')
}

pub async fn guard(State(st): State<ApiState>, req: Request, next: Next) -> Result<Response, ApiError> {
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
    if st.settings.keys.is_empty() {
        if let Some(h) = host.filter(|h| !loopback_host(h)) {
            let shown: String = h.chars().take(100).collect();
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                format!(
                    "Host '{shown}' is not a loopback name; without API keys this server only answers to localhost (DNS rebinding protection)"
                ),
            ));
        }
    }
    // WebSocket handshakes are GETs, but a foreign page must not read the event stream either.
    let mutating = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let websocket = req
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if let (true, Some(origin)) = (mutating || websocket, req.headers().get(header::ORIGIN)) {
        let origin = origin.to_str().unwrap_or("");
        let allowed = st
            .settings
            .cors_origins
            .iter()
            .any(|o| o.trim_end_matches('/') == origin.trim_end_matches('/'))
            || host.is_some_and(|h| h.eq_ignore_ascii_case(origin_authority(origin)));
        if !allowed {
            let shown: String = origin.chars().take(100).collect();
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                format!("cross-origin request from '{shown}' refused; allow the origin with --cors-origin"),
            ));
        }
    }
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names() {
        for ok in [
            "localhost",
            "localhost:8000",
            "127.0.0.1",
            "127.0.0.1:1",
            "[::1]:8000",
            "[::1]",
            "LOCALHOST:9",
        ] {
            assert!(loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.com",
            "evil.com:8000",
            "10.0.0.1:80",
            "localhost.evil.com",
            "[::2]:80",
            "",
        ] {
            assert!(!loopback_host(bad), "{bad}");
        }
        assert_eq!(origin_authority("http://127.0.0.1:8000/"), "127.0.0.1:8000");
    }
}

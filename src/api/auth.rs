//! API keys. With none configured the API is open (and then only binds loopback); with keys, every
//! route but `/health` needs one, and read-only keys cannot start, stop or reset runs.

use super::error::ApiError;
use super::ApiState;
use crate::run::error::ErrorCode;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub key: String,
    pub read_only: bool,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey(***{})", if self.read_only { ", read" } else { "" })
    }
}

impl ApiKey {
    /// `KEY` (full access) or `KEY:read` (read-only).
    pub fn parse(s: &str) -> Result<ApiKey, String> {
        let s = s.trim();
        let (key, read_only) = match s.rsplit_once(':') {
            Some((k, "read")) => (k, true),
            Some((_, other)) => {
                return Err(format!(
                    "API key suffix ':{other}' is not supported; use KEY or KEY:read"
                ))
            }
            None => (s, false),
        };
        if key.len() < 8 || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("API keys must be at least 8 characters without spaces".into());
        }
        Ok(ApiKey {
            key: key.to_string(),
            read_only,
        })
    }
}

/// Who made a request, for rate limiting: the index of the key used.
#[derive(Debug, Clone, Copy)]
pub struct Principal(pub usize);

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn presented_key(req: &Request) -> Option<String> {
    let h = req.headers();
    if let Some(k) = h.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(k.trim().to_string());
    }
    if let Some(b) = h.get("authorization").and_then(|v| v.to_str().ok()).and_then(bearer) {
        return Some(b.trim().to_string());
    }
    // Browsers cannot set headers on WebSocket handshakes, so those may pass the key in the query
    // (URL-encoded, so keys with `+`, `/` or `=` work).
    if req.uri().path().contains("/ws") {
        return req.uri().query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "api_key")
                .map(|(_, v)| v.into_owned())
        });
    }
    None
}

/// The token of `Authorization: Bearer TOKEN`; the scheme name is case-insensitive (RFC 7235).
fn bearer(v: &str) -> Option<&str> {
    let (scheme, token) = v.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// A 401, or a 429 once the client address has failed too often: key guessing is throttled like any
/// other traffic from that address.
fn refused(st: &ApiState, req: &Request, message: &str) -> ApiError {
    let who = super::client_address(req);
    if let Err(retry) = st.limiter.check(&who, std::time::Instant::now()) {
        return ApiError::rate_limited(st.settings.rate_limit, retry);
    }
    ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
}

fn mutates(req: &Request) -> bool {
    req.method() != Method::GET && req.method() != Method::HEAD && req.method() != Method::OPTIONS
}

pub async fn require_key(State(st): State<ApiState>, mut req: Request, next: Next) -> Result<Response, ApiError> {
    let keys = &st.settings.keys;
    if keys.is_empty() {
        return Ok(next.run(req).await);
    }
    if req.uri().path().ends_with("/health") {
        // Never refused; a valid key unlocks the details.
        let known = presented_key(&req).and_then(|given| {
            keys.iter()
                .position(|k| constant_time_eq(k.key.as_bytes(), given.as_bytes()))
        });
        if let Some(idx) = known {
            req.extensions_mut().insert(Principal(idx));
        }
        return Ok(next.run(req).await);
    }
    let Some(given) = presented_key(&req) else {
        return Err(refused(
            &st,
            &req,
            "an API key is required: send X-API-Key or Authorization: Bearer",
        ));
    };
    let Some(idx) = keys
        .iter()
        .position(|k| constant_time_eq(k.key.as_bytes(), given.as_bytes()))
    else {
        return Err(refused(&st, &req, "unknown API key"));
    };
    if keys[idx].read_only && mutates(&req) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "this API key is read-only; starting, stopping and resetting runs need a full key",
        ));
    }
    req.extensions_mut().insert(Principal(idx));
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_never_prints_them() {
        let k = ApiKey::parse("secret-key-1:read").unwrap();
        assert!(k.read_only && k.key == "secret-key-1");
        assert!(!format!("{k:?}").contains("secret"));
        assert!(!ApiKey::parse("longenough").unwrap().read_only);
        assert!(ApiKey::parse("short").is_err());
        assert!(ApiKey::parse("longenough:admin").is_err());
    }

    fn key_of(uri: &str, header: Option<(&str, &str)>) -> Option<String> {
        let mut b = axum::http::Request::builder().uri(uri);
        if let Some((k, v)) = header {
            b = b.header(k, v);
        }
        presented_key(&b.body(axum::body::Body::empty()).unwrap())
    }

    #[test]
    fn bearer_is_case_insensitive_and_ws_keys_are_url_decoded() {
        for scheme in ["Bearer", "bearer", "BEARER"] {
            let h = format!("{scheme} k3y-value");
            assert_eq!(
                key_of("/api/v1/status", Some(("authorization", &h))).as_deref(),
                Some("k3y-value")
            );
        }
        assert_eq!(key_of("/api/v1/status", Some(("authorization", "Basic abc"))), None);
        assert_eq!(
            key_of("/api/v1/ws?x=1&api_key=a%2Bb%2Fc%3D%3D", None).as_deref(),
            Some("a+b/c==")
        );
        assert_eq!(
            key_of("/api/v1/status?api_key=abc", None),
            None,
            "query keys only on WebSockets"
        );
    }
}

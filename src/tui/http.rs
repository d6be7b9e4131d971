//! The remote console's HTTP client (`--connect http://HOST:PORT`): JSON in and out over reqwest,
//! with a timeout so a dead server never freezes the screen, and the API's error envelope turned
//! into a typed error.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read; a run's results are far below this, a misbehaving peer is not.
const MAX_BODY: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("'{0}': https is not supported by the remote console; connect to the server's http address")]
    Https(String),
    #[error("'{0}': expected http://HOST:PORT")]
    BadUrl(String),
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    #[error("{url} did not answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The server answered with its error envelope (or a bare non-2xx status).
    #[error("{code}: {message}")]
    Api { status: u16, code: String, message: String },
    #[error("unexpected answer from {url}: {reason}")]
    Unexpected { url: String, reason: String },
}

#[derive(Debug, Clone)]
pub struct Client {
    /// `host:port`
    pub authority: String,
    /// `http://host:port`
    pub base: String,
    pub api_key: Option<String>,
    http: reqwest::Client,
}

impl Client {
    /// Accepts `http://host[:port][/]` (https needs a TLS proxy in front; say so rather than fail oddly).
    pub fn new(url: &str, api_key: Option<String>) -> Result<Client, HttpError> {
        let url = url.trim().trim_end_matches('/');
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            if url.starts_with("https://") {
                HttpError::Https(url.to_string())
            } else {
                HttpError::BadUrl(url.to_string())
            }
        })?;
        let authority = rest.split('/').next().unwrap_or(rest);
        if authority.is_empty() || authority.contains(char::is_whitespace) {
            return Err(HttpError::BadUrl(url.to_string()));
        }
        let authority = if authority.contains(':') {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        // reqwest needs a TLS provider even for plain http.
        crate::exchange::init_tls();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(concat!("cracktrader-tui/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Setup(e.to_string()))?;
        Ok(Client {
            base: format!("http://{authority}"),
            authority,
            api_key,
            http,
        })
    }

    /// GET `path` and decode the answer.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, HttpError> {
        let v = self.call(reqwest::Method::GET, path, None::<&()>).await?;
        self.decode(v)
    }

    /// POST (or DELETE) `path` with a JSON body; the answer as JSON.
    pub async fn send<B: Serialize>(&self, method: reqwest::Method, path: &str, body: &B) -> Result<Value, HttpError> {
        self.call(method, path, Some(body)).await
    }

    pub fn decode<T: DeserializeOwned>(&self, v: Value) -> Result<T, HttpError> {
        serde_json::from_value(v).map_err(|e| HttpError::Unexpected {
            url: self.base.clone(),
            reason: e.to_string(),
        })
    }

    async fn call<B: Serialize>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Value, HttpError> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Accept", "application/json");
        if let Some(k) = &self.api_key {
            req = req.header("X-API-Key", k);
        }
        if let Some(b) = body {
            let payload = serde_json::to_vec(b).map_err(|e| HttpError::Setup(e.to_string()))?;
            req = req.header("Content-Type", "application/json").body(payload);
        }
        let mut res = req.send().await.map_err(|e| self.transport(e))?;
        let status = res.status().as_u16();
        let mut raw = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| self.transport(e))? {
            if raw.len() + chunk.len() > MAX_BODY {
                return Err(HttpError::Unexpected {
                    url: self.base.clone(),
                    reason: format!("answer larger than {} MB", MAX_BODY >> 20),
                });
            }
            raw.extend_from_slice(&chunk);
        }
        answer(status, &raw).map_err(|reason| HttpError::Unexpected {
            url: self.base.clone(),
            reason,
        })?
    }

    fn transport(&self, e: reqwest::Error) -> HttpError {
        if e.is_timeout() {
            HttpError::Timeout {
                url: self.base.clone(),
                secs: TIMEOUT.as_secs(),
            }
        } else {
            HttpError::Unreachable {
                url: self.base.clone(),
                reason: root_cause(&e),
            }
        }
    }
}

/// The innermost cause ("Connection refused"), not reqwest's "error sending request for url".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// A body as JSON; a non-2xx status becomes `HttpError::Api` with the envelope's code and message.
/// The outer error is a body that is not JSON.
fn answer(status: u16, raw: &[u8]) -> Result<Result<Value, HttpError>, String> {
    let v = if raw.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(raw) {
            Ok(v) => v,
            Err(e) if (200..300).contains(&status) => return Err(format!("response is not JSON: {e}")),
            Err(_) => Value::Null,
        }
    };
    if (200..300).contains(&status) {
        return Ok(Ok(v));
    }
    let text = |k: &str| v["error"][k].as_str().map(str::to_string);
    Ok(Err(HttpError::Api {
        status,
        code: text("code").unwrap_or_else(|| format!("HTTP_{status}")),
        message: text("message").unwrap_or_else(|| format!("the server answered HTTP {status}")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_answers() {
        assert_eq!(
            Client::new("http://127.0.0.1:8000/", None).unwrap().authority,
            "127.0.0.1:8000"
        );
        assert_eq!(Client::new("http://example", None).unwrap().authority, "example:80");
        assert!(Client::new("https://x:1", None)
            .unwrap_err()
            .to_string()
            .contains("https"));
        assert!(matches!(Client::new("ftp://x", None), Err(HttpError::BadUrl(_))));
        assert!(matches!(Client::new("http://", None), Err(HttpError::BadUrl(_))));
        let e = answer(409, br#"{"error":{"code":"RUN_ACTIVE","message":"busy"}}"#)
            .unwrap()
            .unwrap_err();
        assert_eq!(e.to_string(), "RUN_ACTIVE: busy");
        assert!(matches!(e, HttpError::Api { status: 409, .. }));
        let e = answer(502, b"<html>bad gateway</html>").unwrap().unwrap_err();
        assert_eq!(e.to_string(), "HTTP_502: the server answered HTTP 502");
        assert_eq!(answer(200, br#"{"a":1}"#).unwrap().unwrap()["a"], 1);
        assert!(answer(200, b"not json").is_err());
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_not_a_hang() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = Client::new(&format!("http://127.0.0.1:{port}"), None).unwrap();
        let e = c.get::<Value>("/api/v1/health").await.unwrap_err();
        assert!(matches!(e, HttpError::Unreachable { .. }), "{e}");
    }
}

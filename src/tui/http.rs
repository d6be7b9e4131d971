//! A small HTTP/1.1 client for the remote console (`--connect http://HOST:PORT`): one request per
//! connection, JSON in and out, with a timeout so a dead server never freezes the screen.

use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Client {
    /// `host:port`
    pub authority: String,
    pub base: String,
    pub api_key: Option<String>,
}

impl Client {
    /// Accepts `http://host:port` (https needs a TLS proxy in front; say so rather than fail oddly).
    pub fn new(url: &str, api_key: Option<String>) -> Result<Client, String> {
        let url = url.trim().trim_end_matches('/');
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            if url.starts_with("https://") {
                format!("'{url}': https is not supported by the remote console; connect to the server's http address")
            } else {
                format!("'{url}': expected http://HOST:PORT")
            }
        })?;
        let authority = rest.split('/').next().unwrap_or(rest).to_string();
        if authority.is_empty() {
            return Err(format!("'{url}': expected http://HOST:PORT"));
        }
        let authority = if authority.contains(':') {
            authority
        } else {
            format!("{authority}:80")
        };
        Ok(Client {
            base: format!("http://{authority}"),
            authority,
            api_key,
        })
    }

    pub async fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), String> {
        tokio::time::timeout(TIMEOUT, self.send(method, path, body))
            .await
            .map_err(|_| format!("{} did not answer within {TIMEOUT:?}", self.base))?
    }

    async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), String> {
        let mut s = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", self.base))?;
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: application/json\r\n",
            self.authority
        );
        if let Some(k) = &self.api_key {
            req.push_str(&format!("X-API-Key: {k}\r\n"));
        }
        if body.is_some() {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                payload.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(&payload);
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| format!("request to {} failed: {e}", self.base))?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)
            .await
            .map_err(|e| format!("reading from {} failed: {e}", self.base))?;
        parse_response(&raw)
    }
}

fn parse_response(raw: &[u8]) -> Result<(u16, Value), String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed HTTP response")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("malformed HTTP status line")?;
    let mut body = raw[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body)?;
    }
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).map_err(|e| format!("response is not JSON: {e}"))?
    };
    Ok((status, value))
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let nl = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("malformed chunked body")?;
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..nl]).trim(), 16).map_err(|_| "malformed chunk size")?;
        b = &b[nl + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(b.get(..size).ok_or("truncated chunk")?);
        b = b.get(size + 2..).unwrap_or(&[]);
    }
}

/// `CODE: message` from an error envelope, or the status.
pub fn error_text(status: u16, v: &Value) -> String {
    match (v["error"]["code"].as_str(), v["error"]["message"].as_str()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        _ => format!("HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_responses() {
        assert_eq!(
            Client::new("http://127.0.0.1:8000/", None).unwrap().authority,
            "127.0.0.1:8000"
        );
        assert_eq!(Client::new("http://example", None).unwrap().authority, "example:80");
        assert!(Client::new("https://x:1", None).unwrap_err().contains("https"));
        assert!(Client::new("ftp://x", None).is_err());
        let (s, v) = parse_response(b"HTTP/1.1 409 Conflict\r\ncontent-type: application/json\r\n\r\n{\"error\":{\"code\":\"RUN_ACTIVE\",\"message\":\"busy\"}}").unwrap();
        assert_eq!((s, error_text(s, &v)), (409, "RUN_ACTIVE: busy".to_string()));
        let (_, v) = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(v["a"], 1);
    }
}

//! Binance public REST: server time, exchange info and klines (paged, 1000 a request). Blocking, for
//! the worker threads and the CLI that download history.

use super::filters::{parse_exchange_info, SymbolRules};
use crate::engine::{Candle, Timeframe};
use crate::run::error::{ErrorCode, RunError};
use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;

/// Binance's maximum klines per request.
pub const PAGE: usize = 1000;
/// Retries after a 429/418 before giving up.
const RETRIES: u32 = 3;
/// Longest Retry-After honoured in place; longer bans are reported instead of waited out.
const MAX_WAIT: Duration = Duration::from_secs(60);

pub struct Rest {
    http: reqwest::blocking::Client,
    pub origin: String,
    rules: OnceLock<Vec<SymbolRules>>,
}

/// Why a public Binance request gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("cannot set up HTTPS: {0}")]
    Setup(String),
    #[error("cannot reach {origin}: {reason}")]
    Unreachable { origin: String, reason: String },
    #[error("Binance rate limit (HTTP {status}); retry after {retry_after_s} s")]
    RateLimited { status: u16, retry_after_s: u64 },
    /// Binance's own error body (`{"code":-1121,"msg":"Invalid symbol."}`), or the bare status.
    #[error("Binance error {code} (HTTP {status}): {message}")]
    Exchange { status: u16, code: i64, message: String },
    #[error("Binance answered HTTP {0}")]
    Status(u16),
    #[error("unexpected answer from {origin}: {reason}")]
    Unexpected { origin: String, reason: String },
}

fn exchange_error(status: u16, body: &str) -> RestError {
    match serde_json::from_str::<Value>(body) {
        Ok(v) if v["msg"].is_string() => RestError::Exchange {
            status,
            code: v["code"].as_i64().unwrap_or(0),
            message: v["msg"].as_str().unwrap_or("").to_string(),
        },
        _ => RestError::Status(status),
    }
}

impl Rest {
    pub fn new(origin: &str) -> Result<Rest, RestError> {
        crate::exchange::init_tls();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("cracktrader-tui/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RestError::Setup(e.to_string()))?;
        Ok(Rest {
            http,
            origin: origin.trim_end_matches('/').to_string(),
            rules: OnceLock::new(),
        })
    }

    /// GET `path` (with query); honours Retry-After on 429/418.
    pub fn get(&self, path: &str) -> Result<Value, RestError> {
        let url = format!("{}{path}", self.origin);
        for attempt in 0..=RETRIES {
            let res = self.http.get(&url).send().map_err(|e| self.unreachable(e))?;
            let status = res.status().as_u16();
            if status == 429 || status == 418 {
                let wait = res
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or(Duration::from_secs(1));
                if attempt == RETRIES || wait > MAX_WAIT {
                    return Err(RestError::RateLimited {
                        status,
                        retry_after_s: wait.as_secs(),
                    });
                }
                tracing::warn!("Binance rate limit (HTTP {status}); waiting {wait:?}");
                std::thread::sleep(wait);
                continue;
            }
            let body = res.text().map_err(|e| self.unreachable(e))?;
            if status != 200 {
                return Err(exchange_error(status, &body));
            }
            return serde_json::from_str(&body).map_err(|e| self.unexpected(e.to_string()));
        }
        Err(RestError::RateLimited {
            status: 429,
            retry_after_s: 1,
        })
    }

    fn unreachable(&self, e: reqwest::Error) -> RestError {
        RestError::Unreachable {
            origin: self.origin.clone(),
            reason: e.to_string(),
        }
    }

    fn unexpected(&self, reason: impl Into<String>) -> RestError {
        RestError::Unexpected {
            origin: self.origin.clone(),
            reason: reason.into(),
        }
    }

    pub fn server_time(&self) -> Result<i64, RestError> {
        self.get("/api/v3/time")?["serverTime"]
            .as_i64()
            .ok_or_else(|| self.unexpected("/api/v3/time has no serverTime"))
    }

    /// Every symbol's rules (fetched once).
    pub fn rules(&self) -> Result<&[SymbolRules], RestError> {
        if let Some(r) = self.rules.get() {
            return Ok(r);
        }
        let parsed = parse_exchange_info(&self.get("/api/v3/exchangeInfo")?);
        Ok(self.rules.get_or_init(|| parsed))
    }

    /// `BTC/USDT` -> its rules; an unknown symbol is `INVALID_SYMBOL` listing the ones that trade.
    pub fn resolve(&self, symbol: &str) -> Result<SymbolRules, RunError> {
        let rules = self
            .rules()
            .map_err(|e| RunError::new(ErrorCode::NoData, e.to_string()))?;
        rules.iter().find(|r| r.symbol == symbol).cloned().ok_or_else(|| {
            let supported: Vec<&str> = rules.iter().filter(|r| r.trading).map(|r| r.symbol.as_str()).collect();
            RunError::new(
                ErrorCode::InvalidSymbol,
                format!("{symbol} is not a Binance spot symbol"),
            )
            .with_details(json!({ "supported_symbols": supported }))
        })
    }

    /// Closed candles of `id` opening in `[start, end)`, paged; `progress(fetched)` after each page.
    pub fn klines(
        &self,
        id: &str,
        tf: Timeframe,
        start: i64,
        end: i64,
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<Candle>, RestError> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut out: Vec<Candle> = Vec::new();
        let mut from = tf.floor(start);
        while from < end {
            let path = format!(
                "/api/v3/klines?symbol={id}&interval={tf}&startTime={from}&endTime={}&limit={PAGE}",
                end - 1
            );
            let rows = self.get(&path)?;
            let rows = rows.as_array().ok_or_else(|| self.unexpected("klines is not a list"))?;
            for r in rows {
                let f = |i: usize| super::number(&r[i]);
                let (Some(ts), Some(close_time)) = (r[0].as_i64(), r[6].as_i64()) else {
                    return Err(self.unexpected("a kline without open or close time"));
                };
                let (Some(o), Some(h), Some(l), Some(c), Some(v)) = (f(1), f(2), f(3), f(4), f(5)) else {
                    return Err(self.unexpected("a kline with malformed prices"));
                };
                // The candle still open has not closed; it is not history yet.
                if close_time >= now || ts >= end || out.last().is_some_and(|p| p.ts >= ts) {
                    continue;
                }
                out.push(Candle::new(ts, o, h, l, c, v));
            }
            progress(out.len());
            let Some(last) = rows.last().and_then(|r| r[0].as_i64()) else {
                break;
            };
            if rows.len() < PAGE {
                break;
            }
            from = last + tf.millis();
        }
        Ok(out)
    }
}

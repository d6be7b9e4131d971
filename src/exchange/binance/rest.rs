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

fn exchange_error(status: u16, body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v) if v["msg"].is_string() => format!(
            "Binance error {} (HTTP {status}): {}",
            v["code"],
            v["msg"].as_str().unwrap_or("")
        ),
        _ => format!("Binance answered HTTP {status}"),
    }
}

impl Rest {
    pub fn new(origin: &str) -> Result<Rest, String> {
        crate::exchange::init_tls();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("cracktrader-tui/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up HTTPS: {e}"))?;
        Ok(Rest {
            http,
            origin: origin.trim_end_matches('/').to_string(),
            rules: OnceLock::new(),
        })
    }

    /// GET `path` (with query); honours Retry-After on 429/418.
    pub fn get(&self, path: &str) -> Result<Value, String> {
        let url = format!("{}{path}", self.origin);
        for attempt in 0..=RETRIES {
            let res = self
                .http
                .get(&url)
                .send()
                .map_err(|e| format!("cannot reach {}: {e}", self.origin))?;
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
                    return Err(format!(
                        "Binance rate limit (HTTP {status}); retry after {} s",
                        wait.as_secs()
                    ));
                }
                tracing::warn!("Binance rate limit (HTTP {status}); waiting {wait:?}");
                std::thread::sleep(wait);
                continue;
            }
            let body = res
                .text()
                .map_err(|e| format!("reading the answer from {} failed: {e}", self.origin))?;
            if status != 200 {
                return Err(exchange_error(status, &body));
            }
            return serde_json::from_str(&body).map_err(|e| format!("unexpected answer from {}: {e}", self.origin));
        }
        Err("Binance rate limit".into())
    }

    pub fn server_time(&self) -> Result<i64, String> {
        self.get("/api/v3/time")?["serverTime"]
            .as_i64()
            .ok_or_else(|| "unexpected /api/v3/time answer".to_string())
    }

    /// Every symbol's rules (fetched once).
    pub fn rules(&self) -> Result<&[SymbolRules], String> {
        if let Some(r) = self.rules.get() {
            return Ok(r);
        }
        let parsed = parse_exchange_info(&self.get("/api/v3/exchangeInfo")?);
        Ok(self.rules.get_or_init(|| parsed))
    }

    /// `BTC/USDT` -> its rules; an unknown symbol is `INVALID_SYMBOL` listing the ones that trade.
    pub fn resolve(&self, symbol: &str) -> Result<SymbolRules, RunError> {
        let rules = self.rules().map_err(|e| RunError::new(ErrorCode::NoData, e))?;
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
    ) -> Result<Vec<Candle>, String> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut out: Vec<Candle> = Vec::new();
        let mut from = tf.floor(start);
        while from < end {
            let path = format!(
                "/api/v3/klines?symbol={id}&interval={tf}&startTime={from}&endTime={}&limit={PAGE}",
                end - 1
            );
            let rows = self.get(&path)?;
            let rows = rows.as_array().ok_or("unexpected klines answer")?;
            for r in rows {
                let f = |i: usize| super::number(&r[i]);
                let (Some(ts), Some(close_time)) = (r[0].as_i64(), r[6].as_i64()) else {
                    return Err("malformed kline".into());
                };
                let (Some(o), Some(h), Some(l), Some(c), Some(v)) = (f(1), f(2), f(3), f(4), f(5)) else {
                    return Err("malformed kline prices".into());
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

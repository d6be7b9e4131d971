//! Fills the candle cache from Binance: only the parts of a range that are not cached yet.

use super::rest::Rest;
use crate::data::validate::{check_candle, fmt_ts};
use crate::data::Cache;
use crate::engine::Timeframe;
use crate::run::error::{ErrorCode, RunError};
use std::path::Path;

pub const EXCHANGE: &str = "binance";

/// Downloads what `[start, end)` lacks for `symbol` at `tf` into the cache; returns candles added.
pub fn ensure_cached(
    data_dir: &Path,
    rest: &Rest,
    symbol: &str,
    tf: Timeframe,
    start: i64,
    end: i64,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize, RunError> {
    let rules = rest.resolve(symbol)?;
    let cache = Cache::new(data_dir);
    let have = cache
        .map(EXCHANGE, symbol, tf)
        .map_err(|e| RunError::new(ErrorCode::NoData, e.to_string()))?;
    // Missing head and tail of the range (gaps inside what is cached are the market's own).
    let parts: Vec<(i64, i64)> = match have.as_ref().filter(|s| !s.is_empty()) {
        None => vec![(start, end)],
        Some(s) => {
            let (first, last) = (s[0].ts, s[s.len() - 1].ts);
            let mut p = Vec::new();
            if start < first {
                p.push((start, end.min(first)));
            }
            if end > last + tf.millis() {
                p.push(((last + tf.millis()).max(start), end));
            }
            p
        }
    };
    let total: usize = parts.iter().map(|(a, b)| ((b - a).max(0) / tf.millis()) as usize).sum();
    let mut added = 0;
    for (a, b) in parts {
        let candles = rest
            .klines(&rules.id, tf, a, b, |n| progress(added + n, total))
            .map_err(|e| {
                RunError::new(
                    ErrorCode::NoData,
                    format!(
                        "downloading {symbol} {tf} {}..{} from Binance failed: {e}",
                        fmt_ts(a),
                        fmt_ts(b)
                    ),
                )
            })?;
        if let Some((c, why)) = candles.iter().find_map(|c| check_candle(c).err().map(|w| (c, w))) {
            return Err(RunError::new(
                ErrorCode::NoData,
                format!("Binance sent a bad {symbol} candle at {}: {why}", fmt_ts(c.ts)),
            ));
        }
        if !candles.is_empty() {
            cache
                .store(EXCHANGE, symbol, tf, &candles)
                .map_err(|e| RunError::new(ErrorCode::NoData, e.to_string()))?;
        }
        added += candles.len();
    }
    Ok(added)
}

/// Downloads what a dated Binance backtest lacks into the cache before it runs.
pub struct Download;

impl crate::run::backtest::Fetch for Download {
    fn fetch_missing(
        &self,
        data_dir: &std::path::Path,
        config: &crate::run::RunConfig,
    ) -> Result<Vec<String>, crate::run::RunError> {
        let (Some(start), true, None) = (config.start_ms, config.exchange == EXCHANGE, &config.data_file) else {
            return Ok(Vec::new());
        };
        let tf = config.timeframe;
        let end = config
            .end_ms
            .unwrap_or_else(|| tf.floor(chrono::Utc::now().timestamp_millis()));
        let rest = match super::rest::Rest::new(&super::rest_origin(false)) {
            Ok(r) => r,
            Err(e) => return Ok(vec![e.to_string()]),
        };
        let mut problems = Vec::new();
        for sym in &config.symbols {
            match ensure_cached(data_dir, &rest, sym, tf, start, end, |_, _| {}) {
                Ok(_) => {}
                Err(e) if e.code == crate::run::ErrorCode::InvalidSymbol => return Err(e),
                Err(e) => problems.push(e.message),
            }
        }
        Ok(problems)
    }
}

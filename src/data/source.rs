//! Where a run's candles come from: a file, the `sim` market, or the data-dir cache of an exchange.

use super::cache::Cache;
use super::error::DataError;
use super::file_formats::load_file;
use super::resample::resample;
use super::series::Series;
use super::sim;
use super::validate::{fmt_ts, infer_timeframe};
use crate::engine::Timeframe;
use std::path::{Path, PathBuf};

/// Exchanges the program knows. `sim` is offline and synthetic; `binance` candles come from the cache,
/// which `exchange::binance` fills from the network.
pub const EXCHANGES: &[&str] = &["sim", "binance"];

/// Every exchange a run may name: the built-in ones plus any with cached candles.
pub fn known_exchanges(data_dir: &Path) -> Vec<String> {
    let mut ex: Vec<String> = EXCHANGES.iter().map(|s| s.to_string()).collect();
    for e in Cache::new(data_dir).list().unwrap_or_default() {
        if !ex.contains(&e.exchange) {
            ex.push(e.exchange);
        }
    }
    ex
}

/// Candles to fetch for a run.
#[derive(Debug, Clone)]
pub struct CandleQuery {
    pub exchange: String,
    pub symbols: Vec<String>,
    pub timeframe: Timeframe,
    /// Inclusive start and exclusive end, Unix ms.
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// Backtest straight from this file (one symbol).
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct CandleSet {
    /// One series per symbol, in the query's symbol order.
    pub series: Vec<Series>,
    pub warnings: Vec<String>,
}

/// A symbol, exchange id or date that cannot be read; the text shown is clipped to 40 characters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    #[error("invalid symbol '{0}'; expected BASE/QUOTE such as BTC/USDT")]
    Symbol(String),
    #[error("invalid exchange id '{0}'; known exchanges: {known}", known = EXCHANGES.join(", "))]
    Exchange(String),
    #[error("invalid date '{0}'; expected ISO 8601 such as 2024-01-31 or 2024-01-31T12:00:00Z")]
    Date(String),
}

fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Symbols are `BASE/QUOTE`, upper-cased: `btc/usdt` is accepted as `BTC/USDT`.
pub fn normalise_symbol(s: &str) -> Result<String, InputError> {
    let up = s.trim().to_ascii_uppercase();
    let ok = |p: &str| !p.is_empty() && p.len() <= 20 && p.chars().all(|c| c.is_ascii_alphanumeric());
    match up.split_once('/') {
        Some((b, q)) if ok(b) && ok(q) => Ok(up),
        _ => Err(InputError::Symbol(shown(s))),
    }
}

pub fn normalise_exchange(s: &str) -> Result<String, InputError> {
    let e = s.trim().to_ascii_lowercase();
    // `custom:NAME` names a user's own data (see `data import`).
    let id = e.strip_prefix("custom:").unwrap_or(&e);
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(InputError::Exchange(shown(s)));
    }
    Ok(e)
}

/// Parses ISO 8601 dates: `2024-01-31`, `2024-01-31T12:00:00Z`, `2024-01-31T12:00:00+02:00`,
/// `2024-01-31 12:00` (UTC when no offset is given).
pub fn parse_date(s: &str) -> Result<i64, InputError> {
    super::time::parse_iso(s).ok_or_else(|| InputError::Date(shown(s)))
}

fn clip(c: Series, start: Option<i64>, end: Option<i64>) -> Series {
    let lo = start.map_or(0, |s| c.partition_point(|x| x.ts < s));
    let hi = end.map_or(c.len(), |e| c.partition_point(|x| x.ts < e));
    c.slice(lo, hi)
}

/// Resamples unless the series is already at the wanted timeframe (then a mapped series stays mapped).
fn at_timeframe(c: Series, from: Timeframe, to: Timeframe) -> Series {
    if from == to {
        c
    } else {
        Series::from(resample(&c, from, to))
    }
}

/// Default sim range when none is given: the last 2000 closed candles.
const DEFAULT_SIM_CANDLES: i64 = 2000;

pub fn load(data_dir: &Path, q: &CandleQuery) -> Result<CandleSet, DataError> {
    if let (Some(s), Some(e)) = (q.start, q.end) {
        if e <= s {
            return Err(DataError::plain(format!(
                "end {} must be after start {}",
                fmt_ts(e),
                fmt_ts(s)
            )));
        }
    }
    if let Some(file) = &q.file {
        return load_from_file(file, q);
    }
    if q.exchange == "sim" {
        let tf = q.timeframe;
        let now = chrono::Utc::now().timestamp_millis();
        let end = q.end.unwrap_or_else(|| tf.floor(now));
        let start = q.start.unwrap_or(end - DEFAULT_SIM_CANDLES * tf.millis());
        let series = q
            .symbols
            .iter()
            .map(|s| {
                sim::candles(s, tf, start, end)
                    .map(Series::from)
                    .map_err(DataError::plain)
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(CandleSet {
            series,
            warnings: Vec::new(),
        });
    }
    let cache = Cache::new(data_dir);
    let cached = cache.list()?;
    let mut series = Vec::new();
    let mut warnings = Vec::new();
    for sym in &q.symbols {
        let mine: Vec<_> = cached
            .iter()
            .filter(|e| e.exchange == q.exchange && &e.symbol == sym)
            .collect();
        let describe = || {
            if mine.is_empty() {
                let any: Vec<String> = cached
                    .iter()
                    .filter(|e| e.exchange == q.exchange)
                    .map(|e| e.describe())
                    .collect();
                if any.is_empty() {
                    format!("nothing is cached for {}", q.exchange)
                } else {
                    format!("cached for {}: {}", q.exchange, any.join("; "))
                }
            } else {
                format!(
                    "cached: {}",
                    mine.iter().map(|e| e.describe()).collect::<Vec<_>>().join("; ")
                )
            }
        };
        // The exact timeframe, else the coarsest cached timeframe it can be built from.
        let base = mine
            .iter()
            .filter(|e| q.timeframe.is_multiple_of(e.timeframe))
            .max_by_key(|e| e.timeframe.millis())
            .ok_or_else(|| {
                DataError::plain(format!(
                    "no cached {} {} candles at {} or a finer timeframe it can be built from; {}. Import a file with `cracktrader-tui data import FILE --exchange {} --symbol {} --timeframe TF`",
                    q.exchange, sym, q.timeframe, describe(), q.exchange, sym
                ))
            })?;
        let (want_lo, want_hi) = (q.start.unwrap_or(base.first), q.end.unwrap_or(base.last + 1));
        if want_lo < base.first || want_lo > base.last || want_hi > base.last + base.timeframe.millis() {
            return Err(DataError::plain(format!(
                "{} {} is not cached for {}..{}; {}",
                q.exchange,
                sym,
                fmt_ts(want_lo),
                fmt_ts(want_hi),
                describe()
            )));
        }
        let raw = cache
            .map(&q.exchange, sym, base.timeframe)?
            .unwrap_or_else(|| Series::from(Vec::new()));
        series.push(at_timeframe(clip(raw, q.start, q.end), base.timeframe, q.timeframe));
        if base.timeframe != q.timeframe {
            warnings.push(format!(
                "{sym}: built {} candles from cached {} data",
                q.timeframe, base.timeframe
            ));
        }
    }
    Ok(CandleSet { series, warnings })
}

fn load_from_file(file: &Path, q: &CandleQuery) -> Result<CandleSet, DataError> {
    if q.symbols.len() != 1 {
        return Err(DataError::plain(format!(
            "--data backtests one symbol at a time; {} symbols were given",
            q.symbols.len()
        )));
    }
    let loaded = load_file(file, None)?;
    let file_tf = infer_timeframe(&loaded.candles).unwrap_or(q.timeframe);
    if !q.timeframe.is_multiple_of(file_tf) {
        return Err(DataError::new(
            file,
            None,
            format!(
                "holds {file_tf} candles, which cannot be turned into {} candles; use {file_tf} or a multiple of it",
                q.timeframe
            ),
        ));
    }
    let mut warnings = loaded.warnings;
    if file_tf != q.timeframe {
        warnings.push(format!(
            "{}: built {} candles from {file_tf} data",
            file.display(),
            q.timeframe
        ));
    }
    let candles = clip(Series::from(loaded.candles), q.start, q.end);
    Ok(CandleSet {
        series: vec![at_timeframe(candles, file_tf, q.timeframe)],
        warnings,
    })
}

#[cfg(test)]
mod iso_tests {
    use super::super::time::parse_iso;
    use super::*;

    #[test]
    fn one_reader_for_every_iso_form() {
        let noon = 1_706_702_400_000; // 2024-01-31T12:00:00Z
        for s in [
            "2024-01-31T12:00:00Z",
            "2024-01-31T14:00:00+02:00",
            "2024-01-31T12:00:00",
            "2024-01-31 12:00:00",
            "2024-01-31T12:00",
            "2024-01-31 12:00",
            "2024-01-31T12:00:00.000",
            "2024-01-31 12:00:00.000",
        ] {
            assert_eq!(parse_iso(s), Some(noon), "{s}");
        }
        assert_eq!(parse_iso("2024-01-31"), Some(noon - 12 * 3_600_000));
        assert_eq!(parse_iso("yesterday"), None);
        let long = "x".repeat(10_000);
        let e = parse_date(&long).unwrap_err().to_string();
        assert!(e.len() < 200, "the bad input is not echoed whole: {} bytes", e.len());
    }
}

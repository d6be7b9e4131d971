//! Checks every candle source goes through: sane prices, strictly increasing timestamps, gaps reported.

use super::error::DataError;
use crate::engine::{Candle, Timeframe};

/// Where a candle came from, for messages: a file line, or an element index in a JSON array.
pub type Locate<'a> = &'a dyn Fn(usize) -> (Option<usize>, String);

/// One candle's own consistency: finite, positive prices inside [low, high], non-negative volume.
pub fn check_candle(c: &Candle) -> Result<(), String> {
    let prices = [("open", c.open), ("high", c.high), ("low", c.low), ("close", c.close)];
    for (name, v) in prices {
        if !v.is_finite() || v <= 0.0 {
            return Err(format!("{name} must be a positive number, got {v}"));
        }
    }
    if !c.volume.is_finite() || c.volume < 0.0 {
        return Err(format!("volume must be a non-negative number, got {}", c.volume));
    }
    if c.high < c.low {
        return Err(format!("high {} is below low {}", c.high, c.low));
    }
    for (name, v) in [("open", c.open), ("close", c.close)] {
        if v > c.high || v < c.low {
            return Err(format!(
                "{name} {v} is outside the bar's range [low {}, high {}]",
                c.low, c.high
            ));
        }
    }
    Ok(())
}

/// Series checks: timestamps strictly increasing (out of order or duplicated is an error); a gap larger
/// than the timeframe is returned as a warning.
pub fn check_series(
    candles: &[Candle],
    tf: Option<Timeframe>,
    file: &str,
    locate: Locate<'_>,
) -> Result<Vec<String>, DataError> {
    let tf = tf.or_else(|| infer_timeframe(candles));
    let mut warnings = Vec::new();
    let mut gaps = 0usize;
    for (i, c) in candles.iter().enumerate() {
        if let Err(m) = check_candle(c) {
            let (line, what) = locate(i);
            return Err(DataError::new(file, line, format!("{what}{m}")));
        }
        if i == 0 {
            continue;
        }
        let prev = candles[i - 1].ts;
        if c.ts == prev {
            let (line, what) = locate(i);
            return Err(DataError::new(
                file,
                line,
                format!("{what}duplicate timestamp {}", fmt_ts(c.ts)),
            ));
        }
        if c.ts < prev {
            let (line, what) = locate(i);
            return Err(DataError::new(
                file,
                line,
                format!(
                    "{what}timestamp {} is out of order (previous candle is {})",
                    fmt_ts(c.ts),
                    fmt_ts(prev)
                ),
            ));
        }
        if let Some(tf) = tf {
            if c.ts - prev > tf.millis() {
                gaps += 1;
                if gaps <= 5 {
                    let (line, what) = locate(i);
                    let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
                    warnings.push(format!(
                        "{file}: {at}{what}gap: {} missing {} candle(s) before {}",
                        (c.ts - prev) / tf.millis() - 1,
                        tf,
                        fmt_ts(c.ts)
                    ));
                }
            }
        }
    }
    if gaps > 5 {
        warnings.push(format!("{file}: {} more gap(s) not listed", gaps - 5));
    }
    Ok(warnings)
}

/// The timeframe candles are at, guessed from the smallest spacing between them.
pub fn infer_timeframe(c: &[Candle]) -> Option<Timeframe> {
    let step = c.windows(2).map(|w| w[1].ts - w[0].ts).filter(|&d| d > 0).min()?;
    Timeframe::ALL.iter().copied().find(|t| t.millis() == step)
}

pub fn fmt_ts(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ms.to_string())
}

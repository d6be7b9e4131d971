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

/// `2024-01-31T12:00:00Z` (UTC, whole seconds). Written by hand: a backtest formats tens of thousands
/// of these and chrono's general formatter was a fifth of the whole command's time.
pub fn fmt_ts(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm), years 0..=9999 only.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return chrono::DateTime::from_timestamp_millis(ms)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| ms.to_string());
    }
    let mut b = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, v: i64, width: usize| {
        let mut v = v;
        for k in (0..width).rev() {
            b[at + k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, sod / 3600, 2);
    put(14, sod / 60 % 60, 2);
    put(17, sod % 60, 2);
    // ASCII digits and separators only: always valid UTF-8.
    std::str::from_utf8(&b).map(str::to_owned).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_ts_matches_chrono() {
        let chrono_fmt = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap()
        };
        let mut ms: i64 = -62_135_596_800_000; // 0001-01-01
        while ms < 253_402_300_799_000 {
            for d in [0, 999, 59_999, 86_399_999] {
                assert_eq!(fmt_ts(ms + d), chrono_fmt(ms + d), "{}", ms + d);
            }
            ms += 86_400_000 * 101 + 3_600_123;
        }
        assert_eq!(fmt_ts(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt_ts(-1), "1969-12-31T23:59:59Z");
        assert_eq!(fmt_ts(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(fmt_ts(i64::MAX), i64::MAX.to_string());
    }
}

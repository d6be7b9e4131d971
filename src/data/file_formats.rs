//! Candle files users already have, format detected from content:
//! CCXT OHLCV JSON, Binance kline CSV (with or without header, ms or µs open times) and plain OHLCV CSV.

use super::error::DataError;
use super::validate::{check_series, Locate};
use crate::engine::{Candle, Timeframe};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    CcxtJson,
    BinanceCsv,
    PlainCsv,
}

impl FileFormat {
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::CcxtJson => "CCXT OHLCV JSON",
            FileFormat::BinanceCsv => "Binance kline CSV",
            FileFormat::PlainCsv => "OHLCV CSV",
        }
    }
}

/// Candles read from a file, validated, plus warnings (gaps) the caller should show.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub format: FileFormat,
    pub candles: Vec<Candle>,
    pub warnings: Vec<String>,
}

const ACCEPTED: &str =
    "accepted formats: CCXT OHLCV JSON ([[ms, open, high, low, close, volume], ...]), \
Binance kline CSV (12 columns), or CSV with header timestamp,open,high,low,close,volume";

/// Reads and validates a candle file. `tf`, when known, turns gaps into warnings.
pub fn load_file(path: &Path, tf: Option<Timeframe>) -> Result<Loaded, DataError> {
    let bytes = std::fs::read(path)
        .map_err(|e| DataError::new(path, None, format!("cannot read file: {e}")))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| DataError::new(path, None, format!("not UTF-8 text: {e}")))?;
    parse(text, &path.display().to_string(), tf)
}

pub fn parse(text: &str, file: &str, tf: Option<Timeframe>) -> Result<Loaded, DataError> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.is_empty() {
        return Err(DataError::new(
            file,
            None,
            format!("file is empty; {ACCEPTED}"),
        ));
    }
    if body.starts_with('[') {
        return parse_ccxt_json(text, file, tf);
    }
    parse_csv(text, file, tf)
}

fn parse_ccxt_json(text: &str, file: &str, tf: Option<Timeframe>) -> Result<Loaded, DataError> {
    let rows: Vec<Vec<serde_json::Value>> =
        serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
            DataError::new(
                file,
                Some(e.line()),
                format!("invalid CCXT OHLCV JSON ({e}); {ACCEPTED}"),
            )
        })?;
    let mut candles = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let at = || format!("candle #{i} ");
        if row.len() < 6 {
            return Err(DataError::new(
                file,
                None,
                format!(
                    "{}has {} values, expected 6 [ms, open, high, low, close, volume]",
                    at(),
                    row.len()
                ),
            ));
        }
        let num = |k: usize, name: &str| -> Result<f64, DataError> {
            match &row[k] {
                serde_json::Value::Number(n) => n.as_f64().ok_or_else(|| {
                    DataError::new(file, None, format!("{}{name} is not a number", at()))
                }),
                // CCXT leaves volume null when an exchange does not report it.
                serde_json::Value::Null if k == 5 => Ok(0.0),
                other => Err(DataError::new(
                    file,
                    None,
                    format!("{}{name} is not a number: {other}", at()),
                )),
            }
        };
        let ts = num(0, "timestamp")?;
        candles.push(Candle::new(
            normalise_epoch(ts),
            num(1, "open")?,
            num(2, "high")?,
            num(3, "low")?,
            num(4, "close")?,
            num(5, "volume")?,
        ));
    }
    let locate: Locate<'_> = &|i| (None, format!("candle #{i}: "));
    let warnings = check_series(&candles, tf, file, locate)?;
    Ok(Loaded {
        format: FileFormat::CcxtJson,
        candles,
        warnings,
    })
}

/// Epoch numbers in seconds, milliseconds or microseconds, told apart by magnitude (valid for dates
/// between 1973 and 5138), returned as milliseconds.
fn normalise_epoch(v: f64) -> i64 {
    let a = v.abs();
    if a >= 1e14 {
        (v / 1000.0).round() as i64
    } else if a < 1e11 {
        (v * 1000.0).round() as i64
    } else {
        v.round() as i64
    }
}

fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim().trim_matches('"');
    if let Ok(n) = s.parse::<i64>() {
        return Some(normalise_epoch(n as f64));
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

fn parse_csv(text: &str, file: &str, tf: Option<Timeframe>) -> Result<Loaded, DataError> {
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((first_no, first)) = lines.next() else {
        return Err(DataError::new(
            file,
            None,
            format!("file is empty; {ACCEPTED}"),
        ));
    };
    let fields: Vec<&str> = first
        .split(',')
        .map(|f| f.trim().trim_matches('"'))
        .collect();
    let has_header = fields
        .first()
        .is_some_and(|f| parse_timestamp(f).is_none() && f.parse::<f64>().is_err());
    let (format, cols, ncols) = if has_header {
        let names: Vec<String> = fields.iter().map(|f| f.to_ascii_lowercase()).collect();
        let find = |cands: &[&str]| names.iter().position(|n| cands.contains(&n.as_str()));
        let ts = find(&[
            "timestamp",
            "time",
            "date",
            "datetime",
            "open_time",
            "opentime",
            "open time",
        ]);
        let cols = (|| {
            Some([
                ts?,
                find(&["open"])?,
                find(&["high"])?,
                find(&["low"])?,
                find(&["close"])?,
                find(&["volume"])?,
            ])
        })();
        let Some(cols) = cols else {
            return Err(DataError::new(file, Some(first_no + 1), format!("header '{first}' lacks one of timestamp, open, high, low, close, volume; {ACCEPTED}")));
        };
        let fmt = if names.len() == 12 && names[0].contains("open") {
            FileFormat::BinanceCsv
        } else {
            FileFormat::PlainCsv
        };
        (fmt, cols, names.len())
    } else {
        match fields.len() {
            12 => (FileFormat::BinanceCsv, [0, 1, 2, 3, 4, 5], 12),
            6 => (FileFormat::PlainCsv, [0, 1, 2, 3, 4, 5], 6),
            n => {
                return Err(DataError::new(
                    file,
                    Some(first_no + 1),
                    format!("{n} columns and no header; {ACCEPTED}"),
                ));
            }
        }
    };
    let data_lines: Box<dyn Iterator<Item = (usize, &str)>> = if has_header {
        Box::new(lines)
    } else {
        Box::new(std::iter::once((first_no, first)).chain(lines))
    };
    let mut candles = Vec::with_capacity(text.len() / 60);
    let mut line_of = Vec::with_capacity(text.len() / 60);
    const NAMES: [&str; 6] = ["timestamp", "open", "high", "low", "close", "volume"];
    let mut row: Vec<&str> = Vec::with_capacity(ncols);
    for (no, line) in data_lines {
        row.clear();
        row.extend(line.split(','));
        if row.len() != ncols {
            return Err(DataError::new(
                file,
                Some(no + 1),
                format!("{} columns, expected {ncols}", row.len()),
            ));
        }
        let mut v = [0f64; 5];
        for k in 1..6 {
            let raw = row[cols[k]].trim();
            v[k - 1] = raw.trim_matches('"').parse::<f64>().map_err(|_| {
                DataError::new(
                    file,
                    Some(no + 1),
                    format!("{} '{raw}' is not a number", NAMES[k]),
                )
            })?;
        }
        let raw_ts = row[cols[0]];
        let ts = parse_timestamp(raw_ts).ok_or_else(|| {
            DataError::new(
                file,
                Some(no + 1),
                format!(
                    "timestamp '{}' is neither epoch ms nor ISO 8601",
                    raw_ts.trim()
                ),
            )
        })?;
        candles.push(Candle::new(ts, v[0], v[1], v[2], v[3], v[4]));
        line_of.push(no + 1);
    }
    let locate: Locate<'_> = &|i| (line_of.get(i).copied(), String::new());
    let warnings = check_series(&candles, tf, file, locate)?;
    Ok(Loaded {
        format,
        candles,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format() {
        let j = parse("[[1515560100000, 1, 2, 0.5, 1.5, 10]]", "a.json", None).unwrap();
        assert_eq!(j.format, FileFormat::CcxtJson);
        assert_eq!(
            j.candles[0],
            Candle::new(1515560100000, 1.0, 2.0, 0.5, 1.5, 10.0)
        );
        let b = parse(
            "1515560100000,1,2,0.5,1.5,10,1515560399999,0,0,0,0,0\n",
            "b.csv",
            None,
        )
        .unwrap();
        assert_eq!(b.format, FileFormat::BinanceCsv);
        // Binance's 2025+ spot files use microseconds.
        let b = parse(
            "1735689600000000,1,2,0.5,1.5,10,1735689899999999,0,0,0,0,0\n",
            "b.csv",
            None,
        )
        .unwrap();
        assert_eq!(b.candles[0].ts, 1735689600000);
        let hb = parse("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n1515560100000,1,2,0.5,1.5,10,1515560399999,0,0,0,0,0\n", "b.csv", None).unwrap();
        assert_eq!(hb.format, FileFormat::BinanceCsv);
        let p = parse(
            "timestamp,open,high,low,close,volume\n2018-01-10T04:55:00Z,1,2,0.5,1.5,10\n",
            "p.csv",
            None,
        )
        .unwrap();
        assert_eq!(p.format, FileFormat::PlainCsv);
        assert_eq!(p.candles[0].ts, 1515560100000);
        let p = parse(
            "timestamp,open,high,low,close,volume\n1515560100000,1,2,0.5,1.5,10\n",
            "p.csv",
            None,
        )
        .unwrap();
        assert_eq!(p.candles[0].ts, 1515560100000);
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let e = parse("timestamp,open,high,low,close,volume\n1515560100000,1,2,0.5,1.5,10\n1515560400000,1,abc,0.5,1.5,10\n", "p.csv", None).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("p.csv", Some(3)));
        assert!(e.message.contains("high 'abc' is not a number"), "{e}");
        let e = parse(
            "timestamp,open,high,low,close,volume\n1515560100000,1,0.4,0.5,0.45,10\n",
            "p.csv",
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("p.csv:2: high 0.4 is below low 0.5"),
            "{e}"
        );
        let e = parse("timestamp,open,high,low,close,volume\n1515560400000,1,2,0.5,1.5,10\n1515560100000,1,2,0.5,1.5,10\n", "p.csv", None).unwrap_err();
        assert!(
            e.to_string().contains("p.csv:3:") && e.message.contains("out of order"),
            "{e}"
        );
        let e = parse("timestamp,open,high,low,close,volume\n1515560100000,1,2,0.5,1.5,10\n\n1515560100000,1,2,0.5,1.5,10\n", "p.csv", None).unwrap_err();
        assert!(
            e.to_string().contains("p.csv:4:") && e.message.contains("duplicate"),
            "{e}"
        );
        let e = parse(
            "[[1515560100000, 1, 2, 0.5, 1.5, 10], [1515560400000, 1, 2, 0.5, \"x\", 10]]",
            "c.json",
            None,
        )
        .unwrap_err();
        assert!(
            e.message.contains("candle #1") && e.message.contains("close"),
            "{e}"
        );
        let e = parse("[[1515560100000, 1, 2, 0.5", "c.json", None).unwrap_err();
        assert!(e.message.contains("invalid CCXT"), "{e}");
        let e = parse("a;b;c\n1;2;3\n", "x.csv", None).unwrap_err();
        assert!(e.message.contains("accepted formats"), "{e}");
    }

    #[test]
    fn gaps_are_warnings() {
        let l = parse("[[1515560100000, 1, 2, 0.5, 1.5, 10], [1515560400000, 1, 2, 0.5, 1.5, 10], [1515561300000, 1, 2, 0.5, 1.5, 10]]", "g.json", Some(Timeframe::M5)).unwrap();
        assert_eq!(l.candles.len(), 3);
        assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
        assert!(
            l.warnings[0].contains("gap: 2 missing 5m candle(s)"),
            "{:?}",
            l.warnings
        );
    }
}

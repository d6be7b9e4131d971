//! Candle files users already have, format detected from content:
//! CCXT OHLCV JSON, Binance kline CSV (with or without header, ms or µs open times) and plain OHLCV CSV.

use super::error::DataError;
use super::validate::{check_series, Locate};
use crate::engine::{Candle, Timeframe};
use std::io::{BufRead, BufReader, Read};
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

const ACCEPTED: &str = "accepted formats: CCXT OHLCV JSON ([[ms, open, high, low, close, volume], ...]), \
Binance kline CSV (12 columns), or CSV with header timestamp,open,high,low,close,volume";

/// Reads and validates a candle file. `tf`, when known, turns gaps into warnings.
pub fn load_file(path: &Path, tf: Option<Timeframe>) -> Result<Loaded, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::new(path, None, format!("cannot read file: {e}")))?;
    let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let name = path.display().to_string();
    if first_byte(&mut reader, &name)? == Some(b'[') {
        // Checked before reading (the size is known) and after (a pipe or special file is not).
        let too_big = || {
            DataError::new(
                path,
                None,
                format!(
                    "JSON candle files are read whole; this one is over {} GB",
                    MAX_JSON >> 30
                ),
            )
        };
        if size as u64 > MAX_JSON {
            return Err(too_big());
        }
        let mut text = String::with_capacity(size);
        (&mut reader)
            .take(MAX_JSON + 1)
            .read_to_string(&mut text)
            .map_err(|e| DataError::new(path, None, format!("cannot read file as UTF-8 text: {e}")))?;
        if text.len() as u64 > MAX_JSON {
            return Err(too_big());
        }
        return parse_ccxt_json(&text, &name, tf);
    }
    parse_csv(reader, size, &name, tf, CSV_BLOCK)
}

/// Parses candle file contents already in memory (same detection as `load_file`).
pub fn parse(text: &str, file: &str, tf: Option<Timeframe>) -> Result<Loaded, DataError> {
    let mut reader = text.as_bytes();
    if first_byte(&mut reader, file)? == Some(b'[') {
        return parse_ccxt_json(text, file, tf);
    }
    parse_csv(reader, text.len(), file, tf, CSV_BLOCK)
}

/// The first byte that is not whitespace or a UTF-8 byte-order mark, without consuming it.
fn first_byte(r: &mut impl BufRead, file: &str) -> Result<Option<u8>, DataError> {
    let buf = r
        .fill_buf()
        .map_err(|e| DataError::new(file, None, format!("cannot read file: {e}")))?;
    let body = buf.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(buf);
    let first = body.iter().copied().find(|b| !b.is_ascii_whitespace());
    if first.is_none() && buf.len() < 1 << 20 {
        return Err(DataError::new(file, None, format!("file is empty; {ACCEPTED}")));
    }
    Ok(first)
}

fn parse_ccxt_json(text: &str, file: &str, tf: Option<Timeframe>) -> Result<Loaded, DataError> {
    let rows: Vec<Vec<serde_json::Value>> = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        DataError::new(
            file,
            Some(e.line()),
            format!("invalid CCXT OHLCV JSON ({e}); {ACCEPTED}"),
        )
    })?;
    let mut candles = Vec::with_capacity(rows.len());
    let units = UnitCheck::default();
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
                serde_json::Value::Number(n) => n
                    .as_f64()
                    .ok_or_else(|| DataError::new(file, None, format!("{}{name} is not a number", at()))),
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
        units
            .check(ts)
            .map_err(|e| DataError::new(file, None, format!("{}{e}", at())))?;
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

/// The unit of an epoch number, told apart by magnitude (valid for dates between 1973 and 5138).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EpochUnit {
    Seconds,
    Millis,
    Micros,
}

impl EpochUnit {
    fn of(v: f64) -> EpochUnit {
        let a = v.abs();
        if a >= 1e14 {
            EpochUnit::Micros
        } else if a < 1e11 {
            EpochUnit::Seconds
        } else {
            EpochUnit::Millis
        }
    }

    fn name(self) -> &'static str {
        match self {
            EpochUnit::Seconds => "seconds",
            EpochUnit::Millis => "milliseconds",
            EpochUnit::Micros => "microseconds",
        }
    }
}

/// Epoch numbers in seconds, milliseconds or microseconds, returned as milliseconds.
fn normalise_epoch(v: f64) -> i64 {
    match EpochUnit::of(v) {
        EpochUnit::Micros => (v / 1000.0).round() as i64,
        EpochUnit::Seconds => (v * 1000.0).round() as i64,
        EpochUnit::Millis => v.round() as i64,
    }
}

/// One unit per file: a seconds timestamp in a milliseconds file is an error, not a candle in 1970
/// (or, read the other way, one that silently replaces good ones).
#[derive(Default)]
struct UnitCheck(std::cell::Cell<Option<(EpochUnit, f64)>>);

impl UnitCheck {
    fn check(&self, v: f64) -> Result<(), String> {
        let unit = EpochUnit::of(v);
        match self.0.get() {
            None => {
                self.0.set(Some((unit, v)));
                Ok(())
            }
            Some((first, _)) if first == unit => Ok(()),
            Some((first, example)) => Err(format!(
                "timestamp {v} is in {} but earlier ones (e.g. {example}) are in {}; a file must use one unit",
                unit.name(),
                first.name()
            )),
        }
    }

    /// `check` for the row on line `no`, if its timestamp is an epoch number.
    fn note(&self, no: usize, epoch: Epoch, file: &str) -> Result<(), DataError> {
        match epoch {
            Some((_, v)) => self.check(v).map_err(|e| DataError::new(file, Some(no), e)),
            None => Ok(()),
        }
    }
}

/// An epoch timestamp's unit and raw value, for `UnitCheck` (`None` for ISO dates).
type Epoch = Option<(EpochUnit, f64)>;

/// A CSV row's timestamp in milliseconds, read once: an epoch number (with its unit) or ISO 8601.
fn parse_row_timestamp(raw: &str) -> Option<(i64, Epoch)> {
    let s = raw.trim().trim_matches('"');
    match raw.parse::<i64>().or_else(|_| s.parse::<i64>()) {
        Ok(n) => {
            let v = n as f64;
            Some((normalise_epoch(v), Some((EpochUnit::of(v), v))))
        }
        Err(_) => super::time::parse_iso(s).map(|ts| (ts, None)),
    }
}

fn parse_timestamp(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(normalise_epoch(n as f64));
    }
    let s = s.trim().trim_matches('"');
    if let Ok(n) = s.parse::<i64>() {
        return Some(normalise_epoch(n as f64));
    }
    super::time::parse_iso(s)
}

/// Splits a CSV line on commas in one pass; returns the field count (fields past `out.len()` are
/// counted, not stored).
#[inline]
fn split_fields<'a>(line: &'a str, out: &mut [&'a str; MAX_FIELDS]) -> usize {
    let mut n = 0;
    let mut start = 0;
    for i in memchr::memchr_iter(b',', line.as_bytes()) {
        if n < MAX_FIELDS {
            out[n] = &line[start..i];
        }
        n += 1;
        start = i + 1;
    }
    if n < MAX_FIELDS {
        out[n] = &line[start..];
    }
    n + 1
}

const MAX_FIELDS: usize = 16;

/// Longest line a candle file may have: a Binance kline row is about 130 bytes.
pub const MAX_LINE: usize = 64 * 1024;
/// Largest CCXT JSON file read (it is parsed whole).
pub const MAX_JSON: u64 = 2 << 30;

/// `read_line` that stops at `MAX_LINE` bytes: a file without newlines (or `/dev/zero`) is an error
/// naming the line, never a line that grows until memory runs out.
fn read_line_capped(r: &mut impl BufRead, line: &mut String, file: &str, no: usize) -> Result<usize, DataError> {
    let not_text = || DataError::new(file, Some(no), format!("line {no} is not UTF-8 text; {ACCEPTED}"));
    // Fast path: the whole line is in the buffer already.
    {
        let buf = r
            .fill_buf()
            .map_err(|e| DataError::new(file, Some(no), format!("cannot read line: {e}")))?;
        if let Some(i) = memchr::memchr(b'\n', &buf[..buf.len().min(MAX_LINE)]) {
            line.push_str(std::str::from_utf8(&buf[..=i]).map_err(|_| not_text())?);
            r.consume(i + 1);
            return Ok(i + 1);
        }
    }
    let mut raw: Vec<u8> = Vec::new();
    loop {
        let buf = r
            .fill_buf()
            .map_err(|e| DataError::new(file, Some(no), format!("cannot read line: {e}")))?;
        if buf.is_empty() {
            break;
        }
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if raw.len() + take > MAX_LINE {
            return Err(DataError::new(
                file,
                Some(no),
                format!("line {no} is longer than {} KB; {ACCEPTED}", MAX_LINE / 1024),
            ));
        }
        raw.extend_from_slice(&buf[..take]);
        r.consume(take);
        if done {
            break;
        }
    }
    let text = std::str::from_utf8(&raw).map_err(|_| not_text())?;
    line.push_str(text);
    Ok(raw.len())
}

/// `block`: bytes of lines parsed as one block (`CSV_BLOCK`; tests vary it).
fn parse_csv(
    mut reader: impl BufRead,
    size_hint: usize,
    file: &str,
    tf: Option<Timeframe>,
    block: usize,
) -> Result<Loaded, DataError> {
    let mut line = String::with_capacity(256);
    let mut line_no = 0usize;
    // Header or first row: the first non-blank line.
    let first = loop {
        line.clear();
        line_no += 1;
        if read_line_capped(&mut reader, &mut line, file, line_no)? == 0 {
            return Err(DataError::new(file, None, format!("file is empty; {ACCEPTED}")));
        }
        let l = line.trim_start_matches('\u{feff}').trim();
        if !l.is_empty() {
            break l.to_string();
        }
    };
    let first_no = line_no;
    let fields: Vec<&str> = first.split(',').map(|f| f.trim().trim_matches('"')).collect();
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
            return Err(DataError::new(
                file,
                Some(first_no),
                format!("header '{first}' lacks one of timestamp, open, high, low, close, volume; {ACCEPTED}"),
            ));
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
                    Some(first_no),
                    format!("{n} columns and no header; {ACCEPTED}"),
                ))
            }
        }
    };
    if cols.iter().any(|&c| c >= MAX_FIELDS) {
        return Err(DataError::new(
            file,
            Some(first_no),
            format!("timestamp and OHLCV must be among the first {MAX_FIELDS} columns"),
        ));
    }
    const NAMES: [&str; 6] = ["timestamp", "open", "high", "low", "close", "volume"];
    let mut candles = Vec::with_capacity(size_hint / 40 + 1);
    // Line numbers are derived, not stored: data lines are consecutive except for blank lines, which
    // are recorded as (candles before them, lines skipped).
    let first_data_line = if has_header { first_no + 1 } else { first_no };
    let mut skips: Vec<(usize, usize)> = Vec::new();
    let parse_row = |no: usize, text: &str| -> Result<(Candle, Epoch), DataError> {
        let mut row: [&str; MAX_FIELDS] = [""; MAX_FIELDS];
        let n = split_fields(text, &mut row);
        if n != ncols {
            return Err(DataError::new(file, Some(no), format!("{n} columns, expected {ncols}")));
        }
        let mut v = [0f64; 5];
        for k in 1..6 {
            let raw = row[cols[k]];
            v[k - 1] = raw
                .parse::<f64>()
                .or_else(|_| raw.trim().trim_matches('"').parse::<f64>())
                .map_err(|_| {
                    DataError::new(file, Some(no), format!("{} '{}' is not a number", NAMES[k], raw.trim()))
                })?;
        }
        let raw_ts = row[cols[0]];
        let (ts, epoch) = parse_row_timestamp(raw_ts).ok_or_else(|| {
            DataError::new(
                file,
                Some(no),
                format!("timestamp '{}' is neither epoch ms nor ISO 8601", raw_ts.trim()),
            )
        })?;
        Ok((Candle::new(ts, v[0], v[1], v[2], v[3], v[4]), epoch))
    };
    let units = UnitCheck::default();
    if !has_header {
        let (candle, epoch) = parse_row(first_no, &first)?;
        units.note(first_no, epoch, file)?;
        candles.push(candle);
    }
    let mut blocks = [Vec::new(), Vec::new()];
    let mut line_no = line_no + 1;
    loop {
        for b in &mut blocks {
            read_block(&mut reader, block, b)
                .map_err(|e| DataError::new(file, Some(line_no), format!("cannot read line: {e}")))?;
        }
        if blocks[0].is_empty() {
            break;
        }
        // Two blocks at a time, the second on another core; merged in file order.
        let second_line = line_no + memchr::memchr_iter(b'\n', &blocks[0]).count();
        let base = candles.len();
        let (first_block, second_block) = if blocks[1].is_empty() {
            (parse_block(&blocks[0], line_no, file, &parse_row, &mut candles), None)
        } else {
            let parse_second = || {
                let mut own = Vec::with_capacity(blocks[1].len() / 40 + 1);
                (parse_block(&blocks[1], second_line, file, &parse_row, &mut own), own)
            };
            std::thread::scope(|s| {
                // Without a thread to spare, the second block waits for the first.
                let other = std::thread::Builder::new().spawn_scoped(s, parse_second);
                let mine = parse_block(&blocks[0], line_no, file, &parse_row, &mut candles);
                let other = match other {
                    Ok(handle) => handle.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    Err(_) => parse_second(),
                };
                (mine, Some(other))
            })
        };
        first_block.merge(base, &units, &mut skips, file)?;
        if let Some((block, rows)) = second_block {
            block.merge(candles.len(), &units, &mut skips, file)?;
            candles.extend_from_slice(&rows);
        }
        if blocks[1].is_empty() {
            break;
        }
        line_no = second_line + memchr::memchr_iter(b'\n', &blocks[1]).count();
    }
    let line_of = |i: usize| {
        first_data_line
            + i
            + skips
                .iter()
                .take_while(|(at, _)| *at <= i)
                .map(|(_, n)| n)
                .sum::<usize>()
    };
    let locate: Locate<'_> = &|i| (Some(line_of(i)), String::new());
    let warnings = check_series(&candles, tf, file, locate)?;
    Ok(Loaded {
        format,
        candles,
        warnings,
    })
}

/// Bytes of whole lines read and parsed as one block (two blocks are parsed at a time).
const CSV_BLOCK: usize = 4 << 20;

/// Reads about `size` bytes of whole lines into `buf` (empty at the end of the input). The line
/// that crosses `size` is completed, but never by more than `MAX_LINE` bytes: a longer line is left
/// cut, and `parse_block` reports it.
fn read_block(r: &mut impl BufRead, size: usize, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.clear();
    while buf.len() < size {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(());
        }
        let take = chunk.len().min(size - buf.len());
        buf.extend_from_slice(&chunk[..take]);
        r.consume(take);
    }
    if buf.last() == Some(&b'\n') {
        return Ok(());
    }
    let mut extra = 0;
    while extra <= MAX_LINE {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', chunk) {
            buf.extend_from_slice(&chunk[..=i]);
            r.consume(i + 1);
            break;
        }
        let take = chunk.len().min(MAX_LINE + 1 - extra);
        buf.extend_from_slice(&chunk[..take]);
        r.consume(take);
        extra += take;
    }
    Ok(())
}

/// What one block of CSV lines parsed to, before it is merged in file order.
struct Block {
    /// Blank lines: (rows of the block before them, lines).
    skips: Vec<(usize, usize)>,
    /// Rows whose epoch unit differs from the block's previous epoch row (the first one included):
    /// (line, unit, raw value). Enough to find the file's first mixed unit once blocks are merged.
    units: Vec<(usize, EpochUnit, f64)>,
    /// The block's first bad line; rows after it are not read.
    error: Option<DataError>,
}

impl Block {
    /// Adds this block's findings after the rows before it (`base` of them): a mixed unit on an
    /// earlier row, then the block's own error, is the file's error.
    fn merge(
        self,
        base: usize,
        units: &UnitCheck,
        skips: &mut Vec<(usize, usize)>,
        file: &str,
    ) -> Result<(), DataError> {
        for (no, unit, v) in self.units {
            units.note(no, Some((unit, v)), file)?;
        }
        skips.extend(self.skips.into_iter().map(|(at, n)| (base + at, n)));
        self.error.map_or(Ok(()), Err)
    }
}

type RowParser<'a> = dyn Fn(usize, &str) -> Result<(Candle, Epoch), DataError> + Sync + 'a;

/// Parses the lines of `bytes` (the first is line `first_line`) into `out`, line by line as a
/// streaming read would: the same checks, the same errors.
fn parse_block(bytes: &[u8], first_line: usize, file: &str, parse_row: &RowParser<'_>, out: &mut Vec<Candle>) -> Block {
    let start = out.len();
    let mut block = Block {
        skips: Vec::new(),
        units: Vec::new(),
        error: None,
    };
    let mut last_unit = None;
    let mut rest = bytes;
    let mut no = first_line;
    while !rest.is_empty() {
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let (line, next) = rest.split_at(end);
        rest = next;
        if line.len() > MAX_LINE {
            block.error = Some(DataError::new(
                file,
                Some(no),
                format!("line {no} is longer than {} KB; {ACCEPTED}", MAX_LINE / 1024),
            ));
            break;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            block.error = Some(DataError::new(
                file,
                Some(no),
                format!("line {no} is not UTF-8 text; {ACCEPTED}"),
            ));
            break;
        };
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            block.skips.push((out.len() - start, 1));
        } else {
            match parse_row(no, text) {
                Ok((candle, epoch)) => {
                    if let Some((unit, v)) = epoch.filter(|(u, _)| last_unit != Some(*u)) {
                        block.units.push((no, unit, v));
                        last_unit = Some(unit);
                    }
                    out.push(candle);
                }
                Err(e) => {
                    block.error = Some(e);
                    break;
                }
            }
        }
        no += 1;
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_lines_are_an_error_with_a_short_message_not_all_memory() {
        // What /dev/zero gives: bytes and never a newline. Read through a reader, as files are.
        let zeros = std::io::BufReader::new(std::io::repeat(0).take(1 << 30));
        let e = parse_csv(zeros, 0, "/dev/zero", None, CSV_BLOCK)
            .unwrap_err()
            .to_string();
        assert!(e.contains("longer than 64 KB") && e.contains("/dev/zero"), "{e}");
        assert!(e.len() < 400, "the message does not echo the input: {} bytes", e.len());
        // A 10 MB line after a good header: the same, with its line number.
        let mut text = String::from("timestamp,open,high,low,close,volume\n");
        text.push_str(&"1".repeat(10 << 20));
        let e = parse(&text, "big.csv", None).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.len() < 400, "{e}");
        // Lines split across buffer refills still parse.
        let rows: String = (0..3000)
            .map(|i| {
                format!(
                    "{},1,2,0.5,1.5,10,{},0,0,0,0,0\n",
                    1515560100000i64 + i * 60_000,
                    1515560159999i64 + i * 60_000
                )
            })
            .collect();
        let small = std::io::BufReader::with_capacity(64, rows.as_bytes());
        assert_eq!(
            parse_csv(small, 0, "r.csv", None, CSV_BLOCK).unwrap().candles.len(),
            3000
        );
    }

    /// Blocks change nothing: files with headers or not, CRLF, blank lines, ISO and epoch times,
    /// and a bad number, a mixed unit, a non-UTF-8 byte or an overlong line somewhere, parse to
    /// the same candles, warnings and first error whether read as one block or in blocks of a few
    /// bytes (every line its own block) up to a few hundred.
    #[test]
    fn reading_in_blocks_gives_what_one_block_gives() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let (mut errors, mut warned) = (0, 0);
        for case in 0..400 {
            let rows = 1 + next(60) as usize;
            let mut text: Vec<u8> = Vec::new();
            let binance = next(2) == 0;
            if next(2) == 0 {
                text.extend_from_slice(if binance {
                    b"open_time,open,high,low,close,volume,close_time,qv,n,tb,tq,ignore\n".as_slice()
                } else {
                    b"timestamp,open,high,low,close,volume\n".as_slice()
                });
            }
            let bad = next(3 * rows as u64) as usize;
            let kind = next(7);
            for i in 0..rows {
                // A gap (a warning naming its line) from the bad row on.
                let gap = if kind == 6 && i >= bad { 180_000 } else { 0 };
                let ts = 1_515_560_100_000u64 + i as u64 * 60_000 + gap;
                let mut ts_text = ts.to_string();
                if next(7) == 0 {
                    ts_text = crate::data::validate::fmt_ts(ts as i64);
                }
                if i == bad {
                    match kind {
                        0 => ts_text = (ts / 1000).to_string(),
                        1 => ts_text.push('x'),
                        _ => {}
                    }
                }
                let close = if i == bad && kind == 2 {
                    "1.5e".to_string()
                } else {
                    format!("{}", 1.0 + i as f64 / 8.0)
                };
                // A low above the high: refused by the series check, which names the line.
                let low = if i == bad && kind == 5 { "9.5" } else { "0.5" };
                let line = if binance {
                    format!("{ts_text},1.0,9.0,{low},{close},10.0,{},1,2,3,4,0", ts + 59_999)
                } else {
                    format!("{ts_text},1.0,9.0,{low},{close},10.0")
                };
                text.extend_from_slice(line.as_bytes());
                if i == bad && kind == 3 {
                    text.push(0xff);
                }
                if i == bad && kind == 4 {
                    text.extend(std::iter::repeat_n(b' ', MAX_LINE));
                }
                text.extend_from_slice(if next(4) == 0 { b"\r\n" } else { b"\n" });
                if next(9) == 0 {
                    text.extend_from_slice(b"  \n");
                }
            }
            if next(2) == 0 {
                text.pop();
            }
            let whole = parse_csv(&text[..], text.len(), "b.csv", Some(Timeframe::M1), CSV_BLOCK);
            errors += usize::from(whole.is_err());
            warned += usize::from(whole.as_ref().is_ok_and(|l| !l.warnings.is_empty()));
            for block in [1, 7, 64, 333] {
                let blocks = parse_csv(&text[..], text.len(), "b.csv", Some(Timeframe::M1), block);
                assert_eq!(
                    format!("{blocks:?}"),
                    format!("{whole:?}"),
                    "case {case}, blocks of {block}"
                );
            }
        }
        assert!(errors > 100, "{errors} of the files have an error");
        assert!(warned > 20, "{warned} of the files have a gap");
    }

    #[test]
    fn detects_each_format() {
        let j = parse("[[1515560100000, 1, 2, 0.5, 1.5, 10]]", "a.json", None).unwrap();
        assert_eq!(j.format, FileFormat::CcxtJson);
        assert_eq!(j.candles[0], Candle::new(1515560100000, 1.0, 2.0, 0.5, 1.5, 10.0));
        let b = parse("1515560100000,1,2,0.5,1.5,10,1515560399999,0,0,0,0,0\n", "b.csv", None).unwrap();
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
    fn a_file_mixing_timestamp_units_is_refused() {
        // A seconds timestamp among milliseconds ones: not read as 1970, not merged over good candles.
        let e = parse(
            "timestamp,open,high,low,close,volume\n1515560100000,1,2,0.5,1.5,10\n1515560400,1,2,0.5,1.5,10\n",
            "m.csv",
            None,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(
            e.message.contains("seconds") && e.message.contains("milliseconds"),
            "{e}"
        );
        let json = "[[1515560100000,1,2,0.5,1.5,10],[1515560400,1,2,0.5,1.5,10]]";
        let e = parse_ccxt_json(json, "m.json", None).unwrap_err();
        assert!(e.message.contains("candle #1") && e.message.contains("one unit"), "{e}");
        // One unit throughout, whichever it is, reads as before.
        let secs = "1515560100,1,2,0.5,1.5,10\n1515560400,1,2,0.5,1.5,10\n";
        assert_eq!(parse(secs, "s.csv", None).unwrap().candles[0].ts, 1_515_560_100_000);
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let e = parse(
            "timestamp,open,high,low,close,volume\n1515560100000,1,2,0.5,1.5,10\n1515560400000,1,abc,0.5,1.5,10\n",
            "p.csv",
            None,
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("p.csv", Some(3)));
        assert!(e.message.contains("high 'abc' is not a number"), "{e}");
        let e = parse(
            "timestamp,open,high,low,close,volume\n1515560100000,1,0.4,0.5,0.45,10\n",
            "p.csv",
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("p.csv:2: high 0.4 is below low 0.5"), "{e}");
        let e = parse(
            "timestamp,open,high,low,close,volume\n1515560400000,1,2,0.5,1.5,10\n1515560100000,1,2,0.5,1.5,10\n",
            "p.csv",
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("p.csv:3:") && e.message.contains("out of order"),
            "{e}"
        );
        let e = parse(
            "timestamp,open,high,low,close,volume\n1515560100000,1,2,0.5,1.5,10\n\n1515560100000,1,2,0.5,1.5,10\n",
            "p.csv",
            None,
        )
        .unwrap_err();
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
        assert!(e.message.contains("candle #1") && e.message.contains("close"), "{e}");
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

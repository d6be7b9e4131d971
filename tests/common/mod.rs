//! Shared test helpers: running the real binary, finding the candle fixtures, and an independent
//! reference reader for the candle files (deliberately not the crate's parser).
#![allow(dead_code)]

pub mod fake_binance;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A candle file kept in `tests/fixtures/`.
pub fn fixture(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(file)
}

/// Candle files in `../shared/data` that are not fixtures already: optional extra input.
#[allow(dead_code)]
pub fn extra_data() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv" || x == "json"))
        .filter(|p| p.file_name().is_some_and(|n| !fixture(&n.to_string_lossy()).exists()))
        .collect();
    files.sort();
    files
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cracktrader-tui"))
}

pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(data_dir: &Path, args: &[&str]) -> Run {
    let out: Output = bin()
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("binary runs");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// One HTTP/1.1 request over a fresh connection to a server under test: status and body.
pub fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("server reachable");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20))).ok();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("request sent");
    let mut out = String::new();
    s.read_to_string(&mut out).ok();
    let code = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    (code, if chunked { dechunk(body) } else { body.to_string() })
}

/// The body of a `Transfer-Encoding: chunked` response (streamed exports are sent that way).
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub fn run_json(data_dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.push("--json");
    let r = run(data_dir, &a);
    assert!(r.ok, "command failed: {args:?}\n{}", r.stderr);
    serde_json::from_str(&r.stdout).expect("stdout is one JSON object")
}

/// A `backtest` command line, built up flag by flag.
#[allow(dead_code)]
pub struct Backtest {
    args: Vec<String>,
}

#[allow(dead_code)]
impl Backtest {
    pub fn new(strategy: &str, symbol: &str, timeframe: &str) -> Backtest {
        let args = [
            "backtest",
            "--strategy",
            strategy,
            "--symbol",
            symbol,
            "--timeframe",
            timeframe,
        ];
        Backtest {
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }
    pub fn param(self, kv: &str) -> Backtest {
        self.opt("--param", kv)
    }
    pub fn opt(mut self, flag: &str, value: &str) -> Backtest {
        self.args.extend([flag.to_string(), value.to_string()]);
        self
    }
    /// Backtests straight from a fixture file.
    pub fn data(self, fixture_name: &str) -> Backtest {
        let path = fixture(fixture_name).to_string_lossy().into_owned();
        self.opt("--data", &path)
    }
    pub fn args(&self) -> Vec<&str> {
        self.args.iter().map(|s| s.as_str()).collect()
    }
    pub fn run(&self, data_dir: &Path) -> Run {
        run(data_dir, &self.args())
    }
    /// Runs with `--json`; the command must succeed.
    pub fn json(&self, data_dir: &Path) -> serde_json::Value {
        run_json(data_dir, &self.args())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub ts: i64,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
}

/// Reads any of the three shared formats with the simplest possible code.
pub fn read_bars(file: &str) -> Vec<Bar> {
    let text = std::fs::read_to_string(fixture(file)).expect("fixture present");
    if file.ends_with(".json") {
        let rows: Vec<Vec<f64>> = serde_json::from_str(&text).unwrap();
        return rows
            .iter()
            .map(|r| Bar {
                ts: r[0] as i64,
                o: r[1],
                h: r[2],
                l: r[3],
                c: r[4],
            })
            .collect();
    }
    text.lines()
        .filter(|l| !l.starts_with("timestamp"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let ts = f[0]
                .parse::<i64>()
                .unwrap_or_else(|_| chrono::DateTime::parse_from_rfc3339(f[0]).unwrap().timestamp_millis());
            let n = |i: usize| f[i].parse::<f64>().unwrap();
            Bar {
                ts,
                o: n(1),
                h: n(2),
                l: n(3),
                c: n(4),
            }
        })
        .collect()
}

/// Hourly bars from 5-minute bars; a trailing incomplete hour is dropped.
pub fn hourly(bars: &[Bar]) -> Vec<Bar> {
    let mut out: Vec<Bar> = Vec::new();
    for b in bars {
        let h = b.ts - b.ts.rem_euclid(3_600_000);
        match out.last_mut() {
            Some(last) if last.ts == h => {
                last.h = last.h.max(b.h);
                last.l = last.l.min(b.l);
                last.c = b.c;
            }
            _ => out.push(Bar { ts: h, ..*b }),
        }
    }
    if let (Some(last_bar), Some(last_hour)) = (bars.last(), out.last()) {
        if last_bar.ts + 300_000 < last_hour.ts + 3_600_000 {
            out.pop();
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefFill {
    pub ts: i64,
    pub buy: bool,
    pub size: f64,
    pub price: f64,
}

/// Signals a reference strategy gives on bar i: Some(true) = enter long, Some(false) = exit.
pub type Signal<'a> = &'a mut dyn FnMut(usize, &[Bar]) -> Option<bool>;

/// Straightforward simulation of the pinned rules: a signal on bar i fills at bar i+1's open
/// (slipped against the trader but never outside the bar), commission on notional, stake of cash.
pub fn reference(
    bars: &[Bar],
    cash0: f64,
    comm: f64,
    stake: f64,
    slip_bps: f64,
    signal: Signal<'_>,
) -> (Vec<RefFill>, f64) {
    let (mut cash, mut pos) = (cash0, 0.0f64);
    let mut pending: Option<(bool, f64)> = None;
    let mut fills = Vec::new();
    let slip = slip_bps / 10_000.0;
    for i in 0..bars.len() {
        let b = bars[i];
        if let Some((buy, size)) = pending.take() {
            if buy {
                let price = (b.o * (1.0 + slip)).min(b.h);
                let cost = size * price * (1.0 + comm);
                if cost <= cash {
                    cash -= cost;
                    pos += size;
                    fills.push(RefFill {
                        ts: b.ts,
                        buy,
                        size,
                        price,
                    });
                }
            } else {
                let price = (b.o * (1.0 - slip)).max(b.l);
                cash += size * price * (1.0 - comm);
                pos -= size;
                fills.push(RefFill {
                    ts: b.ts,
                    buy,
                    size,
                    price,
                });
            }
        }
        match signal(i, bars) {
            Some(true) if pos == 0.0 => pending = Some((true, stake * cash / b.c)),
            Some(false) if pos > 0.0 => pending = Some((false, pos)),
            _ => {}
        }
    }
    let last = bars.last().map(|b| b.c).unwrap_or(0.0);
    (fills, cash + pos * last)
}

/// Backtrader's simple average: `math.fsum(window) / n`.
pub fn mean_close(bars: &[Bar], i: usize, n: usize) -> Option<f64> {
    (i + 1 >= n).then(|| fsum(bars[i + 1 - n..=i].iter().map(|b| b.c)) / n as f64)
}

/// Python's `math.fsum`, written out independently (Shewchuk's exact partials, then CPython's
/// correctly rounded final sum).
pub fn fsum(xs: impl IntoIterator<Item = f64>) -> f64 {
    let mut partials: Vec<f64> = Vec::new();
    for mut x in xs {
        let mut kept = Vec::with_capacity(partials.len() + 1);
        for &p in &partials {
            let (a, b) = if x.abs() < p.abs() { (p, x) } else { (x, p) };
            let hi = a + b;
            let lo = b - (hi - a);
            if lo != 0.0 {
                kept.push(lo);
            }
            x = hi;
        }
        kept.push(x);
        partials = kept;
    }
    let Some(mut n) = partials.len().checked_sub(1) else {
        return 0.0;
    };
    let mut hi = partials[n];
    let mut lo = 0.0;
    while n > 0 {
        let x = hi;
        n -= 1;
        let y = partials[n];
        hi = x + y;
        lo = y - (hi - x);
        if lo != 0.0 {
            break;
        }
    }
    if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        if y == x - hi {
            hi = x;
        }
    }
    hi
}

/// Moving-average cross signals with backtrader's crossing rule (zero difference keeps the last sign).
pub fn ma_cross_signal(fast: usize, slow: usize) -> impl FnMut(usize, &[Bar]) -> Option<bool> {
    let mut last_sign = 0i32;
    move |i, bars| {
        let (f, s) = (mean_close(bars, i, fast)?, mean_close(bars, i, slow)?);
        let d = f - s;
        let sign = if d > 0.0 {
            1
        } else if d < 0.0 {
            -1
        } else {
            0
        };
        let out = match (last_sign, sign) {
            (-1, 1) => Some(true),
            (1, -1) => Some(false),
            _ => None,
        };
        if sign != 0 {
            last_sign = sign;
        }
        out
    }
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

/// Compares the engine's `trades` against reference fills, field by field.
pub fn assert_fills(results: &serde_json::Value, expected: &[RefFill]) {
    let trades = results["trades"].as_array().unwrap();
    assert_eq!(trades.len(), expected.len(), "fill count");
    for (t, e) in trades.iter().zip(expected) {
        let ts = chrono::DateTime::parse_from_rfc3339(t["timestamp"].as_str().unwrap())
            .unwrap()
            .timestamp_millis();
        assert_eq!(ts, e.ts, "fill time {t}");
        assert_eq!(t["side"], if e.buy { "buy" } else { "sell" });
        assert!(close(t["price"].as_f64().unwrap(), e.price), "price {t} vs {e:?}");
        assert!(close(t["size"].as_f64().unwrap(), e.size), "size {t} vs {e:?}");
    }
}

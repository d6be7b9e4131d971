//! Parameter sweep benchmark (`cargo bench --bench optimize`): MovingAverageCross over 1,000,000
//! cached one-minute candles, a 10 x 10 grid.
//! - `optimize` as a process: total candle-steps per second across its workers (target 100 M on
//!   2 cores) and its peak memory (target under 300 MB);
//! - the same 100 combinations as 100 sequential `backtest` processes, as a ratio.
//!   `BENCH_SEQUENTIAL=0` skips that part.

use cracktrader::data::sim;
use cracktrader::engine::Timeframe;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const N: i64 = 1_000_000;

/// Runs the binary; returns its wall time and its peak resident memory in KB (polled from /proc).
fn timed(bin: &str, data: &Path, args: &[&str]) -> (Duration, u64) {
    let t = Instant::now();
    let mut child = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run the binary");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(st) = child.try_wait().expect("wait") {
            assert!(st.success(), "{args:?} failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (t.elapsed(), peak)
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_cracktrader-tui");
    let dir = tempfile::tempdir().expect("tempdir");
    let start = 1_577_836_800_000; // 2020-01-01
    let candles = sim::candles("BTC/USDT", Timeframe::M1, start, start + N * 60_000).expect("sim");
    let csv = dir.path().join("syn.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).expect("csv"));
        for c in &candles {
            writeln!(f, "{},{},{},{},{},{}", c.ts, c.open, c.high, c.low, c.close, c.volume).expect("write");
        }
    }
    // BENCH_DATA_DIR keeps the imported candles there (for profiling the command by hand).
    let data = std::env::var_os("BENCH_DATA_DIR").map_or_else(|| dir.path().join("data"), Into::into);
    let csv_path = csv.to_str().expect("utf-8 path");
    timed(
        bin,
        &data,
        &[
            "data",
            "import",
            csv_path,
            "--exchange",
            "binance",
            "--symbol",
            "SYN/USDT",
            "--timeframe",
            "1m",
        ],
    );
    let base = [
        "--strategy",
        "MovingAverageCross",
        "--symbol",
        "SYN/USDT",
        "--timeframe",
        "1m",
        "--exchange",
        "binance",
    ];
    let fast: Vec<u32> = (1..=10).map(|i| i * 5).collect();
    let slow: Vec<u32> = (1..=10).map(|i| 50 + i * 10).collect();
    let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let (fast_grid, slow_grid) = (
        format!("fast_period={}", list(&fast)),
        format!("slow_period={}", list(&slow)),
    );
    let mut sweep = vec!["optimize"];
    sweep.extend_from_slice(&base);
    sweep.extend_from_slice(&["--grid", &fast_grid, "--grid", &slow_grid, "--json"]);
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(timed(bin, &data, &sweep));
    }
    runs.sort();
    let (sweep_time, _) = runs[1];
    let peak_mb = runs.iter().map(|r| r.1).max().unwrap_or(0) as f64 / 1024.0;
    let steps = 100.0 * N as f64;
    println!(
        "optimize 10x10 over {N} candles: {:.2} s (median of 3), {:.0} M candle-steps/s across workers (target 100 M), peak {peak_mb:.0} MB (target < 300 MB)",
        sweep_time.as_secs_f64(),
        steps / sweep_time.as_secs_f64() / 1e6
    );
    if std::env::var("BENCH_SEQUENTIAL").as_deref() == Ok("0") {
        return;
    }
    let t = Instant::now();
    for f in &fast {
        for s in &slow {
            let (pf, ps) = (format!("fast_period={f}"), format!("slow_period={s}"));
            let mut one = vec!["backtest"];
            one.extend_from_slice(&base);
            one.extend_from_slice(&["--param", &pf, "--param", &ps, "--json"]);
            timed(bin, &data, &one);
        }
    }
    let sequential = t.elapsed();
    println!(
        "100 sequential backtest processes: {:.2} s; the sweep is {:.1}x faster",
        sequential.as_secs_f64(),
        sequential.as_secs_f64() / sweep_time.as_secs_f64()
    );
}

//! Persistence benchmarks (`cargo bench --bench store`):
//! - write throughput: fills persisted per second by the writer thread (paper/live path: each fill and
//!   each order status change committed before it is published);
//! - the cost of persistence on backtest speed: the same backtest with and without saving it;
//! - end to end: `cracktrader-tui backtest` as a process (start, load the cached candles, run, store,
//!   print) against the in-process engine loop on the same 1,000,000 cached candles, with the stored
//!   size of each run (targets: at most 3x the loop for MovingAverageCross, 2x for BuyAndHold; 1.5 MB);
//! - start-up: `serve` answering `/health` after process start with a 1 GB history whose newest run
//!   is stored row by row (target: 50 ms). `BENCH_HISTORY_MB` sets the size (default 1024).

use cracktrader::run::backtest;
use cracktrader::run::config::{self, Mode, RunRequest};
use cracktrader::run::results::{OrderRecord, TradeRecord};
use cracktrader::runner::WorkerEvent;
use cracktrader::store::writer::{self, WriterStats};
use cracktrader::store::Store;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn config(mode: Mode, tf: &str, start: &str, end: &str) -> config::RunConfig {
    let req = RunRequest {
        mode,
        ..RunRequest::backtest("MovingAverageCross", &["BTC/USDT"], tf).between(start, end)
    };
    config::validate(&req, &["sim".to_string()]).expect("valid")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // Write throughput through the real writer: N fills, each with the order events around it.
    const FILLS: u64 = 100_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&Store::db_path(dir.path())).expect("open");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (fwd, mut fwd_rx) = tokio::sync::mpsc::unbounded_channel();
    let stats = Arc::new(WriterStats::default());
    let s2 = stats.clone();
    let w = std::thread::spawn(move || writer::run(store, rx, fwd, s2));
    let cfg = config(Mode::Paper, "1m", "2024-01-01", "2024-01-02");
    tx.send((
        1,
        WorkerEvent::Begin {
            run_id: "bench".into(),
            config: Box::new(cfg),
            start_time: "2024-01-01T00:00:00Z".into(),
        },
    ))
    .ok();
    let t = Instant::now();
    for i in 1..=FILLS {
        let order = OrderRecord {
            id: i.to_string(),
            symbol: "BTC/USDT".into(),
            side: "buy".into(),
            order_type: "market".into(),
            amount: 0.1,
            price: None,
            stop_price: None,
            status: "filled".into(),
            filled: 0.1,
            average_price: Some(40_000.0),
            reason: None,
            fee: 4.0,
            fee_asset: Some("USDT".into()),
            created_at: "2024-01-01T00:00:00Z".into(),
            updated_at: "2024-01-01T00:00:00Z".into(),
        };
        tx.send((1, WorkerEvent::Order(order, i as i64))).ok();
        let fill = TradeRecord {
            id: i.to_string(),
            order_id: i.to_string(),
            timestamp: "2024-01-01T00:00:00Z".into(),
            symbol: "BTC/USDT".into(),
            side: "buy".into(),
            size: 0.1,
            price: 40_000.0,
            value: 4_000.0,
            commission: 4.0,
            fee: 4.0,
            fee_asset: "USDT".into(),
            pnl: None,
        };
        tx.send((1, WorkerEvent::Fill(fill))).ok();
    }
    // Everything forwarded = everything committed.
    let mut forwarded = 0u64;
    while forwarded < 2 * FILLS + 1 {
        if fwd_rx.blocking_recv().is_none() {
            break;
        }
        forwarded += 1;
    }
    let elapsed = t.elapsed();
    drop(tx);
    w.join().ok();
    println!("writer: {FILLS} fills + {FILLS} order updates committed in {elapsed:.2?}: {:.0} fills/s ({:.0} records/s), {} committed",
        FILLS as f64 / elapsed.as_secs_f64(), 2.0 * FILLS as f64 / elapsed.as_secs_f64(), stats.committed.load(Ordering::Relaxed));

    // Persistence cost on a backtest: run, then (or not) save the run.
    let cfg = config(Mode::Backtest, "1m", "2023-01-01", "2024-01-01");
    let set = backtest::load_candles(Path::new("/nonexistent"), &cfg, &backtest::NoFetch).expect("sim candles");
    let candles = set.series[0].len();
    let mut without = Vec::new();
    let mut with = Vec::new();
    let mut fills = 0;
    for i in 0..5 {
        let t = Instant::now();
        let r = backtest::run_on(
            "b",
            cfg.clone(),
            &set.series,
            vec![],
            cracktrader::engine::core::NoEvents,
            None,
            |_, _| {},
        );
        without.push(t.elapsed());
        fills = r.trades.len();
        let d = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&Store::db_path(d.path())).expect("open");
        let t = Instant::now();
        let mut r = backtest::run_on(
            "b",
            cfg.clone(),
            &set.series,
            vec![],
            cracktrader::engine::core::NoEvents,
            None,
            |_, _| {},
        );
        r.run_id = format!("b{i}");
        store.save_results(&r).expect("save");
        with.push(t.elapsed());
    }
    let (a, b) = (median(without), median(with));
    println!(
        "backtest of {candles} candles ({fills} fills): {a:.2?} without storage, {b:.2?} with storage: ratio {:.2}x",
        b.as_secs_f64() / a.as_secs_f64()
    );
    end_to_end();
    startup();
}

/// Time from spawning `serve` to its first `/health` answer, over a large history.
fn startup() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let mb: u64 = std::env::var("BENCH_HISTORY_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let bin = env!("CARGO_BIN_EXE_cracktrader-tui");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let st = Command::new(bin)
        .args([
            "backtest",
            "--strategy",
            "MovingAverageCross",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
            "--data-dir",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .expect("backtest");
    assert!(st.success());
    let db = Store::db_path(&data);
    let t = Instant::now();
    {
        let c = rusqlite::Connection::open(&db).expect("open");
        let config: String = c
            .query_row("SELECT config FROM runs LIMIT 1", [], |r| r.get(0))
            .expect("config");
        let mut k = 0;
        // Runs as round 1 stored them: a row per order, order event, fill and equity point (~8 MB each).
        while std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) < mb << 20 {
            let id = format!("old-{k:05}");
            let tx = c.unchecked_transaction().expect("tx");
            tx.execute(
                "INSERT INTO runs (run_id, mode, status, strategy, symbols, exchange, timeframe, config, start_time, end_time, last_update, final_value)
                 VALUES (?1, 'backtest', 'completed', 'MovingAverageCross', '[\"SYN/USDT\"]', 'binance', '1m', ?2, ?3, ?3, ?3, 100.0)",
                rusqlite::params![id, config, format!("2099-01-01T00:00:{:02}.{:03}Z", k / 1000 % 60, k % 1000)],
            )
            .expect("run");
            tx.execute_batch(&format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 25000)
                 INSERT INTO orders (run_id, order_id, symbol, side, type, amount, status, filled, reason, created_at, updated_at, fee)
                 SELECT '{id}', CAST(i AS TEXT), 'SYN/USDT', 'buy', 'market', 10.0, 'rejected', 0.0,
                        'insufficient cash: order needs ' || (i * 1.37) || ', cash is ' || (i * 1.21), '2020-01-01T00:00:00Z', '2020-01-01T00:01:00Z', 0.0 FROM n;
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 25000)
                 INSERT INTO order_events (run_id, order_id, status, filled, at) SELECT '{id}', CAST(i AS TEXT), 'rejected', 0.0, i FROM n;
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 11000)
                 INSERT INTO fills (run_id, fill_id, order_id, timestamp, symbol, side, size, price, value, commission, pnl, fee, fee_asset)
                 SELECT '{id}', CAST(i AS TEXT), CAST(i AS TEXT), '2020-01-01T00:00:00Z', 'SYN/USDT', 'buy', 10.0, 100.0 + i * 0.001, 1000.0 + i, 1.0, -0.5, 1.0, 'USDT' FROM n;
                 WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i < 4999)
                 INSERT INTO equity (run_id, seq, timestamp, value, cash, pnl) SELECT '{id}', i, '2020-01-01T00:00:00Z', 10000.0 - i, 5000.0, -i FROM n;"
            ))
            .expect("rows");
            tx.commit().expect("commit");
            k += 1;
        }
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").expect("checkpoint");
    }
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!(
        "history of {:.0} MB built in {:.1?}",
        size as f64 / 1_048_576.0,
        t.elapsed()
    );
    let mut times = Vec::new();
    for i in 0..5u16 {
        let port = 18_400 + i;
        let t = Instant::now();
        let mut child = Command::new(bin)
            .args(["serve", "--port", &port.to_string(), "--data-dir"])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let answered = loop {
            if t.elapsed() > Duration::from_secs(30) {
                break None;
            }
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                let mut head = [0u8; 12];
                if s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200") {
                    break Some(t.elapsed());
                }
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        let _ = child.kill();
        let _ = child.wait();
        times.push(answered.expect("serve answered /health"));
    }
    let worst = *times.iter().max().expect("times");
    let m = median(times);
    println!(
        "start-up: /health answered {m:.1?} after process start (worst {worst:.1?}) with a {:.0} MB history: target <= 50 ms {}",
        size as f64 / 1_048_576.0,
        if m <= Duration::from_millis(50) { "met" } else { "NOT met" }
    );
}

/// The CLI command end to end against the engine loop, on the same data, in this one run.
fn end_to_end() {
    use cracktrader::data::sim;
    use cracktrader::engine::core::NoEvents;
    use cracktrader::engine::replay::replay;
    use cracktrader::engine::Timeframe;
    use std::io::Write;
    use std::process::{Command, Stdio};

    const N: i64 = 1_000_000;
    let bin = env!("CARGO_BIN_EXE_cracktrader-tui");
    let dir = tempfile::tempdir().expect("tempdir");
    let start = 1_577_836_800_000; // 2020-01-01
    let candles = sim::candles("BTC/USDT", Timeframe::M1, start, start + N * 60_000).expect("sim");
    let csv = dir.path().join("syn.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).expect("csv"));
        for c in &candles {
            writeln!(
                f,
                "{},{},{},{},{},{},{},0,0,0,0,0",
                c.ts,
                c.open,
                c.high,
                c.low,
                c.close,
                c.volume,
                c.ts + 59_999
            )
            .expect("write");
        }
    }
    let data = dir.path().join("data");
    let cli = |args: &[&str]| {
        let t = Instant::now();
        let st = Command::new(bin)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()
            .expect("run the binary");
        assert!(st.success(), "{args:?} failed");
        t.elapsed()
    };
    cli(&[
        "data",
        "import",
        "--exchange",
        "binance",
        "--symbol",
        "SYN/USDT",
        "--timeframe",
        "1m",
        csv.to_str().expect("utf-8 path"),
    ]);
    let db = Store::db_path(&data);
    for (strategy, params, target) in [
        ("MovingAverageCross", vec!["size=10"], 3.0),
        ("BuyAndHold", vec![], 2.0),
    ] {
        let mut req = RunRequest::backtest(strategy, &["SYN/USDT"], "1m");
        req.exchange = "binance".into();
        req.strategy_params =
            config::params_from_pairs(&params.iter().map(|p| p.to_string()).collect::<Vec<_>>()).expect("params");
        let cfg = config::validate(&req, &["binance".to_string(), "sim".to_string()]).expect("valid");
        let set = backtest::load_candles(&data, &cfg, &backtest::NoFetch).expect("cached candles");
        let series: Vec<&[cracktrader::engine::Candle]> = set.series.iter().map(|s| &**s).collect();
        let mut engine = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let mut e = backtest::engine(&cfg, NoEvents).expect("engine");
            replay(&mut e, &series, None, |_, _| {});
            std::hint::black_box(e.finish());
            engine.push(t.elapsed());
        }
        let mut args = vec![
            "backtest",
            "--exchange",
            "binance",
            "--symbol",
            "SYN/USDT",
            "--timeframe",
            "1m",
            "--strategy",
            strategy,
        ];
        for p in &params {
            args.extend(["--param", p]);
        }
        let before = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        let runs: Vec<Duration> = (0..5).map(|_| cli(&args)).collect();
        let grown = std::fs::metadata(&db)
            .map(|m| m.len())
            .unwrap_or(0)
            .saturating_sub(before);
        let (e, p) = (median(engine), median(runs));
        let ratio = p.as_secs_f64() / e.as_secs_f64();
        println!(
            "end to end {strategy}: command {p:.2?} vs engine loop {e:.2?} on {} cached candles: {ratio:.1}x (target <= {target}x: {}); stored about {:.2} MB a run",
            series[0].len(),
            if ratio <= target { "met" } else { "NOT met" },
            grown as f64 / 5.0 / 1_048_576.0
        );
    }
}

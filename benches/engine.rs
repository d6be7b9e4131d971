//! Engine and data benchmarks (`cargo bench --bench engine`). Prints figures next to their targets:
//! - MovingAverageCross over 1,000,000 candles: >= 25M candles/s, within 3x of a hand-written loop;
//! - importing a 1,000,000-row Binance kline CSV: < 0.5 s; loading 1,000,000 cached candles: < 20 ms;
//! - peak heap of a 1,000,000-candle backtest (candles, engine and results): < 150 MB.

use cracktrader::data::{load_file, sim, Cache, Series};
use cracktrader::engine::core::NoEvents;
use cracktrader::engine::indicators::{Cross, CrossOver, Sma};
use cracktrader::engine::replay::replay;
use cracktrader::engine::{Candle, Timeframe};
use cracktrader::run::backtest;
use cracktrader::run::config::{self, RunRequest};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes and their high-water mark.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new > l.size() {
                let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const N: usize = 1_000_000;
const RUNS: usize = 7;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// Median of `runs` timings plus the first (cold) one. Each run's output is dropped before the next
/// starts, so no run pays first-touch page faults just because an earlier result is still alive.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(runs);
    for _ in 1..runs {
        let t = Instant::now();
        let out = f();
        times.push(t.elapsed());
        drop(std::hint::black_box(out));
    }
    let t = Instant::now();
    let out = f();
    times.push(t.elapsed());
    let cold = times[0];
    (median(times), cold, out)
}

fn config() -> config::RunConfig {
    let req = RunRequest::backtest("MovingAverageCross", &["BTC/USDT"], "1m");
    config::validate(&req, &["sim".to_string()]).expect("valid config")
}

/// The same strategy, fills and equity bookkeeping as the engine, written as one flat loop: the floor
/// the engine's abstractions are measured against.
fn hand_loop(c: &[Candle], cash0: f64, comm: f64) -> (usize, f64) {
    let (mut fast, mut slow, mut cross) = (Sma::new(10), Sma::new(30), CrossOver::default());
    let (mut cash, mut pos, mut fills) = (cash0, 0.0f64, 0usize);
    let mut pending: Option<(bool, f64)> = None;
    let mut equity: Vec<(i64, f64, f64)> = Vec::with_capacity(c.len());
    let mut fill_log: Vec<(i64, bool, f64, f64, f64)> = Vec::new();
    for b in c {
        if let Some((buy, size)) = pending.take() {
            let cost = size * b.open;
            if buy && cost * (1.0 + comm) <= cash {
                cash -= cost * (1.0 + comm);
                pos += size;
                fills += 1;
                fill_log.push((b.ts, true, size, b.open, cost * comm));
            } else if !buy {
                cash += cost * (1.0 - comm);
                pos -= size;
                fills += 1;
                fill_log.push((b.ts, false, size, b.open, cost * comm));
            }
        }
        if let (Some(f), Some(s)) = (fast.update(b.close), slow.update(b.close)) {
            // The sim exchange's minimum order (0.00001 units, 5 quote) applies, as in the engine.
            let placeable = |size: f64| size >= 0.000_01 && size * b.close >= 5.0;
            match cross.update(f, s) {
                Cross::Up if pos == 0.0 && placeable(0.95 * cash / b.close) => {
                    pending = Some((true, 0.95 * cash / b.close))
                }
                Cross::Down if pos > 0.0 && placeable(pos) => pending = Some((false, pos)),
                _ => {}
            }
        }
        equity.push((b.ts, cash + pos * b.close, cash));
    }
    // Like the engine, the loop's outputs (equity curve, fill log) must really exist afterwards.
    std::hint::black_box((&equity, &fill_log));
    (fills, equity.last().map(|e| e.1).unwrap_or(cash0))
}

fn main() {
    let n: usize = std::env::var("BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(N);
    let start = 1_640_995_200_000; // 2022-01-01
    let t = Instant::now();
    let candles = sim::candles("BTC/USDT", Timeframe::M1, start, start + n as i64 * 60_000).expect("sim");
    println!(
        "generated {} sim 1m candles in {:.0} ms",
        candles.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let cfg = config();
    if std::env::var("BENCH_ONLY").as_deref() == Ok("script") {
        // For profiling the script runtime alone.
        let req = RunRequest::backtest("MaCrossScript", &["BTC/USDT"], "1m");
        let script_cfg = config::validate(&req, &["sim".to_string()]).expect("valid script config");
        for _ in 0..3 {
            let t = Instant::now();
            let mut e = backtest::engine(&script_cfg, NoEvents).expect("script engine");
            replay(&mut e, &[&candles], None, |_, _| {});
            std::hint::black_box(e.finish());
            println!("MaCrossScript: {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
        }
        return;
    }

    // Engine loop: build + replay + finish, no results formatting.
    let runs = if std::env::var("BENCH_ONLY").is_ok() { 1 } else { RUNS };
    let (engine_t, engine_cold, out) = time(runs, || {
        let mut e = backtest::engine(&cfg, NoEvents).expect("engine");
        replay(&mut e, &[&candles], None, |_, _| {});
        e.finish()
    });
    let (hand_t, hand_cold, (hand_fills, hand_value)) = time(runs, || hand_loop(&candles, 10_000.0, 0.001));
    assert_eq!(
        out.fills.len(),
        hand_fills,
        "engine and hand loop must make the same fills"
    );
    let value = out.equity.last().map(|e| e.value).unwrap_or(0.0);
    assert!(
        (value - hand_value).abs() < 1e-6 * hand_value,
        "final values differ: {value} vs {hand_value}"
    );
    let rate = n as f64 / engine_t.as_secs_f64();
    let ratio = engine_t.as_secs_f64() / hand_t.as_secs_f64();
    println!(
        "\nMovingAverageCross(10,30) over {n} candles ({} fills):",
        out.fills.len()
    );
    println!(
        "  engine      {:>8.2} ms  {:>6.1} M candles/s   target >= 25 M/s  [{}]",
        engine_t.as_secs_f64() * 1e3,
        rate / 1e6,
        ok(rate >= 25e6)
    );
    println!(
        "  hand loop   {:>8.2} ms  {:>6.1} M candles/s",
        hand_t.as_secs_f64() * 1e3,
        n as f64 / hand_t.as_secs_f64() / 1e6
    );
    println!(
        "  engine / hand loop = {ratio:.2}x   target <= 3x  [{}]",
        ok(ratio <= 3.0)
    );
    println!(
        "  cold first run (fresh pages): engine {:.2} ms, hand loop {:.2} ms ({:.2}x)",
        engine_cold.as_secs_f64() * 1e3,
        hand_cold.as_secs_f64() * 1e3,
        engine_cold.as_secs_f64() / hand_cold.as_secs_f64()
    );

    // The same strategy as a Luau script (strategies/ma_cross.luau), in the same run.
    let script_cfg = {
        let req = RunRequest::backtest("MaCrossScript", &["BTC/USDT"], "1m");
        config::validate(&req, &["sim".to_string()]).expect("valid script config")
    };
    let (script_t, _, script_out) = time(runs.min(3), || {
        let mut e = backtest::engine(&script_cfg, NoEvents).expect("script engine");
        replay(&mut e, &[&candles], None, |_, _| {});
        e.finish()
    });
    assert_eq!(
        script_out.fills.len(),
        out.fills.len(),
        "the script makes the built-in's fills"
    );
    let script_rate = n as f64 / script_t.as_secs_f64();
    println!(
        "  MaCrossScript {:>6.2} ms  {:>6.2} M candles/s   target >= 1.5 M/s  [{}]   script / compiled = {:.1}x",
        script_t.as_secs_f64() * 1e3,
        script_rate / 1e6,
        ok(script_rate >= 1.5e6),
        script_t.as_secs_f64() / engine_t.as_secs_f64()
    );

    if std::env::var("BENCH_ONLY").as_deref() == Ok("engine") {
        // For profiling the engine alone: keep running it.
        for _ in 0..3 {
            let mut e = backtest::engine(&cfg, NoEvents).expect("engine");
            replay(&mut e, &[&candles], None, |_, _| {});
            std::hint::black_box(e.finish());
            std::hint::black_box(hand_loop(&candles, 10_000.0, 0.001));
        }
        return;
    }
    let owned = [Series::from(candles.clone())];
    let (full_t, _, _) = time(3, || {
        backtest::run_on("bench", cfg.clone(), &owned, vec![], NoEvents, None, |_, _| {})
    });
    println!(
        "  whole backtest incl. metrics and results JSON model: {:.2} ms",
        full_t.as_secs_f64() * 1e3
    );

    // Import: parse + validate a 1,000,000-row Binance kline CSV and store it in the cache.
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("klines.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&csv).expect("create csv"));
        for c in &candles {
            writeln!(
                w,
                "{},{:.8},{:.8},{:.8},{:.8},{:.8},{},0,0,0,0,0",
                c.ts,
                c.open,
                c.high.max(c.open).max(c.close),
                c.low.min(c.open).min(c.close),
                c.close,
                c.volume,
                c.ts + 59_999
            )
            .expect("write");
        }
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("import") {
        for _ in 0..10 {
            std::hint::black_box(load_file(&csv, Some(Timeframe::M1)).expect("parse"));
        }
        return;
    }
    let mut import_times = Vec::new();
    let mut parse_times = Vec::new();
    let mut imported = 0;
    for i in 0..5 {
        let data = tempfile::tempdir().expect("tempdir");
        let t = Instant::now();
        let loaded = load_file(&csv, Some(Timeframe::M1)).expect("parse");
        parse_times.push(t.elapsed());
        let stats = Cache::new(data.path())
            .store("binance", "BTC/USDT", Timeframe::M1, &loaded.candles)
            .expect("store");
        import_times.push(t.elapsed());
        imported = stats.total;
        if i == 0 {
            std::fs::copy(
                data.path().join("candles/binance/BTC_USDT/1m.bin"),
                dir.path().join("1m.bin"),
            )
            .expect("copy");
        }
    }
    let import_t = median(import_times);
    let parse_t = median(parse_times);
    println!(
        "\nimport {imported} Binance kline rows: {:.0} ms (parse + validate {:.0} ms, durable store {:.0} ms)   target < 500 ms  [{}]",
        import_t.as_secs_f64() * 1e3,
        parse_t.as_secs_f64() * 1e3,
        (import_t - parse_t.min(import_t)).as_secs_f64() * 1e3,
        ok(import_t.as_secs_f64() < 0.5)
    );

    let cache_dir = tempfile::tempdir().expect("tempdir");
    let cache = Cache::new(cache_dir.path());
    cache
        .store("binance", "BTC/USDT", Timeframe::M1, &candles)
        .expect("store");
    // Mapped load: open, validate the header, map, then read every candle once (what a replay does).
    let (map_t, map_cold, touched) = time(RUNS, || {
        let s = cache
            .map("binance", "BTC/USDT", Timeframe::M1)
            .expect("map")
            .expect("cached");
        s.iter().map(|c| c.close).sum::<f64>()
    });
    std::hint::black_box(touched);
    println!(
        "load {N} cached candles (map + read every candle): {:.2} ms (cold {:.2} ms)   target < 20 ms  [{}]",
        map_t.as_secs_f64() * 1e3,
        map_cold.as_secs_f64() * 1e3,
        ok(map_t.max(map_cold).as_secs_f64() < 0.02)
    );
    let (copy_t, _, loaded) = time(RUNS, || {
        cache
            .load("binance", "BTC/USDT", Timeframe::M1)
            .expect("load")
            .expect("cached")
    });
    assert_eq!(loaded.len(), N);
    println!(
        "  (for comparison, copying them into a fresh Vec: {:.2} ms, mostly page faults)",
        copy_t.as_secs_f64() * 1e3
    );
    drop(loaded);
    drop(out);
    drop(owned);

    // Peak heap of a whole backtest (engine, metrics, results), candles mapped from the cache as a real
    // run gets them, and again with the candles owned on the heap.
    drop(candles);
    for (label, owned) in [
        ("candles mapped from the cache", false),
        ("candles copied onto the heap", true),
    ] {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let mapped = cache
            .map("binance", "BTC/USDT", Timeframe::M1)
            .expect("map")
            .expect("cached");
        let series = if owned { Series::from(mapped.to_vec()) } else { mapped };
        let results = backtest::run_on("bench", cfg.clone(), &[series], vec![], NoEvents, None, |_, _| {});
        let peak_mb = (PEAK.load(Ordering::Relaxed) - base) as f64 / 1e6;
        println!(
            "peak heap of a {N}-candle backtest, {label}: {peak_mb:.1} MB   target < 150 MB  [{}]",
            ok(peak_mb < 150.0)
        );
        std::hint::black_box(results);
    }
}

fn ok(b: bool) -> &'static str {
    if b {
        "ok"
    } else {
        "MISSED"
    }
}

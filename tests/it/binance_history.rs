//! Binance history download against a fake Binance written here (axum on 127.0.0.1:0) that serves
//! `/api/v3/time`, `/api/v3/exchangeInfo` and `/api/v3/klines` in Binance's exact JSON shapes.

use crate::common;

use crate::common::fake_binance::{fake, rows};
use cracktrader::engine::Timeframe;
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn cli(origin: &str, dir: &std::path::Path, args: &[&str]) -> common::Run {
    let out = common::bin()
        .env("CRACKTRADER_BINANCE_REST", origin)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    common::Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

#[test]
fn download_pages_caches_and_fetches_only_what_is_missing() {
    let (origin, f) = fake();
    let d = tempfile::tempdir().unwrap();
    let dl = |start: &str, end: &str| {
        cli(
            &origin,
            d.path(),
            &[
                "data",
                "download",
                "--symbol",
                "BTC/USDT",
                "--timeframe",
                "1h",
                "--start",
                start,
                "--end",
                end,
            ],
        )
    };
    let r = dl("2024-01-01", "2024-04-15");
    assert!(r.ok, "{}", r.stderr);
    // 105 days of hours = 2520 candles = three pages of at most 1000.
    assert!(r.stdout.contains("downloaded 2520 new"), "{}", r.stdout);
    assert_eq!(f.klines_requests.load(Ordering::SeqCst), 3);
    assert!(r.stderr.contains("100%"), "progress bar: {}", r.stderr);
    let list = common::run(d.path(), &["data", "list"]).stdout;
    assert!(
        list.contains("binance")
            && list.contains("2520")
            && list.contains("2024-01-01T00:00:00Z")
            && list.contains("2024-04-14T23:00:00Z"),
        "{list}"
    );
    // The cached values are exactly what Binance sent (8-decimal strings).
    let cached = cracktrader::data::Cache::new(d.path())
        .load("binance", "BTC/USDT", Timeframe::H1)
        .unwrap()
        .unwrap();
    let sent = rows(
        "BTCUSDT",
        Timeframe::H1,
        1_704_067_200_000,
        1_704_067_200_000 + 10 * 3_600_000,
        5,
    );
    for (c, s) in cached.iter().zip(&sent) {
        assert_eq!(c.ts, s[0].as_i64().unwrap());
        assert_eq!(c.close, s[4].as_str().unwrap().parse::<f64>().unwrap());
    }
    // Again: nothing new, no klines request. Extending the range fetches only the tail.
    let again = dl("2024-01-01", "2024-04-15");
    assert!(again.stdout.contains("downloaded 0 new"), "{}", again.stdout);
    assert_eq!(f.klines_requests.load(Ordering::SeqCst), 3);
    let more = dl("2024-01-01", "2024-04-16");
    assert!(more.stdout.contains("downloaded 24 new"), "{}", more.stdout);
    assert_eq!(f.klines_requests.load(Ordering::SeqCst), 4);
}

#[test]
fn backtests_on_binance_fetch_missing_candles_then_use_the_cache() {
    let (origin, f) = fake();
    let d = tempfile::tempdir().unwrap();
    let args = [
        "backtest",
        "--strategy",
        "MovingAverageCross",
        "--symbol",
        "ETH/BTC",
        "--timeframe",
        "4h",
        "--exchange",
        "binance",
        "--start",
        "2024-02-01",
        "--end",
        "2024-05-01",
        "--json",
    ];
    let r = cli(&origin, d.path(), &args);
    assert!(r.ok, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["equity_points_total"], 90 * 6);
    assert_eq!(v["config"]["exchange"], "binance");
    let requests = f.klines_requests.load(Ordering::SeqCst);
    assert!(requests >= 1);
    let r2 = cli(&origin, d.path(), &args);
    let v2: Value = serde_json::from_str(&r2.stdout).unwrap();
    assert_eq!(v2["trades"], v["trades"], "same candles, same fills");
    assert_eq!(
        f.klines_requests.load(Ordering::SeqCst),
        requests,
        "the second run reads the cache"
    );
    // A symbol Binance does not list is refused with the ones it does.
    let bad = cli(
        &origin,
        d.path(),
        &[
            "backtest",
            "--strategy",
            "BuyAndHold",
            "--symbol",
            "DOGE/EUR",
            "--timeframe",
            "1h",
            "--exchange",
            "binance",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-05",
        ],
    );
    assert!(
        !bad.ok && bad.stderr.contains("DOGE/EUR is not a Binance spot symbol"),
        "{}",
        bad.stderr
    );
    // With Binance unreachable, what is cached still runs, with the problem reported.
    let offline = cli("http://127.0.0.1:9", d.path(), &args[..args.len() - 1]);
    assert!(offline.ok, "{}", offline.stderr);
    assert!(offline.stdout.contains("final value"));
    let uncached = cli(
        "http://127.0.0.1:9",
        d.path(),
        &[
            "backtest",
            "--strategy",
            "BuyAndHold",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
            "--exchange",
            "binance",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-05",
        ],
    );
    assert!(
        !uncached.ok && uncached.stderr.contains("cannot reach"),
        "{}",
        uncached.stderr
    );
}

#[test]
fn rate_limits_are_waited_out_or_reported() {
    let (origin, f) = fake();
    let d = tempfile::tempdir().unwrap();
    f.rate_limit_next.store(1, Ordering::SeqCst);
    f.retry_after.store(1, Ordering::SeqCst);
    let t = Instant::now();
    let r = cli(
        &origin,
        d.path(),
        &[
            "data",
            "download",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1d",
            "--start",
            "2024-01-01",
            "--end",
            "2024-02-01",
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(t.elapsed() >= Duration::from_secs(1), "Retry-After is honoured");
    assert!(r.stdout.contains("downloaded 31 new"), "{}", r.stdout);
    assert_eq!(f.klines_requests.load(Ordering::SeqCst), 2);
    f.rate_limit_next.store(1, Ordering::SeqCst);
    f.retry_after.store(600, Ordering::SeqCst);
    let banned = cli(
        &origin,
        d.path(),
        &[
            "data",
            "download",
            "--symbol",
            "ETH/BTC",
            "--timeframe",
            "1d",
            "--start",
            "2024-01-01",
            "--end",
            "2024-02-01",
        ],
    );
    assert!(
        !banned.ok && banned.stderr.contains("retry after 600 s"),
        "{}",
        banned.stderr
    );
}

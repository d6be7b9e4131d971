//! Binance history download against a fake Binance written here (axum on 127.0.0.1:0) that serves
//! `/api/v3/time`, `/api/v3/exchangeInfo` and `/api/v3/klines` in Binance's exact JSON shapes.

mod common;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use cracktrader::data::sim;
use cracktrader::engine::Timeframe;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Fake {
    klines_requests: AtomicU64,
    /// Answer this many klines requests with 429 first.
    rate_limit_next: AtomicU64,
    retry_after: AtomicU64,
}

fn tf_of(interval: &str) -> Option<Timeframe> {
    interval.parse().ok()
}

/// Kline rows exactly as Binance sends them: numbers as strings, 12 fields.
fn rows(symbol: &str, tf: Timeframe, start: i64, end_inclusive: i64, limit: usize) -> Vec<Value> {
    let pair = match symbol {
        "BTCUSDT" => "BTC/USDT",
        "ETHBTC" => "ETH/BTC",
        _ => return Vec::new(),
    };
    let first = tf.floor(start) + if tf.floor(start) < start { tf.millis() } else { 0 };
    let end = (end_inclusive + 1).min(first + limit as i64 * tf.millis());
    sim::candles(pair, tf, first, end)
        .unwrap()
        .into_iter()
        .map(|c| {
            json!([
                c.ts,
                format!("{:.8}", c.open),
                format!("{:.8}", c.high),
                format!("{:.8}", c.low),
                format!("{:.8}", c.close),
                format!("{:.8}", c.volume),
                c.ts + tf.millis() - 1,
                "0.0",
                100,
                "0.0",
                "0.0",
                "0"
            ])
        })
        .collect()
}

async fn klines(State(f): State<Arc<Fake>>, Query(q): Query<HashMap<String, String>>) -> Response {
    f.klines_requests.fetch_add(1, Ordering::SeqCst);
    if f.rate_limit_next.load(Ordering::SeqCst) > 0 {
        f.rate_limit_next.fetch_sub(1, Ordering::SeqCst);
        let wait = f.retry_after.load(Ordering::SeqCst).to_string();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", wait)],
            Json(json!({"code": -1003, "msg": "Too many requests."})),
        )
            .into_response();
    }
    let Some(tf) = q.get("interval").and_then(|i| tf_of(i)) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": -1120, "msg": "Invalid interval."})),
        )
            .into_response();
    };
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    let limit = num("limit").unwrap_or(500).clamp(1, 1000) as usize;
    let (start, end) = (num("startTime").unwrap_or(0), num("endTime").unwrap_or(i64::MAX / 2));
    Json(Value::Array(rows(
        q.get("symbol").map(|s| s.as_str()).unwrap_or(""),
        tf,
        start,
        end,
        limit,
    )))
    .into_response()
}

fn info() -> Value {
    let sym = |s: &str, b: &str, qa: &str| {
        json!({"symbol": s, "status": "TRADING", "baseAsset": b, "quoteAsset": qa, "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00", "tickSize": "0.01"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"},
            {"filterType": "NOTIONAL", "minNotional": "5.0"}]})
    };
    json!({"timezone": "UTC", "serverTime": 0, "symbols": [sym("BTCUSDT", "BTC", "USDT"), sym("ETHBTC", "ETH", "BTC")]})
}

/// Starts the fake on its own runtime; returns its origin and state.
fn fake() -> (String, Arc<Fake>) {
    let state = Arc::new(Fake::default());
    let s2 = state.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route(
                    "/api/v3/time",
                    get(|| async { Json(json!({"serverTime": chrono::Utc::now().timestamp_millis()})) }),
                )
                .route("/api/v3/exchangeInfo", get(|| async { Json(info()) }))
                .route("/api/v3/klines", get(klines))
                .with_state(s2);
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    (format!("http://{}", rx.recv().unwrap()), state)
}

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

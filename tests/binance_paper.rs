//! Paper trading on Binance's market stream (a fake Binance on 127.0.0.1:0): from stream to fills,
//! through a dropped connection and a server shutdown with no candle skipped or repeated, and the
//! candles it traded on, replayed as a backtest, give identical fills.

mod common;

use axum::body::Body;
use axum::http::{header, Request};
use common::fake_binance::fake;
use cracktrader::api::{router, ApiSettings, ApiState};
use cracktrader::runner::RunnerHandle;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tower::ServiceExt;

async fn call(app: &axum::Router, method: &str, path: &str, body: Value) -> Value {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

const T0: i64 = 1_709_251_200_000; // 2024-03-01T00:00:00Z

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_on_the_live_stream_survives_drops_and_matches_a_backtest() {
    let (origin, f) = fake();
    f.cursor.store(T0, Ordering::SeqCst);
    f.stream_until.store(T0 + 90 * 60_000, Ordering::SeqCst);
    f.drop_after.store(20, Ordering::SeqCst);
    f.gap_on_reconnect.store(4, Ordering::SeqCst);
    f.shutdown_after.store(25, Ordering::SeqCst);
    // The backtest below reads REST history from the same fake.
    std::env::set_var("CRACKTRADER_BINANCE_REST", &origin);
    let dir = tempfile::tempdir().unwrap();
    let runner = RunnerHandle::spawn(dir.path().to_path_buf());
    let mut logs = runner.subscribe();
    let app = router(ApiState::new(
        runner,
        ApiSettings {
            rate_limit: 0,
            ..ApiSettings::default()
        },
    ));
    let ws = origin.replace("http://", "ws://");
    let started = call(&app, "POST", "/api/v1/run/live", json!({
        "strategy_name": "TestStrategy", "strategy_params": {"period": 2, "slow": 3},
        "symbols": ["BTC/USDT"], "timeframe": "1m", "exchange": "binance",
        "exchange_config": {"apiKey": "PAPER-KEY-0001", "secret": "PAPER-SECRET-0002", "sandbox": true, "urls": {"rest": origin, "ws": ws}},
        "mode": "paper"
    })).await;
    assert!(started["run_id"].is_string(), "{started}");
    // Wait for all 90 minutes of the fake market to have been processed.
    let t = Instant::now();
    loop {
        let s = call(&app, "GET", "/api/v1/status/detailed", Value::Null).await;
        assert_ne!(s["status"], "failed", "{s}");
        let last = s["equity_curve"]
            .as_array()
            .and_then(|e| e.last().cloned())
            .unwrap_or(Value::Null);
        if last["timestamp"] == "2024-03-01T01:29:00Z" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "stream stalled at {last}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        f.connections.load(Ordering::SeqCst) >= 3,
        "dropped once and shut down once"
    );
    let health = call(&app, "GET", "/api/v1/health", Value::Null).await;
    assert_eq!(health["checks"]["exchange"]["status"], "ok", "{health}");
    assert!(
        health["checks"]["exchange"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("binance: "),
        "{health}"
    );
    let stopped = call(&app, "POST", "/api/v1/run/stop", json!({})).await;
    assert_eq!(stopped["status"], "stopped", "{stopped}");
    let paper = call(&app, "GET", "/api/v1/results", Value::Null).await;
    // The run logs how long the engine took from a closed candle to the orders it placed.
    let mut latency = None;
    while let Ok(p) = logs.try_recv() {
        if let cracktrader::runner::events::Event::Logs(l) = &p.event {
            if l.message.contains("candle-to-order latency") {
                latency = Some(l.message.clone());
            }
        }
    }
    let latency = latency.expect("latency is reported");
    eprintln!("{latency}");
    // Every minute exactly once, in order: the dropped candles were backfilled, none repeated.
    let times: Vec<i64> = paper["equity_curve"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            chrono::DateTime::parse_from_rfc3339(e["timestamp"].as_str().unwrap())
                .unwrap()
                .timestamp_millis()
        })
        .collect();
    assert_eq!(times.len(), 90, "{times:?}");
    assert!(
        times.iter().enumerate().all(|(i, &t)| t == T0 + i as i64 * 60_000),
        "{times:?}"
    );
    let fills = paper["trades"].as_array().unwrap().clone();
    assert!(fills.len() >= 6, "the strategy should trade: {}", fills.len());
    assert!(!paper.to_string().contains("PAPER-SECRET-0002") && !paper.to_string().contains("PAPER-KEY-0001"));

    // The same candles as a backtest: identical fills.
    call(&app, "DELETE", "/api/v1/run/reset", Value::Null).await;
    let bt = call(
        &app,
        "POST",
        "/api/v1/run/backtest",
        json!({
            "strategy_name": "TestStrategy", "strategy_params": {"period": 2, "slow": 3},
            "symbols": ["BTC/USDT"], "timeframe": "1m", "exchange": "binance",
            "start_date": "2024-03-01T00:00:00Z", "end_date": "2024-03-01T01:30:00Z", "initial_cash": 10000
        }),
    )
    .await;
    assert!(bt["run_id"].is_string(), "{bt}");
    let t = Instant::now();
    loop {
        let s = call(&app, "GET", "/api/v1/status", Value::Null).await;
        if s["status"] == "completed" {
            break;
        }
        assert!(s["status"] != "failed" && t.elapsed() < Duration::from_secs(20), "{s}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let replay = call(&app, "GET", "/api/v1/results", Value::Null).await;
    let strip = |v: &Value| -> Vec<Value> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| {
                json!([
                    t["timestamp"],
                    t["side"],
                    t["size"],
                    t["price"],
                    t["commission"],
                    t["pnl"]
                ])
            })
            .collect()
    };
    assert_eq!(
        strip(&replay["trades"]),
        strip(&Value::Array(fills)),
        "paper fills = backtest fills on the same candles"
    );
}

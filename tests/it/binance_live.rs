//! Live trading against a fake Binance (REST + signed endpoints + market stream on 127.0.0.1:0) that
//! checks every signature and timestamp window: market, limit and stop-limit orders with fills and
//! cancels, rounding to the symbol's filters, a timed-out order that must not be placed twice, clock
//! re-sync, rejections with Binance's message, the real-money guard, and secrets never shown.

use crate::common;

use crate::common::fake_binance::{fake, Fake, API_KEY, SECRET};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use cracktrader::api::{router, ApiSettings, ApiState};
use cracktrader::runner::RunnerHandle;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const T0: i64 = 1_709_251_200_000; // 2024-03-01T00:00:00Z

async fn call(app: &axum::Router, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn setup(minutes: i64) -> (String, Arc<Fake>, axum::Router, tempfile::TempDir) {
    let (origin, f) = fake();
    f.cursor.store(T0, Ordering::SeqCst);
    f.stream_until.store(T0 + minutes * 60_000, Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let runner = RunnerHandle::spawn(dir.path().to_path_buf());
    let app = router(ApiState::new(
        runner,
        ApiSettings {
            rate_limit: 0,
            ..ApiSettings::default()
        },
    ));
    (origin, f, app, dir)
}

fn live(origin: &str, params: Value, cash: f64) -> Value {
    json!({
        "strategy_name": "BuyAndHold", "strategy_params": params, "symbols": ["BTC/USDT"], "timeframe": "1m",
        "exchange": "binance", "mode": "live", "initial_cash": cash,
        "exchange_config": {"apiKey": API_KEY, "secret": SECRET, "sandbox": true, "urls": {"rest": origin, "ws": origin.replace("http://", "ws://")}}
    })
}

async fn wait_for(app: &axum::Router, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let t = Instant::now();
    loop {
        let (_, s) = call(app, "GET", "/api/v1/status/detailed", Value::Null).await;
        if pred(&s) {
            return s;
        }
        assert!(s["status"] != "failed", "{what}: run failed: {s}");
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}: {s}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn order<'a>(s: &'a Value, kind: &str) -> &'a Value {
    s["recent_orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == kind)
        .unwrap_or(&Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_limit_and_stop_orders_fill_and_cancel_with_rounding() {
    let (origin, f, app, _d) = setup(30);
    let (code, r) = call(
        &app,
        "POST",
        "/api/v1/run/live",
        live(&origin, json!({"stop_loss": 0.5, "take_profit": 0.5}), 1000.0),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    // BuyAndHold buys at market on the first candle; the fill places a stop-loss and a take-profit.
    let s = wait_for(&app, "the entry and its protective orders", |s| {
        order(s, "market")["status"] == "filled"
            && order(s, "limit")["status"] == "accepted"
            && order(s, "stop")["status"] == "accepted"
    })
    .await;
    let sent = f.orders.lock().unwrap().clone();
    assert_eq!(sent.len(), 3, "{sent:?}");
    let buy = &sent[0];
    assert_eq!((buy.kind.as_str(), buy.side.as_str()), ("MARKET", "BUY"));
    // Quantity on the 0.00001 lot step; prices on the 0.01 tick.
    assert!(buy.qty.split('.').nth(1).map_or(0, |d| d.len()) <= 5, "qty {}", buy.qty);
    let tp = sent.iter().find(|o| o.kind == "LIMIT").unwrap();
    let sl = sent.iter().find(|o| o.kind == "STOP_LOSS_LIMIT").unwrap();
    for p in [
        tp.price.as_ref().unwrap(),
        sl.price.as_ref().unwrap(),
        sl.stop.as_ref().unwrap(),
    ] {
        assert!(
            p.split('.').nth(1).map_or(0, |d| d.len()) <= 2,
            "price {p} not on the tick"
        );
    }
    assert_eq!((tp.side.as_str(), sl.side.as_str()), ("SELL", "SELL"));
    assert!(sent.iter().all(|o| o.client_id.starts_with("ct")));
    let fill = &s["recent_trades"][0];
    assert_eq!(fill["side"], "buy");
    let fake_price = buy.quote / buy.executed;
    assert!(
        (fill["price"].as_f64().unwrap() - fake_price).abs() < 1e-6 * fake_price,
        "{fill}"
    );
    // Stopping cancels the working orders on the exchange, confirmed by it.
    let (_, stop) = call(&app, "POST", "/api/v1/run/stop", json!({})).await;
    assert_eq!(stop["status"], "stopped", "{stop}");
    let (_, res) = call(&app, "GET", "/api/v1/results", Value::Null).await;
    let statuses: Vec<&str> = res["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["filled", "cancelled", "cancelled"], "{res}");
    assert!(res["error"].is_null(), "{}", res["error"]);
    assert!(f
        .orders
        .lock()
        .unwrap()
        .iter()
        .filter(|o| o.kind != "MARKET")
        .all(|o| o.status == "CANCELED"));
    // The secret never travelled or came back: only signatures did.
    assert!(f
        .queries
        .lock()
        .unwrap()
        .iter()
        .all(|q| !q.contains(SECRET) && q.contains("signature=")));
    for path in ["/api/v1/results", "/api/v1/status/detailed", "/api/v1/status"] {
        let (_, body) = call(&app, "GET", path, Value::Null).await;
        assert!(
            !body.to_string().contains(SECRET) && !body.to_string().contains(API_KEY),
            "{path} leaks credentials"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_order_is_looked_up_not_placed_twice_and_the_clock_resyncs() {
    let (origin, f, app, _d) = setup(30);
    // The first signed request hits a skewed clock; the order POST then answers after the client gave up.
    f.skew_once.store(1, Ordering::SeqCst);
    f.slow_next_order_ms.store(6_500, Ordering::SeqCst);
    let (code, r) = call(&app, "POST", "/api/v1/run/live", live(&origin, json!({}), 1000.0)).await;
    assert_eq!(code, StatusCode::OK, "{r}");
    wait_for(&app, "the entry fill", |s| order(s, "market")["status"] == "filled").await;
    let posts = f.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        posts.values().all(|&n| n == 1),
        "a timed-out order was sent twice: {posts:?}"
    );
    assert_eq!(f.orders.lock().unwrap().len(), 1);
    call(&app, "POST", "/api/v1/run/stop", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_carry_binances_message_and_real_money_is_guarded() {
    let (origin, f, app, _d) = setup(30);
    // The run's cash is capped to the account's 1 USDT; a fixed size still asks for ~1000 USDT of BTC.
    f.set_balance("USDT", 1.0);
    let (code, _) = call(
        &app,
        "POST",
        "/api/v1/run/live",
        live(&origin, json!({"size": 0.01}), 1000.0),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let s = wait_for(&app, "the rejection", |s| order(s, "market")["status"] == "rejected").await;
    assert!(
        order(&s, "market")["reason"]
            .as_str()
            .unwrap()
            .contains("insufficient balance"),
        "{s}"
    );
    // The run's error says it too, with Binance's message.
    let s = wait_for(&app, "the run error", |s| s["error"].is_string()).await;
    assert!(
        s["error"]
            .as_str()
            .unwrap()
            .contains("Account has insufficient balance"),
        "{s}"
    );
    call(&app, "POST", "/api/v1/run/stop", json!({})).await;
    call(&app, "DELETE", "/api/v1/run/reset", Value::Null).await;
    // sandbox: false without --allow-live is refused before anything is sent.
    let mut real = live(&origin, json!({}), 1000.0);
    real["exchange_config"]["sandbox"] = json!(false);
    let (code, body) = call(&app, "POST", "/api/v1/run/live", real).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("LIVE_TRADING_DISABLED"))
    );
}

#[test]
fn credentials_never_reach_the_log() {
    use std::io::{BufRead, BufReader, Read};
    let (origin, f) = fake();
    f.cursor.store(T0, Ordering::SeqCst);
    f.stream_until.store(T0 + 20 * 60_000, Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let mut child = common::bin()
        .env("RUST_LOG", "debug")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().trim_start_matches("listening on http://").to_string();
    let http = |method: &str, path: &str, body: &str| {
        let (code, body) = common::http(&addr, method, path, body);
        format!("{code} {body}")
    };
    let started = http(
        "POST",
        "/api/v1/run/live",
        &live(&origin, json!({}), 1000.0).to_string(),
    );
    assert!(started.contains("run_id"), "{started}");
    let t = Instant::now();
    while f.orders.lock().unwrap().is_empty() {
        assert!(t.elapsed() < Duration::from_secs(20), "no order reached the exchange");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut everything = String::new();
    for path in [
        "/api/v1/status/detailed",
        "/api/v1/results",
        "/api/v1/runs",
        "/api/v1/health",
    ] {
        everything.push_str(&http("GET", path, ""));
    }
    everything.push_str(&http("POST", "/api/v1/run/stop", "{}"));
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(log.contains("live"), "the log has the run: {log}");
    for secret in [SECRET, API_KEY] {
        assert!(!log.contains(secret), "the log shows a credential");
        assert!(!everything.contains(secret), "a response shows a credential");
    }
    let db = std::fs::read(dir.path().join("cracktrader.db")).unwrap();
    assert!(
        !String::from_utf8_lossy(&db).contains(SECRET),
        "the database holds a credential"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_fills_are_completed_by_polling() {
    let (origin, f, app, _d) = setup(30);
    f.partial_next.store(1, Ordering::SeqCst);
    let (code, r) = call(&app, "POST", "/api/v1/run/live", live(&origin, json!({}), 1000.0)).await;
    assert_eq!(code, StatusCode::OK, "{r}");
    let s = wait_for(&app, "the partial fill", |s| {
        order(s, "market")["status"] == "partially_filled"
    })
    .await;
    assert_eq!(s["recent_trades"].as_array().unwrap().len(), 1);
    // Polling open orders finds the rest.
    let s = wait_for(&app, "the rest of the fill", |s| {
        order(s, "market")["status"] == "filled"
    })
    .await;
    let fills = s["recent_trades"].as_array().unwrap();
    assert_eq!(fills.len(), 2, "{s}");
    let total: f64 = fills.iter().map(|t| t["size"].as_f64().unwrap()).sum();
    let amount = order(&s, "market")["amount"].as_f64().unwrap();
    assert!((total - amount).abs() < 1e-9, "fills {total} vs order {amount}");
    call(&app, "POST", "/api/v1/run/stop", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_below_the_minimum_notional_are_rejected_before_sending() {
    let (origin, f, app, _d) = setup(30);
    // 0.00002 BTC at about 100,000 is about 2 USDT, below the 5 USDT minimum notional.
    let (code, _) = call(
        &app,
        "POST",
        "/api/v1/run/live",
        live(&origin, json!({"size": 0.00002}), 1000.0),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let s = wait_for(&app, "the local rejection", |s| {
        order(s, "market")["status"] == "rejected"
    })
    .await;
    assert!(
        order(&s, "market")["reason"]
            .as_str()
            .unwrap()
            .contains("minimum notional"),
        "{s}"
    );
    assert!(f.posts.lock().unwrap().is_empty(), "nothing was sent");
    call(&app, "POST", "/api/v1/run/stop", json!({})).await;
}

//! Live trading that agrees with the exchange's books, against a fake Binance that charges fees as
//! Binance does (the base asset on buys, the quote asset on sells, BNB when that is switched on):
//! many round trips without a single rejected order, balances equal after every fill, dust left
//! alone, a rejection storm that pauses and resumes, risk limits in paper and live, and the
//! real-money guard shared by every way of starting a run.

use crate::common::fake_binance::{fake, Fake, API_KEY, BNB_PRICE, SECRET};
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
const LOT: f64 = 0.00001;

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

/// A fake whose account holds `usdt` and nothing else, streaming a candle every `pace_ms`.
fn setup(minutes: i64, usdt: f64, pace_ms: u64) -> (String, Arc<Fake>, axum::Router, tempfile::TempDir) {
    let (origin, f) = fake();
    f.balances.lock().unwrap().clear();
    f.set_balance("USDT", usdt);
    f.cursor.store(T0, Ordering::SeqCst);
    f.stream_until.store(T0 + minutes * 60_000, Ordering::SeqCst);
    f.candle_ms.store(pace_ms, Ordering::SeqCst);
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

fn live(origin: &str, strategy: &str, params: Value, cash: f64, risk: Value) -> Value {
    json!({
        "strategy_name": strategy, "strategy_params": params, "symbols": ["BTC/USDT"], "timeframe": "1m",
        "exchange": "binance", "mode": "live", "initial_cash": cash, "risk": risk,
        "exchange_config": {"apiKey": API_KEY, "secret": SECRET, "sandbox": true, "urls": {"rest": origin, "ws": origin.replace("http://", "ws://")}}
    })
}

async fn detailed(app: &axum::Router) -> Value {
    call(app, "GET", "/api/v1/status/detailed", Value::Null).await.1
}

async fn wait_for(app: &axum::Router, what: &str, secs: u64, pred: impl Fn(&Value) -> bool) -> Value {
    let t = Instant::now();
    loop {
        let s = detailed(app).await;
        if pred(&s) {
            return s;
        }
        assert!(s["status"] != "failed", "{what}: run failed: {s}");
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}: {s}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The parts of a status worth printing when a test fails (the whole one is pages long).
fn brief(s: &Value) -> String {
    let orders: Vec<String> = s["recent_orders"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or(&[])
        .iter()
        .take(6)
        .map(|o| {
            format!(
                "{} {} {} {} {}",
                o["id"], o["side"], o["amount"], o["status"], o["reason"]
            )
        })
        .collect();
    format!(
        "status {} trades {} cash {} positions {} paused {} error {} risk {} orders {:?}",
        s["status"],
        s["trade_count"],
        s["cash"],
        s["positions"],
        s["pause_reason"],
        s["error"],
        s["risk_events"],
        orders
    )
}

fn position(s: &Value) -> f64 {
    s["positions"]
        .as_array()
        .and_then(|p| p.first())
        .map_or(0.0, |p| p["size"].as_f64().unwrap_or(0.0))
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-7 * a.abs().max(1.0),
        "{what}: engine {a} vs exchange {b}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_round_trips_with_base_asset_fees_never_sell_what_is_not_there() {
    // Paced so orders stay under the engine's 10 orders per second (Binance's own limit).
    let (origin, f, app, _d) = setup(400, 1000.0, 110);
    let (code, r) = call(
        &app,
        "POST",
        "/api/v1/run/live",
        live(
            &origin,
            "MovingAverageCross",
            json!({"fast_period": 2, "slow_period": 3}),
            1000.0,
            json!({}),
        ),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    // Whenever the engine's fill count matches the exchange's trade count and nothing is in flight,
    // the engine's cash and position must be the account's balances.
    let t = Instant::now();
    let mut checked = std::collections::BTreeSet::new();
    loop {
        let trades_before = f.trades.lock().unwrap().len();
        let (usdt, btc) = (f.total("USDT"), f.total("BTC"));
        let s = detailed(&app).await;
        let trades_after = f.trades.lock().unwrap().len();
        let fills = s["trade_count"].as_u64().unwrap() as usize;
        let settled = s["recent_orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "filled" || o["status"] == "cancelled");
        if trades_before == trades_after && fills == trades_after && fills > 0 && settled {
            close(s["cash"].as_f64().unwrap(), usdt, &format!("cash after fill {fills}"));
            close(position(&s), btc, &format!("BTC after fill {fills}"));
            checked.insert(fills);
        }
        let round_trips = fills / 2;
        if round_trips >= 10 && fills.is_multiple_of(2) && position(&s) < LOT {
            // Flat after at least 10 round trips: hold the market still, then stop.
            f.stream_until.store(0, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(300)).await;
            let s = detailed(&app).await;
            if s["trade_count"].as_u64().unwrap() as usize == fills {
                break;
            }
            f.stream_until.store(T0 + 400 * 60_000, Ordering::SeqCst);
        }
        assert!(
            s["status"].as_str().is_some_and(|x| x == "running" || x == "starting"),
            "{}",
            brief(&s)
        );
        assert!(s["trading_paused"] != true, "{}", brief(&s));
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "not enough round trips: {}",
            brief(&s)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (code, stop) = call(&app, "POST", "/api/v1/run/stop", json!({})).await;
    assert_eq!(code, StatusCode::OK, "{stop}");
    let (_, res) = call(&app, "GET", "/api/v1/results", Value::Null).await;
    let orders = res["orders"].as_array().unwrap();
    assert!(
        orders.iter().all(|o| o["status"] != "rejected"),
        "a rejected order: {}",
        res["orders"]
    );
    assert!(
        checked.len() >= 10,
        "balances compared at only {} fill counts: {checked:?}",
        checked.len()
    );
    // Every fill is one of the exchange's trades, with its commission in the asset it was charged.
    let trades = f.trades.lock().unwrap().clone();
    let fills = res["trades"].as_array().unwrap();
    assert_eq!(fills.len(), trades.len());
    assert!(fills.len() >= 20);
    for (fill, t) in fills.iter().zip(&trades) {
        assert_eq!(fill["size"].as_f64().unwrap(), t.qty);
        assert_eq!(fill["price"].as_f64().unwrap(), t.price);
        assert_eq!(fill["fee"].as_f64().unwrap(), t.commission);
        assert_eq!(fill["fee_asset"], t.commission_asset.as_str());
        let expected = if t.buyer { "BTC" } else { "USDT" };
        assert_eq!(t.commission_asset, expected);
        let value = if t.buyer { t.commission * t.price } else { t.commission };
        close(fill["commission"].as_f64().unwrap(), value, "fee value");
    }
    // What is left is dust below one lot step, and it was never offered for sale.
    let btc = f.total("BTC");
    assert!(btc < LOT, "{btc} BTC left");
    assert!(f.orders.lock().unwrap().iter().all(|o| o.status == "FILLED"));
    let fees = &res["performance_metrics"]["fees_by_asset"];
    assert!(
        fees["BTC"].as_f64().unwrap() > 0.0 && fees["USDT"].as_f64().unwrap() > 0.0,
        "{fees}"
    );
    assert_eq!(orders[0]["fee_asset"], "BTC");
    close(
        res["final_value"].as_f64().unwrap(),
        f.total("USDT") + btc * fills.last().unwrap()["price"].as_f64().unwrap(),
        "final value",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bnb_fees_leave_the_position_whole_and_count_at_bnbs_price() {
    let (origin, f, app, _d) = setup(200, 1000.0, 20);
    f.set_balance("BNB", 1.0);
    f.bnb_fees.store(true, Ordering::SeqCst);
    let (code, _) = call(
        &app,
        "POST",
        "/api/v1/run/live",
        live(&origin, "BuyAndHold", json!({}), 1000.0, json!({})),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let s = wait_for(&app, "the entry", 20, |s| s["trade_count"] == 1).await;
    let t = f.trades.lock().unwrap()[0].clone();
    assert_eq!(t.commission_asset, "BNB");
    close(position(&s), f.total("BTC"), "BTC");
    close(position(&s), t.qty, "the whole quantity is held");
    close(s["cash"].as_f64().unwrap(), f.total("USDT"), "cash");
    let fill = &s["recent_trades"][0];
    assert_eq!(fill["fee_asset"], "BNB");
    close(
        fill["commission"].as_f64().unwrap(),
        t.commission * BNB_PRICE,
        "BNB fee valued in USDT",
    );
    // The run's value is net of the BNB it paid.
    let last = s["positions"][0]["last_price"].as_f64().unwrap();
    close(
        s["value"].as_f64().unwrap(),
        f.total("USDT") + t.qty * last - t.commission * BNB_PRICE,
        "value",
    );
    call(&app, "POST", "/api/v1/run/stop", json!({})).await;
    let (_, res) = call(&app, "GET", "/api/v1/results", Value::Null).await;
    assert_eq!(
        res["performance_metrics"]["fees_by_asset"]["BNB"].as_f64(),
        Some(t.commission)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_storm_pauses_after_three_and_resume_trades_again() {
    // 2 USDT cannot pay for a 0.01 BTC entry: the exchange refuses it every time.
    let (origin, f, app, _d) = setup(300, 2.0, 20);
    let (code, _) = call(
        &app,
        "POST",
        "/api/v1/run/live",
        // Signals an entry whenever the close is above its 2-bar average: again and again.
        live(
            &origin,
            "TestStrategy",
            json!({"period": 2, "size": 0.01}),
            1000.0,
            json!({}),
        ),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let (code, body) = call(&app, "POST", "/api/v1/run/resume", json!({})).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("NOT_PAUSED"))
    );
    let s = wait_for(&app, "the pause", 20, |s| s["trading_paused"] == true).await;
    assert_eq!(s["status"], "running");
    assert!(
        s["pause_reason"]
            .as_str()
            .unwrap()
            .contains("3 consecutive rejected orders"),
        "{s}"
    );
    let events = s["risk_events"].as_array().unwrap();
    assert_eq!(events.last().unwrap()["rule"], "max_consecutive_rejections");
    // Nothing more is sent while paused, bar after bar.
    let posts = f.posts.lock().unwrap().len();
    assert_eq!(posts, 3);
    let cursor = f.cursor.load(Ordering::SeqCst);
    while f.cursor.load(Ordering::SeqCst) < cursor + 10 * 60_000 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(f.posts.lock().unwrap().len(), 3, "orders sent while paused");
    // Money arrives; resuming trades again.
    f.set_balance("USDT", 100_000.0);
    let (code, body) = call(&app, "POST", "/api/v1/run/resume", json!({})).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let s = wait_for(&app, "the entry after resuming", 20, |s| s["trade_count"] == 1).await;
    assert_eq!(s["trading_paused"], false);
    call(&app, "POST", "/api/v1/run/stop", json!({})).await;
    let (code, body) = call(&app, "POST", "/api/v1/run/resume", json!({})).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("NO_ACTIVE_RUN"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_drawdown_closes_a_live_position_and_stops_the_run() {
    let (origin, f, app, _d) = setup(300, 1000.0, 20);
    // The entry's 0.1% fee alone is a 0.1% drawdown.
    let (code, r) = call(
        &app,
        "POST",
        "/api/v1/run/live",
        live(
            &origin,
            "BuyAndHold",
            json!({}),
            1000.0,
            json!({"max_drawdown": 0.0005}),
        ),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    let s = wait_for(&app, "the risk stop", 20, |s| s["status"] == "stopped").await;
    assert_eq!(s["stop_reason"], "RISK_MAX_DRAWDOWN", "{s}");
    let (_, res) = call(&app, "GET", "/api/v1/results", Value::Null).await;
    assert_eq!(res["stop_reason"], "RISK_MAX_DRAWDOWN");
    let ev = &res["risk_events"][0];
    assert_eq!(
        (ev["rule"].as_str(), ev["action"].as_str()),
        (Some("max_drawdown"), Some("liquidate"))
    );
    let sides: Vec<&str> = res["trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["side"].as_str().unwrap())
        .collect();
    assert_eq!(sides, vec!["buy", "sell"]);
    assert!(f.total("BTC") < LOT, "sold what was held: {}", f.total("BTC"));
    assert!(res["orders"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["status"] == "filled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_balance_that_differs_is_corrected_to_the_exchange_and_listed() {
    let (origin, f, app, _d) = setup(300, 1000.0, 20);
    let (code, _) = call(
        &app,
        "POST",
        "/api/v1/run/live",
        live(
            &origin,
            "MovingAverageCross",
            json!({"fast_period": 2, "slow_period": 3}),
            1000.0,
            json!({}),
        ),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    wait_for(&app, "a position", 20, |s| position(s) > LOT).await;
    // Hold the market still; someone sells half the BTC by hand; the stream drops and reconnects.
    f.stream_until.store(0, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = position(&detailed(&app).await);
    {
        let mut b = f.balances.lock().unwrap();
        let btc = b.get_mut("BTC").unwrap();
        btc.0 = (btc.0 / 2.0 * 1e8).round() / 1e8;
    }
    assert!(before > 0.0 && f.total("BTC") < before);
    f.drop_after.store(1, Ordering::SeqCst);
    f.stream_until.store(T0 + 300 * 60_000, Ordering::SeqCst);
    let s = wait_for(&app, "the correction", 20, |s| {
        s["attention"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["kind"] == "balance"))
    })
    .await;
    let item = s["attention"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "balance")
        .unwrap()
        .clone();
    assert!(
        item["detail"]
            .as_str()
            .unwrap()
            .contains("the exchange's amount is used"),
        "{item}"
    );
    assert!(item["amount"].as_f64().unwrap() < 0.0, "{item}");
    // From then on the engine's books follow the account, and nothing is rejected.
    let s = wait_for(&app, "books equal to the account", 20, |s| {
        (position(s) - f.total("BTC")).abs() < LOT
    })
    .await;
    assert!(
        s["recent_orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] != "rejected"),
        "{}",
        brief(&s)
    );
    call(&app, "POST", "/api/v1/run/stop", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risk_values_are_checked_and_documented() {
    let (origin, _f, app, _d) = setup(10, 1000.0, 20);
    let (code, body) = call(
        &app,
        "POST",
        "/api/v1/run/backtest",
        json!({"strategy_name": "BuyAndHold", "symbols": ["BTC/USDT"], "timeframe": "1h", "risk": {"max_drawdown": 2}}),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["field"], "risk.max_drawdown");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("from 0.0001 to 1"),
        "{body}"
    );
    let (code, body) = call(
        &app,
        "POST",
        "/api/v1/run/live",
        live(&origin, "BuyAndHold", json!({}), 1000.0, json!({"cooldown": 3})),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("cooldown_bars"),
        "{body}"
    );
    let (_, meta) = call(&app, "GET", "/api/v1/meta", Value::Null).await;
    let keys: Vec<&str> = meta["risk_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    for k in [
        "max_drawdown",
        "max_daily_loss",
        "max_position_value",
        "max_open_orders",
        "cooldown_bars",
        "max_consecutive_rejections",
    ] {
        assert!(keys.contains(&k), "{k} missing from /meta: {keys:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_drawdown_in_a_sim_paper_run() {
    let dir = tempfile::tempdir().unwrap();
    let runner = RunnerHandle::spawn(dir.path().to_path_buf());
    let app = router(ApiState::new(runner, ApiSettings::default()));
    let (code, r) = call(
        &app,
        "POST",
        "/api/v1/run/live",
        json!({"strategy_name": "BuyAndHold", "symbols": ["BTC/USDT"], "timeframe": "1m", "exchange": "sim", "mode": "paper",
               "exchange_config": {"speed": 6000}, "risk": {"max_drawdown": 0.0005}}),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    let s = wait_for(&app, "the risk stop", 30, |s| s["status"] == "stopped").await;
    assert_eq!(s["stop_reason"], "RISK_MAX_DRAWDOWN");
    let (_, res) = call(&app, "GET", "/api/v1/results", Value::Null).await;
    assert!(res["positions"].as_array().unwrap().is_empty(), "{}", res["positions"]);
    assert_eq!(res["trades"].as_array().unwrap().len(), 2);
    assert_eq!(res["risk_events"][0]["rule"], "max_drawdown");
}

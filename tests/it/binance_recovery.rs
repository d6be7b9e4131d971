//! Restart after a crash during a live run: unfinished orders are looked up on Binance by client order
//! id, their real state recorded and listed as needing attention; nothing is placed or cancelled.

use crate::common;

use crate::common::fake_binance::{fake, FakeOrder, API_KEY, SECRET};
use cracktrader::exchange::binance::trade::client_order_id;
use cracktrader::run::config::{self, Mode, RunRequest};
use cracktrader::run::results::OrderRecord;
use cracktrader::runner::WorkerEvent;
use cracktrader::store::writer::{self, WriterStats};
use cracktrader::store::Store;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::sync::Arc;

const RUN: &str = "run-20260101-120000-abcd";

fn order(id: &str, status: &str) -> OrderRecord {
    OrderRecord {
        id: id.into(),
        symbol: "BTC/USDT".into(),
        side: "buy".into(),
        order_type: "market".into(),
        amount: 0.001,
        price: None,
        stop_price: None,
        status: status.into(),
        filled: 0.0,
        average_price: None,
        reason: None,
        fee: 0.0,
        fee_asset: None,
        created_at: "2026-01-01T12:00:00Z".into(),
        updated_at: "2026-01-01T12:00:00Z".into(),
    }
}

/// A live run that died after recording two working orders.
fn crashed_run(dir: &std::path::Path, origin: &str) {
    let req = RunRequest {
        mode: Mode::Live,
        exchange: "binance".into(),
        exchange_config: json!({"apiKey": "k", "secret": "s", "sandbox": true, "urls": {"rest": origin}})
            .as_object()
            .unwrap()
            .clone(),
        ..RunRequest::backtest("BuyAndHold", &["BTC/USDT"], "1m")
    };
    let cfg = config::validate(&req, &["binance".into()]).unwrap();
    let store = Store::open(&Store::db_path(dir)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (fwd, _keep) = tokio::sync::mpsc::unbounded_channel();
    let w = std::thread::spawn(move || writer::run(store, rx, fwd, Arc::new(WriterStats::default())));
    tx.send((
        1,
        WorkerEvent::Begin {
            run_id: RUN.into(),
            config: Box::new(cfg),
            start_time: "2026-01-01T12:00:00.000Z".into(),
        },
    ))
    .unwrap();
    tx.send((1, WorkerEvent::Running)).unwrap();
    tx.send((1, WorkerEvent::Order(order("1", "accepted"), 1))).unwrap();
    tx.send((1, WorkerEvent::Order(order("2", "submitted"), 2))).unwrap();
    drop(tx);
    w.join().unwrap();
}

fn serve(dir: &std::path::Path, creds: bool) -> (std::process::Child, String) {
    let mut cmd = common::bin();
    cmd.arg("--data-dir")
        .arg(dir)
        .args(["serve", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if creds {
        cmd.env("BINANCE_API_KEY", API_KEY).env("BINANCE_SECRET", SECRET);
    } else {
        cmd.env_remove("BINANCE_API_KEY").env_remove("BINANCE_SECRET");
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (
        child,
        line.trim().trim_start_matches("listening on http://").to_string(),
    )
}

fn get(addr: &str, path: &str) -> Value {
    serde_json::from_str(&common::http(addr, "GET", path, "").1).unwrap_or(Value::Null)
}

#[test]
fn unfinished_live_orders_are_checked_on_binance_after_a_crash() {
    let (origin, f) = fake();
    // Order 1 reached Binance and filled; order 2 never got there.
    f.orders.lock().unwrap().push(FakeOrder {
        order_id: 77,
        client_id: client_order_id(RUN, 1),
        symbol: "BTCUSDT".into(),
        side: "BUY".into(),
        kind: "MARKET".into(),
        qty: "0.001".into(),
        price: None,
        stop: None,
        status: "FILLED".into(),
        executed: 0.001,
        quote: 42.0,
        locked: 0.0,
    });
    let d = tempfile::tempdir().unwrap();
    crashed_run(d.path(), &origin);
    let (mut child, addr) = serve(d.path(), true);
    let detailed = get(&addr, "/api/v1/status/detailed");
    let attention = detailed["attention"].as_array().unwrap();
    assert_eq!(attention.len(), 2, "{detailed}");
    let one = attention.iter().find(|a| a["order_id"] == "1").unwrap();
    assert_eq!(
        (one["exchange_status"].as_str(), one["filled"].as_f64()),
        (Some("FILLED"), Some(0.001))
    );
    assert_eq!(one["client_order_id"], client_order_id(RUN, 1).as_str());
    assert!(one["detail"].as_str().unwrap().contains("filled on Binance"), "{one}");
    let two = attention.iter().find(|a| a["order_id"] == "2").unwrap();
    assert_eq!(two["exchange_status"], "NOT_FOUND");
    // The records now hold the real state; the run is failed/interrupted.
    let run = get(&addr, &format!("/api/v1/runs/{RUN}"));
    assert_eq!(
        (run["status"].as_str(), run["error"].as_str()),
        (Some("failed"), Some("interrupted"))
    );
    let orders = run["orders"].as_array().unwrap();
    assert_eq!(
        (orders[0]["status"].as_str(), orders[0]["filled"].as_f64()),
        (Some("filled"), Some(0.001))
    );
    assert!(orders[0]["reason"].as_str().unwrap().contains("Binance says FILLED"));
    assert_eq!(orders[1]["status"], "rejected");
    // Nothing was placed or cancelled.
    assert!(f.posts.lock().unwrap().is_empty());
    assert_eq!(f.orders.lock().unwrap()[0].status, "FILLED");
    child.kill().ok();
    child.wait().ok();

    // Without credentials the orders cannot be checked, and the screen says how to check them.
    let d2 = tempfile::tempdir().unwrap();
    crashed_run(d2.path(), &origin);
    let (mut child, addr) = serve(d2.path(), false);
    let detailed = get(&addr, "/api/v1/status/detailed");
    let attention = detailed["attention"].as_array().unwrap();
    assert_eq!(attention.len(), 2);
    assert!(attention
        .iter()
        .all(|a| a["exchange_status"].is_null() && a["detail"].as_str().unwrap().contains("BINANCE_API_KEY")));
    let run = get(&addr, &format!("/api/v1/runs/{RUN}"));
    assert_eq!(
        run["orders"][0]["status"], "accepted",
        "unchecked orders keep their recorded state"
    );
    child.kill().ok();
    child.wait().ok();
}

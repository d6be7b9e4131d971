//! WebSockets against a real server on 127.0.0.1:0 with a tokio-tungstenite client.

use cracktrader::api::{self, auth::ApiKey, ApiSettings, ApiState};
use cracktrader::run::config::{self, RunRequest};
use cracktrader::runner::RunnerHandle;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn server(settings: ApiSettings) -> (SocketAddr, RunnerHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let runner = RunnerHandle::spawn(dir.path().to_path_buf());
    let listener = api::bind("127.0.0.1:0".parse().unwrap(), &settings).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(api::serve(
        listener,
        ApiState::new(runner.clone(), settings),
        std::future::pending(),
    ));
    (addr, runner, dir)
}

async fn open() -> (SocketAddr, RunnerHandle, tempfile::TempDir) {
    server(ApiSettings {
        rate_limit: 0,
        ..ApiSettings::default()
    })
    .await
}

async fn connect(addr: SocketAddr, path: &str) -> Ws {
    tokio_tungstenite::connect_async(format!("ws://{addr}{path}"))
        .await
        .expect("websocket connects")
        .0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next JSON text message, or None after `wait`.
async fn next(ws: &mut Ws, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return Some(serde_json::from_str(t.as_str()).unwrap()),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

async fn recv(ws: &mut Ws) -> Value {
    next(ws, Duration::from_secs(10)).await.expect("a message within 10 s")
}

fn config(strategy: &str, symbols: &[&str], tf: &str, start: &str, end: &str) -> config::RunConfig {
    config::validate(
        &RunRequest::backtest(strategy, symbols, tf).between(start, end),
        &["sim".to_string()],
    )
    .unwrap()
}

#[tokio::test]
async fn subscribe_and_receive_every_channel_during_a_run() {
    let (addr, runner, _d) = open().await;
    let mut ws = connect(addr, "/api/v1/ws").await;
    for c in ["orders", "trades", "status", "equity", "ticker", "logs"] {
        send(&mut ws, json!({"action": "subscribe", "channel": c})).await;
        let ack = recv(&mut ws).await;
        assert_eq!(
            (ack["type"].as_str(), ack["channel"].as_str()),
            (Some("subscribed"), Some(c))
        );
    }
    runner
        .start(config(
            "MovingAverageCross",
            &["BTC/USDT"],
            "1h",
            "2024-01-01",
            "2024-04-01",
        ))
        .await
        .unwrap();
    let mut seen = std::collections::HashMap::<String, Vec<Value>>::new();
    let mut last_seq = 0;
    loop {
        let m = recv(&mut ws).await;
        let channel = m["channel"]
            .as_str()
            .unwrap_or_else(|| panic!("push without channel: {m}"))
            .to_string();
        // Every push is numbered in publishing order.
        let seq = m["seq"].as_u64().unwrap_or_else(|| panic!("push without seq: {m}"));
        assert!(seq > last_seq, "seq {seq} after {last_seq}");
        last_seq = seq;
        let done = channel == "status" && m["data"]["status"] == "completed";
        seen.entry(channel).or_default().push(m["data"].clone());
        if done {
            break;
        }
    }
    let order = &seen["orders"][0];
    for k in ["order_id", "status", "symbol", "side", "amount", "price", "timestamp"] {
        assert!(order.get(k).is_some(), "orders push lacks {k}: {order}");
    }
    assert!(order["timestamp"].is_i64(), "timestamp is epoch ms");
    assert!(seen["orders"]
        .iter()
        .any(|o| o["status"] == "filled" && o["price"].is_number()));
    let trade = &seen["trades"][0];
    for k in [
        "id",
        "order_id",
        "timestamp",
        "symbol",
        "side",
        "size",
        "price",
        "value",
        "commission",
    ] {
        assert!(trade.get(k).is_some(), "trades push lacks {k}");
    }
    assert!(seen["equity"][0]["value"].is_number());
    assert_eq!(seen["ticker"][0]["symbol"], "BTC/USDT");
    assert!(seen["logs"]
        .iter()
        .any(|l| l["message"].as_str().unwrap().contains("starting")));
    // Nothing lost: every fill of the run was pushed.
    let results = runner.snapshot().results.clone().unwrap();
    assert_eq!(seen["trades"].len(), results.trades.len());
}

#[tokio::test]
async fn eleventh_subscription_and_malformed_input_keep_the_connection() {
    let (addr, _runner, _d) = open().await;
    let mut ws = connect(addr, "/api/v1/ws").await;
    for i in 0..10 {
        send(
            &mut ws,
            json!({"action": "subscribe", "channel": "ticker", "symbol": format!("S{i}/USDT")}),
        )
        .await;
        assert_eq!(recv(&mut ws).await["type"], "subscribed");
    }
    send(&mut ws, json!({"action": "subscribe", "channel": "orders"})).await;
    let e = recv(&mut ws).await;
    assert_eq!(
        (e["type"].as_str(), e["error"]["code"].as_str()),
        (Some("error"), Some("SUBSCRIPTION_LIMIT"))
    );
    ws.send(Message::text("{{{ not json")).await.unwrap();
    assert_eq!(recv(&mut ws).await["error"]["code"], "INVALID_MESSAGE");
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(recv(&mut ws).await["error"]["code"], "INVALID_MESSAGE");
    send(&mut ws, json!({"action": "subscribe", "channel": "weather"})).await;
    assert_eq!(recv(&mut ws).await["error"]["code"], "INVALID_CHANNEL");
    send(&mut ws, json!({"action": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");
    send(
        &mut ws,
        json!({"action": "unsubscribe", "channel": "ticker", "symbol": "S0/USDT"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["subscriptions"], 9);
    send(&mut ws, json!({"action": "subscribe", "channel": "orders"})).await;
    assert_eq!(recv(&mut ws).await["type"], "subscribed");
}

#[tokio::test]
async fn symbol_filters_and_unsubscribe() {
    let (addr, runner, _d) = open().await;
    let mut ws = connect(addr, "/api/v1/ws").await;
    send(
        &mut ws,
        json!({"action": "subscribe", "channel": "trades", "symbol": "eth/usdt"}),
    )
    .await;
    recv(&mut ws).await;
    send(&mut ws, json!({"action": "subscribe", "channel": "status"})).await;
    recv(&mut ws).await;
    runner
        .start(config(
            "BuyAndHold",
            &["BTC/USDT", "ETH/USDT"],
            "1h",
            "2024-01-01",
            "2024-01-10",
        ))
        .await
        .unwrap();
    let mut trades = Vec::new();
    loop {
        let m = recv(&mut ws).await;
        if m["channel"] == "trades" {
            trades.push(m["data"].clone());
        }
        if m["channel"] == "status" && m["data"]["status"] == "completed" {
            break;
        }
    }
    assert_eq!(trades.len(), 1, "only the ETH/USDT fill: {trades:?}");
    assert_eq!(trades[0]["symbol"], "ETH/USDT");
    send(
        &mut ws,
        json!({"action": "unsubscribe", "channel": "trades", "symbol": "ETH/USDT"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["type"], "unsubscribed");
    runner.reset().await.unwrap();
    runner
        .start(config("BuyAndHold", &["ETH/USDT"], "1h", "2024-01-01", "2024-01-10"))
        .await
        .unwrap();
    loop {
        let m = recv(&mut ws).await;
        assert_ne!(m["channel"], "trades", "unsubscribed channel pushed");
        if m["channel"] == "status" && m["data"]["status"] == "completed" {
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_gets_a_resync_and_never_slows_the_engine() {
    let (addr, runner, _d) = open().await;
    let mut slow = connect(addr, "/api/v1/ws").await;
    for c in ["orders", "trades", "equity", "ticker"] {
        send(&mut slow, json!({"action": "subscribe", "channel": c})).await;
        recv(&mut slow).await;
    }
    // A year of one-minute candles: tens of thousands of order and fill events, far more than the
    // event buffer holds while this client is not reading.
    let t = std::time::Instant::now();
    runner
        .start(config(
            "MovingAverageCross",
            &["BTC/USDT"],
            "1m",
            "2023-01-01",
            "2024-01-01",
        ))
        .await
        .unwrap();
    let mut watch = runner.watch();
    while runner.snapshot().status.is_active() {
        tokio::time::timeout(Duration::from_secs(60), watch.changed())
            .await
            .unwrap()
            .unwrap();
    }
    let engine_time = t.elapsed();
    assert_eq!(runner.snapshot().status.as_str(), "completed");
    assert!(engine_time < Duration::from_secs(30), "run took {engine_time:?}");
    let mut resync = None;
    let mut count = 0;
    while let Some(m) = next(&mut slow, Duration::from_secs(2)).await {
        count += 1;
        if m["type"] == "resync" {
            resync = Some(m);
            break;
        }
    }
    let resync = resync.unwrap_or_else(|| panic!("no resync after {count} messages"));
    assert!(resync["missed"].as_u64().unwrap() > 0);
    assert!(
        resync["data"]["status"].is_string(),
        "resync carries the status snapshot"
    );
    // Still usable afterwards.
    send(&mut slow, json!({"action": "ping"})).await;
    while let Some(m) = next(&mut slow, Duration::from_secs(5)).await {
        if m["type"] == "pong" {
            return;
        }
    }
    panic!("no pong after resync");
}

#[tokio::test]
async fn status_stream_pushes_updates() {
    let (addr, runner, _d) = open().await;
    let mut ws = connect(addr, "/api/v1/ws/status").await;
    let first = recv(&mut ws).await;
    assert_eq!(first["type"], "status_update");
    assert_eq!(first["payload"]["status"], "idle");
    assert!(first["timestamp"].is_string());
    runner
        .start(config("BuyAndHold", &["BTC/USDT"], "1h", "2024-01-01", "2024-02-01"))
        .await
        .unwrap();
    loop {
        let m = recv(&mut ws).await;
        assert_eq!(m["type"], "status_update");
        if m["payload"]["status"] == "completed" {
            assert!(m["payload"]["trade_count"].as_u64().unwrap() >= 1);
            break;
        }
    }
}

#[tokio::test]
async fn websocket_needs_the_key_when_auth_is_on() {
    let settings = ApiSettings {
        keys: vec![ApiKey::parse("ws-key-12345").unwrap()],
        rate_limit: 0,
        ..ApiSettings::default()
    };
    let (addr, _runner, _d) = server(settings).await;
    let denied = tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/ws")).await;
    match denied {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
        other => panic!("expected a 401 handshake, got {other:?}"),
    }
    let mut ws = connect(addr, "/api/v1/ws?api_key=ws-key-12345").await;
    send(&mut ws, json!({"action": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{addr}/api/v1/ws/status"
    ))
    .unwrap();
    req.headers_mut().insert("x-api-key", "ws-key-12345".parse().unwrap());
    let (mut st, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(recv(&mut st).await["type"], "status_update");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let runner = RunnerHandle::spawn(dir.path().to_path_buf());
    let settings = ApiSettings {
        rate_limit: 0,
        ws_send_timeout: Duration::from_secs(1),
        ..ApiSettings::default()
    };
    let listener = api::bind("127.0.0.1:0".parse().unwrap(), &settings).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = ApiState::new(runner.clone(), settings);
    tokio::spawn(api::serve(listener, state.clone(), std::future::pending()));
    // A client with a tiny receive window that subscribes to everything, then never reads again.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (mut slow, _) = tokio_tungstenite::client_async(format!("ws://{addr}/api/v1/ws"), stream)
        .await
        .unwrap();
    for c in ["orders", "trades", "equity", "ticker", "status"] {
        send(&mut slow, json!({"action": "subscribe", "channel": c})).await;
        recv(&mut slow).await;
    }
    let gauge = || state.metrics.ws_connections.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(gauge(), 1);
    // Paper trading on sim at the highest speed: thousands of bars a second, without end.
    let mut paper = RunRequest::backtest("MovingAverageCross", &["BTC/USDT"], "1m");
    paper.mode = config::Mode::Paper;
    paper.strategy_params = json!({"fast_period": 2, "slow_period": 3}).as_object().unwrap().clone();
    paper.exchange_config = json!({"speed": 1_000_000}).as_object().unwrap().clone();
    runner
        .start(config::validate(&paper, &["sim".to_string()]).unwrap())
        .await
        .unwrap();
    let t = std::time::Instant::now();
    while gauge() > 0 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the server kept a client that never reads"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Reading now drains what was in flight and then ends; it does not go on.
    let mut ended = false;
    while let Ok(m) = tokio::time::timeout(Duration::from_secs(5), slow.next()).await {
        match m {
            Some(Ok(Message::Close(frame))) => {
                if let Some(f) = frame {
                    assert_eq!(u16::from(f.code), 1008, "{f:?}");
                }
                ended = true;
                break;
            }
            Some(Ok(_)) => {}
            None | Some(Err(_)) => {
                ended = true;
                break;
            }
        }
    }
    assert!(ended, "the connection was closed, not left open");
    let t = std::time::Instant::now();
    runner.stop().await.unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "stop took {:?}", t.elapsed());
}

/// The `optimize` channel pushes an optimize run's finished combinations in batches, with progress;
/// together they are every completed combination exactly once.
#[tokio::test]
async fn the_optimize_channel_pushes_finished_combinations_in_batches() {
    let (addr, runner, _d) = open().await;
    let mut ws = connect(addr, "/api/v1/ws").await;
    send(&mut ws, json!({"action": "subscribe", "channel": "optimize"})).await;
    assert_eq!(recv(&mut ws).await["type"], "subscribed");
    let req: cracktrader::run::request::OptimizeRequest = serde_json::from_value(json!({
        "strategy_name": "MovingAverageCross",
        "symbols": ["BTC/USDT"],
        "timeframe": "1h",
        "start_date": "2024-01-01",
        "end_date": "2024-06-01",
        "grid": {"fast_period": {"start": 2, "end": 11}, "slow_period": [20, 30, 40]}
    }))
    .unwrap();
    runner.start_optimize(req).await.unwrap();
    let mut params = std::collections::HashSet::new();
    let mut batches = 0;
    let mut last_completed = 0;
    while last_completed < 30 {
        let m = recv(&mut ws).await;
        assert_eq!(m["channel"], "optimize", "{m}");
        let d = &m["data"];
        assert_eq!(d["combinations"], 30);
        let completed = d["completed"].as_u64().unwrap();
        assert!(completed >= last_completed);
        last_completed = completed;
        for c in d["results"].as_array().unwrap() {
            assert!(c["metrics"].is_object() && c["final_value"].is_number());
            assert!(params.insert(c["params"].to_string()), "each combination once");
        }
        batches += 1;
    }
    assert_eq!(params.len(), 30);
    assert!(batches <= 30, "batched: {batches}");
}

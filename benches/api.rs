//! Web API benchmarks (`cargo bench --bench api`), all on loopback in one process:
//! - GET /api/v1/status throughput and p99 latency while backtests run, against a bare axum handler
//!   returning a body of the same size, measured in the same run (the ratio is the API's overhead);
//! - WebSocket fan-out: 200 clients subscribed to trades while a backtest fills; delivery latency p99
//!   (from the runner's broadcast to each client) and whether anything was lost.

use axum::routing::get;
use cracktrader::api::{self, ApiSettings, ApiState};
use cracktrader::run::config::{self, RunRequest};
use cracktrader::runner::events::Event;
use cracktrader::runner::RunnerHandle;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CONNECTIONS: usize = 16;
const WINDOW: Duration = Duration::from_secs(3);
const WS_CLIENTS: usize = 200;

fn config(tf: &str, start: &str, end: &str, symbols: &[&str]) -> config::RunConfig {
    let req = RunRequest::backtest("MovingAverageCross", symbols, tf).between(start, end);
    config::validate(&req, &["sim".to_string()]).expect("valid")
}

/// One keep-alive HTTP/1.1 connection issuing GETs back to back; returns per-request latencies.
async fn client(addr: SocketAddr, path: &'static str, until: Instant) -> Vec<Duration> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.set_nodelay(true).ok();
    let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    let mut buf = vec![0u8; 64 * 1024];
    let mut lat = Vec::new();
    while Instant::now() < until {
        let t = Instant::now();
        s.write_all(req.as_bytes()).await.expect("write");
        let mut have = 0;
        loop {
            let n = s.read(&mut buf[have..]).await.expect("read");
            assert!(n > 0, "server closed the connection");
            have += n;
            let text = &buf[..have];
            if let Some(h) = text.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&text[..h]).unwrap_or("");
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if have >= h + 4 + len {
                    break;
                }
            }
        }
        lat.push(t.elapsed());
    }
    lat
}

async fn load(addr: SocketAddr, path: &'static str) -> (f64, Duration, Duration) {
    let until = Instant::now() + WINDOW;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(client(addr, path, until)))
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client task"));
    }
    all.sort();
    let rps = all.len() as f64 / WINDOW.as_secs_f64();
    (rps, all[all.len() / 2], all[all.len() * 99 / 100])
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let runner = RunnerHandle::spawn(dir.path().to_path_buf());
        let settings = ApiSettings { rate_limit: 0, ..ApiSettings::default() };
        let listener = api::bind("127.0.0.1:0".parse().unwrap(), &settings).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        tokio::spawn(api::serve(listener, ApiState::new(runner.clone(), settings), std::future::pending()));

        // A bare axum handler returning a body as large as a running /status.
        let body: &'static str = Box::leak(serde_json::to_string(&runner.snapshot().status_response()).unwrap().repeat(2).into_boxed_str());
        let bare = axum::Router::new().route("/status", get(move || async move { ([("content-type", "application/json")], body) }));
        let bare_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let bare_addr = bare_listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(bare_listener, bare).await });

        // Keep backtests running for the whole measurement.
        let busy = Arc::new(AtomicBool::new(true));
        let keep = busy.clone();
        let r2 = runner.clone();
        let mut runs = 0u32;
        let driver = tokio::spawn(async move {
            while keep.load(Ordering::Relaxed) {
                if !r2.snapshot().status.is_active() {
                    let _ = r2.reset().await;
                    if r2.start(config("1m", "2022-01-01", "2023-01-01", &["BTC/USDT", "ETH/USDT"])).await.is_ok() {
                        runs += 1;
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            runs
        });
        tokio::time::sleep(Duration::from_millis(300)).await;

        let (api_rps, api_p50, api_p99) = load(addr, "/api/v1/status").await;
        let (bare_rps, bare_p50, bare_p99) = load(bare_addr, "/status").await;
        busy.store(false, Ordering::Relaxed);
        let runs = driver.await.unwrap_or(0);
        println!("GET /status on loopback, {CONNECTIONS} keep-alive connections, {WINDOW:?} each, while backtests ran ({runs} started):");
        println!("  cracktrader  {api_rps:>9.0} req/s   p50 {api_p50:>9.2?}   p99 {api_p99:>9.2?}");
        println!("  bare axum    {bare_rps:>9.0} req/s   p50 {bare_p50:>9.2?}   p99 {bare_p99:>9.2?}");
        println!(
            "  ratio (cracktrader / bare): throughput {:.2}x, p99 latency {:.2}x",
            api_rps / bare_rps,
            api_p99.as_secs_f64() / bare_p99.as_secs_f64()
        );
        while runner.snapshot().status.is_active() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = runner.reset().await;

        // WebSocket fan-out.
        let mut clients = Vec::new();
        for _ in 0..WS_CLIENTS {
            let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/ws")).await.expect("ws connect");
            ws.send(tokio_tungstenite::tungstenite::Message::text(r#"{"action":"subscribe","channel":"trades"}"#)).await.expect("send");
            let _ack = ws.next().await;
            clients.push(ws);
        }
        // In-process subscriber: which trades the runner published, and when.
        let mut tap = runner.subscribe();
        let tap_task = tokio::spawn(async move {
            let mut sent: HashMap<String, Instant> = HashMap::new();
            loop {
                match tap.recv().await.map(|p| (p.event.clone(), p.at)) {
                    Ok((Event::Trades(t), at)) => {
                        sent.insert(t.id.clone(), at);
                    }
                    Ok((Event::Status(s), _)) if s.status.as_str() == "completed" => break,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
            sent
        });
        let readers: Vec<_> = clients
            .into_iter()
            .map(|mut ws| {
                tokio::spawn(async move {
                    let mut got: Vec<(String, Instant)> = Vec::new();
                    let mut resyncs = 0;
                    while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(2), ws.next()).await {
                        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
                            // Stamp first, then a cheap scan: the clients share the server's two cores.
                            let at = Instant::now();
                            let t = t.as_str();
                            if t.contains("\"type\":\"resync\"") {
                                resyncs += 1;
                            } else if let Some(rest) = t.split("\"id\":\"").nth(1) {
                                got.push((rest.split('"').next().unwrap_or("").to_string(), at));
                            }
                        }
                    }
                    (got, resyncs)
                })
            })
            .collect();
        runner.start(config("1m", "2024-01-01", "2024-01-15", &["BTC/USDT"])).await.expect("start");
        let sent = tap_task.await.expect("tap");
        let mut lat = Vec::new();
        let (mut complete, mut resyncs) = (0, 0);
        for r in readers {
            let (got, rs) = r.await.expect("reader");
            resyncs += rs;
            if got.len() == sent.len() {
                complete += 1;
            }
            for (id, at) in got {
                if let Some(t0) = sent.get(&id) {
                    lat.push(at.saturating_duration_since(*t0));
                }
            }
        }
        lat.sort();
        let p = |q: f64| lat.get(((lat.len() as f64 - 1.0) * q) as usize).copied().unwrap_or_default();
        println!("\nWebSocket fan-out: {WS_CLIENTS} clients subscribed to trades, {} fills in one backtest burst:", sent.len());
        println!("  delivered {} messages; clients that received every fill: {complete}/{WS_CLIENTS}; resyncs: {resyncs}", lat.len());
        println!("  delivery latency p50 {:.2?}, p99 {:.2?}, max {:.2?}", p(0.5), p(0.99), p(1.0));
    });
}

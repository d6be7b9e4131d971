//! Where the dashboard's data comes from and where its commands go: the runner in this process, or a
//! server elsewhere over REST + WebSocket. Both feed the same `Action`s, so the screen cannot tell.

use super::action::{Action, Connection, RunView, StrategyEntry};
use super::http::{Client, HttpError};
use crate::engine::strategy::params::{ParamSpec, ParamType};
use crate::run::config::RunRequest;
use crate::run::error::RunError;
use crate::run::request::ApiRunRequest;
use crate::run::results::ResultsResponse;
use crate::runner::events::Event;
use crate::runner::status::Snapshot;
use crate::runner::RunResponse;
use crate::runner::RunnerHandle;
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::UnboundedSender;

#[derive(Clone)]
pub enum Backend {
    Local(RunnerHandle),
    Remote(Client),
}

pub fn view_of(s: &Snapshot) -> RunView {
    RunView {
        status: s.status_response(),
        positions: s.positions.clone(),
        equity_curve: s.equity.clone(),
        performance_metrics: s.metrics.clone(),
        recent_trades: s.recent_trades.iter().rev().cloned().collect(),
        recent_orders: s.recent_orders.iter().rev().cloned().collect(),
        attention: s.attention.clone(),
        risk_events: s.risk_events.iter().cloned().collect(),
    }
}

/// Why a dashboard command did not happen; shown as the toast.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The runner refused (busy, invalid request, nothing to stop...).
    #[error("{code}: {message}")]
    Refused { code: &'static str, message: String },
    #[error(transparent)]
    Remote(#[from] HttpError),
    #[error("run history is off")]
    NoHistory,
    #[error("no run '{0}'")]
    NoRun(String),
    #[error("run history: {0}")]
    Store(String),
}

impl From<RunError> for BackendError {
    fn from(e: RunError) -> Self {
        BackendError::Refused {
            code: e.code.as_str(),
            message: e.message,
        }
    }
}

/// Runs a history query off the async threads.
async fn with_store<T: Send + 'static>(
    runner: &RunnerHandle,
    f: impl FnOnce(&crate::store::Store) -> Result<T, BackendError> + Send + 'static,
) -> Result<T, BackendError> {
    let store = runner.store.clone().ok_or(BackendError::NoHistory)?;
    tokio::task::spawn_blocking(move || {
        let s = store
            .lock()
            .map_err(|_| BackendError::Store("history lock poisoned".into()))?;
        f(&s)
    })
    .await
    .map_err(|e| BackendError::Store(e.to_string()))?
}

impl Backend {
    pub async fn start(&self, req: RunRequest) -> Result<String, BackendError> {
        let r = match self {
            Backend::Local(runner) => runner.start_request(req).await?,
            Backend::Remote(c) => {
                let api = ApiRunRequest::from(&req);
                let v = c.send(Method::POST, api.path(), &api.body()).await?;
                c.decode::<RunResponse>(v)?
            }
        };
        Ok(format!("{} {}", r.run_id.unwrap_or_default(), r.message))
    }

    pub async fn start_optimize(&self, req: crate::run::request::OptimizeRequest) -> Result<String, BackendError> {
        let r = match self {
            Backend::Local(runner) => runner.start_optimize(req).await?,
            Backend::Remote(c) => {
                let v = c.send(Method::POST, "/api/v1/run/optimize", &req).await?;
                c.decode::<RunResponse>(v)?
            }
        };
        Ok(format!("{} {}", r.run_id.unwrap_or_default(), r.message))
    }

    pub async fn resume(&self) -> Result<String, BackendError> {
        match self {
            Backend::Local(r) => Ok(r.resume().await?.message),
            Backend::Remote(c) => simple(c, Method::POST, "/api/v1/run/resume").await,
        }
    }

    pub async fn stop(&self) -> Result<String, BackendError> {
        match self {
            Backend::Local(r) => Ok(r.stop().await?.message),
            Backend::Remote(c) => simple(c, Method::POST, "/api/v1/run/stop").await,
        }
    }

    pub async fn reset(&self) -> Result<String, BackendError> {
        match self {
            Backend::Local(r) => Ok(r.reset().await?.message),
            Backend::Remote(c) => simple(c, Method::DELETE, "/api/v1/run/reset").await,
        }
    }

    pub async fn history(&self) -> Result<Vec<crate::store::RunSummary>, BackendError> {
        match self {
            Backend::Local(r) => {
                with_store(r, |s| {
                    s.list(&crate::store::RunFilter {
                        limit: 200,
                        ..Default::default()
                    })
                    .map_err(|e| BackendError::Store(e.to_string()))
                })
                .await
            }
            Backend::Remote(c) => {
                #[derive(serde::Deserialize)]
                struct Page {
                    runs: Vec<crate::store::RunSummary>,
                }
                Ok(c.get::<Page>("/api/v1/runs?limit=200").await?.runs)
            }
        }
    }

    pub async fn open_run(&self, run_id: String) -> Result<Arc<ResultsResponse>, BackendError> {
        match self {
            Backend::Local(r) => {
                with_store(r, move |s| {
                    s.results(&run_id)
                        .map_err(|e| BackendError::Store(e.to_string()))?
                        .map(Arc::new)
                        .ok_or(BackendError::NoRun(run_id))
                })
                .await
            }
            Backend::Remote(c) => Ok(Arc::new(c.get(&format!("/api/v1/runs/{run_id}")).await?)),
        }
    }

    /// Streams news into the app until the receiver is gone.
    pub async fn feed(self, tx: UnboundedSender<Action>) {
        match self {
            Backend::Local(r) => local_feed(r, tx).await,
            Backend::Remote(c) => remote_feed(c, tx).await,
        }
    }
}

async fn simple(c: &Client, method: Method, path: &str) -> Result<String, BackendError> {
    let v = c.send(method, path, &json!({})).await?;
    Ok(v["message"].as_str().unwrap_or("ok").to_string())
}

fn forward(tx: &UnboundedSender<Action>, e: &Event) -> bool {
    let a = match e {
        Event::Trades(t) => Action::Trade(t.clone()),
        Event::Orders(o) => Action::Order(o.clone()),
        Event::Ticker(t) => Action::Ticker(t.clone()),
        Event::Logs(l) => Action::Log(l.clone()),
        _ => return true,
    };
    tx.send(a).is_ok()
}

async fn local_feed(runner: RunnerHandle, tx: UnboundedSender<Action>) {
    let mut watch = runner.watch();
    let mut events = runner.subscribe();
    let mut sent_results: Option<String> = None;
    let push = |snap: &Arc<Snapshot>, sent: &mut Option<String>| -> bool {
        let mut ok = tx.send(Action::View(Box::new(view_of(snap)))).is_ok();
        if let Some(r) = &snap.results {
            if sent.as_deref() != Some(r.run_id.as_str()) {
                *sent = Some(r.run_id.clone());
                ok &= tx.send(Action::Results(r.clone())).is_ok();
            }
        }
        ok
    };
    let first = watch.borrow_and_update().clone();
    if !push(&first, &mut sent_results) {
        return;
    }
    let mut last_seq: Option<u64> = None;
    loop {
        tokio::select! {
            changed = watch.changed() => {
                if changed.is_err() { return; }
                // Coalesce bursts: at most ~30 views a second reach the screen.
                tokio::time::sleep(Duration::from_millis(33)).await;
                let snap = watch.borrow_and_update().clone();
                if !push(&snap, &mut sent_results) { return; }
            }
            ev = events.recv() => match ev {
                Ok(p) => {
                    // A gap means events were missed: rebuild the logs from the snapshot.
                    let gap = last_seq.is_some_and(|l| p.seq != l + 1);
                    last_seq = Some(p.seq);
                    if gap && tx.send(Action::Resync(Box::new(view_of(&runner.snapshot())))).is_err() {
                        return;
                    }
                    if !forward(&tx, &p.event) { return; }
                }
                Err(RecvError::Lagged(_)) => {
                    last_seq = None;
                    if tx.send(Action::Resync(Box::new(view_of(&runner.snapshot())))).is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    }
}

/// Polls `/status/detailed` and listens on `/ws`; a failure is shown and retried with backoff.
async fn remote_feed(c: Client, tx: UnboundedSender<Action>) {
    let ws_client = c.clone();
    let ws_tx = tx.clone();
    tokio::spawn(async move { remote_ws(ws_client, ws_tx).await });
    let mut backoff = Duration::from_millis(500);
    let mut connected = false;
    let mut fetched_results: Option<String> = None;
    let mut polls = 0u32;
    loop {
        match c.get::<Value>("/api/v1/status/detailed").await {
            Ok(v) => {
                // The server's strategies (its scripts may change): on connecting, then every 5 s.
                if polls.is_multiple_of(10) || !connected {
                    if let Ok(list) = c.get::<Value>("/api/v1/strategies").await {
                        let _ = tx.send(Action::Catalog(server_strategies(&list)));
                    }
                }
                polls = polls.wrapping_add(1);
                if !connected {
                    connected = true;
                    backoff = Duration::from_millis(500);
                    if tx
                        .send(Action::Connection(Connection::Connected(c.base.clone())))
                        .is_err()
                    {
                        return;
                    }
                }
                match serde_json::from_value::<RunView>(v) {
                    Ok(view) => {
                        let finished = !view.status.status.is_active();
                        let run_id = view.status.run_id.clone();
                        if tx.send(Action::View(Box::new(view))).is_err() {
                            return;
                        }
                        if finished && run_id.is_some() && fetched_results != run_id {
                            if let Ok(r) = c.get::<ResultsResponse>("/api/v1/results").await {
                                fetched_results = run_id;
                                let _ = tx.send(Action::Results(Arc::new(r)));
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Action::Error(format!("unexpected status from {}: {e}", c.base)));
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e @ (HttpError::Api { .. } | HttpError::Unexpected { .. })) => {
                let _ = tx.send(Action::Error(format!("{}: {e}", c.base)));
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => {
                let reason = e.to_string();
                connected = false;
                if tx
                    .send(Action::Connection(Connection::Lost {
                        url: c.base.clone(),
                        reason,
                    }))
                    .is_err()
                {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn remote_ws(c: Client, tx: UnboundedSender<Action>) {
    loop {
        let mut url = format!("ws://{}/api/v1/ws", c.authority);
        if let Some(k) = &c.api_key {
            // Keys may hold + / = : sent URL-encoded, as the server decodes them.
            url.push_str("?api_key=");
            url.extend(form_urlencoded::byte_serialize(k.as_bytes()));
        }
        if let Ok(Ok((mut ws, _))) =
            tokio::time::timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(url)).await
        {
            for ch in ["trades", "orders", "ticker", "logs"] {
                let msg = json!({"action": "subscribe", "channel": ch}).to_string();
                if ws
                    .send(tokio_tungstenite::tungstenite::Message::text(msg))
                    .await
                    .is_err()
                {
                    break;
                }
            }
            while let Some(Ok(m)) = ws.next().await {
                let tokio_tungstenite::tungstenite::Message::Text(t) = m else {
                    continue;
                };
                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
                    continue;
                };
                if v["type"] == "resync" {
                    // The server dropped events for us: rebuild the logs from its snapshot.
                    if let Ok(view) = c.get::<RunView>("/api/v1/status/detailed").await {
                        if tx.send(Action::Resync(Box::new(view))).is_err() {
                            return;
                        }
                    }
                    continue;
                }
                let a = match v["channel"].as_str() {
                    Some("trades") => serde_json::from_value(v["data"].clone()).ok().map(Action::Trade),
                    Some("orders") => serde_json::from_value(v["data"].clone()).ok().map(Action::Order),
                    Some("ticker") => serde_json::from_value(v["data"].clone()).ok().map(Action::Ticker),
                    Some("logs") => serde_json::from_value(v["data"].clone()).ok().map(Action::Log),
                    _ => None,
                };
                if let Some(a) = a {
                    if tx.send(a).is_err() {
                        return;
                    }
                }
            }
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The server's `/strategies` answer as the strategy list and the form use it. Parameters the
/// console cannot describe (an unknown type from a newer server) are left out rather than guessed.
pub fn server_strategies(list: &Value) -> Vec<StrategyEntry> {
    let entries = list["strategies"].as_array().map(Vec::as_slice).unwrap_or_default();
    entries
        .iter()
        .filter_map(|s| {
            let name = s["name"].as_str()?.to_string();
            let from = match s["source"].as_str() {
                Some("script") => s["file"].as_str().unwrap_or("script").to_string(),
                _ => "built-in".to_string(),
            };
            let error = (s["status"].as_str() == Some("error"))
                .then(|| s["error"].as_str().unwrap_or("does not load").to_string());
            let params = s["params"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(server_param)
                .collect();
            Some(StrategyEntry {
                name,
                from,
                error,
                params,
            })
        })
        .collect()
}

fn server_param(p: &Value) -> Option<ParamSpec> {
    let mut spec = ParamSpec {
        name: p["name"].as_str()?.to_string().into(),
        ty: ParamType::parse(p["type"].as_str()?)?,
        default: None,
        min: p["min"].as_f64(),
        max: p["max"].as_f64(),
        description: p["description"].as_str().unwrap_or_default().to_string().into(),
        choices: p["choices"]
            .as_array()
            .map(|c| c.iter().filter_map(|o| o.as_str().map(String::from)).collect())
            .unwrap_or_default(),
    };
    // The default is shown as the API takes values (a bool, a choice's name, a number).
    spec.default = match &p["default"] {
        Value::Null => None,
        shown => spec.parse_json(shown).ok()?,
    };
    Some(spec)
}

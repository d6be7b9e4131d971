//! WebSockets. `/ws`: subscribe to channels (orders, trades, status, equity, ticker, logs), optionally
//! per symbol; every client message is answered, malformed ones with an error, never a hang-up.
//! `/ws/status`: a push-only stream of status updates. A client that falls behind is sent a `resync`
//! with the current status and carries on; the engine never waits for anyone. A client that stops
//! reading altogether holds at most `MAX_WRITE_BUFFER` queued bytes and is closed (code 1008) once a
//! write has waited `ApiSettings::ws_send_timeout`.

use crate::api::ApiState;
use crate::run::error::ErrorCode;
use crate::runner::events::Event;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

pub const CHANNELS: [&str; 7] = ["orders", "trades", "status", "equity", "ticker", "logs", "optimize"];
pub const MAX_SUBSCRIPTIONS: usize = 10;
/// Messages written per flush when a burst is queued.
const MAX_BATCH: usize = 256;
/// Bytes a connection may have queued for its client; past this a write fails and the client is
/// dropped (the socket's own kernel buffers come on top).
const MAX_WRITE_BUFFER: usize = 1 << 20;
/// Close code for a client dropped for not reading (RFC 6455 1008: policy violation).
pub const CLOSE_TOO_SLOW: u16 = 1008;

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

/// Why a write did not go through.
enum WriteFailed {
    /// The connection is gone.
    Closed,
    /// The client has not read for the whole timeout.
    TooSlow,
}

/// One write (feed, send or flush) bounded by the send timeout.
async fn bounded<F>(timeout: Duration, write: F) -> Result<(), WriteFailed>
where
    F: std::future::Future<Output = Result<(), axum::Error>>,
{
    match tokio::time::timeout(timeout, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(WriteFailed::Closed),
        Err(_) => Err(WriteFailed::TooSlow),
    }
}

/// Ends a session: a client dropped for not reading is told why, if its socket still takes a frame.
async fn hang_up(tx: &mut Sink, why: WriteFailed, timeout: Duration) {
    if let WriteFailed::TooSlow = why {
        tracing::warn!("websocket client did not read for {timeout:?}: closing");
        let reason = format!("client too slow: nothing read for {} s", timeout.as_secs_f64());
        let close = Message::Close(Some(CloseFrame {
            code: CLOSE_TOO_SLOW,
            reason: Utf8Bytes::from(reason),
        }));
        let _ = tokio::time::timeout(Duration::from_secs(1), tx.send(close)).await;
    }
}

/// Decrements the connection gauge however the session ends.
struct Connected<'a>(&'a ApiState);
impl Drop for Connected<'_> {
    fn drop(&mut self) {
        self.0.metrics.ws_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

fn connected(st: &ApiState) -> Connected<'_> {
    st.metrics.ws_connections.fetch_add(1, Ordering::Relaxed);
    Connected(st)
}

#[derive(Deserialize)]
struct ClientMessage {
    action: String,
    channel: Option<String>,
    symbol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Subscription {
    channel: String,
    symbol: Option<String>,
}

impl Subscription {
    fn matches(&self, e: &Event) -> bool {
        self.channel == e.channel() && self.symbol.as_deref().is_none_or(|s| e.symbol() == Some(s))
    }
}

fn text(v: Value) -> Message {
    Message::Text(Utf8Bytes::from(v.to_string()))
}

/// The REST error envelope, in a frame.
fn error(code: ErrorCode, message: impl Into<String>) -> Message {
    text(json!({"type": "error", "error": {"code": code.as_str(), "message": message.into(), "details": {}}}))
}

/// Applies one client message to the subscription list; returns the reply.
fn handle(raw: &str, subs: &mut Vec<Subscription>) -> Message {
    let msg: ClientMessage = match serde_json::from_str(raw) {
        Ok(m) => m,
        Err(e) => {
            return error(
                ErrorCode::InvalidMessage,
                format!("expected {{\"action\":\"subscribe\"|\"unsubscribe\",\"channel\":C,\"symbol\"?:S}}: {e}"),
            )
        }
    };
    if msg.action == "ping" {
        return text(json!({"type": "pong"}));
    }
    let Some(channel) = msg.channel.filter(|c| CHANNELS.contains(&c.as_str())) else {
        return error(
            ErrorCode::InvalidChannel,
            format!("channel must be one of {}", CHANNELS.join(", ")),
        );
    };
    let symbol = msg
        .symbol
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty());
    let sub = Subscription {
        channel: channel.clone(),
        symbol: symbol.clone(),
    };
    match msg.action.as_str() {
        "subscribe" => {
            if !subs.contains(&sub) {
                if subs.len() >= MAX_SUBSCRIPTIONS {
                    return error(
                        ErrorCode::SubscriptionLimit,
                        format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
                    );
                }
                subs.push(sub);
            }
            text(json!({"type": "subscribed", "channel": channel, "symbol": symbol, "subscriptions": subs.len()}))
        }
        "unsubscribe" => {
            subs.retain(|s| s != &sub);
            text(json!({"type": "unsubscribed", "channel": channel, "symbol": symbol, "subscriptions": subs.len()}))
        }
        other => error(
            ErrorCode::InvalidMessage,
            format!("unknown action '{other}'; use subscribe, unsubscribe or ping"),
        ),
    }
}

pub async fn ws(State(st): State<ApiState>, upgrade: WebSocketUpgrade) -> Response {
    bounded_upgrade(upgrade).on_upgrade(move |socket| session(socket, st))
}

fn bounded_upgrade(upgrade: WebSocketUpgrade) -> WebSocketUpgrade {
    upgrade
        .write_buffer_size(64 * 1024)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
}

async fn session(socket: WebSocket, st: ApiState) {
    let _gauge = connected(&st);
    let timeout = st.settings.ws_send_timeout;
    let (mut tx, mut rx) = socket.split();
    let why = serve_session(&mut tx, &mut rx, &st, timeout).await;
    hang_up(&mut tx, why, timeout).await;
}

async fn serve_session(
    tx: &mut Sink,
    rx: &mut futures_util::stream::SplitStream<WebSocket>,
    st: &ApiState,
    timeout: Duration,
) -> WriteFailed {
    let mut events = st.runner.subscribe();
    let mut subs: Vec<Subscription> = Vec::new();
    loop {
        tokio::select! {
            incoming = rx.next() => {
                let reply = match incoming {
                    Some(Ok(Message::Text(t))) => handle(t.as_str(), &mut subs),
                    Some(Ok(Message::Binary(_))) => error(ErrorCode::InvalidMessage, "send JSON text messages"),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return WriteFailed::Closed,
                    Some(Ok(_)) => continue, // pings are answered by the protocol layer
                };
                if let Err(why) = bounded(timeout, tx.send(reply)).await {
                    return why;
                }
            }
            ev = events.recv() => {
                // Forward this event and whatever else is already queued, then flush once: one write
                // per burst instead of one per message.
                let mut next = Some(ev);
                let mut fed = 0;
                while let Some(ev) = next.take() {
                    let out = match ev {
                        Ok(p) if subs.iter().any(|s| s.matches(&p.event)) => Some(Message::Text(Utf8Bytes::from(p.json.as_str()))),
                        Ok(_) => None,
                        Err(RecvError::Lagged(missed)) => {
                            let status = st.runner.snapshot().status_response();
                            Some(text(json!({"type": "resync", "missed": missed, "data": status})))
                        }
                        Err(RecvError::Closed) => return WriteFailed::Closed,
                    };
                    if let Some(m) = out {
                        if let Err(why) = bounded(timeout, tx.feed(m)).await {
                            return why;
                        }
                        fed += 1;
                    }
                    if fed < MAX_BATCH {
                        next = match events.try_recv() {
                            Ok(p) => Some(Ok(p)),
                            Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                            Err(_) => None,
                        };
                    }
                }
                if fed > 0 {
                    if let Err(why) = bounded(timeout, tx.flush()).await {
                        return why;
                    }
                }
            }
        }
    }
}

pub async fn ws_status(State(st): State<ApiState>, upgrade: WebSocketUpgrade) -> Response {
    bounded_upgrade(upgrade).on_upgrade(move |socket| status_stream(socket, st))
}

/// Sends the status at once, on every change (at most ten a second), and every second while a run is
/// active so runtime keeps moving.
async fn status_stream(socket: WebSocket, st: ApiState) {
    let _gauge = connected(&st);
    let timeout = st.settings.ws_send_timeout;
    let (mut tx, mut rx) = socket.split();
    let mut watch = st.runner.watch();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let update = |st: &ApiState| {
        text(json!({
            "type": "status_update",
            "payload": st.runner.snapshot().status_response(),
            "timestamp": crate::run::backtest::now_iso(),
        }))
    };
    let why = match bounded(timeout, tx.send(update(&st))).await {
        Err(why) => why,
        Ok(()) => loop {
            let sent = tokio::select! {
                changed = watch.changed() => {
                    if changed.is_err() { break WriteFailed::Closed; }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    watch.borrow_and_update();
                    bounded(timeout, tx.send(update(&st))).await
                }
                _ = tick.tick() => {
                    if !st.runner.snapshot().status.is_active() { continue; }
                    bounded(timeout, tx.send(update(&st))).await
                }
                incoming = rx.next() => match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break WriteFailed::Closed,
                    _ => continue,
                }
            };
            if let Err(why) = sent {
                break why;
            }
        },
    };
    hang_up(&mut tx, why, timeout).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(raw: &str, subs: &mut Vec<Subscription>) -> Value {
        match handle(raw, subs) {
            Message::Text(t) => serde_json::from_str(t.as_str()).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn subscription_rules() {
        let mut subs = Vec::new();
        assert_eq!(
            reply(r#"{"action":"subscribe","channel":"orders"}"#, &mut subs)["type"],
            "subscribed"
        );
        assert_eq!(
            reply(r#"{"action":"subscribe","channel":"orders"}"#, &mut subs)["subscriptions"],
            1,
            "idempotent"
        );
        assert_eq!(
            reply(r#"{"action":"subscribe","channel":"nope"}"#, &mut subs)["error"]["code"],
            "INVALID_CHANNEL"
        );
        assert_eq!(reply("not json", &mut subs)["error"]["code"], "INVALID_MESSAGE");
        assert!(reply("not json", &mut subs)["error"]["details"].is_object());
        assert_eq!(
            reply(r#"{"action":"dance","channel":"orders"}"#, &mut subs)["error"]["code"],
            "INVALID_MESSAGE"
        );
        for i in 0..9 {
            let r = reply(
                &format!(r#"{{"action":"subscribe","channel":"ticker","symbol":"S{i}/USDT"}}"#),
                &mut subs,
            );
            assert_eq!(r["type"], "subscribed");
        }
        let r = reply(r#"{"action":"subscribe","channel":"logs"}"#, &mut subs);
        assert_eq!(r["error"]["code"], "SUBSCRIPTION_LIMIT");
        assert_eq!(
            reply(r#"{"action":"unsubscribe","channel":"orders"}"#, &mut subs)["subscriptions"],
            9
        );
        assert_eq!(
            reply(r#"{"action":"subscribe","channel":"logs"}"#, &mut subs)["type"],
            "subscribed"
        );
    }
}

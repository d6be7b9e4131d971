//! The market stream: Binance's combined `<symbol>@kline_<interval>` WebSocket. Closed candles
//! (`x: true`) drive the strategy; open ones only update prices. Pings are answered; a dropped
//! connection, a `serverShutdown` or the 24-hour limit cause a reconnect with backoff and jitter,
//! after which missed candles are backfilled over REST, so the strategy never skips or repeats one.

use super::rest::Rest;
use crate::engine::{Candle, Timeframe};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio_tungstenite::tungstenite::Message;

/// Binance closes connections after 24 hours; reconnect a little before.
const SESSION: Duration = Duration::from_secs(23 * 3600 + 50 * 60);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq)]
pub enum FeedEvent {
    /// A closed candle of symbol index `.0`, in order, exactly once.
    Closed(usize, Candle),
    /// The candle still forming.
    Open(usize, Candle),
    /// Connection news for the run's log.
    Note(String),
}

pub struct KlineStream {
    pub ws_origin: String,
    /// Exchange ids (`BTCUSDT`) in the run's symbol order.
    pub ids: Vec<String>,
    pub tf: Timeframe,
}

fn parse_kline(v: &Value) -> Option<(String, Candle, bool)> {
    let d = if v["data"].is_object() { &v["data"] } else { v };
    if d["e"].as_str() != Some("kline") {
        return None;
    }
    let k = &d["k"];
    let f = |key: &str| super::number(&k[key]);
    let c = Candle::new(k["t"].as_i64()?, f("o")?, f("h")?, f("l")?, f("c")?, f("v")?);
    Some((
        k["s"].as_str().or(d["s"].as_str())?.to_string(),
        c,
        k["x"].as_bool().unwrap_or(false),
    ))
}

fn is_shutdown(v: &Value) -> bool {
    let d = if v["data"].is_object() { &v["data"] } else { v };
    d["e"].as_str() == Some("serverShutdown")
}

fn jitter(base: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64((nanos % 1000) as f64 / 4000.0)
}

impl KlineStream {
    fn url(&self) -> String {
        let streams: Vec<String> = self
            .ids
            .iter()
            .map(|id| format!("{}@kline_{}", id.to_lowercase(), self.tf))
            .collect();
        format!(
            "{}/stream?streams={}",
            self.ws_origin.trim_end_matches('/'),
            streams.join("/")
        )
    }

    /// Emits closed candles after `last[i]` up to now from REST, in order.
    async fn backfill(
        &self,
        rest: &Arc<Rest>,
        last: &mut [Option<i64>],
        tx: &UnboundedSender<FeedEvent>,
        until: Option<i64>,
    ) -> bool {
        for (i, id) in self.ids.iter().enumerate() {
            let Some(l) = last[i] else { continue };
            let from = l + self.tf.millis();
            let to = until.unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
            if from >= to {
                continue;
            }
            let (r, id, tf) = (rest.clone(), id.clone(), self.tf);
            let got = tokio::task::spawn_blocking(move || r.klines(&id, tf, from, to, |_| {})).await;
            match got {
                Ok(Ok(candles)) => {
                    for c in candles.into_iter().filter(|c| c.ts > l) {
                        last[i] = Some(c.ts);
                        if tx.send(FeedEvent::Closed(i, c)).is_err() {
                            return false;
                        }
                    }
                }
                Ok(Err(e)) => {
                    let _ = tx.send(FeedEvent::Note(format!("backfill of {} failed: {e}", self.ids[i])));
                }
                Err(_) => return false,
            }
        }
        true
    }

    /// Runs until `stop` is set or the receiver is gone.
    pub async fn run(self, rest: Arc<Rest>, tx: UnboundedSender<FeedEvent>, stop: Arc<AtomicBool>) {
        let mut last: Vec<Option<i64>> = vec![None; self.ids.len()];
        let mut backoff = Duration::from_millis(500);
        let mut first = true;
        while !stop.load(Ordering::Relaxed) && !tx.is_closed() {
            let conn =
                tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(self.url())).await;
            let mut ws = match conn {
                Ok(Ok((ws, _))) => ws,
                Ok(Err(e)) => {
                    let _ = tx.send(FeedEvent::Note(format!(
                        "market stream connection failed ({e}); retrying in {backoff:?}"
                    )));
                    tokio::time::sleep(jitter(backoff)).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
                Err(_) => {
                    let _ = tx.send(FeedEvent::Note("market stream connection timed out; retrying".into()));
                    tokio::time::sleep(jitter(backoff)).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            backoff = Duration::from_millis(500);
            if !first {
                let _ = tx.send(FeedEvent::Note(
                    "market stream reconnected; backfilling missed candles".into(),
                ));
            }
            first = false;
            let session_end = tokio::time::Instant::now() + SESSION;
            let mut check = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    msg = ws.next() => match msg {
                        Some(Ok(Message::Text(t))) => {
                            let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                            if is_shutdown(&v) {
                                let _ = tx.send(FeedEvent::Note("Binance announced a server shutdown; reconnecting".into()));
                                break;
                            }
                            let Some((id, c, closed)) = parse_kline(&v) else { continue };
                            let Some(i) = self.ids.iter().position(|x| *x == id) else { continue };
                            if !closed {
                                if tx.send(FeedEvent::Open(i, c)).is_err() { return; }
                                continue;
                            }
                            if last[i].is_some_and(|l| c.ts <= l) {
                                continue; // already had it (backfill or a repeat)
                            }
                            if last[i].is_some_and(|l| c.ts > l + self.tf.millis()) {
                                // A gap inside a session: fill it before this candle.
                                if !self.backfill(&rest, &mut last, &tx, Some(c.ts)).await { return; }
                            }
                            last[i] = Some(c.ts);
                            if tx.send(FeedEvent::Closed(i, c)).is_err() { return; }
                        }
                        Some(Ok(Message::Ping(p))) => {
                            if ws.send(Message::Pong(p)).await.is_err() { break; }
                        }
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => {}
                    },
                    _ = check.tick() => if stop.load(Ordering::Relaxed) || tx.is_closed() { return; },
                    _ = tokio::time::sleep_until(session_end) => break,
                }
            }
            let _ = tx.send(FeedEvent::Note("market stream dropped; reconnecting".into()));
            tokio::time::sleep(jitter(Duration::from_millis(200))).await;
            // Candles that closed while disconnected come from REST before the stream resumes.
            if !self.backfill(&rest, &mut last, &tx, None).await {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_combined_stream_klines_and_shutdowns() {
        let v = json!({"stream": "btcusdt@kline_1m", "data": {"e": "kline", "E": 1, "s": "BTCUSDT",
            "k": {"t": 1700000000000i64, "T": 1700000059999i64, "s": "BTCUSDT", "i": "1m", "o": "1.5", "c": "2.5", "h": "3", "l": "1", "v": "10", "x": true}}});
        let (id, c, closed) = parse_kline(&v).unwrap();
        assert_eq!((id.as_str(), closed), ("BTCUSDT", true));
        assert_eq!(c, Candle::new(1_700_000_000_000, 1.5, 3.0, 1.0, 2.5, 10.0));
        assert!(parse_kline(&json!({"data": {"e": "trade"}})).is_none());
        assert!(is_shutdown(&json!({"data": {"e": "serverShutdown"}})));
        let s = KlineStream {
            ws_origin: "ws://x/".into(),
            ids: vec!["BTCUSDT".into(), "ETHBTC".into()],
            tf: Timeframe::M1,
        };
        assert_eq!(s.url(), "ws://x/stream?streams=btcusdt@kline_1m/ethbtc@kline_1m");
    }
}

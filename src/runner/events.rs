//! What the runner publishes on its broadcast channel. Serialized as the WebSocket push format
//! `{"channel": C, "data": {...}}`, so the API forwards events without reshaping them.

use crate::run::results::{EquityRecord, OrderRecord, RiskEventRecord, TradeRecord};
use crate::runner::status::StatusResponse;
pub use crate::runner::status::TickerEvent;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "channel", content = "data", rename_all = "lowercase")]
pub enum Event {
    Orders(OrderEvent),
    Trades(TradeRecord),
    Status(StatusResponse),
    Equity(EquityRecord),
    Ticker(TickerEvent),
    Logs(LogEvent),
    /// An optimize run's newly finished combinations.
    Optimize(OptimizeBatch),
}

/// Combinations an optimize run finished since the last batch, with its progress.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OptimizeBatch {
    pub completed: usize,
    pub combinations: usize,
    pub results: Vec<crate::run::sweep::Combination>,
}

impl Event {
    pub fn channel(&self) -> &'static str {
        match self {
            Event::Orders(_) => "orders",
            Event::Trades(_) => "trades",
            Event::Status(_) => "status",
            Event::Equity(_) => "equity",
            Event::Ticker(_) => "ticker",
            Event::Logs(_) => "logs",
            Event::Optimize(_) => "optimize",
        }
    }

    /// The symbol an event is about, for per-symbol subscriptions.
    pub fn symbol(&self) -> Option<&str> {
        match self {
            Event::Orders(o) => Some(&o.symbol),
            Event::Trades(t) => Some(&t.symbol),
            Event::Ticker(t) => Some(&t.symbol),
            _ => None,
        }
    }
}

/// An event as published: serialized once, however many subscribers forward it.
#[derive(Debug)]
pub struct Published {
    pub event: Event,
    /// Numbered 1, 2, 3... in publishing order, so a reader can tell it missed some (a gap) and
    /// resync from the snapshot instead of showing a log with holes.
    pub seq: u64,
    /// `{"channel": C, "data": {...}, "seq": N}`.
    pub json: String,
    /// When the runner published it (delivery latency is measured from here).
    pub at: std::time::Instant,
}

#[derive(Serialize)]
struct Wire<'a> {
    #[serde(flatten)]
    event: &'a Event,
    seq: u64,
}

impl Published {
    pub fn new(event: Event, seq: u64) -> Self {
        let json = serde_json::to_string(&Wire { event: &event, seq }).unwrap_or_else(|e| {
            serde_json::json!({"channel": "logs", "data": {"level": "error", "message": format!("unserializable event: {e}")}, "seq": seq}).to_string()
        });
        Published {
            event,
            seq,
            json,
            at: std::time::Instant::now(),
        }
    }
}

/// An order status change, in the shape of the Web API reference's `orders` example.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OrderEvent {
    pub order_id: String,
    pub status: String,
    pub symbol: String,
    pub side: String,
    #[serde(rename = "type")]
    pub order_type: String,
    pub amount: f64,
    pub filled: f64,
    /// Average fill price once filled, else the order's limit/stop price (null for market orders).
    pub price: Option<f64>,
    pub reason: Option<String>,
    /// Fees booked on the order so far (quote value), and the asset they were charged in.
    #[serde(default)]
    pub fee: f64,
    #[serde(default)]
    pub fee_asset: Option<String>,
    /// Milliseconds since the epoch, of the status change.
    pub timestamp: i64,
}

impl OrderEvent {
    pub fn from_record(o: &OrderRecord, timestamp: i64) -> Self {
        OrderEvent {
            order_id: o.id.clone(),
            status: o.status.clone(),
            symbol: o.symbol.clone(),
            side: o.side.clone(),
            order_type: o.order_type.clone(),
            amount: o.amount,
            filled: o.filled,
            price: o.average_price.or(o.price),
            reason: o.reason.clone(),
            fee: o.fee,
            fee_asset: o.fee_asset.clone(),
            timestamp,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LogEvent {
    pub level: String,
    pub message: String,
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// Set when the message reports a risk limit's intervention.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_event: Option<RiskEventRecord>,
}

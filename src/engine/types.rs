//! Plain data shared by every part of the engine. Kept `Copy` and small where the hot loop touches it.

use serde::{Deserialize, Serialize};

/// One OHLCV candle; `ts` is the candle's open time in Unix milliseconds (UTC).
///
/// `repr(C)` + `Pod` so the binary cache can read a file straight into a `Vec<Candle>`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Candle {
    pub ts: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

impl Candle {
    pub fn new(ts: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) -> Self {
        Candle {
            ts,
            open,
            high,
            low,
            close,
            volume,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

/// How an order is priced. Prices live in the variant so an order cannot be half-specified.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrderKind {
    Market,
    Limit { price: f64 },
    Stop { stop: f64 },
    StopLimit { stop: f64, limit: f64 },
}

impl OrderKind {
    pub fn name(&self) -> &'static str {
        match self {
            OrderKind::Market => "market",
            OrderKind::Limit { .. } => "limit",
            OrderKind::Stop { .. } => "stop",
            OrderKind::StopLimit { .. } => "stop_limit",
        }
    }

    /// The price a client would show for the order (limit, else stop); `None` for market orders.
    pub fn display_price(&self) -> Option<f64> {
        match *self {
            OrderKind::Market => None,
            OrderKind::Limit { price } => Some(price),
            OrderKind::Stop { stop } => Some(stop),
            OrderKind::StopLimit { limit, .. } => Some(limit),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Created,
    Submitted,
    Accepted,
    PartiallyFilled,
    Filled,
    Cancelled,
    Rejected,
}

impl OrderStatus {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled | OrderStatus::Cancelled | OrderStatus::Rejected
        )
    }
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "created",
            OrderStatus::Submitted => "submitted",
            OrderStatus::Accepted => "accepted",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Rejected => "rejected",
        }
    }
}

/// Index of a symbol within a run (position in the run's symbol list).
pub type SymbolIdx = usize;
pub type OrderId = u64;

/// An order as the engine tracks it. Timestamps are engine-clock milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: OrderId,
    pub symbol: SymbolIdx,
    pub side: Side,
    pub kind: OrderKind,
    pub amount: f64,
    pub filled: f64,
    pub avg_fill_price: Option<f64>,
    pub status: OrderStatus,
    pub reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Stop-limit orders become plain limits once their stop has been touched.
    pub triggered: bool,
    /// Orders sharing a group cancel each other when one fills (stop-loss / take-profit pairs).
    pub oco_group: Option<u64>,
    /// Who asked for the order: cooldowns key off stop-loss exits, risk exits are not strategy orders.
    pub origin: OrderOrigin,
    /// Fees booked on this order so far, valued in the quote asset.
    pub fee: f64,
    /// The asset those fees were charged in (the last fill's, when fills differ).
    pub fee_asset: FeeAsset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderOrigin {
    #[default]
    Strategy,
    StopLoss,
    TakeProfit,
    /// A risk limit closing positions.
    Risk,
}

/// The asset a fee was charged in. Simulated fills always pay in the quote asset; an exchange may
/// charge the asset received (base on buys) or a third asset such as BNB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum FeeAsset {
    #[default]
    Quote,
    Base,
    Other(AssetCode),
}

/// A short asset code ("BNB") kept inline, so orders and fills need no allocation for it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AssetCode {
    len: u8,
    bytes: [u8; 15],
}

impl AssetCode {
    /// Keeps the first 15 bytes of `code` (whole characters only); exchange asset codes are shorter.
    pub fn new(code: &str) -> AssetCode {
        let mut end = code.len().min(15);
        while !code.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0u8; 15];
        bytes[..end].copy_from_slice(&code.as_bytes()[..end]);
        AssetCode { len: end as u8, bytes }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }
}

impl std::fmt::Debug for AssetCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// One execution against an order.
#[derive(Debug, Clone, PartialEq)]
pub struct Fill {
    pub id: u64,
    pub order_id: OrderId,
    pub ts: i64,
    pub symbol: SymbolIdx,
    pub side: Side,
    pub size: f64,
    pub price: f64,
    /// The fee valued in the quote asset (what metrics and pnl count).
    pub commission: f64,
    /// The fee as charged, in `fee_asset` units.
    pub fee: f64,
    pub fee_asset: FeeAsset,
    /// Realized pnl on fills that reduce a position (net of fees of both legs); `None` on opening fills.
    pub pnl: Option<f64>,
}

/// One point of the equity curve, recorded once per engine timestamp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EquityPoint {
    pub ts: i64,
    pub value: f64,
    pub cash: f64,
}

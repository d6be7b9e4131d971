//! The trading engine. Knows nothing of terminals, HTTP or files: backtest, paper and live differ only
//! in the clock, market feed and execution plugged into `core::Engine`.

pub mod clock;
pub mod core;
pub mod curve;
pub mod execution;
pub mod indicators;
pub mod metrics;
pub mod portfolio;
pub mod replay;
pub mod risk;
pub mod strategy;
pub mod timeframe;
pub mod types;

pub use core::OrderMinimum;
pub use timeframe::Timeframe;
pub use types::{AssetCode, Candle, EquityPoint, FeeAsset, Fill, Order, OrderKind, OrderOrigin, OrderStatus, Side};

//! Strategies: signal logic only. Order sizing, protective exits and fills belong to the engine, so a
//! strategy behaves identically in backtest, paper and live runs.

mod breakout;
mod buy_and_hold;
mod context;
mod ma_cross;
pub mod params;
mod registry;
mod rsi_mean_reversion;
mod test_strategy;

pub use context::{Ctx, Request, Sizing};
pub use params::{ParamError, ParamSpec, ParamType, Params};
pub use registry::{find, names, registry, StrategySpec};

use super::types::Candle;

/// One instance runs per symbol; `on_bar` is called once each candle of that symbol has closed.
pub trait Strategy: Send {
    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>);
}

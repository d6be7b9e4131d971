//! Strategies: signal logic only. Order sizing, protective exits and fills belong to the engine, so a
//! strategy behaves identically in backtest, paper and live runs.

mod breakout;
mod buy_and_hold;
mod context;
mod ma_cross;
pub mod params;
mod registry;
mod rsi_mean_reversion;
pub mod signals;
mod test_strategy;

pub use context::{Ctx, Request, Sizing};
pub use params::{ParamError, ParamSpec, ParamType, Params};
pub use registry::{builtins, find_builtin, Maker, Signals, Source, StrategyDef, StrategySpec};

use super::types::Candle;

/// One instance runs per symbol; `on_bar` is called once each candle of that symbol has closed.
pub trait Strategy: Send {
    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>);
    /// One of this symbol's orders filled (partly); the strategy may act on it.
    fn on_fill(&mut self, _fill: &super::types::Fill, _ctx: &mut Ctx<'_>) {}
    /// Whether `on_fill` does anything (so the engine skips the call for strategies that ignore fills).
    fn wants_fills(&self) -> bool {
        false
    }
    /// The run is ending (stopped or out of candles); requests made here are not placed.
    fn on_stop(&mut self, _ctx: &mut Ctx<'_>) {}
    /// Closed candles this instance needs before it can act (its longest window), so a paper run
    /// can show "waiting for 31 bars, 3 so far" instead of looking dead.
    fn warmup(&self) -> usize {
        0
    }
    /// `Some(ts)`: `on_bar` asks for nothing and changes nothing on a bar before `ts`, so the engine
    /// may step over such bars without calling it (a replayed strategy knows its next action). `None`
    /// (the default) promises nothing, and an engine that gets `None` at the start never asks again.
    fn quiet_before(&self) -> Option<i64> {
        None
    }
}

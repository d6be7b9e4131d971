//! Donchian-style channel breakout.

use super::{Ctx, ParamSpec, Strategy, StrategySpec};
use crate::engine::indicators::RollingExtreme;
use crate::engine::types::Candle;

pub const SPEC: StrategySpec = StrategySpec {
    name: "Breakout",
    description: "Buy when close > highest high of the previous `lookback` bars; close when close < lowest low of the previous `lookback` bars.",
    params: &[ParamSpec::int("lookback", Some(20.0), 1.0, 10_000.0, "Channel length (bars)")],
    validate: None,
    build: |p| {
        let n = p.usize("lookback");
        Box::new(Breakout {
            highest: RollingExtreme::highest(n),
            lowest: RollingExtreme::lowest(n),
            warmup: n + 1,
        })
    },
    signals: None,
};

pub struct Breakout {
    highest: RollingExtreme,
    lowest: RollingExtreme,
    /// The channel of the previous `lookback` bars, then the bar that may break it.
    warmup: usize,
}

impl Strategy for Breakout {
    fn warmup(&self) -> usize {
        self.warmup
    }

    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        let hi = self.highest.update(bar.high);
        let lo = self.lowest.update(bar.low);
        let (Some(hi), Some(lo)) = (hi, lo) else {
            return;
        };
        if bar.close > hi {
            ctx.enter_long(bar.close);
        } else if bar.close < lo {
            ctx.exit_long();
        }
    }
}

//! Classic trend following: long while the fast SMA is above the slow one.

use super::{Ctx, ParamSpec, Strategy, StrategySpec};
use crate::engine::indicators::{Cross, CrossOver, Sma};
use crate::engine::types::Candle;

pub const SPEC: StrategySpec = StrategySpec {
    name: "MovingAverageCross",
    description: "Buy when SMA(fast) crosses above SMA(slow); close the position when it crosses below.",
    params: &[
        ParamSpec::int("fast_period", Some(10.0), 1.0, 10_000.0, "Fast SMA window (bars)"),
        ParamSpec::int("slow_period", Some(30.0), 2.0, 10_000.0, "Slow SMA window (bars)"),
    ],
    validate: Some(|p| {
        if p.f("fast_period") >= p.f("slow_period") {
            return Err(format!(
                "fast_period ({}) must be smaller than slow_period ({})",
                p.f("fast_period"),
                p.f("slow_period")
            ));
        }
        Ok(())
    }),
    build: |p| Box::new(MovingAverageCross::new(p.usize("fast_period"), p.usize("slow_period"))),
};

pub struct MovingAverageCross {
    fast: Sma,
    slow: Sma,
    cross: CrossOver,
    warmup: usize,
}

impl MovingAverageCross {
    pub fn new(fast: usize, slow: usize) -> Self {
        MovingAverageCross {
            fast: Sma::new(fast),
            slow: Sma::new(slow),
            cross: CrossOver::default(),
            // Both averages, then one more bar for a cross to be seen.
            warmup: fast.max(slow) + 1,
        }
    }
}

impl Strategy for MovingAverageCross {
    fn warmup(&self) -> usize {
        self.warmup
    }

    #[inline]
    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        let f = self.fast.update(bar.close);
        let s = self.slow.update(bar.close);
        let (Some(f), Some(s)) = (f, s) else { return };
        match self.cross.update(f, s) {
            Cross::Up => ctx.enter_long(bar.close),
            Cross::Down => ctx.exit_long(),
            Cross::None => {}
        }
    }
}

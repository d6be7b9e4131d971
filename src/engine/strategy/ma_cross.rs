//! Classic trend following: long while the fast SMA is above the slow one.

use super::signals::{run_each, Action, SeriesKey, Signal};
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
    signals: Some(|p| {
        let keys = vec![
            SeriesKey::SmaOfClose(p.usize("fast_period")),
            SeriesKey::SmaOfClose(p.usize("slow_period")),
        ];
        (keys, Box::new(CrossSignal::default()))
    }),
};

/// The decision: enter when the fast average crosses above the slow one, exit when below.
#[derive(Default)]
struct CrossSignal(CrossOver);

impl Signal for CrossSignal {
    #[inline(always)]
    fn step(&mut self, values: &[Option<f64>]) -> Option<Action> {
        let &[Some(f), Some(s)] = values else { return None };
        match self.0.update(f, s) {
            Cross::Up => Some(Action::EnterLong),
            Cross::Down => Some(Action::ExitLong),
            Cross::None => None,
        }
    }

    /// The two columns walked side by side (a bar past either column's end has no value, and a
    /// missing value decides nothing: the same actions as `run_each`).
    fn run(&mut self, columns: &[&[Option<f64>]], bars: &[Candle], out: &mut Vec<(i64, Action)>) {
        let &[fast, slow] = columns else {
            return run_each(self, columns, bars, out);
        };
        for ((&f, &s), bar) in fast.iter().zip(slow).zip(bars) {
            if let Some(action) = self.step(&[f, s]) {
                out.push((bar.ts, action));
            }
        }
    }
}

pub struct MovingAverageCross {
    fast: Sma,
    slow: Sma,
    signal: CrossSignal,
    warmup: usize,
}

impl MovingAverageCross {
    pub fn new(fast: usize, slow: usize) -> Self {
        MovingAverageCross {
            fast: Sma::new(fast),
            slow: Sma::new(slow),
            signal: CrossSignal::default(),
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
        let values = [self.fast.update(bar.close), self.slow.update(bar.close)];
        if let Some(action) = self.signal.step(&values) {
            action.apply(bar, ctx);
        }
    }
}

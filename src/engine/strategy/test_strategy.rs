//! The seed Web API's example strategy: an SMA band breakout, or an SMA cross when `slow` is given.

use super::{Ctx, ParamSpec, Strategy, StrategySpec};
use crate::engine::indicators::{Cross, CrossOver, Sma};
use crate::engine::types::Candle;

pub const SPEC: StrategySpec = StrategySpec {
    name: "TestStrategy",
    description: "Without `slow`: buy when close > SMA(period) x (1+threshold), close when close < SMA(period) x (1-threshold). With `slow`: buy/close on SMA(period)/SMA(slow) crosses.",
    params: &[
        ParamSpec::int("period", Some(20.0), 1.0, 10_000.0, "SMA window (bars); the fast SMA when `slow` is set"),
        ParamSpec::int("slow", None, 2.0, 10_000.0, "Optional slow SMA window; switches to crossover mode"),
        ParamSpec::float("threshold", Some(0.0), 0.0, 1.0, "Band around the SMA as a fraction (0.02 = 2%)"),
    ],
    validate: Some(|p| match p.get("slow") {
        Some(slow) if slow <= p.f("period") => {
            Err(format!("slow ({slow}) must be larger than period ({})", p.f("period")))
        }
        _ => Ok(()),
    }),
    build: |p| {
        Box::new(TestStrategy {
            sma: Sma::new(p.usize("period")),
            slow: p.get("slow").map(|s| Sma::new(s as usize)),
            threshold: p.f("threshold"),
            cross: CrossOver::default(),
        })
    },
    signals: None,
};

pub struct TestStrategy {
    sma: Sma,
    slow: Option<Sma>,
    threshold: f64,
    cross: CrossOver,
}

impl Strategy for TestStrategy {
    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        let fast = self.sma.update(bar.close);
        if let Some(slow) = self.slow.as_mut() {
            let s = slow.update(bar.close);
            let (Some(f), Some(s)) = (fast, s) else {
                return;
            };
            match self.cross.update(f, s) {
                Cross::Up => ctx.enter_long(bar.close),
                Cross::Down => ctx.exit_long(),
                Cross::None => {}
            }
            return;
        }
        let Some(m) = fast else { return };
        if bar.close > m * (1.0 + self.threshold) {
            ctx.enter_long(bar.close);
        } else if bar.close < m * (1.0 - self.threshold) {
            ctx.exit_long();
        }
    }
}

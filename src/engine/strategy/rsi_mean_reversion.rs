//! Mean reversion on Wilder's RSI: buy oversold, close overbought.

use super::{Ctx, ParamSpec, Strategy, StrategySpec};
use crate::engine::indicators::Rsi;
use crate::engine::types::Candle;

pub const SPEC: StrategySpec = StrategySpec {
    name: "RsiMeanReversion",
    description: "Buy when RSI(period) falls below `lower`; close the position when it rises above `upper`.",
    params: &[
        ParamSpec::int("period", Some(14.0), 2.0, 1_000.0, "RSI window (bars)"),
        ParamSpec::float("lower", Some(30.0), 0.0, 100.0, "Oversold level: buy below it"),
        ParamSpec::float("upper", Some(70.0), 0.0, 100.0, "Overbought level: close above it"),
    ],
    validate: Some(|p| {
        if p.f("lower") >= p.f("upper") {
            return Err(format!(
                "lower ({}) must be below upper ({})",
                p.f("lower"),
                p.f("upper")
            ));
        }
        Ok(())
    }),
    build: |p| {
        Box::new(RsiMeanReversion {
            rsi: Rsi::new(p.usize("period")),
            warmup: p.usize("period") + 1,
            lower: p.f("lower"),
            upper: p.f("upper"),
        })
    },
    signals: None,
};

pub struct RsiMeanReversion {
    rsi: Rsi,
    /// `period` price changes need one bar more.
    warmup: usize,
    lower: f64,
    upper: f64,
}

impl Strategy for RsiMeanReversion {
    fn warmup(&self) -> usize {
        self.warmup
    }

    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        let Some(r) = self.rsi.update(bar.close) else {
            return;
        };
        if r < self.lower {
            ctx.enter_long(bar.close);
        } else if r > self.upper {
            ctx.exit_long();
        }
    }
}

//! The benchmark every other strategy has to beat.

use super::{Ctx, Strategy, StrategySpec};
use crate::engine::types::Candle;

pub const SPEC: StrategySpec = StrategySpec {
    name: "BuyAndHold",
    description: "Buy on the first bar and hold to the end.",
    params: &[],
    validate: None,
    build: |_| Box::new(BuyAndHold { done: false }),
    signals: None,
};

pub struct BuyAndHold {
    done: bool,
}

impl Strategy for BuyAndHold {
    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        if !self.done {
            self.done = true;
            ctx.enter_long(bar.close);
        }
    }
}

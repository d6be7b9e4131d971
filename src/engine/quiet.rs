//! Quiet stretches: bars on which nothing can happen but the market moving. No order is working,
//! nothing is asked, no risk limit watches equity, and the one strategy has promised not to act
//! before a later bar (`Strategy::quiet_before`, a sweep's replayed signals). The engine then skips
//! the strategy call and the order book and only marks the position and records each bar's equity:
//! the same figures `on_candle` + `end_step` record, and a flat account costs one curve update for
//! the whole stretch.

use super::{Engine, EventSink};
use crate::engine::clock::Clock;
use crate::engine::execution::Execution;
use crate::engine::types::{Candle, EquityPoint, SymbolIdx};

impl<C: Clock, X: Execution, S: EventSink> Engine<C, X, S> {
    /// Steps over the leading bars of `bars` (one step each, in order) on which nothing can happen,
    /// and returns how many; the caller steps the next bar the usual way. 0 whenever a condition
    /// does not hold, so calling it before every bar is always correct.
    #[inline]
    pub fn quiet_bars(&mut self, symbol: SymbolIdx, bars: &[Candle]) -> usize {
        if !self.may_be_quiet || !self.nothing_pending() {
            return 0;
        }
        let Some(before) = self.strategies.get(symbol).and_then(|s| s.quiet_before()) else {
            return 0;
        };
        let n = bars.iter().position(|b| b.ts >= before).unwrap_or(bars.len());
        let Some(last) = n.checked_sub(1).map(|i| bars[i]) else {
            return 0;
        };
        let stretch = &bars[..n];
        let in_market = u64::from(self.portfolio.in_market());
        let mark = self.portfolio.single_marker();
        // Without a position every bar's value is the cash: the curve takes them in one update.
        if self.portfolio.positions[symbol].size == 0.0 && stretch.iter().all(|b| b.close.is_finite()) {
            self.curve.push_repeated(mark(stretch[0].close), n as u64);
        } else {
            let mut curve = self.curve;
            for bar in stretch {
                curve.push(mark(bar.close));
            }
            self.curve = curve;
        }
        if S::OBSERVES_BARS || self.keep_curve {
            for bar in stretch {
                self.sink.candle(symbol, bar);
                self.portfolio.positions[symbol].last_price = bar.close;
                let point = EquityPoint {
                    ts: bar.ts,
                    value: mark(bar.close),
                    cash: self.portfolio.cash,
                };
                if self.keep_curve {
                    self.equity.push(point);
                }
                self.sink.step(&point, &self.portfolio, self.keep_curve);
            }
        }
        // Only the last bar's time and price outlast the stretch.
        self.clock.observe(last.ts);
        self.portfolio.positions[symbol].last_price = last.close;
        self.last_point = Some(EquityPoint {
            ts: last.ts,
            value: self.portfolio.value(),
            cash: self.portfolio.cash,
        });
        self.risk.bars[symbol] += n as u64;
        self.step += n as u64;
        self.steps_in_market += in_market * n as u64;
        n
    }

    /// No order working or asked for, no risk check due, no curve thinning: a bar can only move
    /// the market (for the one symbol, once its first close is known).
    fn nothing_pending(&self) -> bool {
        self.cfg.symbols == 1
            && self.open_ids.is_empty()
            && self.requests.is_empty()
            && self.halted.is_none()
            && self.failure.is_none()
            && !self.cfg.risk.watches_equity()
            && !self.first_close[0].is_nan()
            && (!self.keep_curve || (self.equity_stride == 1 && self.equity_cap == usize::MAX))
    }
}

//! Execution: what turns accepted orders into fills. Backtests and paper runs plug in
//! `SimulatedExecution`; live runs plug in an exchange client behind the same trait.

use super::types::{Candle, Order, OrderId, OrderKind, Side, SymbolIdx};

/// A price at which a working order executes against a candle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    pub order_id: OrderId,
    pub price: f64,
}

/// What execution says right after an order is handed to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// Working now (simulated execution books it at once).
    Accepted,
    /// Sent; the exchange's answer arrives later through `Engine::on_exchange_update`.
    Pending,
}

pub trait Execution {
    /// The engine accepted an order: queue it (simulated) or send it (exchange).
    fn submit(&mut self, order: &Order) -> Submitted;
    /// The engine wants an order gone (strategy cancel, OCO sibling filled). True when it is gone now;
    /// false when the exchange will confirm (it may still fill meanwhile).
    fn cancel(&mut self, order: &Order) -> bool;
    /// A candle of `symbol` closed. Simulated execution matches its book against it, pushing fills to
    /// `out` and setting `triggered` on stop-limits; an exchange reports fills on its own and does nothing.
    fn on_candle(&mut self, symbol: SymbolIdx, bar: &Candle, orders: &mut [Order], out: &mut Vec<Match>);
}

/// Backtrader's bar-based fill rules (bbroker.py), against the bar after the order was placed.
#[derive(Debug, Clone)]
pub struct SimulatedExecution {
    /// Slippage as a fraction (bps / 10000), applied to market and stop fills, never to limit fills.
    slip: f64,
    /// Working order ids per symbol, in submission order (earlier orders fill first).
    book: Vec<Vec<OrderId>>,
}

impl SimulatedExecution {
    pub fn new(symbols: usize, slippage_bps: f64) -> Self {
        SimulatedExecution {
            slip: slippage_bps / 10_000.0,
            book: vec![Vec::new(); symbols],
        }
    }
}

impl Execution for SimulatedExecution {
    fn submit(&mut self, order: &Order) -> Submitted {
        self.book[order.symbol].push(order.id);
        Submitted::Accepted
    }

    fn cancel(&mut self, order: &Order) -> bool {
        self.book[order.symbol].retain(|&id| id != order.id);
        true
    }

    #[inline]
    fn on_candle(&mut self, symbol: SymbolIdx, bar: &Candle, orders: &mut [Order], out: &mut Vec<Match>) {
        let book = &mut self.book[symbol];
        if book.is_empty() {
            return;
        }
        let slip = self.slip;
        book.retain(|&id| {
            let Some(order) = orders.get_mut(id as usize - 1) else {
                return false;
            };
            if order.status.is_final() {
                return false;
            }
            let (price, triggered) = fill_price(order.kind, order.side, order.triggered, bar, slip);
            order.triggered |= triggered;
            match price {
                Some(price) => {
                    out.push(Match { order_id: id, price });
                    false
                }
                None => true,
            }
        });
    }
}

/// Fill price of an order against one bar, and whether a stop-limit got triggered.
///
/// - market: the open, slipped against the trader (clamped to the bar's high/low, like backtrader's
///   `slip_match`);
/// - limit: the open if it gapped through the limit, else the limit if the bar traded through it;
/// - stop: the open if it gapped through the stop, else the stop price, slipped like a market order;
/// - stop-limit: a gap through the stop makes it a limit on the same bar; an intrabar touch fills at the
///   stop when the limit is at or beyond the stop, at the limit when the close is through the limit after
///   a move against the order, else it stays working as a triggered limit.
pub fn fill_price(kind: OrderKind, side: Side, triggered: bool, bar: &Candle, slip: f64) -> (Option<f64>, bool) {
    let Candle {
        open, high, low, close, ..
    } = *bar;
    let slip_buy = |p: f64| (p * (1.0 + slip)).min(high).max(p.min(high));
    let slip_sell = |p: f64| (p * (1.0 - slip)).max(low).min(p.max(low));
    let limit = |limit: f64| match side {
        Side::Buy if limit >= open => Some(open),
        Side::Buy if limit >= low => Some(limit),
        Side::Sell if limit <= open => Some(open),
        Side::Sell if limit <= high => Some(limit),
        _ => None,
    };
    match kind {
        OrderKind::Market => (
            Some(if side == Side::Buy {
                slip_buy(open)
            } else {
                slip_sell(open)
            }),
            false,
        ),
        OrderKind::Limit { price } => (limit(price), false),
        OrderKind::Stop { stop } => {
            let p = match side {
                Side::Buy if open >= stop => Some(slip_buy(open)),
                Side::Buy if high >= stop => Some(slip_buy(stop)),
                Side::Sell if open <= stop => Some(slip_sell(open)),
                Side::Sell if low <= stop => Some(slip_sell(stop)),
                _ => None,
            };
            (p, false)
        }
        OrderKind::StopLimit { limit: l, .. } if triggered => (limit(l), false),
        OrderKind::StopLimit { stop, limit: l } => match side {
            Side::Buy if open >= stop => (limit(l), true),
            Side::Buy if high >= stop => {
                let p = if l >= stop {
                    Some(stop)
                } else if open > close && l >= close {
                    Some(l)
                } else {
                    None
                };
                (p, true)
            }
            Side::Sell if open <= stop => (limit(l), true),
            Side::Sell if low <= stop => {
                let p = if l <= stop {
                    Some(stop)
                } else if open <= close && l <= close {
                    Some(l)
                } else {
                    None
                };
                (p, true)
            }
            _ => (None, false),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAR: Candle = Candle {
        ts: 0,
        open: 100.0,
        high: 110.0,
        low: 90.0,
        close: 105.0,
        volume: 1.0,
    };

    fn fp(kind: OrderKind, side: Side) -> Option<f64> {
        fill_price(kind, side, false, &BAR, 0.0).0
    }

    #[test]
    fn market_fills_at_open_with_slippage_clamped_to_the_bar() {
        assert_eq!(fp(OrderKind::Market, Side::Buy), Some(100.0));
        let (p, _) = fill_price(OrderKind::Market, Side::Buy, false, &BAR, 0.001);
        assert!((p.unwrap() - 100.1).abs() < 1e-12);
        let (p, _) = fill_price(OrderKind::Market, Side::Sell, false, &BAR, 0.001);
        assert!((p.unwrap() - 99.9).abs() < 1e-12);
        // 20% slippage cannot buy above the high or sell below the low.
        assert_eq!(
            fill_price(OrderKind::Market, Side::Buy, false, &BAR, 0.2).0,
            Some(110.0)
        );
        assert_eq!(
            fill_price(OrderKind::Market, Side::Sell, false, &BAR, 0.2).0,
            Some(90.0)
        );
    }

    #[test]
    fn limit_orders() {
        assert_eq!(
            fp(OrderKind::Limit { price: 101.0 }, Side::Buy),
            Some(100.0),
            "gap through: open"
        );
        assert_eq!(
            fp(OrderKind::Limit { price: 95.0 }, Side::Buy),
            Some(95.0),
            "traded through: limit"
        );
        assert_eq!(fp(OrderKind::Limit { price: 89.0 }, Side::Buy), None);
        assert_eq!(fp(OrderKind::Limit { price: 99.0 }, Side::Sell), Some(100.0));
        assert_eq!(fp(OrderKind::Limit { price: 108.0 }, Side::Sell), Some(108.0));
        assert_eq!(fp(OrderKind::Limit { price: 111.0 }, Side::Sell), None);
        // Limit fills never slip.
        assert_eq!(
            fill_price(OrderKind::Limit { price: 95.0 }, Side::Buy, false, &BAR, 0.01).0,
            Some(95.0)
        );
    }

    #[test]
    fn stop_orders() {
        assert_eq!(
            fp(OrderKind::Stop { stop: 99.0 }, Side::Buy),
            Some(100.0),
            "gapped above stop"
        );
        assert_eq!(fp(OrderKind::Stop { stop: 108.0 }, Side::Buy), Some(108.0));
        assert_eq!(fp(OrderKind::Stop { stop: 111.0 }, Side::Buy), None);
        assert_eq!(
            fp(OrderKind::Stop { stop: 101.0 }, Side::Sell),
            Some(100.0),
            "gapped below stop"
        );
        assert_eq!(fp(OrderKind::Stop { stop: 92.0 }, Side::Sell), Some(92.0));
        assert_eq!(fp(OrderKind::Stop { stop: 89.0 }, Side::Sell), None);
        let (p, _) = fill_price(OrderKind::Stop { stop: 92.0 }, Side::Sell, false, &BAR, 0.001);
        assert!((p.unwrap() - 92.0 * 0.999).abs() < 1e-12);
    }

    #[test]
    fn stop_limit_orders() {
        // Gap through the stop: behaves as a limit on this bar.
        assert_eq!(
            fill_price(
                OrderKind::StopLimit {
                    stop: 99.0,
                    limit: 101.0
                },
                Side::Buy,
                false,
                &BAR,
                0.0
            ),
            (Some(100.0), true)
        );
        // Intrabar touch with the limit above the stop: fills at the stop.
        assert_eq!(
            fill_price(
                OrderKind::StopLimit {
                    stop: 104.0,
                    limit: 106.0
                },
                Side::Buy,
                false,
                &BAR,
                0.0
            ),
            (Some(104.0), true)
        );
        // Intrabar touch, limit below the stop, bar closed up: triggered but not filled.
        assert_eq!(
            fill_price(
                OrderKind::StopLimit {
                    stop: 104.0,
                    limit: 103.0
                },
                Side::Buy,
                false,
                &BAR,
                0.0
            ),
            (None, true)
        );
        // Not touched.
        assert_eq!(
            fill_price(
                OrderKind::StopLimit {
                    stop: 120.0,
                    limit: 121.0
                },
                Side::Buy,
                false,
                &BAR,
                0.0
            ),
            (None, false)
        );
        // Once triggered it is a plain limit.
        assert_eq!(
            fill_price(
                OrderKind::StopLimit {
                    stop: 104.0,
                    limit: 95.0
                },
                Side::Buy,
                true,
                &BAR,
                0.0
            ),
            (Some(95.0), false)
        );
        // Sell side, intrabar touch, limit at/below the stop: fills at the stop.
        assert_eq!(
            fill_price(
                OrderKind::StopLimit {
                    stop: 95.0,
                    limit: 94.0
                },
                Side::Sell,
                false,
                &BAR,
                0.0
            ),
            (Some(95.0), true)
        );
        // Sell side, limit above the stop, bar closed up through the limit: fills at the limit.
        assert_eq!(
            fill_price(
                OrderKind::StopLimit {
                    stop: 95.0,
                    limit: 96.0
                },
                Side::Sell,
                false,
                &BAR,
                0.0
            ),
            (Some(96.0), true)
        );
    }
}

//! Cash, positions and round trips. Spot only: positions are never negative.
//!
//! Cost basis includes the fees paid to open, so realized pnl on a closing fill is the net cash a round
//! trip made or lost: `pnl = size x price - fee - size x avg_cost`.

use super::types::{Side, SymbolIdx};

/// Relative tolerance under which a remaining position counts as closed (float dust).
const DUST: f64 = 1e-12;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Position {
    pub size: f64,
    /// Total cost (notional + fees) of the units still held.
    pub cost: f64,
    pub last_price: f64,
    trip: Option<OpenTrip>,
}

impl Position {
    pub fn avg_cost(&self) -> f64 {
        if self.size > 0.0 {
            self.cost / self.size
        } else {
            0.0
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct OpenTrip {
    entry_ts: i64,
    entry_step: u64,
    cost: f64,
    pnl: f64,
}

/// A completed round trip: flat -> long -> flat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoundTrip {
    pub symbol: SymbolIdx,
    pub entry_ts: i64,
    pub exit_ts: i64,
    pub bars: u64,
    pub pnl: f64,
    /// pnl / everything paid to open the trip.
    pub ret: f64,
}

/// One fill as the portfolio books it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Booking {
    pub symbol: SymbolIdx,
    pub side: Side,
    pub size: f64,
    pub price: f64,
    pub fee: f64,
}

#[derive(Debug, Clone)]
pub struct Portfolio {
    pub initial_cash: f64,
    pub cash: f64,
    pub positions: Vec<Position>,
    pub total_commission: f64,
    pub round_trips: Vec<RoundTrip>,
    /// Symbols with a non-zero position, kept so `in_market` is O(1) in the per-bar path.
    held: usize,
}

impl Portfolio {
    pub fn new(initial_cash: f64, symbols: usize) -> Self {
        Portfolio {
            initial_cash,
            cash: initial_cash,
            positions: vec![Position::default(); symbols],
            total_commission: 0.0,
            round_trips: Vec::new(),
            held: 0,
        }
    }

    /// Why a fill cannot happen, if it cannot: buys must be paid in full, sells cannot exceed the position.
    pub fn check(&self, b: &Booking) -> Result<(), String> {
        let Booking {
            symbol,
            side,
            size,
            price,
            fee,
        } = *b;
        match side {
            Side::Buy => {
                let need = size * price + fee;
                if need > self.cash * (1.0 + 1e-12) {
                    return Err(format!(
                        "insufficient cash: order needs {need:.8}, cash is {:.8}",
                        self.cash
                    ));
                }
            }
            Side::Sell => {
                let held = self.positions[symbol].size;
                if size > held * (1.0 + 1e-9) {
                    return Err(format!(
                        "sell of {size} exceeds the position of {held}; spot trading is long-only"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Books a fill; returns realized pnl for sells. `step` counts engine steps for trade durations.
    pub fn apply(&mut self, b: &Booking, ts: i64, step: u64) -> Option<f64> {
        let Booking {
            symbol,
            side,
            size,
            price,
            fee,
        } = *b;
        self.total_commission += fee;
        let pos = &mut self.positions[symbol];
        match side {
            Side::Buy => {
                let cost = size * price + fee;
                self.cash -= cost;
                if pos.size == 0.0 && size > 0.0 {
                    self.held += 1;
                }
                pos.size += size;
                pos.cost += cost;
                let trip = pos.trip.get_or_insert(OpenTrip {
                    entry_ts: ts,
                    entry_step: step,
                    cost: 0.0,
                    pnl: 0.0,
                });
                trip.cost += cost;
                None
            }
            Side::Sell => {
                let size = size.min(pos.size);
                let removed = pos.avg_cost() * size;
                let proceeds = size * price - fee;
                let pnl = proceeds - removed;
                self.cash += proceeds;
                pos.size -= size;
                pos.cost -= removed;
                if let Some(trip) = pos.trip.as_mut() {
                    trip.pnl += pnl;
                }
                if pos.size <= DUST * size.max(1.0) {
                    pos.size = 0.0;
                    pos.cost = 0.0;
                    self.held -= 1;
                    if let Some(t) = pos.trip.take() {
                        self.round_trips.push(RoundTrip {
                            symbol,
                            entry_ts: t.entry_ts,
                            exit_ts: ts,
                            bars: step.saturating_sub(t.entry_step),
                            pnl: t.pnl,
                            ret: if t.cost > 0.0 { t.pnl / t.cost } else { 0.0 },
                        });
                    }
                }
                Some(pnl)
            }
        }
    }

    /// Cash plus every position marked at its last price.
    #[inline]
    pub fn value(&self) -> f64 {
        self.cash + self.positions.iter().map(|p| p.size * p.last_price).sum::<f64>()
    }

    #[inline]
    pub fn in_market(&self) -> bool {
        self.held > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bk(side: Side, size: f64, price: f64, fee: f64) -> Booking {
        Booking {
            symbol: 0,
            side,
            size,
            price,
            fee,
        }
    }

    #[test]
    fn round_trip_pnl_is_net_of_both_fees() {
        let mut p = Portfolio::new(1000.0, 1);
        p.apply(&bk(Side::Buy, 2.0, 100.0, 0.2), 0, 0);
        assert!((p.cash - 799.8).abs() < 1e-9);
        p.positions[0].last_price = 110.0;
        assert!((p.value() - (799.8 + 220.0)).abs() < 1e-9);
        let pnl = p.apply(&bk(Side::Sell, 2.0, 110.0, 0.22), 5, 3).unwrap();
        assert!((pnl - (220.0 - 0.22 - 200.2)).abs() < 1e-9);
        assert!((p.cash - (1000.0 + pnl)).abs() < 1e-9);
        let t = p.round_trips[0];
        assert_eq!((t.bars, t.entry_ts, t.exit_ts), (3, 0, 5));
        assert!((t.ret - pnl / 200.2).abs() < 1e-12);
        assert!((p.total_commission - 0.42).abs() < 1e-12);
    }

    #[test]
    fn partial_closes_keep_average_cost() {
        let mut p = Portfolio::new(1000.0, 1);
        p.apply(&bk(Side::Buy, 1.0, 100.0, 0.0), 0, 0);
        p.apply(&bk(Side::Buy, 1.0, 200.0, 0.0), 1, 1);
        let pnl = p.apply(&bk(Side::Sell, 1.0, 150.0, 0.0), 2, 2).unwrap();
        assert!(pnl.abs() < 1e-9);
        assert!(p.round_trips.is_empty());
        let pnl2 = p.apply(&bk(Side::Sell, 1.0, 250.0, 0.0), 3, 3).unwrap();
        assert!((pnl2 - 100.0).abs() < 1e-9);
        assert_eq!(p.round_trips.len(), 1);
        assert!((p.round_trips[0].pnl - 100.0).abs() < 1e-9);
    }

    #[test]
    fn checks_cash_and_long_only() {
        let mut p = Portfolio::new(100.0, 1);
        assert!(p
            .check(&bk(Side::Buy, 1.0, 100.0, 0.1))
            .unwrap_err()
            .contains("insufficient cash"));
        assert!(p.check(&bk(Side::Buy, 1.0, 99.0, 0.1)).is_ok());
        assert!(p
            .check(&bk(Side::Sell, 0.5, 10.0, 0.0))
            .unwrap_err()
            .contains("long-only"));
        p.apply(&bk(Side::Buy, 1.0, 50.0, 0.0), 0, 0);
        assert!(p.check(&bk(Side::Sell, 1.0, 10.0, 0.0)).is_ok());
        assert!(p.check(&bk(Side::Sell, 1.01, 10.0, 0.0)).is_err());
    }
}

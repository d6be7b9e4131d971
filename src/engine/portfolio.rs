//! Cash, positions and round trips. Spot only: positions are never negative.
//!
//! Cost basis includes the fees paid to open, so realized pnl on a closing fill is the net cash a round
//! trip made or lost: `pnl = size x price - fee - size x avg_cost`.

use super::types::{AssetCode, FeeAsset, Side, SymbolIdx};

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
    /// What a strategy may trade: the whole size while a trip is open, nothing when only dust (an
    /// amount below the exchange's lot step or minimum order) is left.
    #[inline]
    pub fn tradable(&self) -> f64 {
        if self.trip.is_some() {
            self.size
        } else {
            0.0
        }
    }

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

/// One fill as the portfolio books it. `fee` is in `fee_asset` units; `fee_value` is its quote value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Booking {
    pub symbol: SymbolIdx,
    pub side: Side,
    pub size: f64,
    pub price: f64,
    pub fee: f64,
    pub fee_asset: FeeAsset,
    pub fee_value: f64,
}

impl Booking {
    /// A fill whose fee is paid in the quote asset (every simulated fill).
    pub fn quote_fee(symbol: SymbolIdx, side: Side, size: f64, price: f64, fee: f64) -> Booking {
        Booking {
            symbol,
            side,
            size,
            price,
            fee,
            fee_asset: FeeAsset::Quote,
            fee_value: fee,
        }
    }

    /// Base-asset units the fill moves: a fee charged in the base asset comes out of the position.
    fn base_delta(&self) -> f64 {
        let fee = if self.fee_asset == FeeAsset::Base {
            self.fee
        } else {
            0.0
        };
        match self.side {
            Side::Buy => self.size - fee,
            Side::Sell => -(self.size + fee),
        }
    }

    /// Quote units a buy costs: only a quote-asset fee touches cash.
    fn buy_cost(&self) -> f64 {
        let fee = if self.fee_asset == FeeAsset::Quote {
            self.fee
        } else {
            0.0
        };
        self.size * self.price + fee
    }
}

#[derive(Debug, Clone)]
pub struct Portfolio {
    pub initial_cash: f64,
    pub cash: f64,
    pub positions: Vec<Position>,
    /// Every fee valued in the quote asset.
    pub total_commission: f64,
    /// Fees paid in assets outside the run (e.g. BNB): amount and quote value at the time they were
    /// charged, per asset; equity is net of that value.
    pub external_fees: Vec<(AssetCode, f64, f64)>,
    pub round_trips: Vec<RoundTrip>,
    /// Per symbol, the smallest amount that can be traded (exchange lot step or minimum order); a
    /// remainder below it is dust and closes the round trip. 0 for simulated markets.
    pub min_tradable: Vec<f64>,
    /// Symbols with an open trip, kept so `in_market` is O(1) in the per-bar path.
    held: usize,
    external_value: f64,
}

impl Portfolio {
    pub fn new(initial_cash: f64, symbols: usize) -> Self {
        Portfolio {
            initial_cash,
            cash: initial_cash,
            positions: vec![Position::default(); symbols],
            total_commission: 0.0,
            external_fees: Vec::new(),
            round_trips: Vec::new(),
            min_tradable: vec![0.0; symbols],
            held: 0,
            external_value: 0.0,
        }
    }

    /// Why a fill cannot happen, if it cannot: buys must be paid in full, sells cannot exceed the position.
    pub fn check(&self, b: &Booking) -> Result<(), String> {
        let Booking { symbol, side, size, .. } = *b;
        match side {
            Side::Buy => {
                let need = b.buy_cost();
                if need > self.cash * (1.0 + 1e-12) {
                    return Err(format!(
                        "insufficient cash: order needs {need:.8}, cash is {:.8}",
                        self.cash
                    ));
                }
            }
            Side::Sell => {
                let held = self.positions[symbol].size;
                if -b.base_delta() > held * (1.0 + 1e-9) {
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
            fee,
            fee_asset,
            fee_value,
            ..
        } = *b;
        self.total_commission += fee_value;
        if let FeeAsset::Other(code) = fee_asset {
            match self.external_fees.iter_mut().find(|e| e.0 == code) {
                Some(e) => {
                    e.1 += fee;
                    e.2 += fee_value;
                }
                None => self.external_fees.push((code, fee, fee_value)),
            }
            self.external_value += fee_value;
        }
        let base = b.base_delta();
        let pos = &mut self.positions[symbol];
        match side {
            Side::Buy => {
                let paid = b.buy_cost();
                self.cash -= paid;
                // Everything paid for the units, the fee's value included, is their cost.
                // (A base-asset fee is paid in units, which are simply not there to carry a cost.)
                let cost = paid
                    + if matches!(fee_asset, FeeAsset::Other(_)) {
                        fee_value
                    } else {
                        0.0
                    };
                let opening = pos.trip.is_none();
                pos.size += base;
                pos.cost += cost;
                if opening && pos.size > 0.0 {
                    self.held += 1;
                }
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
                // Never more than is held; a base-asset fee comes out of what is held too.
                let base_fee = -base - size;
                let sold = size.min((pos.size - base_fee).max(0.0));
                let out = (sold + base_fee).min(pos.size);
                let removed = pos.avg_cost() * out;
                let cash = match fee_asset {
                    FeeAsset::Quote => sold * b.price - fee,
                    _ => sold * b.price,
                };
                self.cash += cash;
                let proceeds = cash
                    - if matches!(fee_asset, FeeAsset::Other(_)) {
                        fee_value
                    } else {
                        0.0
                    };
                let pnl = proceeds - removed;
                pos.size -= out;
                pos.cost -= removed;
                if let Some(trip) = pos.trip.as_mut() {
                    trip.pnl += pnl;
                }
                if pos.size <= DUST * size.max(1.0) {
                    pos.size = 0.0;
                    pos.cost = 0.0;
                }
                if pos.size < self.min_tradable[symbol] || pos.size == 0.0 {
                    self.close_trip(symbol, ts, step);
                }
                Some(pnl)
            }
        }
    }

    fn close_trip(&mut self, symbol: SymbolIdx, ts: i64, step: u64) {
        if let Some(t) = self.positions[symbol].trip.take() {
            self.held -= 1;
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

    /// Sets a position to what the exchange says it is (the exchange wins). Keeps the average cost;
    /// units appearing from nowhere are valued at the last price. Returns the previous size.
    pub fn set_size(&mut self, symbol: SymbolIdx, size: f64, ts: i64, step: u64) -> f64 {
        let pos = &mut self.positions[symbol];
        let before = pos.size;
        let avg = if pos.size > 0.0 { pos.avg_cost() } else { pos.last_price };
        pos.size = size.max(0.0);
        pos.cost = avg * pos.size;
        let tradable = pos.size > 0.0 && pos.size >= self.min_tradable[symbol];
        match (pos.trip.is_some(), tradable) {
            (true, false) => self.close_trip(symbol, ts, step),
            (false, true) => {
                let cost = pos.cost;
                pos.trip = Some(OpenTrip {
                    entry_ts: ts,
                    entry_step: step,
                    cost,
                    pnl: 0.0,
                });
                self.held += 1;
            }
            _ => {}
        }
        before
    }

    /// Cash plus every position marked at its last price.
    #[inline]
    pub fn value(&self) -> f64 {
        match &self.positions[..] {
            [only] => self.single_marker()(only.last_price),
            all => self.cash + all.iter().map(|p| p.size * p.last_price).sum::<f64>() - self.external_value,
        }
    }

    /// For a one-symbol portfolio: its value with the symbol marked at a given price, exactly as
    /// `value` computes it (a sum of one term is that term), for stepping over many prices at once.
    #[inline(always)]
    pub fn single_marker(&self) -> impl Fn(f64) -> f64 + Copy {
        let (cash, external) = (self.cash, self.external_value);
        let size = self.positions.first().map_or(0.0, |p| p.size);
        move |price| cash + size * price - external
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
        Booking::quote_fee(0, side, size, price, fee)
    }

    #[test]
    fn base_asset_fees_shrink_the_position_and_dust_closes_the_trip() {
        // Binance without BNB: a buy of 0.16603 BTC pays 0.00016603 BTC.
        let mut p = Portfolio::new(10_000.0, 1);
        p.min_tradable[0] = 0.00001;
        let buy = Booking {
            fee: 0.00016603,
            fee_asset: FeeAsset::Base,
            fee_value: 0.00016603 * 60_000.0,
            ..Booking::quote_fee(0, Side::Buy, 0.16603, 60_000.0, 0.0)
        };
        p.apply(&buy, 0, 0);
        assert!((p.positions[0].size - 0.16586397).abs() < 1e-12);
        assert!((p.cash - (10_000.0 - 0.16603 * 60_000.0)).abs() < 1e-9);
        assert!((p.total_commission - 9.9618).abs() < 1e-9);
        assert!(p.in_market());
        // The exit sells what can be sold (rounded down to the lot); 0.00000397 BTC is left as dust.
        let pnl = p
            .apply(&Booking::quote_fee(0, Side::Sell, 0.16586, 61_000.0, 10.117), 1, 1)
            .unwrap();
        assert!(!p.in_market(), "dust closes the round trip");
        assert_eq!(p.round_trips.len(), 1);
        assert!((p.positions[0].size - 0.00000397).abs() < 1e-12);
        assert_eq!(p.positions[0].tradable(), 0.0);
        let paid = 0.16603 * 60_000.0;
        let kept = paid * 0.00000397 / 0.16586397;
        assert!(
            (pnl - (0.16586 * 61_000.0 - 10.117 - (paid - kept))).abs() < 1e-6,
            "{pnl}"
        );
        // A later buy adds onto the dust and opens a new trip.
        p.apply(&Booking::quote_fee(0, Side::Buy, 0.1, 60_000.0, 6.0), 2, 2);
        assert!(p.in_market());
        assert!((p.positions[0].size - 0.10000397).abs() < 1e-12);
    }

    #[test]
    fn third_asset_fees_leave_cash_and_position_alone_but_count_in_value() {
        let mut p = Portfolio::new(1000.0, 1);
        let b = Booking {
            fee: 0.01,
            fee_asset: FeeAsset::Other(AssetCode::new("BNB")),
            fee_value: 3.0,
            ..Booking::quote_fee(0, Side::Buy, 1.0, 100.0, 0.0)
        };
        p.apply(&b, 0, 0);
        p.positions[0].last_price = 100.0;
        assert_eq!((p.cash, p.positions[0].size), (900.0, 1.0));
        assert!((p.value() - 997.0).abs() < 1e-12);
        assert_eq!(p.external_fees, vec![(AssetCode::new("BNB"), 0.01, 3.0)]);
        assert!((p.positions[0].avg_cost() - 103.0).abs() < 1e-12);
    }

    #[test]
    fn set_size_follows_the_exchange() {
        let mut p = Portfolio::new(1000.0, 1);
        p.min_tradable[0] = 0.001;
        p.apply(&bk(Side::Buy, 2.0, 100.0, 0.0), 0, 0);
        assert_eq!(p.set_size(0, 1.5, 1, 1), 2.0);
        assert!((p.positions[0].cost - 150.0).abs() < 1e-12);
        assert!(p.in_market());
        p.set_size(0, 0.0001, 2, 2);
        assert!(!p.in_market());
        assert_eq!(p.round_trips.len(), 1);
        p.positions[0].last_price = 90.0;
        p.set_size(0, 1.0, 3, 3);
        assert!(p.in_market());
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

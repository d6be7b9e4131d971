//! What a strategy sees of the engine while handling one bar, and how it asks for orders.

use crate::engine::types::{OrderKind, Side, SymbolIdx};

/// Position sizing and protective exits; every strategy accepts these parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizing {
    /// Fixed base-asset amount per entry; wins over `stake_pct` when set.
    pub size: Option<f64>,
    /// Fraction of available cash committed per entry, priced at the signal bar's close.
    pub stake_pct: f64,
    /// Stop-loss distance below the entry fill price, as a fraction (0.05 = 5%).
    pub stop_loss: Option<f64>,
    /// Take-profit distance above the entry fill price, as a fraction.
    pub take_profit: Option<f64>,
}

impl Default for Sizing {
    fn default() -> Self {
        Sizing {
            size: None,
            stake_pct: 0.95,
            stop_loss: None,
            take_profit: None,
        }
    }
}

/// An order request from a strategy; the engine validates and books it after `on_bar` returns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Request {
    Submit { side: Side, kind: OrderKind, amount: f64 },
    CancelAll,
}

pub struct Ctx<'a> {
    pub symbol: SymbolIdx,
    /// Open time of the bar being handled (ms).
    pub ts: i64,
    pub cash: f64,
    /// Base-asset amount held in this symbol.
    pub position: f64,
    /// Orders of this symbol that are still working (not filled, cancelled or rejected).
    pub open_orders: usize,
    pub sizing: &'a Sizing,
    pub(crate) requests: &'a mut Vec<Request>,
    /// Lines the strategy logged during this call (the run's `logs` channel).
    pub(crate) logs: &'a mut Vec<String>,
    /// Set when the strategy cannot go on (a script error): the run ends `failed` with it.
    pub(crate) failure: &'a mut Option<String>,
}

impl Ctx<'_> {
    pub fn submit(&mut self, side: Side, kind: OrderKind, amount: f64) {
        self.requests.push(Request::Submit { side, kind, amount });
    }

    pub fn cancel_all(&mut self) {
        self.requests.push(Request::CancelAll);
    }

    pub fn log(&mut self, line: String) {
        self.logs.push(line);
    }

    /// Ends the run as failed with `why` (the first failure wins).
    pub fn fail(&mut self, why: String) {
        if self.failure.is_none() {
            *self.failure = Some(why);
        }
    }

    pub fn is_flat(&self) -> bool {
        self.position <= 0.0
    }

    /// Opens a long at market, sized by `size` or `stake_pct` of cash at `price`; no-op when already in
    /// the market or an order is working, so repeated signals never stack entries.
    pub fn enter_long(&mut self, price: f64) {
        if !self.is_flat() || self.open_orders > 0 || price <= 0.0 {
            return;
        }
        let amount = self.sizing.size.unwrap_or(self.sizing.stake_pct * self.cash / price);
        if amount > 0.0 && amount.is_finite() {
            self.submit(Side::Buy, OrderKind::Market, amount);
        }
    }

    /// Closes the whole position at market, cancelling protective orders first.
    pub fn exit_long(&mut self) {
        if self.is_flat() {
            return;
        }
        if self.open_orders > 0 {
            self.cancel_all();
        }
        self.submit(Side::Sell, OrderKind::Market, self.position);
    }
}

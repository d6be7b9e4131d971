//! The engine: single writer of run state. Market events go in through `on_candle`, fills from an
//! exchange through `on_exchange_fill`; everything observers need goes out through an `EventSink`.
//! Strategy, portfolio and risk code here is the same for backtest, paper and live.

use super::clock::Clock;
use super::execution::{Execution, Match, Submitted};
use super::portfolio::{Booking, Portfolio, RoundTrip};
use super::strategy::{Ctx, Request, Sizing, Strategy};
use super::types::{Candle, EquityPoint, Fill, Order, OrderId, OrderKind, OrderStatus, Side, SymbolIdx};
use std::collections::VecDeque;

/// Observers of a run (the runner's broadcast channel, a database writer). Every method has a no-op
/// default so a backtest with `NoEvents` compiles down to nothing.
pub trait EventSink {
    fn order(&mut self, _order: &Order) {}
    fn fill(&mut self, _fill: &Fill) {}
    fn candle(&mut self, _symbol: SymbolIdx, _bar: &Candle) {}
    fn step(&mut self, _point: &EquityPoint, _portfolio: &Portfolio) {}
    /// The feed has ended (or paused): report whatever was being held back.
    fn flush(&mut self, _last: Option<&EquityPoint>, _portfolio: &Portfolio) {}
}

pub struct NoEvents;
impl EventSink for NoEvents {}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub initial_cash: f64,
    /// Fee rate on the notional of every fill (0.001 = 0.1%).
    pub commission: f64,
    pub symbols: usize,
    pub sizing: Sizing,
    /// Strategy orders allowed per second of engine time; 0 disables the limit.
    pub max_orders_per_sec: u32,
}

/// Everything a finished (or stopped) run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub orders: Vec<Order>,
    pub fills: Vec<Fill>,
    pub equity: Vec<EquityPoint>,
    pub round_trips: Vec<RoundTrip>,
    pub portfolio: Portfolio,
    pub steps_in_market: u64,
    /// First and last close seen per symbol (`NaN` for a symbol that never had a candle).
    pub first_close: Vec<f64>,
    pub last_close: Vec<f64>,
}

impl RunOutput {
    /// The output of a run that never saw a candle.
    pub fn empty(initial_cash: f64, symbols: usize) -> RunOutput {
        RunOutput {
            orders: Vec::new(),
            fills: Vec::new(),
            equity: Vec::new(),
            round_trips: Vec::new(),
            portfolio: Portfolio::new(initial_cash, symbols),
            steps_in_market: 0,
            first_close: vec![f64::NAN; symbols],
            last_close: vec![f64::NAN; symbols],
        }
    }
}

pub struct Engine<C: Clock, X: Execution, S: EventSink> {
    cfg: EngineConfig,
    clock: C,
    execution: X,
    sink: S,
    strategies: Vec<Box<dyn Strategy>>,
    portfolio: Portfolio,
    orders: Vec<Order>,
    fills: Vec<Fill>,
    equity: Vec<EquityPoint>,
    open_orders: Vec<usize>,
    /// Ids of working orders, so reserving cash for them never scans the whole order history.
    open_ids: Vec<OrderId>,
    first_close: Vec<f64>,
    matches: Vec<Match>,
    requests: Vec<Request>,
    recent_orders: VecDeque<i64>,
    step: u64,
    steps_in_market: u64,
    next_oco: u64,
}

impl<C: Clock, X: Execution, S: EventSink> Engine<C, X, S> {
    /// `strategies` holds one instance per symbol, in the run's symbol order.
    pub fn new(cfg: EngineConfig, clock: C, execution: X, sink: S, strategies: Vec<Box<dyn Strategy>>) -> Self {
        let n = cfg.symbols;
        assert_eq!(strategies.len(), n, "one strategy instance per symbol");
        Engine {
            portfolio: Portfolio::new(cfg.initial_cash, n),
            cfg,
            clock,
            execution,
            sink,
            strategies,
            orders: Vec::new(),
            fills: Vec::new(),
            equity: Vec::new(),
            open_orders: vec![0; n],
            open_ids: Vec::new(),
            first_close: vec![f64::NAN; n],
            matches: Vec::new(),
            requests: Vec::new(),
            recent_orders: VecDeque::new(),
            step: 0,
            steps_in_market: 0,
            next_oco: 0,
        }
    }

    pub fn reserve_steps(&mut self, n: usize) {
        self.equity.reserve_exact(n);
    }

    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }
    pub fn orders(&self) -> &[Order] {
        &self.orders
    }
    pub fn fills(&self) -> &[Fill] {
        &self.fills
    }
    pub fn equity(&self) -> &[EquityPoint] {
        &self.equity
    }
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// A closed candle of `symbol`: fill what it fills, mark the position, then let the strategy act.
    #[inline(always)]
    pub fn on_candle(&mut self, symbol: SymbolIdx, bar: &Candle) {
        self.clock.observe(bar.ts);
        self.sink.candle(symbol, bar);
        self.execution
            .on_candle(symbol, bar, &mut self.orders, &mut self.matches);
        if !self.matches.is_empty() {
            let matches = std::mem::take(&mut self.matches);
            for m in &matches {
                let remaining =
                    self.orders[m.order_id as usize - 1].amount - self.orders[m.order_id as usize - 1].filled;
                self.book_fill(m.order_id, m.price, remaining, true);
            }
            self.matches = matches;
            self.matches.clear();
        }
        let pos = &mut self.portfolio.positions[symbol];
        pos.last_price = bar.close;
        if self.first_close[symbol].is_nan() {
            self.first_close[symbol] = bar.close;
        }
        let position = pos.size;
        let mut ctx = Ctx {
            symbol,
            ts: bar.ts,
            cash: self.available_cash(),
            position,
            open_orders: self.open_orders[symbol],
            sizing: &self.cfg.sizing,
            requests: &mut self.requests,
        };
        self.strategies[symbol].on_bar(bar, &mut ctx);
        if !self.requests.is_empty() {
            self.handle_requests(symbol);
        }
    }

    /// Cash not yet promised to working buy orders (estimated at their limit, else the last close, plus
    /// fees), so strategies on several symbols never size two entries against the same cash.
    #[inline]
    pub fn available_cash(&self) -> f64 {
        if self.open_ids.is_empty() {
            return self.portfolio.cash;
        }
        let reserved: f64 = self
            .open_ids
            .iter()
            .map(|&id| &self.orders[id as usize - 1])
            .filter(|o| o.side == Side::Buy)
            .map(|o| {
                let price = match o.kind {
                    OrderKind::Limit { price } => price,
                    OrderKind::StopLimit { limit, .. } => limit,
                    OrderKind::Stop { stop } => stop,
                    OrderKind::Market => self.portfolio.positions[o.symbol].last_price,
                };
                (o.amount - o.filled) * price * (1.0 + self.cfg.commission)
            })
            .sum();
        (self.portfolio.cash - reserved).max(0.0)
    }

    /// Ends one engine step (all candles sharing a timestamp): records the equity point.
    #[inline(always)]
    pub fn end_step(&mut self, ts: i64) {
        let point = EquityPoint {
            ts,
            value: self.portfolio.value(),
            cash: self.portfolio.cash,
        };
        self.equity.push(point);
        self.sink.step(&point, &self.portfolio);
        self.step += 1;
        if self.portfolio.in_market() {
            self.steps_in_market += 1;
        }
    }

    /// A fill reported by an exchange (live execution). The exchange already checked funds.
    pub fn on_exchange_fill(&mut self, order_id: OrderId, price: f64, size: f64) {
        self.book_fill(order_id, price, size, false);
    }

    fn handle_requests(&mut self, symbol: SymbolIdx) {
        let requests = std::mem::take(&mut self.requests);
        for r in &requests {
            match *r {
                Request::CancelAll => self.cancel_symbol(symbol, "cancelled by strategy"),
                Request::Submit { side, kind, amount } => {
                    let limited = self.rate_limited();
                    let id = self.create_order(symbol, side, kind, amount, None);
                    if limited {
                        self.reject(id, "rate_limited".to_string());
                    } else {
                        self.accept(id);
                    }
                }
            }
        }
        self.requests = requests;
        self.requests.clear();
    }

    /// Sliding one-second window over engine time.
    fn rate_limited(&mut self) -> bool {
        let max = self.cfg.max_orders_per_sec as usize;
        if max == 0 {
            return false;
        }
        let now = self.clock.now();
        while self.recent_orders.front().is_some_and(|&t| t <= now - 1000) {
            self.recent_orders.pop_front();
        }
        if self.recent_orders.len() >= max {
            return true;
        }
        self.recent_orders.push_back(now);
        false
    }

    fn create_order(
        &mut self,
        symbol: SymbolIdx,
        side: Side,
        kind: OrderKind,
        amount: f64,
        oco: Option<u64>,
    ) -> OrderId {
        let now = self.clock.now();
        let id = self.orders.len() as OrderId + 1;
        self.orders.push(Order {
            id,
            symbol,
            side,
            kind,
            amount,
            filled: 0.0,
            avg_fill_price: None,
            status: OrderStatus::Created,
            reason: None,
            created_at: now,
            updated_at: now,
            triggered: false,
            oco_group: oco,
        });
        self.sink.order(&self.orders[id as usize - 1]);
        id
    }

    /// Static checks, then hands the order to execution.
    fn accept(&mut self, id: OrderId) {
        let o = &self.orders[id as usize - 1];
        let prices_ok = match o.kind {
            OrderKind::Market => true,
            OrderKind::Limit { price } => price > 0.0 && price.is_finite(),
            OrderKind::Stop { stop } => stop > 0.0 && stop.is_finite(),
            OrderKind::StopLimit { stop, limit } => stop > 0.0 && limit > 0.0 && stop.is_finite() && limit.is_finite(),
        };
        if !(o.amount > 0.0 && o.amount.is_finite()) {
            let reason = format!("invalid amount {}", o.amount);
            return self.reject(id, reason);
        }
        if !prices_ok {
            return self.reject(id, "invalid price".into());
        }
        let symbol = o.symbol;
        self.set_status(id, OrderStatus::Submitted);
        self.open_orders[symbol] += 1;
        self.open_ids.push(id);
        if self.execution.submit(&self.orders[id as usize - 1]) == Submitted::Accepted {
            self.set_status(id, OrderStatus::Accepted);
        }
    }

    /// The exchange took the order for `amount` (its lot step may have rounded the quantity down).
    pub fn on_exchange_accept(&mut self, id: OrderId, amount: f64) {
        if let Some(o) = self.orders.get_mut(id as usize - 1).filter(|o| !o.status.is_final()) {
            if amount > 0.0 && amount <= o.amount {
                o.amount = amount;
            }
            self.set_status(id, OrderStatus::Accepted);
        }
    }

    /// An exchange's answer about an order: accepted, rejected (with its reason) or cancelled.
    pub fn on_exchange_update(&mut self, id: OrderId, status: OrderStatus, reason: Option<String>) {
        if self.orders.get(id as usize - 1).is_none_or(|o| o.status.is_final()) {
            return;
        }
        if let Some(r) = reason {
            self.orders[id as usize - 1].reason = Some(r);
        }
        self.set_status(id, status);
    }

    fn set_status(&mut self, id: OrderId, status: OrderStatus) {
        let now = self.clock.now();
        let o = &mut self.orders[id as usize - 1];
        if o.status.is_final() {
            return;
        }
        let was_open = matches!(
            o.status,
            OrderStatus::Submitted | OrderStatus::Accepted | OrderStatus::PartiallyFilled
        );
        o.status = status;
        o.updated_at = now;
        if was_open && status.is_final() {
            self.open_orders[o.symbol] -= 1;
            self.open_ids.retain(|&x| x != id);
        }
        self.sink.order(&self.orders[id as usize - 1]);
    }

    fn reject(&mut self, id: OrderId, reason: String) {
        self.orders[id as usize - 1].reason = Some(reason);
        self.set_status(id, OrderStatus::Rejected);
        self.execution.cancel(&self.orders[id as usize - 1]);
    }

    pub fn cancel(&mut self, id: OrderId, reason: &str) {
        let Some(o) = self.orders.get(id as usize - 1) else {
            return;
        };
        if o.status.is_final() {
            return;
        }
        if self.execution.cancel(o) {
            self.orders[id as usize - 1].reason = Some(reason.to_string());
            self.set_status(id, OrderStatus::Cancelled);
        }
    }

    fn cancel_symbol(&mut self, symbol: SymbolIdx, reason: &str) {
        if self.open_orders[symbol] == 0 {
            return;
        }
        let ids: Vec<OrderId> = self
            .orders
            .iter()
            .filter(|o| o.symbol == symbol && !o.status.is_final())
            .map(|o| o.id)
            .collect();
        for id in ids {
            self.cancel(id, reason);
        }
    }

    /// Books `size` of order `id` at `price`. With `check_funds` (simulated fills) an order the cash or
    /// position cannot cover is rejected whole, never shrunk.
    fn book_fill(&mut self, id: OrderId, price: f64, size: f64, check_funds: bool) {
        let o = &self.orders[id as usize - 1];
        if o.status.is_final() || size <= 0.0 {
            return;
        }
        let (symbol, side, oco) = (o.symbol, o.side, o.oco_group);
        let fee = size * price * self.cfg.commission;
        let booking = Booking {
            symbol,
            side,
            size,
            price,
            fee,
        };
        if check_funds {
            if let Err(reason) = self.portfolio.check(&booking) {
                return self.reject(id, reason);
            }
        }
        let now = self.clock.now();
        let pnl = self.portfolio.apply(&booking, now, self.step);
        let fill = Fill {
            id: self.fills.len() as u64 + 1,
            order_id: id,
            ts: now,
            symbol,
            side,
            size,
            price,
            commission: fee,
            pnl,
        };
        self.sink.fill(&fill);
        self.fills.push(fill);
        let o = &mut self.orders[id as usize - 1];
        let prev = o.filled;
        o.filled += size;
        o.avg_fill_price = Some(o.avg_fill_price.map_or(price, |a| (a * prev + price * size) / o.filled));
        let done = o.filled >= o.amount * (1.0 - 1e-12);
        self.set_status(
            id,
            if done {
                OrderStatus::Filled
            } else {
                OrderStatus::PartiallyFilled
            },
        );
        if let Some(group) = oco {
            let siblings: Vec<OrderId> = self
                .orders
                .iter()
                .filter(|s| s.oco_group == Some(group) && s.id != id && !s.status.is_final())
                .map(|s| s.id)
                .collect();
            for s in siblings {
                self.cancel(s, "one-cancels-other: sibling filled");
            }
        }
        if side == Side::Buy && done {
            self.place_protection(symbol, price, self.orders[id as usize - 1].filled);
        }
    }

    /// Stop-loss first, then take-profit, as one OCO pair: when both could fill on one bar the stop
    /// (the worse outcome) wins, which is the conservative reading of a bar.
    fn place_protection(&mut self, symbol: SymbolIdx, entry: f64, size: f64) {
        let (sl, tp) = (self.cfg.sizing.stop_loss, self.cfg.sizing.take_profit);
        if sl.is_none() && tp.is_none() {
            return;
        }
        self.next_oco += 1;
        let group = Some(self.next_oco);
        if let Some(sl) = sl {
            let id = self.create_order(
                symbol,
                Side::Sell,
                OrderKind::Stop {
                    stop: entry * (1.0 - sl),
                },
                size,
                group,
            );
            self.accept(id);
        }
        if let Some(tp) = tp {
            let id = self.create_order(
                symbol,
                Side::Sell,
                OrderKind::Limit {
                    price: entry * (1.0 + tp),
                },
                size,
                group,
            );
            self.accept(id);
        }
    }

    /// Lets the sink report the latest state it may have throttled away.
    pub fn flush_events(&mut self) {
        self.sink.flush(self.equity.last(), &self.portfolio);
    }

    /// Cancels every working order (a stopped or finished run leaves none behind).
    pub fn cancel_all(&mut self, reason: &str) {
        for s in 0..self.cfg.symbols {
            self.cancel_symbol(s, reason);
        }
    }

    pub fn finish(self) -> RunOutput {
        let last_close = self
            .portfolio
            .positions
            .iter()
            .map(|p| if p.last_price > 0.0 { p.last_price } else { f64::NAN })
            .collect();
        RunOutput {
            orders: self.orders,
            fills: self.fills,
            equity: self.equity,
            round_trips: self.portfolio.round_trips.clone(),
            portfolio: self.portfolio,
            steps_in_market: self.steps_in_market,
            first_close: self.first_close,
            last_close,
        }
    }
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;

//! The engine: single writer of run state. Market events go in through `on_candle`, fills from an
//! exchange through `on_exchange_fill`; everything observers need goes out through an `EventSink`.
//! Strategy, portfolio and risk code here is the same for backtest, paper and live.

use super::clock::Clock;
use super::curve::CurveStats;
use super::execution::{Execution, Match, Submitted};
use super::portfolio::{Booking, Portfolio, RoundTrip};
use super::risk::{RiskAction, RiskEvent, RiskLimits, RiskRule, RiskState};
use super::strategy::{Ctx, Request, Sizing, Strategy};
use super::types::{
    Candle, EquityPoint, FeeAsset, Fill, Order, OrderId, OrderKind, OrderOrigin, OrderStatus, Side, SymbolIdx,
};
use std::collections::VecDeque;

/// Observers of a run (the runner's broadcast channel, a database writer). Every method has a no-op
/// default so a backtest with `NoEvents` compiles down to nothing.
pub trait EventSink {
    /// Whether `candle` and `step` do anything: when not, the engine may skip building their
    /// arguments bar by bar.
    const OBSERVES_BARS: bool = true;
    fn order(&mut self, _order: &Order) {}
    fn fill(&mut self, _fill: &Fill) {}
    fn candle(&mut self, _symbol: SymbolIdx, _bar: &Candle) {}
    /// One engine step; `kept` says whether the point is in the run's equity curve (a long realtime
    /// run keeps a thinned curve, see `Engine::cap_equity`).
    fn step(&mut self, _point: &EquityPoint, _portfolio: &Portfolio, _kept: bool) {}
    /// The feed has ended (or paused): report whatever was being held back.
    fn flush(&mut self, _last: Option<&EquityPoint>, _portfolio: &Portfolio) {}
    /// Something a person should hear about: risk interventions, pauses, dust, corrections.
    fn notice(&mut self, _notice: &Notice) {}
    /// Cash or a position changed outside a step (an exchange fill, a correction): live views show it
    /// now rather than at the next candle.
    fn holdings(&mut self, _portfolio: &Portfolio) {}
}

/// Asks the kernel to back a large, not yet touched equity buffer with huge pages: a million-step
/// backtest then takes a dozen page faults to fill it instead of thousands (advice only; where it
/// is not supported nothing changes).
fn advise_huge_pages(v: &Vec<EquityPoint>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = v.capacity() * std::mem::size_of::<EquityPoint>();
        if bytes < 2 * HUGE {
            return;
        }
        let start = v.as_ptr() as usize;
        let from = start.next_multiple_of(HUGE);
        let to = (start + bytes) / HUGE * HUGE;
        if to > from {
            // SAFETY: the range lies inside the vector's own allocation; MADV_HUGEPAGE changes how
            // untouched pages are backed, never their contents.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// Has the kernel fault in (and zero) the vector's spare capacity on another thread, so the engine's
/// loop does not: a backtest in a fresh process otherwise pays for every page of its equity curve
/// inside the loop (a third of a buy-and-hold command's time). MADV_POPULATE_WRITE only builds page
/// tables; it never changes what the memory holds, so it is harmless whenever it runs (a kernel
/// before 5.14 refuses it and nothing happens).
fn populate_in_background(v: &Vec<EquityPoint>) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let bytes = v.capacity() * std::mem::size_of::<EquityPoint>();
        let start = (v.as_ptr() as usize).next_multiple_of(PAGE);
        let end = (v.as_ptr() as usize + bytes) / PAGE * PAGE;
        if end > start + 64 * PAGE {
            // SAFETY: the range lies inside the vector's allocation when the call is made; populating
            // never alters memory contents, and if the vector is gone by then the call fails harmlessly.
            let _ = std::thread::Builder::new()
                .name("prefault".into())
                .spawn(move || unsafe {
                    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_POPULATE_WRITE);
                });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// What the engine tells observers besides orders, fills and equity.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Risk(RiskEvent),
    /// Trading paused (no new orders) until resumed; the run keeps going.
    Paused(String),
    Resumed,
    /// A remainder too small to trade is left on `symbol`; it is not sold.
    Dust {
        symbol: SymbolIdx,
        size: f64,
    },
    /// A position was set to what the exchange holds.
    Reconciled {
        symbol: SymbolIdx,
        from: f64,
        to: f64,
    },
    /// A strategy order below the exchange's minimum was not placed. Sent once per streak of such
    /// orders on a symbol (a drained account would otherwise ask every bar); `skipped` counts the run's.
    BelowMinimum {
        symbol: SymbolIdx,
        amount: f64,
        value: f64,
        minimum: OrderMinimum,
    },
    /// A line the strategy logged.
    Log {
        symbol: SymbolIdx,
        line: String,
    },
}

/// The smallest order an exchange takes on a symbol: an amount and a value in the quote currency.
/// Orders below either are refused before they are sent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OrderMinimum {
    pub amount: f64,
    pub notional: f64,
}

/// One execution as an exchange booked it: the fee in the asset it was charged in and its quote value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExchangeFill {
    pub price: f64,
    pub size: f64,
    pub fee: f64,
    pub fee_asset: FeeAsset,
    pub fee_value: f64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvents;
impl EventSink for NoEvents {
    const OBSERVES_BARS: bool = false;
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub initial_cash: f64,
    /// Fee rate on the notional of every fill (0.001 = 0.1%).
    pub commission: f64,
    pub symbols: usize,
    pub sizing: Sizing,
    /// Strategy orders allowed per second of engine time; 0 disables the limit.
    pub max_orders_per_sec: u32,
    pub risk: RiskLimits,
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
    pub risk_events: Vec<RiskEvent>,
    /// The risk rule that ended the run, if one did.
    pub halted: Option<RiskRule>,
    /// Why trading was paused when the run ended, if it was.
    pub paused: Option<String>,
    /// Steps between kept equity points: 1, or a power of two once a long realtime run was thinned.
    pub equity_stride: u64,
    /// Returns and drawdowns over every engine step (bar), whatever `equity` kept.
    pub curve: CurveStats,
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
            risk_events: Vec::new(),
            halted: None,
            paused: None,
            equity_stride: 1,
            curve: CurveStats::new(initial_cash),
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
    risk: RiskState,
    risk_events: Vec<RiskEvent>,
    halted: Option<RiskRule>,
    paused: Option<String>,
    strategy_logs: Vec<String>,
    failure: Option<String>,
    stopped_strategies: bool,
    minimums: Vec<OrderMinimum>,
    /// The last step's point: what the equity risk checks compare against, and the end of a thinned curve.
    last_point: Option<EquityPoint>,
    /// At most this many equity points are kept; see `cap_equity`.
    equity_cap: usize,
    equity_stride: u64,
    /// False: no equity curve is stored (a sweep's combinations report only metrics).
    keep_curve: bool,
    curve: CurveStats,
    /// Per symbol: a below-minimum order was already reported in the current streak.
    below_minimum_reported: Vec<bool>,
    below_minimum_skipped: u64,
    /// The one strategy may promise quiet stretches (`Strategy::quiet_before`); see `quiet_bars`.
    may_be_quiet: bool,
}

impl<C: Clock, X: Execution, S: EventSink> Engine<C, X, S> {
    /// `strategies` holds one instance per symbol, in the run's symbol order.
    pub fn new(cfg: EngineConfig, clock: C, execution: X, sink: S, strategies: Vec<Box<dyn Strategy>>) -> Self {
        let n = cfg.symbols;
        assert_eq!(strategies.len(), n, "one strategy instance per symbol");
        let may_be_quiet = matches!(&strategies[..], [only] if only.quiet_before().is_some());
        Engine {
            may_be_quiet,
            portfolio: Portfolio::new(cfg.initial_cash, n),
            risk: RiskState::new(cfg.risk, cfg.initial_cash, n),
            risk_events: Vec::new(),
            halted: None,
            paused: None,
            strategy_logs: Vec::new(),
            failure: None,
            stopped_strategies: false,
            minimums: vec![OrderMinimum::default(); n],
            last_point: None,
            equity_cap: usize::MAX,
            equity_stride: 1,
            keep_curve: true,
            curve: CurveStats::new(cfg.initial_cash),
            below_minimum_reported: vec![false; n],
            below_minimum_skipped: 0,
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

    /// Bounds the equity curve of a run without a known end (paper, live): once `points` are kept,
    /// every other one is dropped and from then on only every 2nd (4th, ...) step is kept, so memory
    /// stays flat however fast and long the run goes. Metrics still see every step (`RunOutput::curve`).
    pub fn cap_equity(&mut self, points: usize) {
        self.equity_cap = points.max(2);
    }

    /// Stores no equity curve: metrics still see every step (`RunOutput::curve`), but a sweep's
    /// combinations then neither allocate nor write one point per candle.
    pub fn discard_equity_curve(&mut self) {
        self.keep_curve = false;
        self.equity = Vec::new();
    }

    /// Room for `n` orders and their fills up front (a replayed run knows how many it will place).
    pub fn reserve_orders(&mut self, n: usize) {
        self.orders.reserve_exact(n);
        self.fills.reserve_exact(n);
    }

    pub fn reserve_steps(&mut self, n: usize) {
        if !self.keep_curve {
            return;
        }
        self.equity.reserve_exact(n);
        advise_huge_pages(&self.equity);
    }

    /// `reserve_steps`, with the buffer's pages faulted in on another thread while the run goes: for
    /// a single backtest, whose loop would otherwise wait on each new page. (A sweep's workers keep
    /// every core busy already, so they do not ask for it.)
    pub fn reserve_steps_prefaulted(&mut self, n: usize) {
        self.reserve_steps(n);
        if self.equity.is_empty() {
            populate_in_background(&self.equity);
        }
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
    pub fn risk_events(&self) -> &[RiskEvent] {
        &self.risk_events
    }
    /// The risk rule that is ending the run, if one is.
    pub fn halted(&self) -> Option<RiskRule> {
        self.halted
    }
    /// A halted run whose closing orders are all done, or a failed strategy: time to end it.
    pub fn wound_down(&self) -> bool {
        (self.halted.is_some() && self.open_ids.is_empty()) || self.failure.is_some()
    }

    /// Why the strategy failed (a script error with its file:line), if it did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }
    pub fn paused(&self) -> Option<&str> {
        self.paused.as_deref()
    }

    /// Sets the smallest tradable amount per symbol (exchange lot step or minimum order): a remainder
    /// below it is dust, not a position to close.
    pub fn set_min_tradable(&mut self, symbol: SymbolIdx, amount: f64) {
        self.portfolio.min_tradable[symbol] = amount.max(0.0);
    }

    /// Sets the smallest order the exchange takes on `symbol`; strategy orders below it are not placed.
    pub fn set_order_minimum(&mut self, symbol: SymbolIdx, minimum: OrderMinimum) {
        self.minimums[symbol] = minimum;
    }

    /// How many strategy orders were not placed because they were below the exchange's minimum.
    pub fn below_minimum_skipped(&self) -> u64 {
        self.below_minimum_skipped
    }

    /// Whether an order for `amount` is below the symbol's minimum; the first of a streak is reported.
    fn below_minimum(&mut self, symbol: SymbolIdx, kind: OrderKind, amount: f64) -> bool {
        let min = self.minimums[symbol];
        let price = match kind {
            OrderKind::Limit { price } => price,
            OrderKind::StopLimit { limit, .. } => limit,
            OrderKind::Stop { stop } => stop,
            OrderKind::Market => self.portfolio.positions[symbol].last_price,
        };
        let value = if price.is_finite() && price > 0.0 {
            amount * price
        } else {
            f64::INFINITY
        };
        if amount >= min.amount && value >= min.notional {
            self.below_minimum_reported[symbol] = false;
            return false;
        }
        self.below_minimum_skipped += 1;
        if !std::mem::replace(&mut self.below_minimum_reported[symbol], true) {
            self.sink.notice(&Notice::BelowMinimum {
                symbol,
                amount,
                value,
                minimum: min,
            });
        }
        true
    }

    /// Lets trading go on after a pause; the rejection count starts over.
    pub fn resume(&mut self) -> bool {
        if self.paused.take().is_none() {
            return false;
        }
        self.risk.consecutive_rejections = 0;
        self.sink.notice(&Notice::Resumed);
        true
    }

    /// Sets a position to what the exchange holds; returns the previous size when it differed by more
    /// than `tolerance`.
    pub fn reconcile_position(&mut self, symbol: SymbolIdx, size: f64, tolerance: f64) -> Option<f64> {
        let before = self.portfolio.positions[symbol].size;
        if (before - size).abs() <= tolerance {
            return None;
        }
        let now = self.clock.now();
        self.portfolio.set_size(symbol, size, now, self.step);
        self.sink.notice(&Notice::Reconciled {
            symbol,
            from: before,
            to: size,
        });
        self.sink.holdings(&self.portfolio);
        Some(before)
    }

    /// Sets cash to what the exchange holds when it holds less than the engine believes.
    pub fn cap_cash(&mut self, available: f64) -> Option<f64> {
        let before = self.portfolio.cash;
        if available >= before - 1e-9 {
            return None;
        }
        self.portfolio.cash = available.max(0.0);
        self.sink.holdings(&self.portfolio);
        Some(before)
    }

    /// A closed candle of `symbol`: fill what it fills, mark the position, then let the strategy act.
    #[inline(always)]
    pub fn on_candle(&mut self, symbol: SymbolIdx, bar: &Candle) {
        self.clock.observe(bar.ts);
        self.sink.candle(symbol, bar);
        self.risk.bars[symbol] += 1;
        self.execution
            .on_candle(symbol, bar, &mut self.orders, &mut self.matches);
        if !self.matches.is_empty() {
            let matches = std::mem::take(&mut self.matches);
            for m in &matches {
                let remaining =
                    self.orders[m.order_id as usize - 1].amount - self.orders[m.order_id as usize - 1].filled;
                let fee = remaining * m.price * self.cfg.commission;
                let fill = ExchangeFill {
                    price: m.price,
                    size: remaining,
                    fee,
                    fee_asset: FeeAsset::Quote,
                    fee_value: fee,
                };
                self.book_fill(m.order_id, &fill, true);
            }
            self.matches = matches;
            self.matches.clear();
        }
        let pos = &mut self.portfolio.positions[symbol];
        pos.last_price = bar.close;
        if self.first_close[symbol].is_nan() {
            self.first_close[symbol] = bar.close;
        }
        if self.halted.is_some() || self.failure.is_some() {
            return;
        }
        let cash = self.available_cash();
        self.call_strategy(symbol, bar.ts, cash, |s, ctx| s.on_bar(bar, ctx));
        self.after_strategy(symbol);
    }

    /// Calls `symbol`'s strategy with its context: `cash` and the position and open orders as of now.
    #[inline(always)]
    fn call_strategy(
        &mut self,
        symbol: SymbolIdx,
        ts: i64,
        cash: f64,
        call: impl FnOnce(&mut dyn Strategy, &mut Ctx<'_>),
    ) {
        let mut ctx = Ctx {
            symbol,
            ts,
            cash,
            position: self.portfolio.positions[symbol].tradable(),
            open_orders: self.open_orders[symbol],
            sizing: &self.cfg.sizing,
            requests: &mut self.requests,
            logs: &mut self.strategy_logs,
            failure: &mut self.failure,
        };
        call(self.strategies[symbol].as_mut(), &mut ctx);
    }

    /// Carries out what a strategy call asked for and reports what it logged.
    #[inline(always)]
    fn after_strategy(&mut self, symbol: SymbolIdx) {
        if !self.strategy_logs.is_empty() {
            for line in std::mem::take(&mut self.strategy_logs) {
                self.sink.notice(&Notice::Log { symbol, line });
            }
        }
        if self.failure.is_some() {
            self.requests.clear();
            return;
        }
        if !self.requests.is_empty() {
            self.handle_requests(symbol);
        }
    }

    /// Lets the strategy of `symbol` see one of its fills.
    fn strategy_fill(&mut self, fill: &Fill) {
        if self.failure.is_some() || self.halted.is_some() {
            return;
        }
        let symbol = fill.symbol;
        let cash = self.available_cash();
        self.call_strategy(symbol, fill.ts, cash, |s, ctx| s.on_fill(fill, ctx));
        self.after_strategy(symbol);
    }

    /// Closed candles per symbol before every strategy instance can act.
    pub fn warmup_bars(&self) -> usize {
        self.strategies.iter().map(|s| s.warmup()).max().unwrap_or(0)
    }

    /// Tells every strategy the run is ending (once); what they ask for then is not placed.
    pub fn stop_strategies(&mut self) {
        if std::mem::replace(&mut self.stopped_strategies, true) {
            return;
        }
        for symbol in 0..self.cfg.symbols {
            let (ts, cash) = (self.clock.now(), self.portfolio.cash);
            self.call_strategy(symbol, ts, cash, |s, ctx| s.on_stop(ctx));
            self.requests.clear();
            for line in std::mem::take(&mut self.strategy_logs) {
                self.sink.notice(&Notice::Log { symbol, line });
            }
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

    /// Keeps every other equity point (those on the doubled stride) and doubles the stride.
    #[cold]
    fn thin_equity(&mut self) {
        let mut i = 0usize;
        self.equity.retain(|_| {
            i += 1;
            i % 2 == 1
        });
        self.equity.shrink_to(self.equity_cap);
        self.equity_stride *= 2;
    }

    /// Ends one engine step (all candles sharing a timestamp): records the equity point.
    #[inline(always)]
    pub fn end_step(&mut self, ts: i64) {
        let point = EquityPoint {
            ts,
            value: self.portfolio.value(),
            cash: self.portfolio.cash,
        };
        if self.cfg.risk.watches_equity() && self.halted.is_none() {
            let prev = self.last_point.map_or(self.cfg.initial_cash, |p| p.value);
            if let Some((rule, value, limit)) = self.risk.check_equity(ts, point.value, prev) {
                self.halt(rule, value, limit);
            }
        }
        self.last_point = Some(point);
        self.curve.push(point.value);
        let kept = self.keep_curve && self.step.is_multiple_of(self.equity_stride);
        if kept {
            if self.equity.len() >= self.equity_cap {
                self.thin_equity();
            }
            self.equity.push(point);
        }
        self.sink.step(&point, &self.portfolio, kept);
        self.step += 1;
        if self.portfolio.in_market() {
            self.steps_in_market += 1;
        }
    }

    /// A fill reported by an exchange (live execution), booked as the exchange booked it. The exchange
    /// already checked funds, and a fill is booked even if the order was meanwhile closed.
    pub fn on_exchange_fill(&mut self, order_id: OrderId, fill: &ExchangeFill) {
        if self.orders.get((order_id as usize).wrapping_sub(1)).is_some() {
            self.book_fill(order_id, fill, false);
        }
    }

    fn record_risk(&mut self, rule: RiskRule, action: RiskAction, symbol: Option<SymbolIdx>, value: f64, limit: f64) {
        let e = RiskEvent {
            ts: self.clock.now(),
            rule,
            action,
            symbol,
            value,
            limit,
        };
        self.risk_events.push(e);
        self.sink.notice(&Notice::Risk(e));
    }

    /// A loss limit was breached: cancel working orders, close every position at market, and end the
    /// run once those orders are done.
    fn halt(&mut self, rule: RiskRule, value: f64, limit: f64) {
        self.halted = Some(rule);
        self.record_risk(rule, RiskAction::Liquidate, None, value, limit);
        self.cancel_all(&format!("risk limit {} reached", rule.as_str()));
        for symbol in 0..self.cfg.symbols {
            let size = self.portfolio.positions[symbol].tradable();
            if size > 0.0 {
                let id = self.create_order(symbol, Side::Sell, OrderKind::Market, size, None, OrderOrigin::Risk);
                self.accept(id);
            }
        }
    }

    /// Applies the risk limits to a strategy order: `None` when it must not be placed, else the amount
    /// to place (an entry may be cut to fit `max_position_value`).
    fn risk_check(&mut self, symbol: SymbolIdx, side: Side, kind: OrderKind, amount: f64) -> Option<f64> {
        let limits = self.cfg.risk;
        if let Some(max) = limits.max_open_orders {
            if self.open_ids.len() >= max as usize {
                if self.risk.first_refusal(RiskRule::MaxOpenOrders) {
                    let n = self.open_ids.len() as f64;
                    self.record_risk(
                        RiskRule::MaxOpenOrders,
                        RiskAction::Blocked,
                        Some(symbol),
                        n,
                        max as f64,
                    );
                }
                return None;
            }
            self.risk.calm(RiskRule::MaxOpenOrders);
        }
        if side == Side::Sell {
            return Some(amount);
        }
        if self.risk.bars[symbol] < self.risk.cooldown_until[symbol] {
            return None;
        }
        let Some(max) = limits.max_position_value else {
            return Some(amount);
        };
        let pos = &self.portfolio.positions[symbol];
        let price = match kind {
            OrderKind::Limit { price } => price,
            OrderKind::StopLimit { limit, .. } => limit,
            OrderKind::Stop { stop } => stop,
            OrderKind::Market => pos.last_price,
        };
        let held = pos.size * pos.last_price;
        if price.is_nan() || price <= 0.0 || held + amount * price <= max {
            self.risk.calm(RiskRule::MaxPositionValue);
            return Some(amount);
        }
        let room = (max - held) / price;
        if room <= 0.0 {
            if self.risk.first_refusal(RiskRule::MaxPositionValue) {
                self.record_risk(RiskRule::MaxPositionValue, RiskAction::Blocked, Some(symbol), held, max);
            }
            return None;
        }
        self.record_risk(
            RiskRule::MaxPositionValue,
            RiskAction::Cut,
            Some(symbol),
            held + amount * price,
            max,
        );
        Some(room)
    }

    fn handle_requests(&mut self, symbol: SymbolIdx) {
        let requests = std::mem::take(&mut self.requests);
        for r in &requests {
            match *r {
                Request::CancelAll => self.cancel_symbol(symbol, "cancelled by strategy"),
                // Paused: the strategy still sees its bars, but nothing new goes out.
                Request::Submit { .. } if self.paused.is_some() => {}
                Request::Submit { side, kind, amount } => {
                    let Some(amount) = self.risk_check(symbol, side, kind, amount) else {
                        continue;
                    };
                    if self.below_minimum(symbol, kind, amount) {
                        continue;
                    }
                    let limited = self.rate_limited();
                    let id = self.create_order(symbol, side, kind, amount, None, OrderOrigin::Strategy);
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

    /// Counts consecutive rejections; at the limit, trading pauses until `resume`.
    fn count_rejection(&mut self, id: OrderId) {
        let max = self.cfg.risk.max_consecutive_rejections;
        if max == 0 || self.paused.is_some() {
            return;
        }
        self.risk.consecutive_rejections += 1;
        let n = self.risk.consecutive_rejections;
        if n >= max {
            let last = self.orders[id as usize - 1].reason.clone().unwrap_or_default();
            let reason = format!("trading paused after {n} consecutive rejected orders; last: {last}");
            self.record_risk(
                RiskRule::MaxConsecutiveRejections,
                RiskAction::Pause,
                Some(self.orders[id as usize - 1].symbol),
                n as f64,
                max as f64,
            );
            self.sink.notice(&Notice::Paused(reason.clone()));
            self.paused = Some(reason);
        }
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
        origin: OrderOrigin,
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
            origin,
            fee: 0.0,
            fee_asset: FeeAsset::Quote,
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
        if self
            .orders
            .get((id as usize).wrapping_sub(1))
            .is_none_or(|o| o.status.is_final())
        {
            return;
        }
        if let Some(r) = reason {
            self.orders[id as usize - 1].reason = Some(r);
        }
        self.set_status(id, status);
        if status == OrderStatus::Rejected {
            self.count_rejection(id);
        }
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
        self.count_rejection(id);
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

    /// Books one fill of order `id`. With `check_funds` (simulated fills) an order the cash or position
    /// cannot cover is rejected whole, never shrunk.
    fn book_fill(&mut self, id: OrderId, f: &ExchangeFill, check_funds: bool) {
        let o = &self.orders[id as usize - 1];
        if (check_funds && o.status.is_final()) || f.size <= 0.0 {
            return;
        }
        let (symbol, side, oco, origin) = (o.symbol, o.side, o.oco_group, o.origin);
        let booking = Booking {
            symbol,
            side,
            size: f.size,
            price: f.price,
            fee: f.fee,
            fee_asset: f.fee_asset,
            fee_value: f.fee_value,
        };
        if check_funds {
            if let Err(reason) = self.portfolio.check(&booking) {
                return self.reject(id, reason);
            }
        }
        let now = self.clock.now();
        let was_open = self.portfolio.positions[symbol].tradable() > 0.0;
        let pnl = self.portfolio.apply(&booking, now, self.step);
        let fill = Fill {
            id: self.fills.len() as u64 + 1,
            order_id: id,
            ts: now,
            symbol,
            side,
            size: f.size,
            price: f.price,
            commission: f.fee_value,
            fee: f.fee,
            fee_asset: f.fee_asset,
            pnl,
        };
        if !check_funds {
            // Observers that count fills see the cash and position they produced first.
            self.sink.holdings(&self.portfolio);
        }
        self.sink.fill(&fill);
        self.fills.push(fill);
        self.risk.consecutive_rejections = 0;
        let o = &mut self.orders[id as usize - 1];
        let prev = o.filled;
        o.filled += f.size;
        o.avg_fill_price = Some(
            o.avg_fill_price
                .map_or(f.price, |a| (a * prev + f.price * f.size) / o.filled),
        );
        o.fee += f.fee_value;
        o.fee_asset = f.fee_asset;
        let done = o.filled >= o.amount * (1.0 - 1e-12);
        let filled = o.filled;
        if o.status.is_final() {
            // A late exchange fill of a closed order: booked, and shown with its new fill.
            o.updated_at = now;
            self.sink.order(&self.orders[id as usize - 1]);
        } else {
            self.set_status(
                id,
                if done {
                    OrderStatus::Filled
                } else {
                    OrderStatus::PartiallyFilled
                },
            );
        }
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
        let pos = &self.portfolio.positions[symbol];
        if side == Side::Sell && was_open && pos.tradable() == 0.0 && pos.size > 0.0 {
            let size = pos.size;
            self.sink.notice(&Notice::Dust { symbol, size });
        }
        if origin == OrderOrigin::StopLoss {
            if let Some(n) = self.cfg.risk.cooldown_bars.filter(|&n| n > 0) {
                self.risk.cooldown_until[symbol] = self.risk.bars[symbol] + n as u64;
                self.record_risk(
                    RiskRule::CooldownBars,
                    RiskAction::Cooldown,
                    Some(symbol),
                    0.0,
                    n as f64,
                );
            }
        }
        if side == Side::Buy && done && self.halted.is_none() {
            // Protect what is held now (a base-asset fee leaves less than was bought).
            let held = self.portfolio.positions[symbol].tradable().min(filled);
            self.place_protection(symbol, f.price, held);
        }
        if self.strategies[symbol].wants_fills() {
            let fill = self.fills[self.fills.len() - 1].clone();
            self.strategy_fill(&fill);
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
                OrderOrigin::StopLoss,
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
                OrderOrigin::TakeProfit,
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

    pub fn finish(mut self) -> RunOutput {
        self.stop_strategies();
        // A thinned curve still ends at the run's last value.
        if let Some(last) = self
            .last_point
            .filter(|p| self.equity.last().is_some_and(|k| k.ts != p.ts))
        {
            self.equity.push(last);
        }
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
            risk_events: self.risk_events,
            halted: self.halted,
            paused: self.paused,
            equity_stride: self.equity_stride,
            curve: self.curve,
        }
    }
}

#[path = "quiet.rs"]
mod quiet;

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;

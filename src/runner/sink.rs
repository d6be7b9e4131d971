//! The engine-side end of the runner: an `EventSink` that forwards what observers need to the runner
//! task without ever blocking the engine. Orders and fills always go through; equity, prices and
//! progress are throttled for backtests (a million steps a second would only flood the channel).

use super::{WorkerEvent, WorkerTx};
use crate::engine::core::{EventSink, Notice};
use crate::engine::portfolio::Portfolio;
use crate::engine::types::{Candle, EquityPoint, Fill, Order, SymbolIdx};
use crate::run::results::{self, equity_record, order_record, trade_record};
use crate::run::worker::LogLevel;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a backtest reports progress, in wall time.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// Steps between clock reads in backtests (reading the clock every step would cost more than the step).
const CHECK_STEPS: u64 = 1024;

pub struct ChannelSink {
    tx: WorkerTx,
    symbols: Arc<[String]>,
    initial_cash: f64,
    /// Paper/live runs report every step; backtests are throttled.
    realtime: bool,
    total_steps: u64,
    steps: u64,
    last_report: Instant,
    last_candles: Vec<Option<Candle>>,
}

impl ChannelSink {
    pub fn new(tx: WorkerTx, symbols: Arc<[String]>, initial_cash: f64, realtime: bool, total_steps: u64) -> Self {
        let n = symbols.len();
        ChannelSink {
            tx,
            symbols,
            initial_cash,
            realtime,
            total_steps,
            steps: 0,
            last_report: Instant::now(),
            last_candles: vec![None; n],
        }
    }

    fn send(&self, e: WorkerEvent) {
        self.tx.send(e);
    }
}

impl EventSink for ChannelSink {
    fn order(&mut self, order: &Order) {
        self.send(WorkerEvent::Order(order_record(order, &self.symbols), order.updated_at));
    }

    fn fill(&mut self, fill: &Fill) {
        self.send(WorkerEvent::Fill(trade_record(fill, &self.symbols)));
    }

    #[inline]
    fn candle(&mut self, symbol: SymbolIdx, bar: &Candle) {
        if self.realtime {
            self.send(WorkerEvent::Candle(symbol, *bar));
        } else {
            self.last_candles[symbol] = Some(*bar);
        }
    }

    #[inline]
    fn step(&mut self, point: &EquityPoint, portfolio: &Portfolio, kept: bool) {
        self.steps += 1;
        if !self.realtime {
            if !self.steps.is_multiple_of(CHECK_STEPS) || self.last_report.elapsed() < PROGRESS_EVERY {
                return;
            }
            self.last_report = Instant::now();
            self.send_tickers();
        }
        self.send_progress(point, portfolio, kept);
    }

    fn holdings(&mut self, portfolio: &Portfolio) {
        if self.realtime {
            self.send(WorkerEvent::Holdings {
                cash: portfolio.cash,
                value: portfolio.value(),
                positions: results::positions(portfolio, &self.symbols),
            });
        }
    }

    fn notice(&mut self, notice: &Notice) {
        let sym = |i: SymbolIdx| self.symbols.get(i).cloned().unwrap_or_default();
        let event = match notice {
            Notice::Risk(e) => WorkerEvent::Risk(results::risk_event_record(e, &self.symbols)),
            Notice::Paused(reason) => WorkerEvent::Paused(Some(reason.clone())),
            Notice::Resumed => WorkerEvent::Paused(None),
            Notice::Dust { symbol, size } => WorkerEvent::Log(
                LogLevel::Warning,
                format!(
                    "{size} {} left on {} is below the smallest tradable amount: kept as dust, not sold",
                    results::assets_of(&sym(*symbol)).0,
                    sym(*symbol)
                ),
            ),
            Notice::BelowMinimum {
                symbol,
                amount,
                value,
                minimum,
            } => WorkerEvent::Log(
                LogLevel::Warning,
                format!(
                    "{}: an order for {amount} (worth {value:.8}) is below the exchange minimum (amount {}, value {}): \
                     not placed, and further ones are skipped silently until an order fits",
                    sym(*symbol),
                    minimum.amount,
                    minimum.notional
                ),
            ),
            Notice::Log { symbol, line } => WorkerEvent::Log(LogLevel::Info, format!("{}: {line}", sym(*symbol))),
            Notice::Reconciled { symbol, from, to } => WorkerEvent::Log(
                LogLevel::Warning,
                format!(
                    "{}: the engine held {from} but the exchange holds {to}; the exchange wins",
                    sym(*symbol)
                ),
            ),
        };
        self.send(event);
    }

    fn flush(&mut self, last: Option<&EquityPoint>, portfolio: &Portfolio) {
        if self.realtime {
            return;
        }
        self.send_tickers();
        if let Some(p) = last {
            self.send_progress(p, portfolio, true);
        }
    }
}

impl ChannelSink {
    fn send_tickers(&mut self) {
        for (i, c) in self.last_candles.iter().enumerate() {
            if let Some(c) = c {
                self.send(WorkerEvent::Candle(i, *c));
            }
        }
    }

    fn send_progress(&self, point: &EquityPoint, portfolio: &Portfolio, kept: bool) {
        let progress = (!self.realtime && self.total_steps > 0).then(|| self.steps as f64 / self.total_steps as f64);
        self.send(WorkerEvent::Progress {
            equity: equity_record(point, self.initial_cash),
            cash: portfolio.cash,
            positions: results::positions(portfolio, &self.symbols),
            progress,
            kept,
        });
    }
}

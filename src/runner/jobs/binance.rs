//! Paper and live trading on Binance's live candles. Paper plugs in the engine's simulated execution
//! (the backtest fill rules, so replaying the candles as a backtest gives the same fills); live plugs
//! in orders on Binance (its testnet with `sandbox: true`), a wall clock, and the exchange's own books:
//! fills with the fees it charged, sells capped at what the account holds, and balances reconciled.

use super::Job;
use crate::engine::clock::{Clock, LiveClock};
use crate::engine::core::{Engine, ExchangeFill};
use crate::engine::execution::Execution;
use crate::engine::{AssetCode, FeeAsset, OrderStatus};
use crate::exchange::binance::filters::SymbolRules;
use crate::exchange::binance::origins;
use crate::exchange::binance::rest::Rest;
use crate::exchange::binance::stream::{FeedEvent, KlineStream};
use crate::exchange::binance::trade::{
    balance_of, Balance, ExecCommand, ExecReport, LiveExecution, OrderTask, SignedClient, TradeReport,
};
use crate::run::attention::Attention;
use crate::run::backtest::{self, now_iso};
use crate::run::results::{assets_of, ResultsResponse, RunInfo};
use crate::run::worker::LogLevel;
use crate::run::{Mode, RunStatus, WorkerEvent};
use crate::runner::sink::ChannelSink;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// What a live run adds to the stream loop: the order task's reports and commands, the symbols'
/// exchange rules, and the account's holdings at the start (what the run did not buy is not its own).
struct Live {
    reports: tokio::sync::mpsc::UnboundedReceiver<ExecReport>,
    commands: std::sync::mpsc::Sender<ExecCommand>,
    rules: Vec<SymbolRules>,
    baseline: HashMap<String, f64>,
}

/// Which asset a fee was charged in, as the engine books it.
fn fee_asset(t: &TradeReport, symbol: &str) -> FeeAsset {
    let (base, quote) = assets_of(symbol);
    match t.commission_asset.as_str() {
        a if a == quote || a.is_empty() => FeeAsset::Quote,
        a if a == base => FeeAsset::Base,
        a => FeeAsset::Other(AssetCode::new(a)),
    }
}

impl Job {
    pub(super) fn binance(&self, start_time: String) -> ResultsResponse {
        let cfg = &self.config;
        let (rest_origin, ws_origin) = origins(&cfg.live);
        let rest = match Rest::new(&rest_origin) {
            Ok(r) => Arc::new(r),
            Err(e) => return self.failed(start_time, e.to_string()),
        };
        let mut rules = Vec::new();
        for s in &cfg.symbols {
            match rest.resolve(s) {
                Ok(r) => rules.push(r),
                Err(e) => return self.failed(start_time, e.message),
            }
        }
        let ids: Vec<String> = rules.iter().map(|r| r.id.clone()).collect();
        let sink = self.sink(true, 0);
        if cfg.mode != Mode::Live {
            return match backtest::engine(cfg, sink) {
                Ok(engine) => self.drive(start_time, engine, &rest, ids, ws_origin, None),
                Err(e) => self.failed(start_time, e.message),
            };
        }
        let Some(creds) = cfg.live.credentials.clone() else {
            return self.failed(start_time, "live trading needs API credentials".into());
        };
        let client = match SignedClient::new(&rest_origin, creds, Duration::from_secs(5)) {
            Ok(c) => c,
            Err(e) => return self.failed(start_time, e.to_string()),
        };
        if let Err(e) = client.sync_time(&rest) {
            return self.failed(start_time, format!("cannot read Binance's clock: {e}"));
        }
        let (cmd_tx, cmd_rx) = std::sync::mpsc::channel();
        let (rep_tx, rep_rx) = tokio::sync::mpsc::unbounded_channel();
        let task = OrderTask::new(self.run_id.clone(), client, rest.clone(), rules.clone(), rep_tx);
        let balances = match task.balances() {
            Ok(b) => b,
            Err(e) => return self.failed(start_time, format!("cannot read the Binance account: {e}")),
        };
        let quote = assets_of(&cfg.symbols[0]).1;
        let (free, _) = balance_of(&balances, quote);
        if free < cfg.initial_cash {
            self.send(WorkerEvent::Log(
                LogLevel::Warning,
                format!(
                    "the account has {free} {quote} free, less than the run's cash of {}; the run trades with {free}",
                    cfg.initial_cash
                ),
            ));
        }
        let baseline = balances.iter().map(|b| (b.asset.clone(), b.free + b.locked)).collect();
        let worker = std::thread::Builder::new()
            .name("binance-orders".into())
            .spawn(move || task.run(cmd_rx));
        if let Err(e) = worker {
            return self.failed(start_time, format!("cannot start the order task: {e}"));
        }
        let mut engine = match backtest::engine_with(cfg, LiveClock, LiveExecution { tx: cmd_tx.clone() }, sink) {
            Ok(e) => e,
            Err(e) => return self.failed(start_time, e.message),
        };
        engine.cap_cash(free);
        for (i, r) in rules.iter().enumerate() {
            engine.set_min_tradable(i, r.step.max(r.min_qty));
        }
        let live = Live {
            reports: rep_rx,
            commands: cmd_tx,
            rules,
            baseline,
        };
        self.drive(start_time, engine, &rest, ids, ws_origin, Some(live))
    }

    /// Books one exchange report in the engine.
    fn apply_report<C: Clock, X: Execution>(&self, engine: &mut Engine<C, X, ChannelSink>, live: &Live, r: ExecReport) {
        match r {
            ExecReport::Accepted(id, qty) => engine.on_exchange_accept(id, qty),
            ExecReport::Rejected(id, why) => {
                self.send(WorkerEvent::RunError(format!("order {id} rejected: {why}")));
                engine.on_exchange_update(id, OrderStatus::Rejected, Some(why))
            }
            ExecReport::Cancelled(id) => engine.on_exchange_update(id, OrderStatus::Cancelled, None),
            ExecReport::Dust(id, why) => {
                self.send(WorkerEvent::Log(
                    LogLevel::Warning,
                    format!("order {id} not sent: {why}"),
                ));
                engine.on_exchange_update(id, OrderStatus::Cancelled, Some(why))
            }
            ExecReport::Trade(t) => {
                let Some(symbol) = engine
                    .orders()
                    .get((t.order_id as usize).wrapping_sub(1))
                    .and_then(|o| self.config.symbols.get(o.symbol))
                else {
                    return;
                };
                let fill = ExchangeFill {
                    price: t.price,
                    size: t.qty,
                    fee: t.commission,
                    fee_asset: fee_asset(&t, symbol),
                    fee_value: t.commission_value,
                };
                engine.on_exchange_fill(t.order_id, &fill);
            }
            ExecReport::Balances(b) => self.reconcile(engine, live, &b),
        }
    }

    /// The exchange wins: each symbol's position becomes what the account holds beyond what it held at
    /// the start, and cash never exceeds the quote balance. Differences are logged and listed under
    /// "needs attention".
    fn reconcile<C: Clock, X: Execution>(
        &self,
        engine: &mut Engine<C, X, ChannelSink>,
        live: &Live,
        balances: &[Balance],
    ) {
        let symbols = &self.config.symbols;
        let attention = |symbol: &str, amount: f64, recorded: String, exchange: String, detail: String| {
            self.send(WorkerEvent::Attention(Attention {
                kind: "balance".into(),
                run_id: self.run_id.clone(),
                order_id: String::new(),
                client_order_id: String::new(),
                symbol: symbol.to_string(),
                side: String::new(),
                amount,
                recorded_status: recorded,
                exchange_status: Some(exchange),
                filled: None,
                detail,
            }));
        };
        for (i, symbol) in symbols.iter().enumerate() {
            let base = assets_of(symbol).0;
            // A base asset shared by two symbols cannot be split between them: left alone.
            if symbols.iter().filter(|s| assets_of(s).0 == base).count() > 1 {
                continue;
            }
            let (free, locked) = balance_of(balances, base);
            let held = (free + locked - live.baseline.get(base).copied().unwrap_or(0.0)).max(0.0);
            let tolerance = live.rules.get(i).map_or(1e-8, |r| r.step / 2.0).max(1e-12);
            if let Some(before) = engine.reconcile_position(i, held, tolerance) {
                attention(
                    symbol,
                    held - before,
                    format!("position {before} {base}"),
                    format!("holds {held} {base} for this run"),
                    format!(
                        "{symbol}: the engine held {before} {base}, the exchange {held}; the exchange's amount is used"
                    ),
                );
            }
        }
        let quotes: Vec<&str> = symbols.iter().map(|s| assets_of(s).1).collect();
        if quotes.iter().all(|q| *q == quotes[0]) {
            let (free, locked) = balance_of(balances, quotes[0]);
            if let Some(before) = engine.cap_cash(free + locked) {
                let q = quotes[0];
                attention(
                    &symbols[0],
                    free + locked - before,
                    format!("cash {before} {q}"),
                    format!("holds {} {q}", free + locked),
                    format!(
                        "the engine had {before} {q} of cash but the account holds {} {q}; cash lowered to match",
                        free + locked
                    ),
                );
            }
        }
    }

    /// The stream loop shared by paper and live: closed candles through the engine (grouped into steps
    /// by open time), open ones to the ticker, exchange reports into the engine, polling for fills.
    fn drive<C: Clock, X: Execution>(
        &self,
        start_time: String,
        mut engine: Engine<C, X, ChannelSink>,
        rest: &Arc<Rest>,
        ids: Vec<String>,
        ws_origin: String,
        mut live: Option<Live>,
    ) -> ResultsResponse {
        let cfg = &self.config;
        self.send(WorkerEvent::Warmup(engine.warmup_bars() as u64));
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return self.failed(start_time, format!("cannot start the market stream: {e}")),
        };
        self.send(WorkerEvent::Running);
        self.send(WorkerEvent::Log(
            LogLevel::Info,
            format!("{} trading on Binance candles from {ws_origin}", cfg.mode.as_str()),
        ));
        let stop = self.stop.clone();
        let command = |live: &Option<Live>, c: ExecCommand| {
            if let Some(l) = live {
                let _ = l.commands.send(c);
            }
        };
        rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let stream = KlineStream { ws_origin: ws_origin.clone(), ids, tf: cfg.timeframe };
            let feed = tokio::spawn(stream.run(rest.clone(), tx, stop.clone()));
            // Candles sharing an open time form one engine step; it ends as soon as every symbol has
            // delivered (a later candle also ends it, when a symbol had a gap).
            let symbols = cfg.symbols.len();
            let mut step: Option<(i64, usize)> = None;
            let mut check = tokio::time::interval(Duration::from_millis(100));
            let mut polls = 0u32;
            let mut latencies: Vec<Duration> = Vec::new();
            let mut connected = false;
            loop {
                tokio::select! {
                    ev = rx.recv() => match ev {
                        Some(FeedEvent::Closed(i, c)) => {
                            if let Some((ts, _)) = step.filter(|&(t, _)| t != c.ts) {
                                engine.end_step(ts);
                                step = None;
                            }
                            if !connected {
                                connected = true;
                                self.send(WorkerEvent::Connectivity(true, format!("market stream up ({ws_origin})")));
                            }
                            if let Some(l) = &live {
                                let _ = l.commands.send(ExecCommand::Price(i, c.close));
                                if let Some(r) = l.rules.get(i).filter(|_| c.close > 0.0) {
                                    // Below this, an amount cannot be sold: dust, not a position to close.
                                    engine.set_min_tradable(i, r.step.max(r.min_qty).max(r.min_notional / c.close));
                                }
                            }
                            let (t0, before) = (std::time::Instant::now(), engine.orders().len());
                            engine.on_candle(i, &c);
                            if engine.orders().len() > before {
                                latencies.push(t0.elapsed());
                            }
                            let seen = step.map_or(1, |(_, n)| n + 1);
                            if seen == symbols {
                                engine.end_step(c.ts);
                                step = None;
                            } else {
                                step = Some((c.ts, seen));
                            }
                        }
                        Some(FeedEvent::Open(i, c)) => self.send(WorkerEvent::Candle(i, c)),
                        Some(FeedEvent::Note(n)) => {
                            let up = n.contains("reconnected");
                            if up {
                                // Anything may have happened meanwhile: let the exchange's books win.
                                command(&live, ExecCommand::Reconcile);
                            }
                            self.send(WorkerEvent::Connectivity(up, n.clone()));
                            self.send(WorkerEvent::Log(LogLevel::Warning, n));
                        }
                        None => break,
                    },
                    Some(r) = async { match live.as_mut() { Some(l) => l.reports.recv().await, None => std::future::pending().await } } => {
                        if let Some(l) = &live {
                            self.apply_report(&mut engine, l, r);
                        }
                    }
                    _ = check.tick() => {
                        if stop.load(Ordering::Relaxed) { break; }
                        if self.resume.swap(false, Ordering::Relaxed) {
                            engine.resume();
                        }
                        polls += 1;
                        if polls.is_multiple_of(10) {
                            command(&live, ExecCommand::Poll);
                        }
                    }
                }
                if engine.wound_down() {
                    break;
                }
            }
            if let Some((ts, _)) = step {
                engine.end_step(ts);
            }
            feed.abort();
            if !latencies.is_empty() {
                latencies.sort();
                let q = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
                self.send(WorkerEvent::Log(LogLevel::Info,
                    format!("candle-to-order latency inside the engine: p50 {:?}, p99 {:?} over {} candles that placed orders", q(0.5), q(0.99), latencies.len()),
                ));
            }
            engine.cancel_all("run stopped");
            // Live: wait (briefly) for the exchange to confirm cancels and report last fills.
            if let Some(l) = live.as_mut() {
                let _ = l.commands.send(ExecCommand::Poll);
                let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
                while let Ok(Some(rep)) = tokio::time::timeout_at(deadline, l.reports.recv()).await {
                    self.apply_report(&mut engine, l, rep);
                    if engine.orders().iter().all(|o| o.status.is_final()) {
                        break;
                    }
                }
            }
        });
        let failure = engine.failure().map(String::from);
        let out_failed = failure.is_some();
        let out = engine.finish();
        let unsettled = out.orders.iter().filter(|o| !o.status.is_final()).count();
        let last_rejection = out
            .orders
            .iter()
            .rev()
            .find(|o| o.status == OrderStatus::Rejected)
            .and_then(|o| o.reason.clone().map(|r| format!("order {} rejected: {r}", o.id)));
        let error = if let Some(f) = failure {
            Some(f)
        } else if unsettled > 0 {
            Some(format!(
                "{unsettled} order(s) not confirmed closed by the exchange; check them on Binance"
            ))
        } else {
            last_rejection.filter(|_| cfg.mode == Mode::Live)
        };
        let info = RunInfo {
            run_id: self.run_id.clone(),
            status: if out_failed {
                RunStatus::Failed
            } else {
                RunStatus::Stopped
            },
            start_time,
            end_time: Some(now_iso()),
            error,
            warnings: Vec::new(),
        };
        crate::run::results::build(info, cfg.clone(), &out)
    }
}

//! The work a run does off the async runtime: a backtest replay, or a paper run on the sim market
//! ticking at `speed`. Both drive the same engine; only the feed differs.

use super::sink::ChannelSink;
use super::{WorkerEvent, WorkerTx};
use crate::data::sim;
use crate::engine::Candle;
use crate::run::backtest::{self, now_iso};
use crate::run::results::{self, ResultsResponse, RunInfo};
use crate::run::{Mode, RunConfig, RunStatus};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Job {
    pub run_id: String,
    pub config: RunConfig,
    pub data_dir: PathBuf,
    pub tx: WorkerTx,
    pub stop: Arc<AtomicBool>,
}

impl Job {
    fn send(&self, e: WorkerEvent) {
        self.tx.send(e);
    }

    fn sink(&self, realtime: bool, total_steps: u64) -> ChannelSink {
        let symbols: Arc<[String]> = self.config.symbols.clone().into();
        ChannelSink::new(
            self.tx.clone(),
            symbols,
            self.config.initial_cash,
            realtime,
            total_steps,
        )
    }

    fn failed(&self, start_time: String, error: String) -> ResultsResponse {
        let info = RunInfo {
            run_id: self.run_id.clone(),
            status: RunStatus::Failed,
            start_time,
            end_time: Some(now_iso()),
            error: Some(error),
            warnings: Vec::new(),
        };
        results::empty(info, self.config.clone())
    }

    /// Runs to the end on the current thread and reports `Finished`.
    pub fn run(self) {
        let start_time = now_iso();
        let outcome = match (self.config.mode, self.config.exchange.as_str()) {
            (Mode::Backtest, _) => self.backtest(start_time),
            (Mode::Paper, "sim") => self.paper_sim(start_time),
            (Mode::Paper | Mode::Live, "binance") => self.binance(start_time),
            (mode, exchange) => self.failed(
                start_time,
                format!(
                    "{} trading on {exchange} needs that exchange's connector, which this build does not have yet; \
                     paper trading runs offline on exchange \"sim\"",
                    mode.as_str()
                ),
            ),
        };
        self.send(WorkerEvent::Finished(Box::new(outcome)));
    }

    fn backtest(&self, start_time: String) -> ResultsResponse {
        let set = match backtest::load_candles(&self.data_dir, &self.config) {
            Ok(s) => s,
            Err(e) => return self.failed(start_time, e.message),
        };
        for w in &set.warnings {
            self.send(WorkerEvent::Log("warning".into(), w.clone()));
        }
        let steps = set.series.iter().map(|s| s.len()).max().unwrap_or(0) as u64;
        self.send(WorkerEvent::Running);
        let sink = self.sink(false, steps);
        let mut r = backtest::run_on(
            &self.run_id,
            self.config.clone(),
            &set.series,
            set.warnings,
            sink,
            Some(&self.stop),
            |_, _| {},
        );
        r.start_time = start_time;
        r
    }

    /// Paper trading on the synthetic market: candles arrive one timeframe apart in simulated time,
    /// `speed` times faster than real time, starting with the last closed candle.
    fn paper_sim(&self, start_time: String) -> ResultsResponse {
        let cfg = &self.config;
        let tf = cfg.timeframe;
        let interval = Duration::from_secs_f64(tf.millis() as f64 / 1000.0 / cfg.live.speed);
        let first = tf.floor(chrono::Utc::now().timestamp_millis()) - tf.millis();
        let mut engine = backtest::engine(cfg, self.sink(true, 0));
        let mut feeds: Vec<SimFeed> = cfg.symbols.iter().map(|s| SimFeed::new(s, tf, first)).collect();
        self.send(WorkerEvent::Running);
        let wall_start = Instant::now();
        let mut error = None;
        'run: for k in 0u64.. {
            let due = wall_start + interval.mul_f64(k as f64);
            loop {
                if self.stop.load(Ordering::Relaxed) {
                    break 'run;
                }
                let now = Instant::now();
                if now >= due {
                    break;
                }
                std::thread::sleep((due - now).min(Duration::from_millis(50)));
            }
            let ts = first + k as i64 * tf.millis();
            for (i, feed) in feeds.iter_mut().enumerate() {
                match feed.candle(ts) {
                    Ok(Some(c)) => engine.on_candle(i, &c),
                    Ok(None) => {}
                    Err(e) => {
                        error = Some(e);
                        break 'run;
                    }
                }
            }
            engine.end_step(ts);
        }
        engine.cancel_all("run stopped");
        let out = engine.finish();
        let status = if error.is_some() {
            RunStatus::Failed
        } else {
            RunStatus::Stopped
        };
        let info = RunInfo {
            run_id: self.run_id.clone(),
            status,
            start_time,
            end_time: Some(now_iso()),
            error,
            warnings: Vec::new(),
        };
        results::build(info, cfg.clone(), &out)
    }
}

impl Job {
    /// Paper and live trading on Binance's live candles. Paper plugs in the engine's simulated execution
    /// (the backtest fill rules, so replaying the candles as a backtest gives the same fills); live plugs
    /// in orders on Binance (its testnet with `sandbox: true`) and a wall clock.
    fn binance(&self, start_time: String) -> ResultsResponse {
        use crate::engine::clock::LiveClock;
        use crate::exchange::binance::trade::{LiveExecution, OrderTask, SignedClient};
        use crate::exchange::binance::{origins, rest::Rest};
        let cfg = &self.config;
        let (rest_origin, ws_origin) = origins(&cfg.exchange_config, cfg.live.sandbox);
        let rest = match Rest::new(&rest_origin) {
            Ok(r) => Arc::new(r),
            Err(e) => return self.failed(start_time, e),
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
            let engine = backtest::engine(cfg, sink);
            return self.drive(start_time, engine, &rest, ids, ws_origin, None);
        }
        let Some(creds) = cfg.live.credentials.clone() else {
            return self.failed(start_time, "live trading needs API credentials".into());
        };
        let client = match SignedClient::new(&rest_origin, creds, Duration::from_secs(5)) {
            Ok(c) => c,
            Err(e) => return self.failed(start_time, e),
        };
        if let Err(e) = client.sync_time(&rest) {
            return self.failed(start_time, format!("cannot read Binance's clock: {e}"));
        }
        let (cmd_tx, cmd_rx) = std::sync::mpsc::channel();
        let (rep_tx, rep_rx) = tokio::sync::mpsc::unbounded_channel();
        let quote = cfg
            .symbols
            .first()
            .and_then(|s| s.split('/').nth(1))
            .unwrap_or("USDT")
            .to_string();
        let task = OrderTask::new(self.run_id.clone(), client, rest.clone(), rules, rep_tx);
        match task.free_balance(&quote) {
            Ok(free) if free < cfg.initial_cash => self.send(WorkerEvent::Log(
                "warning".into(),
                format!(
                    "the account has {free} {quote} free, less than the run's cash of {}; orders may be rejected",
                    cfg.initial_cash
                ),
            )),
            Ok(_) => {}
            Err(e) => return self.failed(start_time, format!("cannot read the Binance account: {e}")),
        }
        let worker = std::thread::Builder::new()
            .name("binance-orders".into())
            .spawn(move || task.run(cmd_rx));
        if let Err(e) = worker {
            return self.failed(start_time, format!("cannot start the order task: {e}"));
        }
        let engine = backtest::engine_with(cfg, LiveClock, LiveExecution { tx: cmd_tx.clone() }, sink);
        self.drive(start_time, engine, &rest, ids, ws_origin, Some((rep_rx, cmd_tx)))
    }

    /// The stream loop shared by paper and live: closed candles through the engine (grouped into steps
    /// by open time), open ones to the ticker, exchange reports into the engine, polling for fills.
    fn drive<C: crate::engine::clock::Clock, X: crate::engine::execution::Execution>(
        &self,
        start_time: String,
        mut engine: crate::engine::core::Engine<C, X, ChannelSink>,
        rest: &Arc<crate::exchange::binance::rest::Rest>,
        ids: Vec<String>,
        ws_origin: String,
        live: Option<(
            tokio::sync::mpsc::UnboundedReceiver<crate::exchange::binance::trade::ExecReport>,
            std::sync::mpsc::Sender<crate::exchange::binance::trade::ExecCommand>,
        )>,
    ) -> ResultsResponse {
        use crate::engine::OrderStatus;
        use crate::exchange::binance::stream::{FeedEvent, KlineStream};
        use crate::exchange::binance::trade::{ExecCommand, ExecReport};
        let cfg = &self.config;
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return self.failed(start_time, format!("cannot start the market stream: {e}")),
        };
        self.send(WorkerEvent::Running);
        self.send(WorkerEvent::Log(
            "info".into(),
            format!("{} trading on Binance candles from {ws_origin}", cfg.mode.as_str()),
        ));
        let stop = self.stop.clone();
        let (mut reports, commands) = match live {
            Some((r, c)) => (Some(r), Some(c)),
            None => (None, None),
        };
        let apply = |engine: &mut crate::engine::core::Engine<C, X, ChannelSink>, r: ExecReport| match r {
            ExecReport::Accepted(id, qty) => engine.on_exchange_accept(id, qty),
            ExecReport::Rejected(id, why) => {
                self.send(WorkerEvent::RunError(format!("order {id} rejected: {why}")));
                engine.on_exchange_update(id, OrderStatus::Rejected, Some(why))
            }
            ExecReport::Cancelled(id) => engine.on_exchange_update(id, OrderStatus::Cancelled, None),
            ExecReport::Fill { order_id, price, qty } => engine.on_exchange_fill(order_id, price, qty),
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
                            if let Some(cmd) = &commands {
                                let _ = cmd.send(ExecCommand::Price(i, c.close));
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
                            self.send(WorkerEvent::Connectivity(up, n.clone()));
                            self.send(WorkerEvent::Log("warning".into(), n));
                        }
                        None => break,
                    },
                    Some(r) = async { match reports.as_mut() { Some(r) => r.recv().await, None => std::future::pending().await } } => apply(&mut engine, r),
                    _ = check.tick() => {
                        if stop.load(Ordering::Relaxed) { break; }
                        polls += 1;
                        if polls.is_multiple_of(10) {
                            if let Some(c) = &commands { let _ = c.send(ExecCommand::Poll); }
                        }
                    }
                }
            }
            if let Some((ts, _)) = step {
                engine.end_step(ts);
            }
            feed.abort();
            if !latencies.is_empty() {
                latencies.sort();
                let q = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
                self.send(WorkerEvent::Log(
                    "info".into(),
                    format!("candle-to-order latency inside the engine: p50 {:?}, p99 {:?} over {} candles that placed orders", q(0.5), q(0.99), latencies.len()),
                ));
            }
            engine.cancel_all("run stopped");
            // Live: wait (briefly) for the exchange to confirm cancels and report last fills.
            if let (Some(r), Some(c)) = (reports.as_mut(), &commands) {
                let _ = c.send(ExecCommand::Poll);
                let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
                while let Ok(Some(rep)) = tokio::time::timeout_at(deadline, r.recv()).await {
                    apply(&mut engine, rep);
                    if engine.orders().iter().all(|o| o.status.is_final()) {
                        break;
                    }
                }
            }
        });
        let out = engine.finish();
        let unsettled = out.orders.iter().filter(|o| !o.status.is_final()).count();
        let last_rejection = out
            .orders
            .iter()
            .rev()
            .find(|o| o.status == OrderStatus::Rejected)
            .and_then(|o| o.reason.clone().map(|r| format!("order {} rejected: {r}", o.id)));
        let error = if unsettled > 0 {
            Some(format!(
                "{unsettled} order(s) not confirmed closed by the exchange; check them on Binance"
            ))
        } else {
            last_rejection.filter(|_| cfg.mode == Mode::Live)
        };
        let info = RunInfo {
            run_id: self.run_id.clone(),
            status: RunStatus::Stopped,
            start_time,
            end_time: Some(now_iso()),
            error,
            warnings: Vec::new(),
        };
        results::build(info, cfg.clone(), &out)
    }
}

/// Lazily generated sim candles for one symbol, a chunk at a time.
struct SimFeed {
    symbol: String,
    tf: crate::engine::Timeframe,
    buf: Vec<Candle>,
    pos: usize,
    next_start: i64,
}

impl SimFeed {
    fn new(symbol: &str, tf: crate::engine::Timeframe, start: i64) -> Self {
        SimFeed {
            symbol: symbol.to_string(),
            tf,
            buf: Vec::new(),
            pos: 0,
            next_start: start,
        }
    }

    fn candle(&mut self, ts: i64) -> Result<Option<Candle>, String> {
        while self.pos < self.buf.len() && self.buf[self.pos].ts < ts {
            self.pos += 1;
        }
        if self.pos >= self.buf.len() {
            let span = (self.tf.millis() * 500).max(86_400_000);
            self.buf = sim::candles(&self.symbol, self.tf, self.next_start, self.next_start + span)?;
            self.pos = 0;
            self.next_start += span;
            while self.pos < self.buf.len() && self.buf[self.pos].ts < ts {
                self.pos += 1;
            }
        }
        Ok(self.buf.get(self.pos).filter(|c| c.ts == ts).copied())
    }
}

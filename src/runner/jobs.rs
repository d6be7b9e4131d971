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
            (Mode::Paper, "binance") => self.paper_binance(start_time),
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
    /// Paper trading on Binance's live candles with the engine's simulated execution: the same fill
    /// rules as a backtest, so replaying the candles it saw as a backtest gives the same fills.
    fn paper_binance(&self, start_time: String) -> ResultsResponse {
        use crate::exchange::binance::{
            origins,
            rest::Rest,
            stream::{FeedEvent, KlineStream},
        };
        let cfg = &self.config;
        let (rest_origin, ws_origin) = origins(&cfg.exchange_config, cfg.live.sandbox);
        let rest = match Rest::new(&rest_origin) {
            Ok(r) => Arc::new(r),
            Err(e) => return self.failed(start_time, e),
        };
        let mut ids = Vec::new();
        for s in &cfg.symbols {
            match rest.resolve(s) {
                Ok(r) => ids.push(r.id),
                Err(e) => return self.failed(start_time, e.message),
            }
        }
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return self.failed(start_time, format!("cannot start the market stream: {e}")),
        };
        let mut engine = backtest::engine(cfg, self.sink(true, 0));
        self.send(WorkerEvent::Running);
        self.send(WorkerEvent::Log(
            "info".into(),
            format!("paper trading on Binance candles from {ws_origin}"),
        ));
        let stop = self.stop.clone();
        rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let stream = KlineStream {
                ws_origin: ws_origin.clone(),
                ids,
                tf: cfg.timeframe,
            };
            let feed = tokio::spawn(stream.run(rest.clone(), tx, stop.clone()));
            // Candles sharing an open time form one engine step; it ends as soon as every symbol has
            // delivered (a later candle also ends it, when a symbol had a gap).
            let symbols = cfg.symbols.len();
            let mut step: Option<(i64, usize)> = None;
            let mut check = tokio::time::interval(std::time::Duration::from_millis(100));
            loop {
                tokio::select! {
                    ev = rx.recv() => match ev {
                        Some(FeedEvent::Closed(i, c)) => {
                            if let Some((ts, _)) = step.filter(|&(t, _)| t != c.ts) {
                                engine.end_step(ts);
                                step = None;
                            }
                            engine.on_candle(i, &c);
                            let seen = step.map_or(1, |(_, n)| n + 1);
                            if seen == symbols {
                                engine.end_step(c.ts);
                                step = None;
                            } else {
                                step = Some((c.ts, seen));
                            }
                        }
                        Some(FeedEvent::Open(i, c)) => self.send(WorkerEvent::Candle(i, c)),
                        Some(FeedEvent::Note(n)) => self.send(WorkerEvent::Log("warning".into(), n)),
                        None => break,
                    },
                    _ = check.tick() => if stop.load(Ordering::Relaxed) { break; },
                }
            }
            if let Some((ts, _)) = step {
                engine.end_step(ts);
            }
            feed.abort();
        });
        engine.cancel_all("run stopped");
        let out = engine.finish();
        let info = RunInfo {
            run_id: self.run_id.clone(),
            status: RunStatus::Stopped,
            start_time,
            end_time: Some(now_iso()),
            error: None,
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

//! Paper trading on the synthetic market: candles arrive one timeframe apart in simulated time,
//! `speed` times faster than real time.

use super::Job;
use crate::data::sim;
use crate::engine::Candle;
use crate::run::backtest::{self, now_iso};
use crate::run::results::{self, ResultsResponse, RunInfo};
use crate::run::{RunStatus, WorkerEvent};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

impl Job {
    /// Paper trading on the synthetic market: candles arrive one timeframe apart in simulated time,
    /// `speed` times faster than real time, starting with the last closed candle.
    pub(super) fn paper_sim(&self, start_time: String) -> ResultsResponse {
        let cfg = &self.config;
        let tf = cfg.timeframe;
        let interval = Duration::from_secs_f64(tf.millis() as f64 / 1000.0 / cfg.live.speed);
        let first = tf.floor(chrono::Utc::now().timestamp_millis()) - tf.millis();
        let mut engine = match backtest::engine(cfg, self.sink(true, 0)) {
            Ok(e) => e,
            Err(e) => return self.failed(start_time, e.message),
        };
        let mut feeds: Vec<SimFeed> = cfg.symbols.iter().map(|s| SimFeed::new(s, tf, first)).collect();
        self.send(WorkerEvent::Warmup(engine.warmup_bars() as u64));
        self.send(WorkerEvent::Running);
        let wall_start = Instant::now();
        let mut error = None;
        'run: for k in 0u64.. {
            let due = wall_start + interval.mul_f64(k as f64);
            loop {
                if self.stop.load(Ordering::Relaxed) {
                    break 'run;
                }
                if self.resume.swap(false, Ordering::Relaxed) {
                    engine.resume();
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
            if engine.wound_down() {
                break;
            }
        }
        engine.cancel_all("run stopped");
        let error = error.or_else(|| engine.failure().map(String::from));
        let warnings = backtest::below_minimum_warning(engine.below_minimum_skipped())
            .into_iter()
            .collect();
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
            warnings,
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

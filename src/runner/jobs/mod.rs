//! The work a run does off the async runtime, one file per job: a backtest replay (here), a paper run
//! on the sim market (`sim.rs`), paper and live trading on Binance (`binance.rs`). All drive the same
//! engine; only the clock, the feed and the execution differ.

mod binance;
mod optimize;
mod sim;

use super::sink::ChannelSink;
use super::{WorkerEvent, WorkerTx};
use crate::run::backtest::{self, now_iso};
use crate::run::results::{self, ResultsResponse, RunInfo};
use crate::run::worker::LogLevel;
use crate::run::{Mode, RunConfig, RunStatus};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub struct Job {
    pub run_id: String,
    pub config: RunConfig,
    /// The grid of an optimize run.
    pub sweep: Option<Arc<crate::run::optimize::Sweep>>,
    pub data_dir: PathBuf,
    pub tx: WorkerTx,
    pub stop: Arc<AtomicBool>,
    /// Set by a resume request; the job clears it and lets a paused engine trade again.
    pub resume: Arc<AtomicBool>,
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
            (Mode::Optimize, _) => self.optimize(start_time),
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
        let set = match backtest::load_candles(
            &self.data_dir,
            &self.config,
            &crate::exchange::binance::history::Download,
        ) {
            Ok(s) => s,
            Err(e) => return self.failed(start_time, e.message),
        };
        for w in &set.warnings {
            self.send(WorkerEvent::Log(LogLevel::Warning, w.clone()));
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
}

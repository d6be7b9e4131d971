//! An optimize run: the sweep over its grid (every combination a plain backtest on the same shared
//! candles), its finished combinations sent in batches as they come, stoppable between combinations.

use super::Job;
use crate::data::source::known_exchanges;
use crate::run::optimize::{self, Control};
use crate::run::results::ResultsResponse;
use crate::run::sweep::Combination;
use crate::run::WorkerEvent;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Finished combinations are sent at most this often (or when this many are waiting), so a fast grid
/// does not become one message per combination.
const BATCH_EVERY: Duration = Duration::from_millis(200);
const BATCH_MAX: usize = 500;

struct Batcher {
    pending: Vec<Combination>,
    completed: usize,
    last_sent: Instant,
}

impl Job {
    pub(super) fn optimize(&self, start_time: String) -> ResultsResponse {
        let Some(sweep) = self.sweep.clone() else {
            return self.failed(start_time, "an optimize run needs its grid".into());
        };
        // The grid was checked when the run was accepted; `run_with` builds its combinations.
        let total: usize = sweep.axes.iter().map(|a| a.values.len()).product();
        self.send(WorkerEvent::Running);
        let batcher = Mutex::new(Batcher {
            pending: Vec::new(),
            completed: 0,
            last_sent: Instant::now(),
        });
        let flush = |b: &mut Batcher| {
            self.send(WorkerEvent::Combinations {
                batch: std::mem::take(&mut b.pending),
                completed: b.completed,
                total,
                min_trades: sweep.min_trades,
            });
            b.last_sent = Instant::now();
        };
        let on_done = |c: Combination| {
            if let Ok(mut b) = batcher.lock() {
                b.completed += 1;
                b.pending.push(c);
                if b.pending.len() >= BATCH_MAX || b.last_sent.elapsed() >= BATCH_EVERY {
                    flush(&mut b);
                }
            }
        };
        let control = Control {
            stop: Some(&self.stop),
            on_done: Some(&on_done),
        };
        let known = known_exchanges(&self.data_dir);
        let outcome = optimize::run_with(
            &self.data_dir,
            &sweep,
            &known,
            &crate::exchange::binance::history::Download,
            control,
        );
        if let Ok(mut b) = batcher.lock() {
            if !b.pending.is_empty() {
                flush(&mut b);
            }
        }
        let mut report = match outcome {
            Ok(r) => r,
            Err(e) => return self.failed(start_time, e.message),
        };
        report.run_id = self.run_id.clone();
        optimize::into_results(report, self.config.clone(), start_time)
    }
}

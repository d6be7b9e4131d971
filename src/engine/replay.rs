//! The historical market feed: replays per-symbol candle series through the engine in timestamp order.

use super::clock::Clock;
use super::core::{Engine, EventSink};
use super::execution::Execution;
use super::types::Candle;
use std::sync::atomic::{AtomicBool, Ordering};

/// How often (in engine steps) the replay checks for a stop request and reports progress.
const CHECK_EVERY: usize = 16_384;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayEnd {
    Completed,
    Stopped,
    /// A risk limit ended the run (its closing orders are done).
    Halted,
}

/// Steps `bars` of the run's only symbol through the engine, one step each, stepping over quiet
/// stretches where the engine may (`Engine::quiet_bars`); `false` once the run has wound down (a
/// risk halt done, or the strategy failed).
#[inline]
fn step_bars<C: Clock, X: Execution, S: EventSink>(engine: &mut Engine<C, X, S>, bars: &[Candle]) -> bool {
    let mut next = 0;
    while next < bars.len() {
        next += engine.quiet_bars(0, &bars[next..]);
        let Some(bar) = bars.get(next) else { break };
        engine.on_candle(0, bar);
        engine.end_step(bar.ts);
        if engine.wound_down() {
            return false;
        }
        next += 1;
    }
    true
}

/// Feeds every candle of `series` (one sorted series per symbol) to the engine. Candles of all symbols
/// sharing a timestamp form one step; the step's equity point is recorded after all of them.
pub fn replay<C: Clock, X: Execution, S: EventSink>(
    engine: &mut Engine<C, X, S>,
    series: &[&[Candle]],
    stop: Option<&AtomicBool>,
    mut progress: impl FnMut(usize, usize),
) -> ReplayEnd {
    let total: usize = series.iter().map(|s| s.len()).sum();
    let stopped = || stop.is_some_and(|s| s.load(Ordering::Relaxed));
    if let [only] = series {
        engine.reserve_steps(only.len());
        for (i, chunk) in only.chunks(CHECK_EVERY).enumerate() {
            if stopped() {
                engine.flush_events();
                return ReplayEnd::Stopped;
            }
            if !step_bars(engine, chunk) {
                engine.flush_events();
                return ReplayEnd::Halted;
            }
            progress(i * CHECK_EVERY + chunk.len(), total);
        }
        engine.flush_events();
        return ReplayEnd::Completed;
    }
    engine.reserve_steps(series.iter().map(|s| s.len()).max().unwrap_or(0));
    let mut pos = vec![0usize; series.len()];
    let mut done = 0usize;
    let mut steps = 0usize;
    while let Some(ts) = series
        .iter()
        .zip(&pos)
        .filter_map(|(s, &p)| s.get(p).map(|c| c.ts))
        .min()
    {
        for (sym, s) in series.iter().enumerate() {
            if let Some(bar) = s.get(pos[sym]).filter(|c| c.ts == ts) {
                engine.on_candle(sym, bar);
                pos[sym] += 1;
                done += 1;
            }
        }
        engine.end_step(ts);
        if engine.wound_down() {
            engine.flush_events();
            return ReplayEnd::Halted;
        }
        steps += 1;
        if steps.is_multiple_of(CHECK_EVERY) {
            progress(done, total);
            if stopped() {
                engine.flush_events();
                return ReplayEnd::Stopped;
            }
        }
    }
    engine.flush_events();
    progress(done, total);
    ReplayEnd::Completed
}

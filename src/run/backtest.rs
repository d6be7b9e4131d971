//! A backtest from start to finish: load candles, build the engine, replay, collect results.

use super::config::{Mode, RunConfig};
use super::error::{ErrorCode, RunError};
use super::results::{self, ResultsResponse, RunStatus};
use crate::data::{self, CandleQuery, Series};
use crate::engine::clock::{Clock, HistoricalClock};
use crate::engine::core::{Engine, EngineConfig, EventSink, NoEvents};
use crate::engine::execution::{Execution, SimulatedExecution};
use crate::engine::replay::{replay, ReplayEnd};
use crate::engine::strategy::Strategy;
use crate::engine::types::Candle;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Orders per second of engine time the engine accepts from a strategy (Binance's spot limit is 10/s).
pub const MAX_ORDERS_PER_SEC: u32 = 10;

pub fn run_id() -> String {
    let now = chrono::Utc::now();
    let nanos = now.timestamp_nanos_opt().unwrap_or_default() as u64;
    let tag = (nanos ^ (std::process::id() as u64).rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48;
    format!("run-{}-{:04x}", now.format("%Y%m%d-%H%M%S"), tag)
}

pub fn now_iso() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn query(config: &RunConfig) -> CandleQuery {
    CandleQuery {
        exchange: config.exchange.clone(),
        symbols: config.symbols.clone(),
        timeframe: config.timeframe,
        start: config.start_ms,
        end: config.end_ms,
        file: config.data_file.as_ref().map(PathBuf::from),
    }
}

/// Where candles a backtest lacks come from: an exchange's history download, plugged in by the caller
/// (the run layer knows no exchange). Problems come back as messages, since what is cached may still
/// be enough; an error means the run cannot go ahead at all (e.g. the exchange has no such symbol).
pub trait Fetch {
    fn fetch_missing(&self, data_dir: &Path, config: &RunConfig) -> Result<Vec<String>, RunError>;
}

/// Fetches nothing: the cache and the files are all there is.
pub struct NoFetch;

impl Fetch for NoFetch {
    fn fetch_missing(&self, _: &Path, _: &RunConfig) -> Result<Vec<String>, RunError> {
        Ok(Vec::new())
    }
}

/// Loads the run's candles; a run with no candles at all is an error, not an empty result.
pub fn load_candles(data_dir: &Path, config: &RunConfig, fetch: &dyn Fetch) -> Result<data::CandleSet, RunError> {
    let fetch_problems = fetch.fetch_missing(data_dir, config)?;
    let mut set = data::load(data_dir, &query(config)).map_err(|e| {
        let mut msg = e.to_string();
        for p in &fetch_problems {
            msg.push_str(&format!("; {p}"));
        }
        RunError::new(ErrorCode::NoData, msg)
    })?;
    set.warnings.extend(fetch_problems);
    for (sym, s) in config.symbols.iter().zip(&set.series) {
        if s.is_empty() {
            return Err(RunError::new(
                ErrorCode::NoData,
                format!("no {} candles for {sym} in the requested range", config.timeframe),
            ));
        }
    }
    Ok(set)
}

/// Builds the engine for `config` with simulated execution and the historical clock.
pub fn engine<S: EventSink>(
    config: &RunConfig,
    sink: S,
) -> Result<Engine<HistoricalClock, SimulatedExecution, S>, RunError> {
    let execution = SimulatedExecution::new(config.symbols.len(), config.slippage_bps);
    engine_with(config, HistoricalClock::default(), execution, sink)
}

/// The engine for `config` with any clock and execution: the same strategy, portfolio and risk code.
/// One strategy instance per symbol; a script that fails to start is an error naming its file:line.
pub fn engine_with<C: Clock, X: Execution, S: EventSink>(
    config: &RunConfig,
    clock: C,
    execution: X,
    sink: S,
) -> Result<Engine<C, X, S>, RunError> {
    let spec = config.strategy()?;
    let strategies = config
        .symbols
        .iter()
        .map(|_| spec.build(&config.params))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| RunError::new(ErrorCode::InvalidParams, e))?;
    Ok(engine_around(config, clock, execution, sink, strategies))
}

/// `engine_with` around strategy instances made elsewhere (a sweep's, replaying their signals).
pub fn engine_around<C: Clock, X: Execution, S: EventSink>(
    config: &RunConfig,
    clock: C,
    execution: X,
    sink: S,
    strategies: Vec<Box<dyn Strategy>>,
) -> Engine<C, X, S> {
    let cfg = EngineConfig {
        initial_cash: config.initial_cash,
        commission: config.commission,
        symbols: config.symbols.len(),
        sizing: config.sizing(),
        max_orders_per_sec: MAX_ORDERS_PER_SEC,
        risk: config.risk,
    };
    let mut engine = Engine::new(cfg, clock, execution, sink, strategies);
    if config.mode != Mode::Backtest {
        engine.cap_equity(REALTIME_EQUITY_POINTS);
    }
    // The synthetic exchange's rules apply to its own market, not to a user's candle file.
    if config.exchange == "sim" && config.data_file.is_none() {
        for i in 0..config.symbols.len() {
            engine.set_order_minimum(i, crate::data::sim::ORDER_MINIMUM);
        }
    }
    engine
}

/// Replays `series` and returns results. Used by the CLI directly and by the runner task.
pub fn run_on<S: EventSink>(
    run_id: &str,
    config: RunConfig,
    series: &[Series],
    warnings: Vec<String>,
    sink: S,
    stop: Option<&AtomicBool>,
    progress: impl FnMut(usize, usize),
) -> ResultsResponse {
    let start_time = now_iso();
    let mut eng = match engine(&config, sink) {
        Ok(e) => e,
        Err(e) => {
            let info = results::RunInfo {
                run_id: run_id.to_string(),
                status: RunStatus::Failed,
                start_time,
                end_time: Some(now_iso()),
                error: Some(e.message),
                warnings,
            };
            return results::empty(info, config);
        }
    };
    let slices: Vec<&[Candle]> = series.iter().map(|s| &s[..]).collect();
    eng.reserve_steps_prefaulted(slices.iter().map(|s| s.len()).max().unwrap_or(0));
    let end = replay(&mut eng, &slices, stop, progress);
    let failure = eng.failure().map(String::from);
    let mut warnings = warnings;
    warnings.extend(below_minimum_warning(eng.below_minimum_skipped()));
    let status = match end {
        _ if failure.is_some() => RunStatus::Failed,
        ReplayEnd::Completed => RunStatus::Completed,
        // A risk limit closed everything: stopped, with the rule in `stop_reason`.
        ReplayEnd::Halted => RunStatus::Stopped,
        ReplayEnd::Stopped => {
            eng.cancel_all("run stopped");
            RunStatus::Stopped
        }
    };
    let out = eng.finish();
    let info = results::RunInfo {
        run_id: run_id.to_string(),
        status,
        start_time,
        end_time: Some(now_iso()),
        error: failure,
        warnings,
    };
    let mut r = results::build(info, config, &out);
    results::attach_benchmark(&mut r, &out, &slices);
    r
}

/// Equity points a paper or live run keeps (6 MB); past this its curve is thinned, see
/// `Engine::cap_equity`. A backtest keeps every point: its length is known before it starts.
pub const REALTIME_EQUITY_POINTS: usize = 1 << 18;

/// The run's warning about strategy orders that were too small for the exchange, if there were any.
pub fn below_minimum_warning(skipped: u64) -> Option<String> {
    (skipped > 0).then(|| {
        format!(
            "{skipped} strategy orders were below the exchange's minimum order (amount or value) and were not placed"
        )
    })
}

/// The CLI's backtest: load, run, results.
pub fn run(data_dir: &Path, config: RunConfig, fetch: &dyn Fetch) -> Result<ResultsResponse, RunError> {
    let set = load_candles(data_dir, &config, fetch)?;
    Ok(run_on(
        &run_id(),
        config,
        &set.series,
        set.warnings,
        NoEvents,
        None,
        |_, _| {},
    ))
}

#[cfg(test)]
mod benchmark_tests {
    use super::*;

    /// The buy-and-hold line equals holding each symbol's share from its first close, at every point
    /// of the curve, computed the slow way (a search per point), for one symbol and for two.
    #[test]
    fn the_benchmark_is_buy_and_hold_at_every_point() {
        for symbols in [vec!["BTC/USDT"], vec!["BTC/USDT", "ETH/USDT"]] {
            let req = crate::run::config::RunRequest::backtest("MovingAverageCross", &symbols, "1h")
                .between("2024-01-01", "2024-03-01");
            let cfg = crate::run::config::validate(&req, &["sim".into()]).unwrap();
            let set = load_candles(std::path::Path::new("/nonexistent"), &cfg, &NoFetch).unwrap();
            let r = run(std::path::Path::new("/nonexistent"), cfg.clone(), &NoFetch).unwrap();
            assert!(r.equity_curve.len() > 100);
            let share = cfg.initial_cash / symbols.len() as f64;
            for e in &r.equity_curve {
                let ts = crate::data::time::parse_iso(&e.timestamp).unwrap();
                let want: f64 = set
                    .series
                    .iter()
                    .map(|s| {
                        let i = s.partition_point(|c| c.ts <= ts);
                        share * s[i.max(1) - 1].close / s[0].close
                    })
                    .sum();
                assert_eq!(e.benchmark, Some(want), "{symbols:?} at {}", e.timestamp);
            }
        }
    }
}

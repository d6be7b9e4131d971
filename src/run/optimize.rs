//! Parameter sweeps: every combination of a grid, backtested on the same candles (loaded once and
//! shared read-only by the workers), ranked by an objective; optionally walk-forward, where each
//! fold's best combination on its training part is scored on the part after it.
//!
//! A combination is evaluated by exactly the code a plain backtest runs (`backtest::engine`,
//! `replay`, `results::metrics_of`), so its numbers are those of `backtest` with the same parameters.
//! A strategy that decides by a signal over indicator series (MovingAverageCross) has those series
//! computed once per batch of combinations and its decisions recorded first (`signal_events`); the
//! engine then replays each combination acting at the recorded bars (`strategy::signals`).

use super::backtest::{self, Fetch};
use super::config::{self, RunConfig, RunRequest};
use super::error::{ErrorCode, RunError};
use super::results;
use super::sweep::best_first;
pub use super::sweep::{Axis, Best, Combination, Fold, Objective, SweepReport, TestPart, TrainPart, WalkForward};
use crate::data::validate::fmt_ts;
use crate::engine::clock::HistoricalClock;
use crate::engine::core::{Engine, NoEvents};
use crate::engine::execution::{Execution, SimulatedExecution};
use crate::engine::metrics::PerformanceMetrics;
use crate::engine::replay::replay;
use crate::engine::strategy::params::{ParamSpec, ParamType};
use crate::engine::strategy::signals::{Action, Replayed, SeriesBank, SignalRun};
use crate::engine::strategy::Signals;
use crate::engine::Candle;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// More combinations than this is refused before anything runs.
pub const MAX_COMBINATIONS: usize = 100_000;

/// Parses `NAME=START..END[:STEP]` or `NAME=V1,V2,...` against the strategy's parameters: an unknown
/// name is `INVALID_PARAMS` (listing the accepted ones), a value out of range `VALIDATION_ERROR`.
pub fn parse_axis(strategy: &str, text: &str) -> Result<Axis, RunError> {
    let (name, spec) = text.split_once('=').ok_or_else(|| {
        RunError::field(
            "grid",
            format!("grid '{text}' must be NAME=START..END[:STEP] or NAME=V1,V2,..."),
        )
    })?;
    let param = param_spec(strategy, name.trim())?;
    let raw: Vec<String> = match spec.split_once("..") {
        Some((start, rest)) => {
            let (end, step) = rest.split_once(':').map_or((rest, None), |(e, s)| (e, Some(s)));
            range_values(&param, start, end, step)?
        }
        None => spec.split(',').map(|v| v.trim().to_string()).collect(),
    };
    axis_from(&param, raw.iter().map(String::as_str))
}

/// An axis from JSON values (`[5, 10, 20]` or `{"start": 5, "end": 50, "step": 5}`), as the API takes it.
pub fn axis_from_json(strategy: &str, name: &str, v: &Value) -> Result<Axis, RunError> {
    let param = param_spec(strategy, name)?;
    match v {
        Value::Array(items) => {
            let raw: Vec<String> = items
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), String::from))
                .collect();
            axis_from(&param, raw.iter().map(String::as_str))
        }
        Value::Object(m) => {
            let part = |k: &str| m.get(k).map(|x| x.as_str().map_or_else(|| x.to_string(), String::from));
            let (Some(start), Some(end)) = (part("start"), part("end")) else {
                return Err(RunError::field(
                    &format!("grid.{name}"),
                    "a range needs start and end (and step for floats)",
                ));
            };
            let step = part("step");
            let raw = range_values(&param, &start, &end, step.as_deref())?;
            axis_from(&param, raw.iter().map(String::as_str))
        }
        _ => Err(RunError::field(
            &format!("grid.{name}"),
            "grid values are a list [v1, v2, ...] or a range {\"start\", \"end\", \"step\"}",
        )),
    }
}

fn param_spec(strategy: &str, name: &str) -> Result<ParamSpec, RunError> {
    let def = crate::script::catalog::find(strategy).ok_or_else(|| {
        RunError::new(
            ErrorCode::UnknownStrategy,
            format!("unknown strategy '{strategy}'; see `strategies`"),
        )
    })?;
    let params = def.all_params();
    params
        .iter()
        .find(|p| p.name == name)
        .map(|p| (*p).clone())
        .ok_or_else(|| {
            let accepted: Vec<&str> = params.iter().map(|p| p.name.as_ref()).collect();
            RunError::new(
                ErrorCode::InvalidParams,
                format!(
                    "unknown grid parameter '{name}' for {strategy}; accepted: {}",
                    accepted.join(", ")
                ),
            )
            .with_details(serde_json::json!({ "field": format!("grid.{name}") }))
        })
}

/// Values from START to END inclusive: ints step 1 unless told, floats need a step.
fn range_values(p: &ParamSpec, start: &str, end: &str, step: Option<&str>) -> Result<Vec<String>, RunError> {
    let field = format!("grid.{}", p.name);
    let num =
        |s: &str, what: &str| {
            s.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
                RunError::field(&field, format!("{what} of the {} range is not a number: '{s}'", p.name))
            })
        };
    if !matches!(p.ty, ParamType::Int | ParamType::Float) {
        return Err(RunError::field(
            &field,
            format!(
                "{} is a {}: list its values (NAME=V1,V2) instead of a range",
                p.name,
                p.ty.as_str()
            ),
        ));
    }
    let (a, b) = (num(start, "start")?, num(end, "end")?);
    let step = match step {
        Some(s) => num(s, "step")?,
        None if p.ty == ParamType::Int => 1.0,
        None => {
            return Err(RunError::field(
                &field,
                format!("{} is a float: give a step, e.g. {}={a}..{b}:0.1", p.name, p.name),
            ))
        }
    };
    if step <= 0.0 || b < a {
        return Err(RunError::field(
            &field,
            format!("range {a}..{b}:{step} of {} must go up: end >= start, step > 0", p.name),
        ));
    }
    let count = ((b - a) / step + 1e-9).floor() + 1.0;
    if count > MAX_COMBINATIONS as f64 {
        return Err(RunError::field(
            &field,
            format!(
                "range of {} has {count} values; at most {MAX_COMBINATIONS} combinations in all",
                p.name
            ),
        ));
    }
    // Each value from start (no running sum), rounded so 0.1 steps print as 0.3, not 0.30000000000000004.
    Ok((0..count as usize)
        .map(|i| {
            let v = a + i as f64 * step;
            format!("{}", (v * 1e10).round() / 1e10)
        })
        .collect())
}

fn axis_from<'a>(p: &ParamSpec, raw: impl Iterator<Item = &'a str>) -> Result<Axis, RunError> {
    let field = format!("grid.{}", p.name);
    let mut values: Vec<Value> = Vec::new();
    for r in raw {
        let v = p.parse_str(r).map_err(|e| RunError::field(&field, e.to_string()))?;
        let shown = p.display_json(v);
        if !values.contains(&shown) {
            values.push(shown);
        }
    }
    if values.is_empty() {
        return Err(RunError::field(&field, format!("no values for {}", p.name)));
    }
    Ok(Axis {
        name: p.name.to_string(),
        values,
    })
}

/// A sweep to run: the backtest request all combinations share, and the grid over it.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub base: RunRequest,
    pub axes: Vec<Axis>,
    pub objective: Objective,
    /// Combinations with fewer round trips are reported but not ranked as best.
    pub min_trades: u64,
    pub walk_forward: Option<WalkForward>,
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
}

impl Sweep {
    fn workers(&self) -> usize {
        match self.jobs {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// Every combination, first axis slowest; each over the base request's own parameters.
    pub fn combinations(&self) -> Result<Vec<Map<String, Value>>, RunError> {
        if self.axes.is_empty() {
            return Err(RunError::field(
                "grid",
                "the grid is empty: sweep at least one parameter",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for a in &self.axes {
            if !seen.insert(a.name.as_str()) {
                return Err(RunError::field("grid", format!("{} is swept twice", a.name)));
            }
        }
        let total = self
            .axes
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
            .filter(|n| *n <= MAX_COMBINATIONS)
            .ok_or_else(|| {
                RunError::field(
                    "grid",
                    format!("the grid has more than {MAX_COMBINATIONS} combinations; narrow it"),
                )
            })?;
        let mut out = Vec::with_capacity(total);
        for k in 0..total {
            let mut params = self.base.strategy_params.clone();
            let mut rest = k;
            for a in self.axes.iter().rev() {
                params.insert(a.name.clone(), a.values[rest % a.values.len()].clone());
                rest /= a.values.len();
            }
            out.push(params);
        }
        Ok(out)
    }
}

/// How a running sweep is watched and stopped (the runner's optimize job; the CLI uses neither).
#[derive(Default, Clone, Copy)]
pub struct Control<'a> {
    /// Set: no further combination starts; the report covers those that finished.
    pub stop: Option<&'a AtomicBool>,
    /// Called (from the worker threads) with each finished combination of the grid.
    pub on_done: Option<&'a (dyn Fn(Combination) + Sync)>,
}

impl Control<'_> {
    fn stopped(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
    }
}

/// Runs a sweep: candles loaded once, combinations spread over worker threads.
pub fn run(
    data_dir: &Path,
    sweep: &Sweep,
    known_exchanges: &[String],
    fetch: &dyn Fetch,
) -> Result<SweepReport, RunError> {
    run_with(data_dir, sweep, known_exchanges, fetch, Control::default())
}

/// `run`, reporting each finished combination and stopping when asked.
pub fn run_with(
    data_dir: &Path,
    sweep: &Sweep,
    known_exchanges: &[String],
    fetch: &dyn Fetch,
    control: Control<'_>,
) -> Result<SweepReport, RunError> {
    let started = Instant::now();
    let combos = sweep.combinations()?;
    // Each combination's configuration, as `backtest` would validate it; refused ones are skipped.
    let mut first_error = None;
    let configs: Vec<Option<RunConfig>> = combos
        .iter()
        .map(|params| {
            let mut req = sweep.base.clone();
            req.strategy_params = params.clone();
            config::validate(&req, known_exchanges)
                .map_err(|e| first_error.get_or_insert(e).clone())
                .ok()
        })
        .collect();
    let Some(any) = configs.iter().flatten().next() else {
        return Err(all_refused(first_error));
    };
    let set = backtest::load_candles(data_dir, any, fetch)?;
    let series: Vec<&[Candle]> = set.series.iter().map(|s| &s[..]).collect();
    let candles = series.iter().map(|s| s.len()).sum();
    let report = |i: usize, o: &Outcome| {
        if let (Some(f), Ok((metrics, final_value))) = (control.on_done, o) {
            f(Combination {
                params: combos[i].clone(),
                trades: metrics.total_trades,
                score: sweep.objective.score(metrics, *final_value),
                metrics: metrics.clone(),
                final_value: *final_value,
            });
        }
    };
    let outcomes = evaluate(&configs, &series, sweep.workers(), control.stop, &report);
    let mut results = Vec::new();
    let mut failed = None;
    for (params, outcome) in combos.iter().cloned().zip(outcomes) {
        match outcome {
            Some(Ok((metrics, final_value))) => {
                let trades = metrics.total_trades;
                let score = sweep.objective.score(&metrics, final_value);
                results.push(Combination {
                    params,
                    metrics,
                    final_value,
                    trades,
                    score,
                });
            }
            Some(Err(e)) => {
                failed.get_or_insert(e);
            }
            None => {}
        }
    }
    if results.is_empty() {
        if let Some(e) = failed {
            return Err(e);
        }
    }
    let completed = results.len();
    let skipped = configs.iter().filter(|c| c.is_none()).count();
    rank(&mut results, sweep.min_trades);
    let below_min_trades = results.iter().filter(|r| r.trades < sweep.min_trades).count();
    let best = results.first().filter(|r| r.trades >= sweep.min_trades).map(|r| Best {
        params: r.params.clone(),
        metrics: r.metrics.clone(),
        score: r.score,
    });
    let stopped = control.stopped();
    let walk_forward = match sweep.walk_forward {
        Some(wf) if !stopped => Some(walk_forward(sweep, wf, &combos, &configs, &series)?),
        _ => None,
    };
    Ok(SweepReport {
        run_id: format!("opt-{}", &backtest::run_id()["run-".len()..]),
        strategy: sweep.base.strategy_name.clone(),
        objective: sweep.objective,
        axes: sweep.axes.clone(),
        combinations: configs.len(),
        completed,
        skipped,
        below_min_trades,
        results,
        best,
        walk_forward,
        candles,
        elapsed_ms: started.elapsed().as_millis() as u64,
        stopped,
    })
}

/// Best first: qualified (enough trades) before not, then by score (undefined last); ties keep grid order.
fn rank(results: &mut [Combination], min_trades: u64) {
    results.sort_by(|a, b| {
        let qualified = |c: &Combination| c.trades >= min_trades;
        qualified(b)
            .cmp(&qualified(a))
            .then_with(|| best_first(a.score, b.score))
    });
}

type Outcome = Result<(PerformanceMetrics, f64), RunError>;

/// Evaluates every configured combination on `series`, `jobs` at a time; `None` for skipped ones
/// (and for those not started once `stop` is set). `done` hears of each as it finishes.
fn evaluate(
    configs: &[Option<RunConfig>],
    series: &[&[Candle]],
    jobs: usize,
    stop: Option<&AtomicBool>,
    done: &(dyn Fn(usize, &Outcome) + Sync),
) -> Vec<Option<Outcome>> {
    let events: Vec<Mutex<Option<Events>>> = match series {
        [candles] => signal_events(configs, candles, jobs, stop),
        _ => Vec::new(),
    }
    .into_iter()
    .map(Mutex::new)
    .collect();
    spread(configs.len(), configs.len(), jobs, stop, &|i, put| {
        let Some(Some(cfg)) = configs.get(i) else { return };
        let recorded = events.get(i).and_then(|e| e.lock().ok()?.take());
        let outcome = match recorded {
            Some(recorded) => evaluate_replayed(cfg, series, recorded),
            None => evaluate_one(cfg, series),
        };
        done(i, &outcome);
        put(i, outcome);
    })
}

/// Where a task of `spread` puts a result: `put(slot, value)`.
type Put<'a, T> = &'a (dyn Fn(usize, T) + Sync);

/// Runs tasks `0..tasks` on up to `jobs` threads, each task taken by the next free thread; a task
/// puts its results into numbered slots (`put(slot, value)`). Once `stop` is set, no task starts.
fn spread<T: Send>(
    tasks: usize,
    slots: usize,
    jobs: usize,
    stop: Option<&AtomicBool>,
    task: &(dyn Fn(usize, Put<'_, T>) + Sync),
) -> Vec<Option<T>> {
    let next = AtomicUsize::new(0);
    let out: Vec<Mutex<Option<T>>> = (0..slots).map(|_| Mutex::new(None)).collect();
    let put = |i: usize, value: T| {
        if let Some(Ok(mut slot)) = out.get(i).map(|m| m.lock()) {
            *slot = Some(value);
        }
    };
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, tasks.max(1)) {
            s.spawn(|| loop {
                if stop.is_some_and(|f| f.load(Ordering::Relaxed)) {
                    break;
                }
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= tasks {
                    break;
                }
                task(k, &put);
            });
        }
    });
    out.into_iter().map(|m| m.into_inner().ok().flatten()).collect()
}

/// One backtest, as `backtest::run_on` runs it, keeping only what a sweep reports.
pub fn evaluate_one(cfg: &RunConfig, series: &[&[Candle]]) -> Outcome {
    let mut eng = backtest::engine(cfg, NoEvents)?;
    // Metrics come from the engine's running figures; the curve itself is not reported.
    eng.discard_equity_curve();
    replay(&mut eng, series, None, |_, _| {});
    outcome_of(eng, cfg)
}

fn outcome_of<X: Execution>(eng: Engine<HistoricalClock, X, NoEvents>, cfg: &RunConfig) -> Outcome {
    if let Some(f) = eng.failure() {
        return Err(RunError::new(ErrorCode::InvalidParams, f.to_string()));
    }
    let out = eng.finish();
    let metrics = results::metrics_of(&out, cfg);
    Ok((metrics, out.portfolio.value()))
}

/// What a combination's signal decided, bar by bar (timestamp, action).
type Events = Vec<(i64, Action)>;

/// `evaluate_one` with the strategy replaced by what its signal decided on these candles: the
/// same orders on the same bars, so the same outcome.
fn evaluate_replayed(cfg: &RunConfig, series: &[&[Candle]], events: Events) -> Outcome {
    let orders = events.len();
    let strategy = Box::new(Replayed::new(events));
    let execution = SimulatedExecution::new(cfg.symbols.len(), cfg.slippage_bps);
    let mut eng = backtest::engine_around(cfg, HistoricalClock::default(), execution, NoEvents, vec![strategy]);
    eng.discard_equity_curve();
    eng.reserve_orders(orders);
    replay(&mut eng, series, None, |_, _| {});
    outcome_of(eng, cfg)
}

/// Candles per chunk when computing signals: the chunk and its series stay in cache while every
/// signal of the batch reads them.
const SIGNAL_CHUNK: usize = 2048;
/// At most this many combinations share one bank of series (and hold their events at once).
const SIGNAL_BATCH: usize = 64;

/// Each combination's signal events on one symbol's `candles`, when every configured combination's
/// strategy decides by a signal (else none). The combinations are split into one batch per worker
/// in grid order, so each batch computes the series its combinations share once.
fn signal_events(
    configs: &[Option<RunConfig>],
    candles: &[Candle],
    jobs: usize,
    stop: Option<&AtomicBool>,
) -> Vec<Option<Events>> {
    let signals = |c: &RunConfig| c.strategy().ok().and_then(|d| d.signals(&c.params));
    let configured: Vec<usize> = (0..configs.len()).filter(|&i| configs[i].is_some()).collect();
    if configured.is_empty()
        || configs
            .iter()
            .flatten()
            .any(|c| c.symbols.len() != 1 || signals(c).is_none())
    {
        return Vec::new();
    }
    let batch = configured.len().div_ceil(jobs.max(1)).clamp(1, SIGNAL_BATCH);
    let batches: Vec<&[usize]> = configured.chunks(batch).collect();
    spread(batches.len(), configs.len(), jobs, stop, &|b, put| {
        let wanted: Vec<(usize, Signals)> = batches[b]
            .iter()
            .filter_map(|&i| Some((i, signals(configs[i].as_ref()?)?)))
            .collect();
        let mut bank = SeriesBank::new(wanted.iter().flat_map(|(_, (keys, _))| keys.iter().copied()));
        let mut runs: Vec<(usize, SignalRun)> = wanted
            .into_iter()
            .filter_map(|(i, (keys, signal))| Some((i, SignalRun::new(signal, &keys, &bank)?)))
            .collect();
        for chunk in candles.chunks(SIGNAL_CHUNK) {
            if stop.is_some_and(|f| f.load(Ordering::Relaxed)) {
                return;
            }
            bank.fill(chunk);
            for (_, run) in &mut runs {
                run.advance(&bank, chunk);
            }
        }
        for (i, run) in runs {
            put(i, run.events);
        }
    })
}

/// Candles of each series with `from <= ts < to`.
fn window<'a>(series: &[&'a [Candle]], from: i64, to: i64) -> Vec<&'a [Candle]> {
    series
        .iter()
        .map(|s| {
            let a = s.partition_point(|c| c.ts < from);
            let b = s.partition_point(|c| c.ts < to);
            &s[a..b]
        })
        .collect()
}

/// Contiguous folds over the first series' candles; in each, the grid runs on the first `train_pct`
/// and the best combination is backtested on the rest.
fn walk_forward(
    sweep: &Sweep,
    wf: WalkForward,
    combos: &[Map<String, Value>],
    configs: &[Option<RunConfig>],
    series: &[&[Candle]],
) -> Result<Vec<Fold>, RunError> {
    let times: Vec<i64> = series
        .first()
        .map(|s| s.iter().map(|c| c.ts).collect())
        .unwrap_or_default();
    let n = times.len();
    if n < wf.folds * 4 {
        return Err(RunError::field(
            "walk_forward.folds",
            format!("{n} candles are too few for {} folds", wf.folds),
        ));
    }
    let step = configs.iter().flatten().next().map_or(60_000, |c| c.timeframe.millis());
    let at = |i: usize| if i < n { times[i] } else { times[n - 1] + step };
    let mut folds = Vec::with_capacity(wf.folds);
    for f in 0..wf.folds {
        let (lo, hi) = (f * n / wf.folds, (f + 1) * n / wf.folds);
        let split = lo + (((hi - lo) as f64) * wf.train_pct).floor().max(1.0) as usize;
        let (train_from, test_from, test_to) = (at(lo), at(split.min(hi)), at(hi));
        let train = window(series, train_from, test_from);
        let outcomes = evaluate(configs, &train, sweep.workers(), None, &|_, _| {});
        let mut scored: Vec<(usize, Option<f64>, u64)> = outcomes
            .iter()
            .enumerate()
            .filter_map(|(i, o)| match o {
                Some(Ok((m, v))) => Some((i, sweep.objective.score(m, *v), m.total_trades)),
                _ => None,
            })
            .filter(|(_, _, trades)| *trades >= sweep.min_trades)
            .collect();
        scored.sort_by(|a, b| best_first(a.1, b.1).then(a.0.cmp(&b.0)));
        let best = scored.first().copied();
        let test = window(series, test_from, test_to);
        let tested = best
            .and_then(|(i, _, _)| configs[i].as_ref())
            .map(|cfg| evaluate_one(cfg, &test))
            .transpose()?;
        folds.push(Fold {
            fold: f + 1,
            train: TrainPart {
                start: fmt_ts(train_from),
                end: fmt_ts(test_from),
                best_params: best.map(|(i, _, _)| combos[i].clone()),
                objective: best.and_then(|b| b.1),
            },
            test: TestPart {
                start: fmt_ts(test_from),
                end: fmt_ts(test_to),
                final_value: tested.as_ref().map(|t| t.1),
                metrics: tested.map(|t| t.0),
            },
        });
    }
    Ok(folds)
}

/// The configuration an optimize run is recorded with: that of the first combination the strategy
/// accepts (mode `optimize`). Only the strategy's own checks may refuse single combinations; any other
/// refusal (unknown symbol, bad dates) is wrong for all of them and returned at once.
pub fn first_config(
    sweep: &Sweep,
    known_exchanges: &[String],
    policy: super::policy::StartPolicy,
) -> Result<RunConfig, RunError> {
    let mut first_error = None;
    for params in sweep.combinations()? {
        let mut r = sweep.base.clone();
        r.strategy_params = params;
        match policy.prepare(&r, known_exchanges) {
            Ok(mut cfg) => {
                cfg.mode = config::Mode::Optimize;
                return Ok(cfg);
            }
            Err(e) if e.code == ErrorCode::InvalidParams => {
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(all_refused(first_error))
}

/// The error when no combination of a grid may run: the first refusal, said to be for all.
fn all_refused(first: Option<RunError>) -> RunError {
    let e = first.unwrap_or_else(|| RunError::field("grid", "no combination to run"));
    RunError::new(
        e.code,
        format!("every combination was refused; the first: {}", e.message),
    )
    .with_details(e.details)
}

/// An optimize run's results: the sweep report, with the run's own numbers those of the best
/// combination (each combination's fills are not kept).
pub fn into_results(report: SweepReport, config: RunConfig, start_time: String) -> results::ResultsResponse {
    let info = results::RunInfo {
        run_id: report.run_id.clone(),
        status: if report.stopped {
            super::RunStatus::Stopped
        } else {
            super::RunStatus::Completed
        },
        start_time,
        end_time: Some(backtest::now_iso()),
        error: None,
        warnings: Vec::new(),
    };
    let mut r = results::empty(info, config);
    if let Some(best) = report.best.as_ref() {
        r.performance_metrics = best.metrics.clone();
        if let Some(c) = report.results.iter().find(|c| c.params == best.params) {
            r.final_value = c.final_value;
        }
        r.config.strategy_params = best.params.clone();
    }
    r.optimization = Some(Box::new(report));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::config::RunRequest;

    /// Combinations evaluated from their recorded signals equal plain backtests bit for bit, on
    /// prices that tie the two averages again and again (the case the exact sums are for).
    #[test]
    fn replayed_signals_give_the_plain_backtests_numbers() {
        let candles: Vec<Candle> = (0..20_000i64)
            .map(|i| {
                let c = 100.0 + ((i * 7) % 5) as f64 + if (i / 500) % 2 == 0 { 0.0 } else { 0.5 };
                Candle::new(1_577_836_800_000 + i * 60_000, c, c + 1.0, c - 1.0, c, 10.0)
            })
            .collect();
        let configs: Vec<Option<RunConfig>> = [(2, 5), (3, 10), (5, 6), (4, 40), (10, 20)]
            .iter()
            .map(|&(fast, slow)| {
                let mut req = RunRequest::backtest("MovingAverageCross", &["BTC/USDT"], "1m");
                req.strategy_params = serde_json::json!({ "fast_period": fast, "slow_period": slow })
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                config::validate(&req, &["sim".to_string()]).ok()
            })
            .collect();
        assert!(configs.iter().all(Option::is_some));
        let series = [&candles[..]];
        let events = signal_events(&configs, &candles, 2, None);
        assert!(events.iter().all(Option::is_some), "every combination is replayed");
        let swept = evaluate(&configs, &series, 2, None, &|_, _| {});
        let mut trades = 0;
        for (cfg, outcome) in configs.iter().flatten().zip(swept) {
            let (m, v) = outcome.unwrap().unwrap();
            let (plain_m, plain_v) = evaluate_one(cfg, &series).unwrap();
            assert_eq!(format!("{m:?}"), format!("{plain_m:?}"));
            assert_eq!(v.to_bits(), plain_v.to_bits());
            trades += m.total_trades;
        }
        assert!(trades > 100, "the prices make the averages cross: {trades} trades");
    }
}

//! The runner: the one task that owns run state. It takes commands (start, stop, reset) over an mpsc
//! channel with oneshot replies, runs the engine on a worker thread, and publishes every event on a
//! broadcast channel and the latest snapshot on a watch channel. The dashboard and the API are both
//! just readers of those plus senders of commands, so they always show the same run.

pub mod events;
mod jobs;
mod sink;
pub mod status;

use crate::data::source::known_exchanges;
use crate::run::backtest::run_id;
use crate::run::error::{ErrorCode, RunError};
pub use crate::run::policy::StartPolicy;
use crate::run::results::ResultsResponse;
pub use crate::run::worker::WorkerEvent;
use crate::run::{RunConfig, RunRequest, RunStatus};
use crate::store::writer::{self, WriterStats};
use crate::store::{Store, StoreError};
use chrono::Utc;
use events::{Event, LogEvent, OrderEvent, Published, TickerEvent};
use serde::Serialize;
use status::Snapshot;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// Events kept for slow subscribers before they lag (and get a resync).
const EVENT_BUFFER: usize = 8192;
/// How long `stop` waits for the engine to wind down before answering "stopping".
const STOP_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RunResponse {
    pub run_id: Option<String>,
    pub status: RunStatus,
    pub message: String,
}

enum Command {
    /// A run to start; optimize runs come with their sweep.
    Start(
        Box<RunConfig>,
        Option<Arc<crate::run::optimize::Sweep>>,
        oneshot::Sender<Result<RunResponse, RunError>>,
    ),
    Stop(oneshot::Sender<Result<RunResponse, RunError>>),
    Reset(oneshot::Sender<Result<RunResponse, RunError>>),
    Resume(oneshot::Sender<Result<RunResponse, RunError>>),
    /// The last finished run, read from history after start-up (ignored once a run has started).
    Restore(Box<ResultsResponse>, watch::Sender<bool>),
}

/// Counters for `/health`.
#[derive(Debug, Default)]
pub struct Stats {
    pub runs_started: AtomicU64,
    pub runs_completed: AtomicU64,
    pub runs_failed: AtomicU64,
    pub runs_stopped: AtomicU64,
}

/// The sending end workers use: counts what is queued for the writer, never blocks.
#[derive(Clone)]
pub struct WorkerTx {
    tx: mpsc::UnboundedSender<(u64, WorkerEvent)>,
    generation: u64,
    queued: Option<Arc<WriterStats>>,
}

impl WorkerTx {
    pub fn send(&self, e: WorkerEvent) {
        if let Some(q) = &self.queued {
            q.queued.fetch_add(1, Ordering::Relaxed);
        }
        // The runner outlives its workers; a closed channel only means the process is shutting down.
        let _ = self.tx.send((self.generation, e));
    }
}

/// A cheap, cloneable handle to the runner task.
#[derive(Clone)]
pub struct RunnerHandle {
    cmd: mpsc::Sender<Command>,
    snapshot: watch::Receiver<Arc<Snapshot>>,
    events: broadcast::Sender<Arc<Published>>,
    pub stats: Arc<Stats>,
    pub data_dir: PathBuf,
    /// Run history for reading (None when running without persistence).
    pub store: Option<Arc<Mutex<Store>>>,
    pub writer: Option<Arc<WriterStats>>,
    pub policy: StartPolicy,
    /// True once the last finished run has been read back from history (at once without history).
    restored: watch::Receiver<bool>,
}

impl RunnerHandle {
    /// The same runner under `policy` (set once at start-up, before the handle is shared).
    pub fn with_policy(mut self, policy: StartPolicy) -> RunnerHandle {
        self.policy = policy;
        self
    }

    /// Starts the runner task on the current tokio runtime, without persistence.
    pub fn spawn(data_dir: PathBuf) -> RunnerHandle {
        Self::start_runner(data_dir, None, None, Vec::new())
    }

    /// Starts the runner with run history at `<data dir>/cracktrader.db`: runs a crash left open are
    /// marked `failed`/`interrupted`, and the last finished run is `/results` again.
    pub fn open(data_dir: PathBuf) -> Result<RunnerHandle, StoreError> {
        let path = Store::db_path(&data_dir);
        let mut writer_store = Store::open(&path)?;
        let interrupted = writer_store.mark_interrupted()?;
        for id in &interrupted {
            tracing::warn!("run {id} was interrupted by a restart; marked failed");
        }
        // Blocking network calls: on a plain thread, as this may be called from inside a runtime.
        let attention = std::thread::scope(|sc| {
            sc.spawn(|| crate::exchange::binance::recovery::reconcile(&mut writer_store, &interrupted))
                .join()
                .unwrap_or_default()
        });
        for a in &attention {
            tracing::warn!(
                "needs attention: run {} order {} ({}): {}",
                a.run_id,
                a.order_id,
                a.client_order_id,
                a.detail
            );
        }
        let reader = Store::open(&path)?;
        let mut handle = Self::start_runner(data_dir, Some((writer_store, reader)), None, attention);
        // The API answers at once whatever the history's size; `/results` waits for this read.
        let (done_tx, done_rx) = watch::channel(false);
        handle.restored = done_rx;
        let cmd = handle.cmd.clone();
        let spawned = std::thread::Builder::new()
            .name("restore-last-run".into())
            .spawn(move || {
                match Store::open(&path).and_then(|s| s.last_finished()) {
                    // The runner says done once the snapshot has it.
                    Ok(Some(r)) => {
                        if let Err(mpsc::error::SendError(Command::Restore(_, done))) =
                            cmd.blocking_send(Command::Restore(Box::new(r), done_tx))
                        {
                            let _ = done.send(true);
                        }
                        return;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::error!("cannot read the last finished run back: {e}"),
                }
                let _ = done_tx.send(true);
            });
        if let Err(e) = spawned {
            tracing::error!("cannot read the last finished run back: {e}");
            handle.restored = watch::channel(true).1;
        }
        Ok(handle)
    }

    /// Waits (at most `limit`) until the last finished run has been read back after start-up.
    pub async fn restored(&self, limit: Duration) {
        let mut rx = self.restored.clone();
        let _ = tokio::time::timeout(limit, rx.wait_for(|done| *done)).await;
    }

    fn start_runner(
        data_dir: PathBuf,
        store: Option<(Store, Store)>,
        last: Option<ResultsResponse>,
        attention: Vec<status::Attention>,
    ) -> RunnerHandle {
        let (cmd_tx, cmd_rx) = mpsc::channel(64);
        let initial = Arc::new(Snapshot {
            results: last.map(Arc::new),
            attention,
            ..Snapshot::default()
        });
        let (snap_tx, snap_rx) = watch::channel(initial.clone());
        let (ev_tx, _) = broadcast::channel(EVENT_BUFFER);
        let stats = Arc::new(Stats::default());
        let (work_tx, work_rx) = mpsc::unbounded_channel::<(u64, WorkerEvent)>();
        let (job_tx, reader, writer) = match store {
            Some((w, r)) => {
                let (tx, rx) = mpsc::unbounded_channel();
                let ws = Arc::new(WriterStats::default());
                let (forward, ws2) = (work_tx.clone(), ws.clone());
                match std::thread::Builder::new()
                    .name("store-writer".into())
                    .spawn(move || writer::run(w, rx, forward, ws2))
                {
                    Ok(_) => (tx, Some(Arc::new(Mutex::new(r))), Some(ws)),
                    Err(e) => {
                        tracing::error!("cannot start the store writer: {e}; running without history");
                        (work_tx.clone(), None, None)
                    }
                }
            }
            None => (work_tx.clone(), None, None),
        };
        let runner = Runner {
            data_dir: data_dir.clone(),
            snap: initial,
            snap_tx,
            events: ev_tx.clone(),
            stats: stats.clone(),
            generation: 0,
            stop_flag: None,
            resume_flag: None,
            stop_waiters: Vec::new(),
            job_tx,
            writer: writer.clone(),
            seq: std::cell::Cell::new(0),
        };
        drop(work_tx);
        tokio::spawn(runner.run(cmd_rx, work_rx));
        RunnerHandle {
            cmd: cmd_tx,
            snapshot: snap_rx,
            events: ev_tx,
            stats,
            data_dir,
            store: reader,
            writer,
            policy: StartPolicy::default(),
            restored: watch::channel(true).1,
        }
    }

    async fn ask(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<RunResponse, RunError>>) -> Command,
    ) -> Result<RunResponse, RunError> {
        let (tx, rx) = oneshot::channel();
        let gone = || RunError::new(ErrorCode::Internal, "the engine is not running");
        self.cmd.send(make(tx)).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// The one way to start a run, for the API, the dashboard and the CLI: validates the request
    /// against the exchanges known here, applies the policy, and starts it.
    pub async fn start_request(&self, req: RunRequest) -> Result<RunResponse, RunError> {
        let data_dir = self.data_dir.clone();
        let known = tokio::task::spawn_blocking(move || known_exchanges(&data_dir))
            .await
            .map_err(|e| RunError::new(ErrorCode::Internal, format!("cannot list exchanges: {e}")))?;
        let cfg = self.policy.prepare(&req, &known)?;
        self.ask(|tx| Command::Start(Box::new(cfg), None, tx)).await
    }

    /// Starts a parameter sweep as one run (mode `optimize`). The grid is checked first (unknown
    /// parameter: `INVALID_PARAMS`; bad range or too many combinations: `VALIDATION_ERROR`).
    pub async fn start_optimize(&self, req: crate::run::request::OptimizeRequest) -> Result<RunResponse, RunError> {
        let data_dir = self.data_dir.clone();
        let policy = self.policy;
        let prepared = tokio::task::spawn_blocking(move || -> Result<_, RunError> {
            let known = known_exchanges(&data_dir);
            let sweep = req.sweep()?;
            let cfg = crate::run::optimize::first_config(&sweep, &known, policy)?;
            Ok((cfg, sweep))
        })
        .await
        .map_err(|e| RunError::new(ErrorCode::Internal, format!("cannot prepare the sweep: {e}")))?;
        let (cfg, sweep) = prepared?;
        self.ask(|tx| Command::Start(Box::new(cfg), Some(Arc::new(sweep)), tx))
            .await
    }

    /// Starts an already validated run (tests); `RUN_ALREADY_ACTIVE` if one is starting or running.
    pub async fn start(&self, config: RunConfig) -> Result<RunResponse, RunError> {
        self.policy.check(&config)?;
        self.ask(|tx| Command::Start(Box::new(config), None, tx)).await
    }

    /// Lets a run whose trading paused (after repeated rejections) trade again.
    pub async fn resume(&self) -> Result<RunResponse, RunError> {
        self.ask(Command::Resume).await
    }

    /// Stops the active run and answers once it has ended (or after a grace period, "stopping").
    pub async fn stop(&self) -> Result<RunResponse, RunError> {
        self.ask(Command::Stop).await
    }

    pub async fn reset(&self) -> Result<RunResponse, RunError> {
        self.ask(Command::Reset).await
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.borrow().clone()
    }

    pub fn watch(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.snapshot.clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.events.subscribe()
    }

    /// Whether the runner task is alive to take commands.
    pub fn is_alive(&self) -> bool {
        !self.cmd.is_closed()
    }
}

struct Runner {
    data_dir: PathBuf,
    snap: Arc<Snapshot>,
    snap_tx: watch::Sender<Arc<Snapshot>>,
    events: broadcast::Sender<Arc<Published>>,
    stats: Arc<Stats>,
    /// Incremented per run; events from an older run's worker are ignored.
    generation: u64,
    stop_flag: Option<Arc<AtomicBool>>,
    resume_flag: Option<Arc<AtomicBool>>,
    stop_waiters: Vec<oneshot::Sender<Result<RunResponse, RunError>>>,
    /// Where workers send events: the store writer, or straight back here.
    job_tx: mpsc::UnboundedSender<(u64, WorkerEvent)>,
    writer: Option<Arc<WriterStats>>,
    /// The last event's sequence number.
    seq: std::cell::Cell<u64>,
}

impl Runner {
    async fn run(
        mut self,
        mut cmds: mpsc::Receiver<Command>,
        mut work_rx: mpsc::UnboundedReceiver<(u64, WorkerEvent)>,
    ) {
        loop {
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    Some(c) => self.command(c),
                    None => break,
                },
                Some((generation, ev)) = work_rx.recv() => {
                    let mut status_changed = self.apply(generation, ev);
                    // Drain what is already queued, then publish once.
                    while let Ok((generation, ev)) = work_rx.try_recv() {
                        status_changed |= self.apply(generation, ev);
                    }
                    self.publish(status_changed);
                }
            }
        }
        if let Some(f) = &self.stop_flag {
            f.store(true, Ordering::Relaxed);
        }
    }

    fn publish(&mut self, status_changed: bool) {
        self.snap_tx.send_replace(self.snap.clone());
        if status_changed {
            self.emit(Event::Status(self.snap.status_response()));
        }
    }

    fn emit(&self, e: Event) {
        // Nobody listening is fine: events are for whoever is subscribed now. Serialize only then.
        if self.events.receiver_count() > 0 {
            self.seq.set(self.seq.get() + 1);
            let _ = self.events.send(Arc::new(Published::new(e, self.seq.get())));
        }
    }

    fn log(&self, level: &str, message: String) {
        tracing::info!(target: "runner", "{message}");
        self.emit(Event::Logs(LogEvent {
            level: level.into(),
            message,
            timestamp: crate::run::backtest::now_iso(),
            risk_event: None,
        }));
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Start(config, sweep, reply) => {
                let _ = reply.send(self.start(*config, sweep));
            }
            Command::Restore(r, done) => {
                if self.generation == 0 && self.snap.results.is_none() {
                    Arc::make_mut(&mut self.snap).results = Some(Arc::new(*r));
                    self.publish(false);
                }
                let _ = done.send(true);
            }
            Command::Stop(reply) => {
                if !self.snap.status.is_active() {
                    let _ = reply.send(Err(RunError::new(
                        ErrorCode::NoActiveRun,
                        "no run is starting or running",
                    )));
                    return;
                }
                if let Some(f) = &self.stop_flag {
                    f.store(true, Ordering::Relaxed);
                }
                self.log(
                    "info",
                    format!("stopping run {}", self.snap.run_id.as_deref().unwrap_or("?")),
                );
                let (tx, rx) = oneshot::channel();
                self.stop_waiters.push(tx);
                let run_id = self.snap.run_id.clone();
                // Answer when the run has ended, or say it is still stopping after the grace period.
                tokio::spawn(async move {
                    let answer = match tokio::time::timeout(STOP_WAIT, rx).await {
                        Ok(Ok(r)) => r,
                        _ => Ok(RunResponse {
                            run_id,
                            status: RunStatus::Running,
                            message: "stop requested; the run is still winding down".into(),
                        }),
                    };
                    let _ = reply.send(answer);
                });
            }
            Command::Resume(reply) => {
                let answer = match (&self.snap.trading_paused, &self.resume_flag) {
                    _ if !self.snap.status.is_active() => {
                        Err(RunError::new(ErrorCode::NoActiveRun, "no run is starting or running"))
                    }
                    (None, _) | (_, None) => Err(RunError::new(
                        ErrorCode::NotPaused,
                        "trading is not paused; nothing to resume",
                    )),
                    (Some(_), Some(flag)) => {
                        flag.store(true, Ordering::Relaxed);
                        self.log("info", "resume requested: trading goes on".into());
                        Ok(RunResponse {
                            run_id: self.snap.run_id.clone(),
                            status: self.snap.status,
                            message: "trading resumed".into(),
                        })
                    }
                };
                let _ = reply.send(answer);
            }
            Command::Reset(reply) => {
                if self.snap.status.is_active() {
                    let _ = reply.send(Err(RunError::new(
                        ErrorCode::RunActive,
                        "a run is active; stop it before resetting",
                    )));
                    return;
                }
                let (results, attention) = (self.snap.results.clone(), self.snap.attention.clone());
                self.snap = Arc::new(Snapshot {
                    results,
                    attention,
                    ..Snapshot::default()
                });
                self.publish(true);
                let _ = reply.send(Ok(RunResponse {
                    run_id: None,
                    status: RunStatus::Idle,
                    message: "runner reset to idle".into(),
                }));
            }
        }
    }

    fn start(
        &mut self,
        config: RunConfig,
        sweep: Option<Arc<crate::run::optimize::Sweep>>,
    ) -> Result<RunResponse, RunError> {
        if self.snap.status.is_active() {
            return Err(RunError::new(
                ErrorCode::RunAlreadyActive,
                format!(
                    "run {} is {}; stop it first",
                    self.snap.run_id.as_deref().unwrap_or("?"),
                    self.snap.status.as_str()
                ),
            )
            .with_details(serde_json::json!({ "run_id": self.snap.run_id })));
        }
        self.generation += 1;
        let id = run_id();
        let stop = Arc::new(AtomicBool::new(false));
        self.stop_flag = Some(stop.clone());
        let resume = Arc::new(AtomicBool::new(false));
        self.resume_flag = Some(resume.clone());
        let (results, attention) = (self.snap.results.clone(), self.snap.attention.clone());
        let mode = config.mode;
        self.snap = Arc::new(Snapshot {
            run_id: Some(id.clone()),
            status: RunStatus::Starting,
            mode: Some(mode),
            cash: Some(config.initial_cash),
            value: Some(config.initial_cash),
            config: Some(Arc::new(config.clone())),
            started: Some(Utc::now()),
            equity_stride: 1,
            results,
            attention,
            ..Snapshot::default()
        });
        self.stats.runs_started.fetch_add(1, Ordering::Relaxed);
        let tx = WorkerTx {
            tx: self.job_tx.clone(),
            generation: self.generation,
            queued: self.writer.clone(),
        };
        let start_time = self
            .snap
            .started
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default();
        tx.send(WorkerEvent::Begin {
            run_id: id.clone(),
            config: Box::new(config.clone()),
            start_time,
        });
        let job = jobs::Job {
            run_id: id.clone(),
            config,
            sweep,
            data_dir: self.data_dir.clone(),
            tx,
            stop,
            resume,
        };
        let spawned = std::thread::Builder::new()
            .name(format!("run-{}", self.generation))
            .spawn(move || job.run());
        if let Err(e) = spawned {
            let s = Arc::make_mut(&mut self.snap);
            s.status = RunStatus::Failed;
            s.error = Some(format!("could not start the engine thread: {e}"));
            s.ended = Some(Utc::now());
            self.publish(true);
            return Err(RunError::new(ErrorCode::Internal, "could not start the engine"));
        }
        self.publish(true);
        self.log("info", format!("run {id} starting ({})", mode.as_str()));
        Ok(RunResponse {
            run_id: Some(id),
            status: RunStatus::Starting,
            message: format!("{} run started", mode.as_str()),
        })
    }

    /// Applies one worker event to the snapshot; returns whether the status view changed.
    fn apply(&mut self, generation: u64, ev: WorkerEvent) -> bool {
        if generation != self.generation {
            return false;
        }
        let symbols: Vec<String> = self.snap.config.as_ref().map(|c| c.symbols.clone()).unwrap_or_default();
        let config = self.snap.config.clone();
        let s = Arc::make_mut(&mut self.snap);
        match ev {
            WorkerEvent::Begin { .. } => false,
            WorkerEvent::Running => {
                s.status = RunStatus::Running;
                true
            }
            WorkerEvent::Order(o, ts) => {
                let e = OrderEvent::from_record(&o, ts);
                s.push_order(o);
                self.emit(Event::Orders(e));
                false
            }
            WorkerEvent::Fill(t) => {
                s.push_trade(t.clone());
                self.emit(Event::Trades(t));
                true
            }
            WorkerEvent::Combinations {
                batch,
                completed,
                total,
                min_trades,
            } => {
                let o = s.optimize.get_or_insert_with(Default::default);
                o.completed = completed;
                o.combinations = total;
                for c in &batch {
                    let better = c.trades >= min_trades
                        && o.best.as_ref().is_none_or(|b| {
                            crate::run::sweep::best_first(c.score, b.score) == std::cmp::Ordering::Less
                        });
                    if better {
                        o.best = Some(Box::new(c.clone()));
                    }
                }
                s.progress = Some(if total == 0 {
                    1.0
                } else {
                    completed as f64 / total as f64
                });
                self.emit(Event::Optimize(events::OptimizeBatch {
                    completed,
                    combinations: total,
                    results: batch,
                }));
                true
            }
            WorkerEvent::Warmup(n) => {
                s.warmup_bars = Some(n);
                s.bars = vec![0; symbols.len()];
                s.next_bar_at = config.as_deref().and_then(|c| next_bar(c, None));
                true
            }
            WorkerEvent::Candle(i, c) => {
                if let Some(b) = s.bars.get_mut(i) {
                    *b += 1;
                }
                if s.warmup_bars.is_some() {
                    s.next_bar_at = config.as_deref().and_then(|cfg| next_bar(cfg, Some(c.ts)));
                }
                let t = TickerEvent {
                    symbol: symbols.get(i).cloned().unwrap_or_default(),
                    timestamp: c.ts,
                    open: c.open,
                    high: c.high,
                    low: c.low,
                    close: c.close,
                    volume: c.volume,
                };
                s.tickers.insert(t.symbol.clone(), t.clone());
                self.emit(Event::Ticker(t));
                false
            }
            WorkerEvent::Progress {
                equity,
                cash,
                positions,
                progress,
                ..
            } => {
                s.cash = Some(cash);
                s.value = Some(equity.value);
                s.positions = positions;
                s.progress = progress;
                s.push_equity(equity.clone());
                self.emit(Event::Equity(equity));
                true
            }
            WorkerEvent::Holdings { cash, value, positions } => {
                s.cash = Some(cash);
                s.value = Some(value);
                s.positions = positions;
                true
            }
            WorkerEvent::Log(level, message) => {
                self.log(level.as_str(), message);
                false
            }
            WorkerEvent::Risk(e) => {
                s.push_risk_event(e.clone());
                tracing::warn!(target: "runner", "risk: {}", e.message);
                self.emit(Event::Logs(LogEvent {
                    level: "warning".into(),
                    message: format!("risk limit {}: {}", e.rule, e.message),
                    timestamp: crate::run::backtest::now_iso(),
                    risk_event: Some(e),
                }));
                false
            }
            WorkerEvent::Paused(reason) => {
                let msg = match &reason {
                    Some(r) => r.clone(),
                    None => "trading resumed".to_string(),
                };
                s.trading_paused = reason;
                self.log("warning", msg);
                true
            }
            WorkerEvent::Attention(a) => {
                tracing::warn!(target: "runner", "needs attention: {}", a.detail);
                s.attention.push(a);
                false
            }
            WorkerEvent::Connectivity(up, detail) => {
                s.exchange = Some((up, detail));
                false
            }
            WorkerEvent::RunError(message) => {
                s.error = Some(message.clone());
                self.log("error", message);
                true
            }
            WorkerEvent::Finished(r) => {
                let r: Arc<ResultsResponse> = Arc::from(r);
                s.status = r.status;
                s.ended = Some(Utc::now());
                s.error = r.error.clone();
                s.cash = Some(r.equity_curve.last().map(|e| e.cash).unwrap_or(r.config.initial_cash));
                s.value = Some(r.final_value);
                s.positions = r.positions.clone();
                s.trade_count = r.trades.len() as u64;
                s.progress = s
                    .progress
                    .map(|_| 1.0)
                    .filter(|_| r.status == RunStatus::Completed)
                    .or(s.progress);
                if r.equity_curve.len() > s.equity.len() || r.status == RunStatus::Completed {
                    s.equity = r.equity_curve.clone();
                }
                s.metrics = Some(r.performance_metrics.clone());
                s.trading_paused = None;
                s.results = Some(r.clone());
                let counter = match r.status {
                    RunStatus::Completed => &self.stats.runs_completed,
                    RunStatus::Stopped => &self.stats.runs_stopped,
                    _ => &self.stats.runs_failed,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                self.stop_flag = None;
                self.resume_flag = None;
                let msg = match &r.error {
                    Some(e) => format!("run {} {}: {e}", r.run_id, r.status.as_str()),
                    None => format!("run {} {}", r.run_id, r.status.as_str()),
                };
                self.log(if r.error.is_some() { "error" } else { "info" }, msg.clone());
                for w in self.stop_waiters.drain(..) {
                    let _ = w.send(Ok(RunResponse {
                        run_id: Some(r.run_id.clone()),
                        status: r.status,
                        message: msg.clone(),
                    }));
                }
                true
            }
        }
    }
}

/// When the next candle of a paper/live run should arrive, after the one opened at `last` (or, before
/// any, the first): the simulated market ticks every timeframe/speed; a real one when the bar closes.
fn next_bar(cfg: &RunConfig, last: Option<i64>) -> Option<chrono::DateTime<Utc>> {
    let tf = cfg.timeframe.millis();
    let now = Utc::now();
    if cfg.exchange == "sim" {
        let step = if last.is_some() {
            (tf as f64 / cfg.live.speed) as i64
        } else {
            0
        };
        return Some(now + chrono::Duration::milliseconds(step));
    }
    let close = match last {
        Some(ts) => ts + 2 * tf,
        None => cfg.timeframe.floor(now.timestamp_millis()) + tf,
    };
    chrono::DateTime::from_timestamp_millis(close)
}

//! What a run's worker reports while it runs. Defined here, below the store and the runner, so the
//! store's writer and the runner both read it without importing each other.

use super::attention::Attention;
use super::config::RunConfig;
use super::results::{EquityRecord, OrderRecord, PositionRecord, ResultsResponse, RiskEventRecord, TradeRecord};
use crate::engine::Candle;

/// What a worker reports to the runner (through the store writer when there is one).
#[derive(Debug)]
pub enum WorkerEvent {
    /// A run was accepted: the writer opens its record before anything else of it arrives.
    Begin {
        run_id: String,
        config: Box<RunConfig>,
        start_time: String,
    },
    Running,
    /// Paper/live: closed candles per symbol the strategy needs before it can act.
    Warmup(u64),
    Order(OrderRecord, i64),
    Fill(TradeRecord),
    Candle(usize, Candle),
    Progress {
        equity: EquityRecord,
        cash: f64,
        positions: Vec<PositionRecord>,
        progress: Option<f64>,
        /// The point is in the run's (possibly thinned) equity curve: stored for paper and live.
        kept: bool,
    },
    /// Cash, value and positions changed between steps (exchange fills, corrections).
    Holdings {
        cash: f64,
        value: f64,
        positions: Vec<PositionRecord>,
    },
    Log(LogLevel, String),
    /// A problem the run keeps going through (e.g. an order the exchange refused): shown as its error.
    RunError(String),
    /// The exchange connection of a paper/live run: up or down, and what happened.
    Connectivity(bool, String),
    /// A risk limit intervened.
    Risk(RiskEventRecord),
    /// Trading paused (with the reason) or resumed (`None`).
    Paused(Option<String>),
    /// Something a person should look at (e.g. a balance corrected to the exchange's).
    Attention(Attention),
    /// An optimize run finished these combinations (batched); `completed` of `total` so far.
    Combinations {
        batch: Vec<crate::run::sweep::Combination>,
        completed: usize,
        total: usize,
        min_trades: u64,
    },
    Finished(Box<ResultsResponse>),
}

/// How much a log line matters (the `level` of the `logs` channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warning,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Info => "info",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
        }
    }
}

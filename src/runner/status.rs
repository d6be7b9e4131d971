//! The runner's published state and the status views clients read from it.

use crate::engine::metrics::PerformanceMetrics;
pub use crate::run::attention::Attention;
use crate::run::config::{Mode, RunConfig};
use crate::run::results::{
    downsample_indices, EquityRecord, OrderRecord, PositionRecord, ResultsResponse, RiskEventRecord, TradeRecord,
};
use crate::run::RunStatus;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// How many recent trades and orders the live view keeps.
pub const RECENT: usize = 100;
/// The live equity curve keeps at most this many points, halving its resolution when full.
pub const LIVE_EQUITY_POINTS: usize = 2000;

/// Everything the runner knows about the current (or last) run. Published as `Arc<Snapshot>` on a
/// watch channel: readers clone the `Arc` and never hold a lock while they work.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub run_id: Option<String>,
    pub status: RunStatus,
    pub mode: Option<Mode>,
    pub config: Option<Arc<RunConfig>>,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub cash: Option<f64>,
    pub value: Option<f64>,
    pub trade_count: u64,
    pub error: Option<String>,
    /// Fraction of candles replayed, for backtests.
    pub progress: Option<f64>,
    pub recent_trades: VecDeque<TradeRecord>,
    pub recent_orders: VecDeque<OrderRecord>,
    pub positions: Vec<PositionRecord>,
    pub equity: Vec<EquityRecord>,
    /// Keep every n-th live equity point (doubles each time the live curve fills up).
    pub equity_stride: u64,
    pub equity_seen: u64,
    pub tickers: BTreeMap<String, TickerEvent>,
    pub metrics: Option<PerformanceMetrics>,
    /// Paper/live on a real exchange: whether its connection is up, and the latest news about it.
    pub exchange: Option<(bool, String)>,
    /// Orders of live runs interrupted by a crash whose real state differs from, or could not be
    /// checked against, the records.
    pub attention: Vec<Attention>,
    /// The last finished run's results (completed, failed or stopped).
    pub results: Option<Arc<ResultsResponse>>,
    /// Why trading is paused (the run goes on without placing orders until resumed).
    pub trading_paused: Option<String>,
    /// The run's risk interventions, most recent last (at most `RECENT`).
    pub risk_events: VecDeque<RiskEventRecord>,
    /// Paper/live: bars the strategy needs before it can act.
    pub warmup_bars: Option<u64>,
    /// Paper/live: closed candles received per symbol.
    pub bars: Vec<u64>,
    /// Paper/live: when the next candle is expected.
    pub next_bar_at: Option<DateTime<Utc>>,
    /// Optimize runs: progress and the best combination so far.
    pub optimize: Option<OptimizeStatus>,
}

/// How far an optimize run is, and its best combination so far (by the objective, among those with
/// at least `min_trades` round trips).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OptimizeStatus {
    pub completed: usize,
    pub combinations: usize,
    pub best: Option<Box<crate::run::sweep::Combination>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StatusResponse {
    pub run_id: Option<String>,
    pub status: RunStatus,
    pub mode: Option<Mode>,
    #[schema(format = DateTime)]
    pub start_time: Option<String>,
    #[schema(format = DateTime)]
    pub end_time: Option<String>,
    pub runtime_seconds: Option<f64>,
    pub cash: Option<f64>,
    pub value: Option<f64>,
    pub pnl: Option<f64>,
    pub trade_count: u64,
    pub error: Option<String>,
    /// Fraction of candles processed (backtests), null otherwise.
    pub progress: Option<f64>,
    /// True while trading is paused after repeated rejections; `POST /api/v1/run/resume` resumes.
    #[serde(default)]
    pub trading_paused: bool,
    /// Why trading is paused.
    #[serde(default)]
    pub pause_reason: Option<String>,
    /// Why the run stopped on its own: `RISK_MAX_DRAWDOWN` or `RISK_DAILY_LOSS`.
    #[serde(default)]
    pub stop_reason: Option<String>,
    /// Paper/live: closed candles per symbol the strategy needs before it can trade (its longest
    /// indicator window); compare with `bars_seen`.
    #[serde(default)]
    pub warmup_bars: Option<u64>,
    /// Paper/live: closed candles received so far (the fewest of any symbol).
    #[serde(default)]
    pub bars_seen: Option<u64>,
    /// Paper/live: when the next candle is expected to close (wall clock), while the run is active.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub next_bar_at: Option<String>,
    /// Optimize runs: combinations finished of all, and the best so far.
    #[serde(default)]
    pub optimize: Option<OptimizeStatus>,
}

fn iso(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Snapshot {
    pub fn status_response(&self) -> StatusResponse {
        let runtime = self.started.map(|s| {
            let end = self.ended.unwrap_or_else(Utc::now);
            (end - s).num_milliseconds().max(0) as f64 / 1000.0
        });
        let initial = self.config.as_ref().map(|c| c.initial_cash);
        StatusResponse {
            run_id: self.run_id.clone(),
            status: self.status,
            mode: self.mode,
            start_time: self.started.as_ref().map(iso),
            end_time: self.ended.as_ref().map(iso),
            runtime_seconds: runtime,
            cash: self.cash,
            value: self.value,
            pnl: self.value.zip(initial).map(|(v, i)| v - i),
            trade_count: self.trade_count,
            error: self.error.clone(),
            progress: self.progress,
            trading_paused: self.trading_paused.is_some(),
            pause_reason: self.trading_paused.clone(),
            stop_reason: self
                .results
                .as_ref()
                .filter(|r| Some(&r.run_id) == self.run_id.as_ref())
                .and_then(|r| r.stop_reason.clone()),
            warmup_bars: self.warmup_bars,
            bars_seen: self.warmup_bars.map(|_| self.bars.iter().copied().min().unwrap_or(0)),
            next_bar_at: self.next_bar_at.filter(|_| self.status.is_active()).as_ref().map(iso),
            optimize: self.optimize.clone(),
        }
    }

    pub fn push_risk_event(&mut self, e: RiskEventRecord) {
        if self.risk_events.len() == RECENT {
            self.risk_events.pop_front();
        }
        self.risk_events.push_back(e);
    }

    /// The live equity curve downsampled for a response.
    pub fn equity_view(&self, max: usize) -> Vec<EquityRecord> {
        downsample_indices(self.equity.len(), max)
            .into_iter()
            .map(|i| self.equity[i].clone())
            .collect()
    }

    pub fn push_equity(&mut self, point: EquityRecord) {
        self.equity_seen += 1;
        let stride = self.equity_stride.max(1);
        if !self.equity_seen.is_multiple_of(stride) {
            return;
        }
        self.equity.push(point);
        if self.equity.len() >= LIVE_EQUITY_POINTS {
            let kept: Vec<EquityRecord> = self.equity.iter().step_by(2).cloned().collect();
            self.equity = kept;
            self.equity_stride = stride * 2;
        }
    }

    pub fn push_trade(&mut self, t: TradeRecord) {
        self.trade_count += 1;
        if self.recent_trades.len() == RECENT {
            self.recent_trades.pop_front();
        }
        self.recent_trades.push_back(t);
    }

    /// Keeps one entry per order, updated in place as its status changes.
    pub fn push_order(&mut self, o: OrderRecord) {
        if let Some(existing) = self.recent_orders.iter_mut().rev().find(|x| x.id == o.id) {
            *existing = o;
            return;
        }
        if self.recent_orders.len() == RECENT {
            self.recent_orders.pop_front();
        }
        self.recent_orders.push_back(o);
    }
}

/// The last candle seen for a symbol.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TickerEvent {
    pub symbol: String,
    /// Candle open time, ms.
    pub timestamp: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

//! The results of a run as clients see them: the Web API's `ResultsResponse`, which is also what
//! `backtest --json` prints.

use super::config::RunConfig;
use crate::data::validate::fmt_ts;
use crate::engine::core::RunOutput;
use crate::engine::metrics::{self, PerformanceMetrics};
use crate::engine::risk::RiskEvent;
use crate::engine::types::{EquityPoint, FeeAsset, Fill, Order};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// JSON output keeps at most this many equity points (evenly spaced, first and last kept).
pub const MAX_EQUITY_POINTS: usize = 5000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    #[default]
    Idle,
    Starting,
    Running,
    Completed,
    Failed,
    Stopped,
}

impl RunStatus {
    pub const ALL: [RunStatus; 6] = [
        RunStatus::Idle,
        RunStatus::Starting,
        RunStatus::Running,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Stopped,
    ];

    /// `completed` -> `Completed`; `None` for anything else.
    pub fn parse(s: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_active(self) -> bool {
        matches!(self, RunStatus::Starting | RunStatus::Running)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Idle => "idle",
            RunStatus::Starting => "starting",
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Stopped => "stopped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderRecord {
    pub id: String,
    pub symbol: String,
    pub side: String,
    #[serde(rename = "type")]
    pub order_type: String,
    pub amount: f64,
    /// Limit price, or stop price for stop orders; null for market orders.
    pub price: Option<f64>,
    pub stop_price: Option<f64>,
    pub status: String,
    pub filled: f64,
    pub average_price: Option<f64>,
    pub reason: Option<String>,
    /// Fees booked on this order so far, valued in the quote asset.
    #[serde(default)]
    pub fee: f64,
    /// The asset those fees were charged in (null before the first fill).
    #[serde(default)]
    pub fee_asset: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TradeRecord {
    pub id: String,
    pub order_id: String,
    #[schema(format = DateTime)]
    pub timestamp: String,
    pub symbol: String,
    pub side: String,
    pub size: f64,
    pub price: f64,
    pub value: f64,
    /// The fee valued in the quote asset.
    pub commission: f64,
    /// The fee as the exchange charged it, in `fee_asset` units (the quote asset for simulated fills).
    #[serde(default)]
    pub fee: f64,
    #[serde(default)]
    pub fee_asset: String,
    /// Realized pnl, net of both legs' fees, on fills that reduce a position; null on opening fills.
    pub pnl: Option<f64>,
}

/// One intervention of a risk limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskEventRecord {
    #[schema(format = DateTime)]
    pub time: String,
    /// `max_drawdown`, `max_daily_loss`, `max_position_value`, `max_open_orders`, `cooldown_bars` or
    /// `max_consecutive_rejections`.
    pub rule: String,
    /// `cut`, `blocked`, `cooldown`, `liquidate` or `pause`.
    pub action: String,
    pub symbol: Option<String>,
    /// What was observed (drawdown fraction, position value, order count...).
    pub value: f64,
    pub limit: f64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PositionRecord {
    pub symbol: String,
    pub size: f64,
    pub avg_price: f64,
    pub last_price: f64,
    pub value: f64,
    pub unrealized_pnl: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EquityRecord {
    #[schema(format = DateTime)]
    pub timestamp: String,
    pub value: f64,
    pub cash: f64,
    pub pnl: f64,
    /// Buy-and-hold value at this point (initial cash spread evenly over the symbols at their first
    /// close, no fees), when the run's candles are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResultsResponse {
    pub run_id: String,
    pub config: RunConfig,
    pub status: RunStatus,
    #[schema(format = DateTime)]
    pub start_time: String,
    #[schema(format = DateTime)]
    pub end_time: Option<String>,
    pub orders: Vec<OrderRecord>,
    pub trades: Vec<TradeRecord>,
    pub positions: Vec<PositionRecord>,
    pub equity_curve: Vec<EquityRecord>,
    /// Points the engine recorded; `equity_curve` is evenly downsampled when this exceeds 5000.
    #[serde(default)]
    pub equity_points_total: usize,
    pub performance_metrics: PerformanceMetrics,
    pub final_value: f64,
    pub error: Option<String>,
    /// Data warnings (gaps, resampling) worth showing next to the numbers.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Every intervention of the run's risk limits, in order.
    #[serde(default)]
    pub risk_events: Vec<RiskEventRecord>,
    /// Why a stopped run stopped when it was not asked to: `RISK_MAX_DRAWDOWN` or `RISK_DAILY_LOSS`.
    #[serde(default)]
    pub stop_reason: Option<String>,
    /// Set when trading was paused (after repeated rejections) at the end of the run: why.
    #[serde(default)]
    pub trading_paused: Option<String>,
    /// Orders and fills the run has in all. The API lists at most `MAX_LISTED` of each here (the
    /// newest); every one is paged at `/runs/{run_id}/orders` and `/runs/{run_id}/trades`.
    #[serde(default)]
    pub orders_total: usize,
    #[serde(default)]
    pub trades_total: usize,
    /// An optimize run's sweep: every finished combination best first, the best, walk-forward folds.
    /// The run's own metrics and final value are the best combination's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimization: Option<Box<super::sweep::SweepReport>>,
}

/// The most orders (and, apart, fills) one API answer lists inline.
pub const MAX_LISTED: usize = 10_000;

impl ResultsResponse {
    /// A copy for an API answer: at most `MAX_LISTED` orders and fills, the newest.
    pub fn listed(&self) -> std::borrow::Cow<'_, ResultsResponse> {
        if self.orders.len() <= MAX_LISTED && self.trades.len() <= MAX_LISTED {
            return std::borrow::Cow::Borrowed(self);
        }
        let newest = |n: usize| n.saturating_sub(MAX_LISTED);
        let mut r = ResultsResponse {
            orders: Vec::new(),
            trades: Vec::new(),
            ..self.clone_without_lists()
        };
        r.orders = self.orders[newest(self.orders.len())..].to_vec();
        r.trades = self.trades[newest(self.trades.len())..].to_vec();
        std::borrow::Cow::Owned(r)
    }

    fn clone_without_lists(&self) -> ResultsResponse {
        ResultsResponse {
            run_id: self.run_id.clone(),
            config: self.config.clone(),
            status: self.status,
            start_time: self.start_time.clone(),
            end_time: self.end_time.clone(),
            orders: Vec::new(),
            trades: Vec::new(),
            positions: self.positions.clone(),
            equity_curve: self.equity_curve.clone(),
            equity_points_total: self.equity_points_total,
            performance_metrics: self.performance_metrics.clone(),
            final_value: self.final_value,
            error: self.error.clone(),
            warnings: self.warnings.clone(),
            risk_events: self.risk_events.clone(),
            stop_reason: self.stop_reason.clone(),
            trading_paused: self.trading_paused.clone(),
            orders_total: self.orders_total,
            trades_total: self.trades_total,
            optimization: self.optimization.clone(),
        }
    }
}

/// `BTC/USDT` -> (`BTC`, `USDT`).
pub fn assets_of(symbol: &str) -> (&str, &str) {
    symbol.split_once('/').unwrap_or((symbol, ""))
}

/// The name of the asset a fee was charged in.
pub fn fee_asset_name(asset: FeeAsset, symbol: &str) -> String {
    let (base, quote) = assets_of(symbol);
    match asset {
        FeeAsset::Quote => quote.to_string(),
        FeeAsset::Base => base.to_string(),
        FeeAsset::Other(code) => code.as_str().to_string(),
    }
}

pub fn risk_event_record(e: &RiskEvent, symbols: &[String]) -> RiskEventRecord {
    use crate::engine::risk::{RiskAction, RiskRule};
    let symbol = e.symbol.and_then(|i| symbols.get(i).cloned());
    let on = symbol.as_deref().map(|s| format!(" on {s}")).unwrap_or_default();
    let message = match (e.rule, e.action) {
        (RiskRule::MaxDrawdown, _) => format!(
            "drawdown {:.2}% reached the {:.2}% limit: working orders cancelled, positions closed at market, run stopping",
            e.value * 100.0,
            e.limit * 100.0
        ),
        (RiskRule::MaxDailyLoss, _) => format!(
            "today's loss {:.2}% reached the {:.2}% limit: working orders cancelled, positions closed at market, run stopping",
            e.value * 100.0,
            e.limit * 100.0
        ),
        (RiskRule::MaxPositionValue, RiskAction::Cut) => format!(
            "entry{on} would make a position worth {:.2}, above the {:.2} limit: cut to fit",
            e.value, e.limit
        ),
        (RiskRule::MaxPositionValue, _) => format!(
            "position{on} is worth {:.2}, at the {:.2} limit: entry not placed",
            e.value, e.limit
        ),
        (RiskRule::MaxOpenOrders, _) => format!(
            "{} orders working, the limit is {}: new orders{on} not placed",
            e.value, e.limit
        ),
        (RiskRule::CooldownBars, _) => format!("stop-loss exit{on}: no new entry for {} bars", e.limit),
        (RiskRule::MaxConsecutiveRejections, _) => format!(
            "{} orders rejected in a row{on}: trading paused until resumed",
            e.value
        ),
    };
    RiskEventRecord {
        time: fmt_ts(e.ts),
        rule: e.rule.as_str().to_string(),
        action: e.action.as_str().to_string(),
        symbol,
        value: e.value,
        limit: e.limit,
        message,
    }
}

pub fn order_record(o: &Order, symbols: &[String]) -> OrderRecord {
    use crate::engine::types::OrderKind;
    let stop_price = match o.kind {
        OrderKind::Stop { stop } | OrderKind::StopLimit { stop, .. } => Some(stop),
        _ => None,
    };
    OrderRecord {
        id: o.id.to_string(),
        symbol: symbols[o.symbol].clone(),
        side: o.side.as_str().to_string(),
        order_type: o.kind.name().to_string(),
        amount: o.amount,
        price: o.kind.display_price(),
        stop_price,
        status: o.status.as_str().to_string(),
        filled: o.filled,
        average_price: o.avg_fill_price,
        reason: o.reason.clone(),
        fee: o.fee,
        fee_asset: (o.filled > 0.0).then(|| fee_asset_name(o.fee_asset, &symbols[o.symbol])),
        created_at: fmt_ts(o.created_at),
        updated_at: fmt_ts(o.updated_at),
    }
}

pub fn trade_record(f: &Fill, symbols: &[String]) -> TradeRecord {
    TradeRecord {
        id: f.id.to_string(),
        order_id: f.order_id.to_string(),
        timestamp: fmt_ts(f.ts),
        symbol: symbols[f.symbol].clone(),
        side: f.side.as_str().to_string(),
        size: f.size,
        price: f.price,
        value: f.size * f.price,
        commission: f.commission,
        fee: f.fee,
        fee_asset: fee_asset_name(f.fee_asset, &symbols[f.symbol]),
        pnl: f.pnl,
    }
}

pub fn equity_record(p: &EquityPoint, initial: f64) -> EquityRecord {
    EquityRecord {
        timestamp: fmt_ts(p.ts),
        value: p.value,
        cash: p.cash,
        pnl: p.value - initial,
        benchmark: None,
    }
}

/// Fills `benchmark` on each equity record from the run's candles: what holding the symbols from
/// their first close would be worth at that point.
pub fn attach_benchmark(r: &mut ResultsResponse, out: &RunOutput, series: &[&[crate::engine::Candle]]) {
    let firsts: Vec<f64> = series.iter().filter_map(|s| s.first().map(|c| c.close)).collect();
    if firsts.len() != series.len() || firsts.is_empty() {
        return;
    }
    // The curve is `build`'s downsample of the engine's points: their times are at hand as numbers,
    // rising, so each series is walked forward once instead of searched (and no text is parsed).
    let picked = downsample_indices(out.equity.len(), MAX_EQUITY_POINTS);
    if picked.len() != r.equity_curve.len() {
        return;
    }
    let share = r.config.initial_cash / series.len() as f64;
    let mut at = vec![0usize; series.len()];
    for (e, &i) in r.equity_curve.iter_mut().zip(&picked) {
        let ts = out.equity[i].ts;
        let mut value = 0.0;
        for ((s, first), pos) in series.iter().zip(&firsts).zip(at.iter_mut()) {
            // A series with a candle every step holds step i's candle at i: one read, no search.
            if s.get(i).is_some_and(|c| c.ts == ts) && s.get(i + 1).is_none_or(|c| c.ts > ts) {
                *pos = i + 1;
                value += share * s[i].close / first;
                continue;
            }
            // Gallop from the last position: the next point is usually close by.
            let rest = &s[*pos..];
            let mut step = 1;
            while step < rest.len() && rest[step - 1].ts <= ts {
                step *= 2;
            }
            let upto = step.min(rest.len());
            *pos += rest[..upto].partition_point(|c| c.ts <= ts);
            let close = if *pos == 0 { *first } else { s[*pos - 1].close };
            value += share * close / first;
        }
        e.benchmark = Some(value);
    }
}

/// Indices of at most `max` evenly spaced points of `n`, always keeping the first and the last.
pub fn downsample_indices(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    if max < 2 {
        return vec![n - 1];
    }
    (0..max).map(|i| i * (n - 1) / (max - 1)).collect()
}

/// Facts about a run that are not in its engine output.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub run_id: String,
    pub status: RunStatus,
    pub start_time: String,
    pub end_time: Option<String>,
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

/// Results of a run that ended before the engine produced anything (e.g. no data for the range).
pub fn empty(info: RunInfo, config: RunConfig) -> ResultsResponse {
    let out = RunOutput::empty(config.initial_cash, config.symbols.len());
    build(info, config, &out)
}

/// Positions still held, marked at their last price.
pub fn positions(portfolio: &crate::engine::portfolio::Portfolio, symbols: &[String]) -> Vec<PositionRecord> {
    portfolio
        .positions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.size > 0.0)
        .map(|(i, p)| PositionRecord {
            symbol: symbols[i].clone(),
            size: p.size,
            avg_price: p.avg_cost(),
            last_price: p.last_price,
            value: p.size * p.last_price,
            unrealized_pnl: p.size * p.last_price - p.cost,
        })
        .collect()
}

/// A run's performance metrics: what `build` reports, and what a parameter sweep ranks by.
pub fn metrics_of(out: &RunOutput, config: &RunConfig) -> PerformanceMetrics {
    let mut m = metrics::compute(out, config.timeframe);
    m.fees_by_asset = fees_by_asset(out, &config.symbols);
    m
}

/// Orders plus fills from which `build` writes records on one thread and metrics on another.
const PARALLEL_RECORDS: usize = 2_000;

pub fn build(info: RunInfo, config: RunConfig, out: &RunOutput) -> ResultsResponse {
    let symbols = &config.symbols;
    let initial = config.initial_cash;
    let positions = positions(&out.portfolio, symbols);
    let equity_curve = downsample_indices(out.equity.len(), MAX_EQUITY_POINTS)
        .into_iter()
        .map(|i| equity_record(&out.equity[i], initial))
        .collect();
    let RunInfo {
        run_id,
        status,
        start_time,
        end_time,
        error,
        warnings,
    } = info;
    // Metrics walk the whole curve while the records are written out: on two cores, side by side.
    let records = || -> (Vec<OrderRecord>, Vec<TradeRecord>) {
        (
            out.orders.iter().map(|o| order_record(o, symbols)).collect(),
            out.fills.iter().map(|f| trade_record(f, symbols)).collect(),
        )
    };
    let (performance_metrics, (orders, trades)) = if out.orders.len() + out.fills.len() < PARALLEL_RECORDS {
        (metrics_of(out, &config), records())
    } else {
        std::thread::scope(|sc| {
            let metrics = sc.spawn(|| metrics_of(out, &config));
            let recs = records();
            match metrics.join() {
                Ok(m) => (m, recs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    };
    ResultsResponse {
        run_id,
        status,
        start_time,
        end_time,
        orders,
        trades,
        positions,
        equity_curve,
        equity_points_total: out.equity.len(),
        performance_metrics,
        final_value: out.portfolio.value(),
        error,
        warnings,
        risk_events: out.risk_events.iter().map(|e| risk_event_record(e, symbols)).collect(),
        stop_reason: out.halted.map(|r| r.stop_code().to_string()),
        trading_paused: out.paused.clone(),
        orders_total: out.orders.len(),
        trades_total: out.fills.len(),
        optimization: None,
        config,
    }
}

/// Fees per asset as charged (not valued), summed over the run's fills.
pub fn fees_by_asset(out: &RunOutput, symbols: &[String]) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    for f in &out.fills {
        *m.entry(fee_asset_name(f.fee_asset, &symbols[f.symbol])).or_insert(0.0) += f.fee;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_answers_list_the_newest_ten_thousand_orders_and_fills() {
        let cfg = crate::run::config::validate(
            &crate::run::config::RunRequest::backtest("BuyAndHold", &["BTC/USDT"], "1h"),
            &["sim".into()],
        )
        .unwrap();
        let info = RunInfo {
            run_id: "run-x".into(),
            status: RunStatus::Completed,
            start_time: String::new(),
            end_time: None,
            error: None,
            warnings: Vec::new(),
        };
        let mut r = empty(info, cfg);
        assert!(
            matches!(r.listed(), std::borrow::Cow::Borrowed(_)),
            "small answers are not copied"
        );
        let fill = |i: usize| TradeRecord {
            id: i.to_string(),
            order_id: i.to_string(),
            timestamp: String::new(),
            symbol: "BTC/USDT".into(),
            side: "buy".into(),
            size: 1.0,
            price: 1.0,
            value: 1.0,
            commission: 0.0,
            pnl: None,
            fee: 0.0,
            fee_asset: "USDT".into(),
        };
        r.trades = (0..MAX_LISTED + 5).map(fill).collect();
        r.trades_total = r.trades.len();
        let listed = r.listed();
        assert_eq!(listed.trades.len(), MAX_LISTED);
        assert_eq!(listed.trades[0].id, "5", "the newest are kept");
        assert_eq!(listed.trades_total, MAX_LISTED + 5);
    }

    #[test]
    fn downsampling_keeps_ends_and_is_even() {
        assert_eq!(downsample_indices(3, 5000), vec![0, 1, 2]);
        let d = downsample_indices(1_000_000, 5000);
        assert_eq!(d.len(), 5000);
        assert_eq!((d[0], d[4999]), (0, 999_999));
        let gaps: Vec<usize> = d.windows(2).map(|w| w[1] - w[0]).collect();
        let (lo, hi) = (gaps.iter().min().unwrap(), gaps.iter().max().unwrap());
        assert!(hi - lo <= 1, "uneven gaps {lo}..{hi}");
    }
}

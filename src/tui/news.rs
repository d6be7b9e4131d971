//! News from the runner, the network and the clock: views, fills, orders, tickers, results and the
//! answers to commands. It changes what is shown, never starts anything.

use super::action::{Action, Connection, RunView};
use super::app::{App, ORDER_STREAM};
use super::equity;
use crate::run::results::{ResultsResponse, TradeRecord};
use crate::runner::status::StatusResponse;
use std::sync::Arc;

impl App {
    pub(super) fn news(&mut self, action: Action) {
        match action {
            Action::Catalog(entries) => {
                let broken: Vec<&super::action::StrategyEntry> = entries.iter().filter(|e| e.error.is_some()).collect();
                let newly_broken = broken
                    .iter()
                    .any(|b| !self.catalog.iter().any(|c| c.from == b.from && c.error == b.error));
                if newly_broken {
                    let first = broken[0].error.clone().unwrap_or_default();
                    self.error(format!(
                        "{} strategy script(s) do not load (S lists them): {first}",
                        broken.len()
                    ));
                }
                let usable = entries
                    .iter()
                    .filter(|e| e.error.is_none())
                    .map(|e| super::form::FormStrategy {
                        name: e.name.clone(),
                        params: e.params.clone(),
                    })
                    .collect();
                self.form.set_strategies(usable);
                self.catalog = entries;
            }
            Action::HistoryLoaded(Ok(runs)) => {
                if let Some(h) = self.history.as_mut() {
                    h.runs = runs;
                    h.loading = false;
                    h.selected = h.selected.min(h.runs.len().saturating_sub(1));
                }
            }
            Action::HistoryLoaded(Err(e)) => {
                self.history = None;
                self.error(format!("run history: {e}"));
            }
            Action::RunOpened(Ok(r)) => {
                self.history = None;
                self.open_run(r);
            }
            Action::RunOpened(Err(e)) => self.error(format!("cannot open the run: {e}")),
            Action::View(v) => self.apply_view(*v),
            Action::Resync(v) => {
                self.resync(&v);
                self.apply_view(*v);
            }
            Action::Trade(t) => {
                // Once the run's complete results are in, late events add nothing; otherwise keep
                // fills in id order without repeats.
                let complete = self
                    .results
                    .as_ref()
                    .is_some_and(|r| self.view.status.run_id.as_deref() == Some(r.run_id.as_str()));
                let id = |x: &TradeRecord| x.id.parse::<u64>().unwrap_or(0);
                if !complete && self.trades.last().is_none_or(|l| id(&t) > id(l)) {
                    self.trades.push(t);
                    if self.trade_scroll > 0 {
                        self.trade_scroll += 1; // keep the rows the user is reading in place
                    }
                }
            }
            Action::Order(o) => {
                if self.orders.len() == ORDER_STREAM {
                    self.orders.pop_back();
                }
                self.orders.push_front(o);
                if self.order_scroll > 0 {
                    self.order_scroll += 1;
                }
            }
            Action::Ticker(t) => {
                self.tickers.insert(t.symbol.clone(), t);
                self.last_ticker_at = Some(self.now);
            }
            Action::Results(r) => {
                if self.view.status.run_id.as_deref() == Some(r.run_id.as_str()) {
                    self.trades = r.trades.clone();
                    self.trade_scroll = self.trade_scroll.min(self.trades.len().saturating_sub(1));
                    self.equity = equity::prepare(&r.equity_curve);
                }
                self.results = Some(r);
            }
            // "run started" arriving after the run already failed must not hide the failure.
            Action::CommandDone(Ok(msg)) => {
                let failure_shown = self.view.status.status == crate::run::RunStatus::Failed
                    && self
                        .banner
                        .as_ref()
                        .is_some_and(|b| b.level == super::app::Level::Error);
                if !failure_shown {
                    self.info(msg)
                }
            }
            Action::CommandDone(Err(msg)) | Action::Error(msg) => self.error(msg),
            Action::Notice(msg) => self.info(msg),
            Action::Connection(c) => {
                match &c {
                    // Still trying for the first time: the header says so, no alarm yet.
                    Connection::Lost { url, reason } if matches!(self.connection, Connection::Connecting(_)) => {
                        self.error(format!("cannot reach {url} ({reason}); retrying"))
                    }
                    Connection::Lost { url, reason } => {
                        self.error(format!("connection to {url} lost ({reason}); retrying"))
                    }
                    Connection::Connected(url) if matches!(self.connection, Connection::Lost { .. }) => {
                        self.info(format!("reconnected to {url}"));
                        // The next view says what happened meanwhile.
                        self.reconnected = Some(url.clone());
                    }
                    Connection::Connected(url) if matches!(self.connection, Connection::Connecting(_)) => {
                        self.info(format!("connected to {url}"))
                    }
                    _ => {}
                }
                match &c {
                    Connection::Lost { .. } => {
                        if self.stale_since.is_none() && !matches!(self.connection, Connection::Connecting(_)) {
                            self.lost_with = Some(self.view.status.clone());
                        }
                        self.stale_since.get_or_insert(self.now);
                    }
                    _ => self.stale_since = None,
                }
                // Until the first contact the header keeps saying "connecting".
                let first_attempts =
                    matches!(c, Connection::Lost { .. }) && matches!(self.connection, Connection::Connecting(_));
                if !first_attempts {
                    self.connection = c;
                }
            }
            Action::Log(l) => {
                if self.logs.len() == super::app::LOG_LINES {
                    self.logs.pop_front();
                }
                self.logs.push_back(l);
            }
            Action::Resize(w, h) => self.size = (w, h),
            Action::Tick(now) => self.now = now,
            _ => {}
        }
    }

    /// Shows a stored run as if it had just finished.
    fn open_run(&mut self, r: Arc<ResultsResponse>) {
        let initial = r.config.initial_cash;
        let runtime = match (
            chrono::DateTime::parse_from_rfc3339(&r.start_time),
            r.end_time.as_deref().map(chrono::DateTime::parse_from_rfc3339),
        ) {
            (Ok(a), Some(Ok(b))) => Some((b - a).num_milliseconds() as f64 / 1000.0),
            _ => None,
        };
        let view = RunView {
            status: crate::runner::status::StatusResponse {
                run_id: Some(r.run_id.clone()),
                status: r.status,
                mode: Some(r.config.mode),
                start_time: Some(r.start_time.clone()),
                end_time: r.end_time.clone(),
                runtime_seconds: runtime,
                cash: r.equity_curve.last().map(|e| e.cash),
                value: Some(r.final_value),
                pnl: Some(r.final_value - initial),
                trade_count: r.trades.len() as u64,
                error: r.error.clone(),
                progress: None,
                trading_paused: false,
                pause_reason: r.trading_paused.clone(),
                stop_reason: r.stop_reason.clone(),
                ..Default::default()
            },
            positions: r.positions.clone(),
            equity_curve: Vec::new(),
            performance_metrics: Some(r.performance_metrics.clone()),
            recent_trades: Vec::new(),
            recent_orders: Vec::new(),
            attention: self.view.attention.clone(),
            risk_events: r.risk_events.clone(),
        };
        self.view = view;
        self.trades = r.trades.clone();
        self.trade_scroll = 0;
        self.orders.clear();
        self.order_scroll = 0;
        self.equity = equity::prepare(&r.equity_curve);
        self.info(format!("showing stored run {} ({})", r.run_id, r.status.as_str()));
        self.results = Some(r);
    }

    /// Refills the trade log and order stream from a view after events were missed: fills older than
    /// the view's recent ones are kept, the recent ones replace the rest; orders come from the view.
    fn resync(&mut self, v: &RunView) {
        if v.status.run_id != self.view.status.run_id {
            return; // a new run starts clean in apply_view
        }
        let id = |x: &TradeRecord| x.id.parse::<u64>().unwrap_or(0);
        let recent: Vec<TradeRecord> = v.recent_trades.iter().rev().cloned().collect();
        if let Some(first) = recent.first().map(id) {
            self.trades.retain(|t| id(t) < first);
            self.trades.extend(recent);
        }
        let ms = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map_or(0, |d| d.timestamp_millis());
        self.orders = v
            .recent_orders
            .iter()
            .take(ORDER_STREAM)
            .map(|o| crate::runner::events::OrderEvent::from_record(o, ms(&o.updated_at)))
            .collect();
        self.trade_scroll = self.trade_scroll.min(self.trades.len().saturating_sub(1));
        self.order_scroll = self.order_scroll.min(self.orders.len().saturating_sub(1));
    }

    fn apply_view(&mut self, v: RunView) {
        // The first view after reconnecting: what happened while away replaces the usual news.
        let summary = match (self.reconnected.take(), self.lost_with.take()) {
            (Some(url), Some(before)) => Some(format!("reconnected to {url}; {}", meanwhile(&before, &v.status))),
            _ => None,
        };
        let failed = v.status.status == crate::run::RunStatus::Failed;
        self.apply_new_view(v);
        match summary {
            Some(m) if failed => self.error(m),
            Some(m) => self.info(m),
            None => {}
        }
    }

    fn apply_new_view(&mut self, v: RunView) {
        let new_run = v.status.run_id != self.view.status.run_id;
        if new_run {
            self.trades.clear();
            self.orders.clear();
            self.tickers.clear();
            self.logs.clear();
            self.trade_scroll = 0;
            self.order_scroll = 0;
            self.sweep_sel = 0;
        }
        let was_active = self.view.status.status.is_active();
        let just_started = new_run && std::mem::take(&mut self.awaiting_start);
        if (was_active || just_started) && !v.status.status.is_active() {
            match (&v.status.error, v.status.status) {
                (Some(e), _) => self.error(format!("run {}: {e}", v.status.status.as_str())),
                (None, s) => self.info(format!("run {}", s.as_str())),
            }
        }
        if !v.attention.is_empty() && self.view.attention.is_empty() {
            let a = &v.attention[0];
            self.error(format!(
                "{} order(s) of interrupted live runs need attention: {} order {} ({}): {}",
                v.attention.len(),
                a.run_id,
                a.order_id,
                a.client_order_id,
                a.detail
            ));
        }
        // Fills the event stream missed (e.g. a lagging subscriber) come back from the view.
        if self.trades.is_empty() && !v.recent_trades.is_empty() {
            self.trades = v.recent_trades.iter().rev().cloned().collect();
        }
        let finished_here = self
            .results
            .as_ref()
            .filter(|r| Some(r.run_id.as_str()) == v.status.run_id.as_deref() && !v.status.status.is_active());
        // Views arrive up to 30 times a second; the curve is rebuilt only when it changed. Live curves only
        // grow (or halve their resolution), so the length and the last point tell.
        let same_run = v.status.run_id == self.view.status.run_id;
        let curve_changed = !same_run
            || v.equity_curve.len() != self.view.equity_curve.len()
            || v.equity_curve.last() != self.view.equity_curve.last();
        let newly_finished = !same_run || self.view.status.status.is_active();
        match finished_here {
            Some(r) if newly_finished => self.equity = equity::prepare(&r.equity_curve),
            Some(_) => {}
            None if curve_changed => self.equity = equity::prepare(&v.equity_curve),
            None => {}
        }
        self.view = v;
    }
}

/// What happened to the run while the console was not connected, in one line.
fn meanwhile(before: &StatusResponse, now: &StatusResponse) -> String {
    let name = |s: &StatusResponse| s.run_id.clone().unwrap_or_else(|| "no run".into());
    let fills = |n: u64| format!("{n} new fill{}", if n == 1 { "" } else { "s" });
    if before.run_id != now.run_id {
        let was = match &before.run_id {
            Some(id) => format!("run {id} is no longer current"),
            None => "no run was active".into(),
        };
        return match &now.run_id {
            Some(id) => format!(
                "meanwhile {was}; now {id} ({}, {} fills)",
                now.status.as_str(),
                now.trade_count
            ),
            None => format!("meanwhile {was}; the server is idle"),
        };
    }
    let new_fills = now.trade_count.saturating_sub(before.trade_count);
    let value = match (before.value, now.value) {
        (Some(a), Some(b)) if a != b => format!(", value {a:.2} -> {b:.2}"),
        _ => String::new(),
    };
    if before.status != now.status {
        format!(
            "meanwhile {} went {} -> {}{}, {}{value}",
            name(now),
            before.status.as_str(),
            now.status.as_str(),
            now.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default(),
            fills(new_fills)
        )
    } else {
        format!(
            "meanwhile {} stayed {}: {}{value}",
            name(now),
            now.status.as_str(),
            fills(new_fills)
        )
    }
}

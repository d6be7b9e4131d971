//! Dashboard state and `update`: plain logic, no terminal, no I/O. Side effects (start, stop, reset,
//! quit) are returned as `Effect`s for the event loop to carry out.

use super::action::{Action, Connection, RunView};
use super::equity::{self, EquitySeries};
use super::form::{FieldKey, RunForm};
use super::keys::KeyMap;
use crate::run::config::{Mode, RunRequest};
use crate::run::results::{ResultsResponse, TradeRecord};
use crate::run::RunStatus;
use crate::runner::events::{OrderEvent, TickerEvent};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use tui_input::backend::crossterm::EventHandler;

/// Order events kept for the order stream.
pub const ORDER_STREAM: usize = 1000;
/// Smallest terminal the layout works in.
pub const MIN_SIZE: (u16, u16) = (80, 24);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Form,
    Trades,
    Orders,
}

impl Focus {
    const ORDER: [Focus; 3] = [Focus::Form, Focus::Trades, Focus::Orders];
    fn step(self, d: i32) -> Focus {
        let i = Focus::ORDER.iter().position(|f| *f == self).unwrap_or(0) as i32;
        Focus::ORDER[(i + d).rem_euclid(3) as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Quit while a paper/live run is active: the run is stopped first.
    Quit,
    /// Stop a live run.
    StopLive,
    /// Launch a real-money live run: the user must type LIVE.
    RealMoney,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadHistory,
    OpenRun(String),
    Start(Box<RunRequest>),
    Stop,
    Reset,
    Resume,
    /// Open this strategy's script in $EDITOR.
    Edit(String),
    /// Stop the active run (if any) and leave.
    Quit,
}

/// The run history overlay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub runs: Vec<crate::store::RunSummary>,
    pub selected: usize,
    pub loading: bool,
}

/// Where the API runs, for the header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiInfo {
    pub address: Option<String>,
    pub auth: bool,
}

pub struct App {
    pub focus: Focus,
    pub form: RunForm,
    pub keys: KeyMap,
    pub view: RunView,
    /// Every fill of the current run, oldest first (the log shows it newest first).
    pub trades: Vec<TradeRecord>,
    pub trade_scroll: usize,
    pub orders: VecDeque<OrderEvent>,
    pub order_scroll: usize,
    pub tickers: BTreeMap<String, TickerEvent>,
    pub results: Option<Arc<ResultsResponse>>,
    /// The equity curve ready to draw (recomputed when the data changes, never per frame).
    pub equity: EquitySeries,
    pub chart: bool,
    pub help: bool,
    pub history: Option<History>,
    /// The strategy list overlay: the catalogue with each script's status, and the selected line.
    pub strategies: Option<usize>,
    pub catalog: Vec<super::action::StrategyEntry>,
    pub confirm: Option<Confirm>,
    pub banner: Option<Banner>,
    pub themes: Vec<String>,
    pub theme: usize,
    pub api: ApiInfo,
    pub connection: Connection,
    pub started: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    pub quitting: bool,
    /// What has been typed into the real-money confirmation.
    pub typed: String,
    /// Rows the trade and order tables showed last frame (for paging).
    pub page: usize,
}

impl App {
    pub fn new(
        now: DateTime<Utc>,
        keys: KeyMap,
        themes: Vec<String>,
        theme: usize,
        api: ApiInfo,
        connection: Connection,
    ) -> App {
        App {
            focus: Focus::Form,
            form: RunForm::new(now.date_naive()),
            keys,
            view: RunView::default(),
            trades: Vec::new(),
            trade_scroll: 0,
            orders: VecDeque::new(),
            order_scroll: 0,
            tickers: BTreeMap::new(),
            results: None,
            equity: EquitySeries::default(),
            chart: false,
            help: false,
            history: None,
            strategies: None,
            catalog: Vec::new(),
            confirm: None,
            banner: None,
            themes,
            theme,
            api,
            connection,
            started: now,
            now,
            size: (120, 40),
            quitting: false,
            typed: String::new(),
            page: 10,
        }
    }

    pub fn theme_name(&self) -> &str {
        self.themes.get(self.theme).map(|s| s.as_str()).unwrap_or("default")
    }

    pub fn status(&self) -> RunStatus {
        self.view.status.status
    }

    pub fn editing(&self) -> bool {
        self.confirm == Some(Confirm::RealMoney) || (self.focus == Focus::Form && self.form.editing)
    }

    fn active_mode(&self) -> Option<Mode> {
        self.status().is_active().then_some(self.view.status.mode).flatten()
    }

    fn error(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            level: Level::Error,
            text: text.into(),
        });
    }

    fn info(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            level: Level::Info,
            text: text.into(),
        });
    }

    fn scroll(&mut self, delta: i64) {
        let (pos, len) = match self.focus {
            Focus::Trades => (&mut self.trade_scroll, self.trades.len()),
            Focus::Orders => (&mut self.order_scroll, self.orders.len()),
            Focus::Form => return,
        };
        *pos = (*pos as i64 + delta).clamp(0, len.saturating_sub(1) as i64) as usize;
    }

    fn launch(&mut self, mode: Mode) -> Vec<Effect> {
        self.form.set_mode(mode);
        self.form.editing = false;
        if !self.form.validate() {
            let bad: Vec<String> = self
                .form
                .fields
                .iter()
                .filter(|f| f.error.is_some())
                .map(|f| f.label.clone())
                .collect();
            self.error(format!("fix the form first: {}", bad.join(", ")));
            return Vec::new();
        }
        if self.status().is_active() {
            self.error("a run is already active; stop it first (s)");
            return Vec::new();
        }
        if self.form.real_money() && self.confirm != Some(Confirm::RealMoney) {
            self.typed.clear();
            self.confirm = Some(Confirm::RealMoney);
            return Vec::new();
        }
        self.info(format!("starting {} run...", mode.as_str()));
        vec![Effect::Start(Box::new(self.form.request(mode)))]
    }

    /// Applies one action; returns the side effects to carry out.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        // Real money needs LIVE typed in full; anything else sends nothing.
        if self.confirm == Some(Confirm::RealMoney) {
            match action {
                Action::Edit(k) => {
                    match k.code {
                        crossterm::event::KeyCode::Char(c) => self.typed.push(c),
                        crossterm::event::KeyCode::Backspace => {
                            self.typed.pop();
                        }
                        _ => {}
                    }
                    return Vec::new();
                }
                Action::Enter => {
                    let ok = self.typed == "LIVE";
                    self.typed.clear();
                    if ok {
                        let fx = self.launch(Mode::Live);
                        self.confirm = None;
                        return fx;
                    }
                    self.confirm = None;
                    self.error("confirmation did not match LIVE; nothing was sent");
                    return Vec::new();
                }
                Action::Esc | Action::Quit | Action::FocusNext => {
                    self.confirm = None;
                    self.typed.clear();
                    self.info("real-money launch cancelled");
                    return Vec::new();
                }
                _ => {}
            }
        }
        // A pending confirmation takes the next answer.
        if let Some(c) = self.confirm.filter(|c| *c != Confirm::RealMoney) {
            match action {
                Action::Confirm(true) => {
                    self.confirm = None;
                    return match c {
                        Confirm::Quit => {
                            self.quitting = true;
                            vec![Effect::Quit]
                        }
                        Confirm::StopLive => vec![Effect::Stop],
                        Confirm::RealMoney => Vec::new(),
                    };
                }
                Action::Confirm(false) | Action::Esc => {
                    self.confirm = None;
                    return Vec::new();
                }
                Action::Quit if c == Confirm::Quit => {
                    // A second Ctrl-C/q means it.
                    self.confirm = None;
                    self.quitting = true;
                    return vec![Effect::Quit];
                }
                ref news if news.is_news() => {}
                _ => return Vec::new(),
            }
        }
        // The strategy list has the keyboard while it is open.
        if let Some(sel) = self.strategies {
            match action {
                Action::Up => {
                    self.strategies = Some(sel.saturating_sub(1));
                    return Vec::new();
                }
                Action::Down => {
                    self.strategies = Some((sel + 1).min(self.catalog.len().saturating_sub(1)));
                    return Vec::new();
                }
                Action::Enter | Action::EditScript => {
                    return match self.catalog.get(sel) {
                        Some(e) if e.from != "built-in" => vec![Effect::Edit(e.name.clone())],
                        Some(_) => {
                            self.error("built-in strategies are compiled in; `cracktrader-tui strategies new NAME` writes a script to edit");
                            Vec::new()
                        }
                        None => Vec::new(),
                    };
                }
                Action::Esc | Action::ToggleStrategies => {
                    self.strategies = None;
                    return Vec::new();
                }
                Action::Quit => {}
                ref news if news.is_news() => {}
                _ => return Vec::new(),
            }
        }
        // The history overlay has the keyboard while it is open.
        if let Some(h) = self.history.as_mut() {
            match action {
                Action::Up => {
                    h.selected = h.selected.saturating_sub(1);
                    return Vec::new();
                }
                Action::Down => {
                    h.selected = (h.selected + 1).min(h.runs.len().saturating_sub(1));
                    return Vec::new();
                }
                Action::Enter => {
                    return match h.runs.get(h.selected) {
                        Some(r) => vec![Effect::OpenRun(r.run_id.clone())],
                        None => Vec::new(),
                    };
                }
                Action::Esc | Action::ToggleHistory => {
                    self.history = None;
                    return Vec::new();
                }
                Action::FocusNext
                | Action::FocusPrev
                | Action::Left
                | Action::Right
                | Action::PageUp
                | Action::PageDown
                | Action::Edit(_)
                | Action::Launch(_)
                | Action::Stop
                | Action::Reset
                | Action::ToggleChart
                | Action::NextTheme
                | Action::ToggleHelp
                | Action::Confirm(_) => return Vec::new(),
                _ => {}
            }
        }
        match action {
            Action::ToggleStrategies => {
                self.strategies = Some(0);
                return Vec::new();
            }
            Action::EditScript => {
                let name = self.form.value(&super::form::FieldKey::Strategy);
                if self.catalog.iter().any(|e| e.name == name && e.from == "built-in") {
                    self.error("built-in strategies are compiled in; `cracktrader-tui strategies new NAME` writes a script to edit");
                    return Vec::new();
                }
                return vec![Effect::Edit(name)];
            }
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
                let names: Vec<String> = entries
                    .iter()
                    .filter(|e| e.error.is_none())
                    .map(|e| e.name.clone())
                    .collect();
                self.form.set_strategies(names);
                self.catalog = entries;
                return Vec::new();
            }
            Action::ToggleHistory => {
                self.history = Some(History {
                    loading: true,
                    ..History::default()
                });
                return vec![Effect::LoadHistory];
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
            Action::FocusNext => {
                self.form.editing = false;
                self.focus = self.focus.step(1);
            }
            Action::FocusPrev => {
                self.form.editing = false;
                self.focus = self.focus.step(-1);
            }
            Action::Up => match self.focus {
                Focus::Form => self.form.move_by(-1),
                _ => self.scroll(-1),
            },
            Action::Down => match self.focus {
                Focus::Form => self.form.move_by(1),
                _ => self.scroll(1),
            },
            Action::PageUp => self.scroll(-(self.page.max(1) as i64)),
            Action::PageDown => self.scroll(self.page.max(1) as i64),
            Action::Left if self.focus == Focus::Form => self.form.cycle(-1),
            Action::Right if self.focus == Focus::Form => self.form.cycle(1),
            Action::Left | Action::Right => {}
            Action::Enter => {
                if self.focus != Focus::Form {
                    return Vec::new();
                }
                if self.form.editing {
                    self.form.editing = false;
                    self.form.validate_selected();
                } else if self.form.selected_field().is_some_and(|f| f.is_text()) {
                    self.form.editing = true;
                } else {
                    return self.launch(self.form.mode());
                }
            }
            Action::Esc => {
                if self.form.editing {
                    self.form.editing = false;
                    self.form.validate_selected();
                } else if self.help || self.chart {
                    self.help = false;
                    self.chart = false;
                } else {
                    self.banner = None;
                }
            }
            Action::Edit(k) => {
                if let Some(input) = self.form.input_mut() {
                    input.handle_event(&crossterm::event::Event::Key(k));
                    self.form.validate_selected();
                }
            }
            Action::Launch(mode) => return self.launch(mode),
            Action::Stop => {
                if !self.status().is_active() {
                    self.error("no run is active");
                } else if self.active_mode() == Some(Mode::Live) {
                    self.confirm = Some(Confirm::StopLive);
                } else {
                    return vec![Effect::Stop];
                }
            }
            Action::Resume => {
                if self.view.status.trading_paused {
                    return vec![Effect::Resume];
                }
                self.error("trading is not paused; nothing to resume");
            }
            Action::Reset => {
                if self.status().is_active() {
                    self.error("stop the run before resetting (s)");
                } else {
                    return vec![Effect::Reset];
                }
            }
            Action::ToggleChart => self.chart = !self.chart,
            Action::NextTheme => {
                if !self.themes.is_empty() {
                    self.theme = (self.theme + 1) % self.themes.len();
                }
            }
            Action::ToggleHelp => self.help = !self.help,
            Action::Quit => {
                if matches!(self.active_mode(), Some(Mode::Paper | Mode::Live)) {
                    self.confirm = Some(Confirm::Quit);
                } else {
                    self.quitting = true;
                    return vec![Effect::Quit];
                }
            }
            Action::Confirm(_) => {}
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
            }
            Action::Results(r) => {
                if self.view.status.run_id.as_deref() == Some(r.run_id.as_str()) {
                    self.trades = r.trades.clone();
                    self.trade_scroll = self.trade_scroll.min(self.trades.len().saturating_sub(1));
                    self.equity = equity::prepare(&r.equity_curve);
                }
                self.results = Some(r);
            }
            Action::CommandDone(Ok(msg)) => self.info(msg),
            Action::CommandDone(Err(msg)) | Action::Error(msg) => self.error(msg),
            Action::Connection(c) => {
                match &c {
                    Connection::Lost { url, reason } => {
                        self.error(format!("connection to {url} lost ({reason}); retrying"))
                    }
                    Connection::Connected(url) if matches!(self.connection, Connection::Lost { .. }) => {
                        self.info(format!("reconnected to {url}"))
                    }
                    _ => {}
                }
                self.connection = c;
            }
            Action::Resize(w, h) => self.size = (w, h),
            Action::Tick(now) => self.now = now,
        }
        Vec::new()
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
        let new_run = v.status.run_id != self.view.status.run_id;
        if new_run {
            self.trades.clear();
            self.orders.clear();
            self.tickers.clear();
            self.trade_scroll = 0;
            self.order_scroll = 0;
        }
        let was_active = self.view.status.status.is_active();
        if was_active && !v.status.status.is_active() {
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

    /// Field errors of the form, for the form panel.
    pub fn form_errors(&self) -> usize {
        self.form.fields.iter().filter(|f| f.error.is_some()).count()
    }

    pub fn selected_key(&self) -> Option<&FieldKey> {
        self.form.selected_field().map(|f| &f.key)
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;

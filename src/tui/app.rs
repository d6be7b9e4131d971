//! Dashboard state and `update`: plain logic, no terminal, no I/O. Side effects (start, stop, reset,
//! quit) are returned as `Effect`s for the event loop to carry out.

use super::action::{Action, Connection, RunView};
use super::equity::EquitySeries;
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
/// Log lines kept for the log view.
pub const LOG_LINES: usize = 500;
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
    /// Start a parameter sweep (the form on mode optimize).
    Optimize(Box<crate::run::request::OptimizeRequest>),
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
    /// Lines the help is scrolled by, when it is taller than the terminal.
    pub help_scroll: u16,
    /// A start was sent and its run has not shown up yet: if it ends before it is ever seen running
    /// (e.g. no data), that outcome is still announced.
    pub awaiting_start: bool,
    /// When the server was lost: what is on screen is as of then.
    pub stale_since: Option<DateTime<Utc>>,
    /// The run's log (its `logs` channel), newest last, at most `LOG_LINES`.
    pub logs: std::collections::VecDeque<crate::runner::events::LogEvent>,
    /// The log view replaces the trade and order lists while on.
    pub logs_open: bool,
    /// When the last candle (ticker) arrived, to show a paper or live run is alive between bars.
    pub last_ticker_at: Option<DateTime<Utc>>,
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
    /// The `/` queries of the lists and the history.
    pub filters: super::filter::Filters,
    /// The `:` command palette, when open.
    pub palette: Option<super::palette::Palette>,
    /// The run as last seen before the server was lost, to say what changed once it is back.
    pub lost_with: Option<crate::runner::status::StatusResponse>,
    /// Reconnected to this server; the next view is compared with `lost_with`.
    pub reconnected: Option<String>,
    /// The selected combination (rank - 1) of the sweep on screen.
    pub sweep_sel: usize,
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
            form: RunForm::new(),
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
            help_scroll: 0,
            awaiting_start: false,
            stale_since: None,
            logs: std::collections::VecDeque::new(),
            logs_open: false,
            last_ticker_at: None,
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
            filters: Default::default(),
            palette: None,
            lost_with: None,
            reconnected: None,
            sweep_sel: 0,
        }
    }

    pub fn theme_name(&self) -> &str {
        self.themes.get(self.theme).map(|s| s.as_str()).unwrap_or("default")
    }

    /// The finished optimize run on screen, if that is what is shown.
    pub fn sweep(&self) -> Option<&crate::run::sweep::SweepReport> {
        self.results
            .as_ref()
            .filter(|r| Some(r.run_id.as_str()) == self.view.status.run_id.as_deref())
            .and_then(|r| r.optimization.as_deref())
    }

    /// Runs the selected combination of the sweep on screen as a plain backtest.
    fn run_selected_combination(&mut self) -> Vec<Effect> {
        let Some(c) = self.sweep().and_then(|r| r.results.get(self.sweep_sel)).cloned() else {
            return Vec::new();
        };
        let mut form = self.form.clone();
        form.set_params(&c.params);
        form.set_mode(Mode::Backtest);
        self.form = form;
        self.launch(Mode::Backtest)
    }

    pub fn status(&self) -> RunStatus {
        self.view.status.status
    }

    pub fn editing(&self) -> bool {
        self.confirm == Some(Confirm::RealMoney)
            || self.palette.is_some()
            || self.filters.editing.is_some()
            || (self.focus == Focus::Form && self.form.editing)
    }

    fn active_mode(&self) -> Option<Mode> {
        self.status().is_active().then_some(self.view.status.mode).flatten()
    }

    pub(super) fn error(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            level: Level::Error,
            text: text.into(),
        });
    }

    pub(super) fn info(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            level: Level::Info,
            text: text.into(),
        });
    }

    fn scroll(&mut self, delta: i64) {
        self.scroll_list(self.focus, delta);
    }

    /// Scrolls the trade log or the order stream, within the rows its filter lets through.
    pub(super) fn scroll_list(&mut self, list: Focus, delta: i64) {
        if list != Focus::Form {
            if let Some(n) = self.sweep().map(|r| r.results.len()) {
                self.sweep_sel = (self.sweep_sel as i64 + delta).clamp(0, n.saturating_sub(1) as i64) as usize;
                return;
            }
        }
        let len = match list {
            Focus::Trades => self.trade_hits().map_or(self.trades.len(), |h| h.len()),
            Focus::Orders => self.order_hits().map_or(self.orders.len(), |h| h.len()),
            Focus::Form => return,
        };
        let pos = match list {
            Focus::Trades => &mut self.trade_scroll,
            _ => &mut self.order_scroll,
        };
        *pos = (*pos as i64 + delta).clamp(0, len.saturating_sub(1) as i64) as usize;
    }

    /// Starts the form's run as `mode`. A refused launch changes nothing on screen but the message
    /// (and, for the mode already shown, the fields' own error marks).
    pub(super) fn launch(&mut self, mode: Mode) -> Vec<Effect> {
        if self.status().is_active() {
            self.error("a run is already active; stop it first (s)");
            return Vec::new();
        }
        let mut form = self.form.clone();
        form.set_mode(mode);
        form.editing = false;
        if !form.validate() {
            let bad: Vec<String> = form
                .fields
                .iter()
                .filter(|f| f.error.is_some())
                .map(|f| f.label.clone())
                .collect();
            if mode == self.form.mode() {
                self.form = form;
            }
            self.error(format!("fix the form first: {}", bad.join(", ")));
            return Vec::new();
        }
        self.form = form;
        if self.form.real_money() && self.confirm != Some(Confirm::RealMoney) {
            self.typed.clear();
            self.confirm = Some(Confirm::RealMoney);
            return Vec::new();
        }
        self.info(format!("starting {} run...", mode.as_str()));
        self.awaiting_start = true;
        if mode == Mode::Optimize {
            let req = self.form.optimize_request();
            if req.grid.is_empty() {
                self.awaiting_start = false;
                self.error("nothing to sweep: type a range (5..50:5) or a list (5,10,20) in a parameter field");
                return Vec::new();
            }
            return vec![Effect::Optimize(Box::new(req))];
        }
        vec![Effect::Start(Box::new(self.form.request(mode)))]
    }

    /// Applies one action; returns the side effects to carry out.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let news = action.is_news() || matches!(action, Action::HistoryLoaded(_) | Action::RunOpened(_));
        // On the too-small screen nothing is visible to act on: keys do nothing but quit.
        if !news && self.too_small() && !matches!(action, Action::Quit) {
            return Vec::new();
        }
        if let Some(fx) = self.palette_key(&action) {
            return fx;
        }
        if let Some(fx) = self.filter_key(&action) {
            return fx;
        }
        match action {
            Action::Click { col, row } => return self.click(col, row),
            Action::Wheel { col, row, lines } => return self.wheel(col, row, lines),
            _ => {}
        }
        if let Some(fx) = self.dialog_key(&action) {
            return fx;
        }
        if news {
            self.news(action);
            return Vec::new();
        }
        self.key(action)
    }

    /// The terminal is below the dashboard's minimum size (the too-small screen is shown).
    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_SIZE.0 || self.size.1 < MIN_SIZE.1
    }

    /// A key on the main screen (no dialog open).
    fn key(&mut self, action: Action) -> Vec<Effect> {
        // The help is on top: arrows and pages scroll it.
        if self.help {
            let step: i32 = match action {
                Action::Up => -1,
                Action::Down => 1,
                Action::PageUp => -(self.size.1 as i32 / 2),
                Action::PageDown => self.size.1 as i32 / 2,
                _ => 0,
            };
            if step != 0 {
                self.help_scroll = (self.help_scroll as i32 + step).clamp(0, u16::MAX as i32) as u16;
                return Vec::new();
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
            Action::ToggleHistory => {
                self.history = Some(History {
                    loading: true,
                    ..History::default()
                });
                return vec![Effect::LoadHistory];
            }
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
            Action::Top => match self.focus {
                Focus::Form => self.form.move_by(-(self.form.fields.len() as i32)),
                _ => self.scroll(i64::MIN / 2),
            },
            Action::Bottom => match self.focus {
                Focus::Form => self.form.move_by(self.form.fields.len() as i32),
                _ => self.scroll(i64::MAX / 2),
            },
            Action::PageUp => self.scroll(-(self.page.max(1) as i64)),
            Action::PageDown => self.scroll(self.page.max(1) as i64),
            Action::Left if self.focus == Focus::Form => self.form.cycle(-1),
            Action::Right if self.focus == Focus::Form => self.form.cycle(1),
            Action::Left | Action::Right => {}
            Action::Enter => {
                if self.focus != Focus::Form {
                    // On a sweep: run the selected combination as a plain backtest.
                    return self.run_selected_combination();
                }
                if self.form.editing {
                    self.form.editing = false;
                    self.form.validate_selected();
                } else if self.form.selected_field().is_some_and(|f| f.is_text()) {
                    self.form.editing = true;
                } else {
                    // A choice: Enter picks the next option, as Right does. Runs start with b/p only.
                    self.form.cycle(1);
                }
            }
            Action::Esc => {
                if self.form.editing {
                    self.form.editing = false;
                    self.form.validate_selected();
                } else if self.help || self.chart || self.logs_open {
                    self.help = false;
                    self.chart = false;
                    self.logs_open = false;
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
            // `b` on a form set to optimize launches the sweep.
            Action::Launch(Mode::Backtest) if self.form.mode() == Mode::Optimize => return self.launch(Mode::Optimize),
            // `p` on a form set to live launches live (real money asks first).
            Action::Launch(Mode::Paper) if self.form.mode() == Mode::Live => return self.launch(Mode::Live),
            Action::Launch(mode) => return self.launch(mode),
            Action::Palette => {
                self.form.editing = false;
                self.palette = Some(super::palette::Palette::default());
            }
            Action::Filter => self.start_filter(),
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
            Action::NextTheme if !self.themes.is_empty() => {
                self.theme = (self.theme + 1) % self.themes.len();
                self.info(format!("theme: {}", self.themes[self.theme]));
            }
            Action::ToggleLogs => self.logs_open = !self.logs_open,
            Action::ToggleHelp => {
                self.help = !self.help;
                self.help_scroll = 0;
            }
            Action::Quit => {
                if matches!(self.active_mode(), Some(Mode::Paper | Mode::Live)) {
                    self.confirm = Some(Confirm::Quit);
                } else {
                    self.quitting = true;
                    return vec![Effect::Quit];
                }
            }
            Action::Confirm(_) => {}
            _ => {}
        }
        Vec::new()
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

#[cfg(test)]
#[path = "input_tests.rs"]
mod input_tests;

//! Everything that can happen to the dashboard: keys turned into intents, and news from the engine.

use crate::engine::metrics::PerformanceMetrics;
use crate::run::config::Mode;
use crate::run::results::{EquityRecord, OrderRecord, PositionRecord, ResultsResponse, TradeRecord};
use crate::runner::events::{OrderEvent, TickerEvent};
use crate::runner::status::StatusResponse;
use crate::store::RunSummary;
use crossterm::event::KeyEvent;
use std::sync::Arc;

/// What the screen shows of a run: the same whether it comes from the local runner or a remote server
/// (it is `/status/detailed` minus health).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct RunView {
    #[serde(flatten)]
    pub status: StatusResponse,
    #[serde(default)]
    pub positions: Vec<PositionRecord>,
    #[serde(default)]
    pub equity_curve: Vec<EquityRecord>,
    #[serde(default)]
    pub performance_metrics: Option<PerformanceMetrics>,
    /// Newest first.
    #[serde(default)]
    pub recent_trades: Vec<TradeRecord>,
    /// Newest first.
    #[serde(default)]
    pub recent_orders: Vec<OrderRecord>,
    /// Orders of interrupted live runs, and corrected balances, that need attention.
    #[serde(default)]
    pub attention: Vec<crate::runner::status::Attention>,
    /// The run's risk interventions, oldest first.
    #[serde(default)]
    pub risk_events: Vec<crate::run::results::RiskEventRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// The engine runs in this process.
    Local,
    /// Not yet reached the server at this address (the first attempt is under way).
    Connecting(String),
    Connected(String),
    Lost {
        url: String,
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub enum Action {
    // Intents (from keys).
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    /// g / Home: to the first field, the newest line, the first run.
    Top,
    /// G / End: to the last field, the oldest line, the last run.
    Bottom,
    Left,
    Right,
    Enter,
    Esc,
    /// A key typed while a text field is being edited.
    Edit(KeyEvent),
    Launch(Mode),
    Stop,
    Reset,
    /// Let a run whose trading paused (after repeated rejections) trade again.
    Resume,
    ToggleChart,
    NextTheme,
    ToggleLogs,
    ToggleHelp,
    /// `:` the command palette: every action by name, fuzzy matched.
    Palette,
    /// `/` filter the trade log, the order stream or the history.
    Filter,
    /// A mouse click (left button) at this cell.
    Click {
        col: u16,
        row: u16,
    },
    /// The wheel turned over this cell: `lines` down (negative: up).
    Wheel {
        col: u16,
        row: u16,
        lines: i32,
    },
    /// Open or close the run history.
    ToggleHistory,
    /// Open or close the strategy list (scripts with their status).
    ToggleStrategies,
    /// Open the selected strategy's script in $EDITOR.
    EditScript,
    Quit,
    /// A typed confirmation answer (`y`/`n`).
    Confirm(bool),
    // News.
    View(Box<RunView>),
    /// Events were missed: the trade log and order stream are rebuilt from this view.
    Resync(Box<RunView>),
    Trade(TradeRecord),
    Order(OrderEvent),
    Ticker(TickerEvent),
    /// A line of the run's `logs` channel.
    Log(crate::runner::events::LogEvent),
    Results(Arc<ResultsResponse>),
    CommandDone(Result<String, String>),
    HistoryLoaded(Result<Vec<RunSummary>, String>),
    RunOpened(Result<Arc<ResultsResponse>, String>),
    Connection(Connection),
    /// The strategy catalogue changed (a script was added, edited or broke).
    Catalog(Vec<StrategyEntry>),
    Resize(u16, u16),
    Tick(chrono::DateTime<chrono::Utc>),
    Error(String),
    /// Something worth knowing that is not an error (e.g. the API moved to a free port).
    Notice(String),
}

impl Action {
    /// News from the engine, the network or the clock, as opposed to a key: dialogs let it through.
    pub fn is_news(&self) -> bool {
        matches!(
            self,
            Action::View(_)
                | Action::Resync(_)
                | Action::Trade(_)
                | Action::Order(_)
                | Action::Ticker(_)
                | Action::Log(_)
                | Action::Results(_)
                | Action::CommandDone(_)
                | Action::Connection(_)
                | Action::Catalog(_)
                | Action::Resize(..)
                | Action::Tick(_)
                | Action::Error(_)
                | Action::Notice(_)
        )
    }
}

/// One line of the strategy list.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyEntry {
    pub name: String,
    /// `built-in` or the script's file name.
    pub from: String,
    /// `None` when it loads; else `file:line: message`.
    pub error: Option<String>,
    /// Every parameter it takes (empty for a script that does not load).
    pub params: Vec<crate::engine::strategy::params::ParamSpec>,
}

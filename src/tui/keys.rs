//! Key bindings: defaults, overridable in the config file's `[keys]` table, e.g. `stop = "x"`.

use super::action::Action;
use crate::run::config::Mode;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// Bindable commands and their default keys.
pub const COMMANDS: &[(&str, &str)] = &[
    ("backtest", "b"),
    ("paper", "p"),
    ("stop", "s"),
    ("reset", "r"),
    ("resume", "u"),
    ("chart", "c"),
    ("theme", "t"),
    ("help", "?"),
    ("history", "H"),
    ("strategies", "S"),
    ("edit", "e"),
    // `l` moves right (vi keys), so the log is on L.
    ("logs", "L"),
    ("palette", ":"),
    ("filter", "/"),
    ("quit", "q"),
];

/// What each bindable command does, for the help and the command palette.
pub const DESCRIPTIONS: &[(&str, &str)] = &[
    ("backtest", "launch the form as a backtest"),
    (
        "paper",
        "launch the form as a paper run (a live run when the form's mode is live; real money asks)",
    ),
    ("stop", "stop the run (asks first in live mode)"),
    ("reset", "reset the runner to idle"),
    ("resume", "resume trading after a pause (repeated rejections)"),
    ("chart", "toggle the full equity chart with buy & hold"),
    ("theme", "next colour theme"),
    ("help", "toggle the help"),
    ("history", "run history: open any stored run"),
    (
        "strategies",
        "strategy list: built-ins and scripts, with broken scripts and why",
    ),
    ("edit", "open the selected strategy's script in $EDITOR"),
    (
        "logs",
        "the run's log (strategy lines, warnings, risk) in place of the lists",
    ),
    ("palette", "command palette: every action by name"),
    (
        "filter",
        "filter the focused list or the history (symbol, side, status, any text)",
    ),
    ("quit", "quit (asks while a paper/live run is active)"),
];

/// The action of a bindable command.
pub fn command(name: &str) -> Option<Action> {
    Some(match name {
        "backtest" => Action::Launch(Mode::Backtest),
        "paper" => Action::Launch(Mode::Paper),
        "stop" => Action::Stop,
        "reset" => Action::Reset,
        "resume" => Action::Resume,
        "chart" => Action::ToggleChart,
        "theme" => Action::NextTheme,
        "help" => Action::ToggleHelp,
        "history" => Action::ToggleHistory,
        "strategies" => Action::ToggleStrategies,
        "edit" => Action::EditScript,
        "logs" => Action::ToggleLogs,
        "palette" => Action::Palette,
        "filter" => Action::Filter,
        "quit" => Action::Quit,
        _ => return None,
    })
}

/// Turns a mouse event into an action (left click and the wheel; the rest is ignored).
pub fn mouse(m: crossterm::event::MouseEvent) -> Option<Action> {
    use crossterm::event::{MouseButton, MouseEventKind};
    let (col, row) = (m.column, m.row);
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => Some(Action::Click { col, row }),
        MouseEventKind::ScrollDown => Some(Action::Wheel { col, row, lines: 3 }),
        MouseEventKind::ScrollUp => Some(Action::Wheel { col, row, lines: -3 }),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyMap {
    by_char: BTreeMap<char, &'static str>,
    pub keys: BTreeMap<&'static str, char>,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap::new(&BTreeMap::new()).unwrap_or_else(|_| KeyMap {
            by_char: BTreeMap::new(),
            keys: BTreeMap::new(),
        })
    }
}

impl KeyMap {
    /// Defaults with `overrides` (command -> single character) applied.
    pub fn new(overrides: &BTreeMap<String, String>) -> Result<KeyMap, String> {
        let mut keys = BTreeMap::new();
        for (cmd, default) in COMMANDS {
            keys.insert(*cmd, default.chars().next().unwrap_or('?'));
        }
        for (cmd, key) in overrides {
            let Some((name, _)) = COMMANDS.iter().find(|(c, _)| c == cmd) else {
                let names: Vec<&str> = COMMANDS.iter().map(|(c, _)| *c).collect();
                return Err(format!("unknown key command '{cmd}'; commands: {}", names.join(", ")));
            };
            let mut chars = key.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_whitespace() && !c.is_control() => {
                    keys.insert(*name, c);
                }
                _ => return Err(format!("key for '{cmd}' must be one character, got '{key}'")),
            }
        }
        let mut by_char = BTreeMap::new();
        for (cmd, c) in &keys {
            if let Some(other) = by_char.insert(*c, *cmd) {
                return Err(format!("'{c}' is bound to both '{other}' and '{cmd}'"));
            }
        }
        Ok(KeyMap { by_char, keys })
    }

    pub fn key(&self, cmd: &str) -> char {
        self.keys.get(cmd).copied().unwrap_or('?')
    }

    /// Turns a key press into an action. `editing`: a text field has the keyboard.
    pub fn action(&self, k: KeyEvent, editing: bool) -> Option<Action> {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Some(Action::Quit);
        }
        if editing {
            return Some(match k.code {
                KeyCode::Enter => Action::Enter,
                KeyCode::Esc => Action::Esc,
                KeyCode::Tab => Action::FocusNext,
                _ => Action::Edit(k),
            });
        }
        Some(match k.code {
            KeyCode::Tab => Action::FocusNext,
            KeyCode::BackTab => Action::FocusPrev,
            KeyCode::Up | KeyCode::Char('k') => Action::Up,
            KeyCode::Down | KeyCode::Char('j') => Action::Down,
            KeyCode::Left | KeyCode::Char('h') => Action::Left,
            KeyCode::Right | KeyCode::Char('l') => Action::Right,
            KeyCode::PageUp => Action::PageUp,
            KeyCode::PageDown => Action::PageDown,
            KeyCode::Home | KeyCode::Char('g') => Action::Top,
            KeyCode::End | KeyCode::Char('G') => Action::Bottom,
            KeyCode::Enter => Action::Enter,
            KeyCode::Esc => Action::Esc,
            KeyCode::Char('y') | KeyCode::Char('Y') => Action::Confirm(true),
            KeyCode::Char('n') | KeyCode::Char('N') => Action::Confirm(false),
            KeyCode::Char(c) => command(self.by_char.get(&c)?)?,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn defaults_overrides_and_clashes() {
        let m = KeyMap::default();
        assert!(matches!(
            m.action(key('b'), false),
            Some(Action::Launch(Mode::Backtest))
        ));
        assert!(
            matches!(m.action(key('b'), true), Some(Action::Edit(_))),
            "typing goes to the field"
        );
        assert!(matches!(
            m.action(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL), true),
            Some(Action::Quit)
        ));
        let o: BTreeMap<String, String> = [("stop".to_string(), "x".to_string())].into();
        let m = KeyMap::new(&o).unwrap();
        assert!(matches!(m.action(key('x'), false), Some(Action::Stop)));
        assert!(m.action(key('s'), false).is_none());
        let clash: BTreeMap<String, String> = [("stop".to_string(), "q".to_string())].into();
        assert!(KeyMap::new(&clash).unwrap_err().contains("both"));
        let unknown: BTreeMap<String, String> = [("launch".to_string(), "z".to_string())].into();
        assert!(KeyMap::new(&unknown).unwrap_err().contains("unknown key command"));
    }
}

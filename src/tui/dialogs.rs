//! Keys while a dialog or overlay is open: each takes the keyboard and lets news through.

use super::action::Action;
use super::app::{App, Confirm, Effect};
use crate::run::config::Mode;

impl App {
    /// `Some(effects)` when an open dialog took the action; `None` passes it on.
    pub(super) fn dialog_key(&mut self, action: &Action) -> Option<Vec<Effect>> {
        if self.confirm == Some(Confirm::RealMoney) {
            if let Some(fx) = self.real_money_key(action) {
                return Some(fx);
            }
        }
        if let Some(c) = self.confirm.filter(|c| *c != Confirm::RealMoney) {
            if let Some(fx) = self.confirm_key(c, action) {
                return Some(fx);
            }
        }
        if let Some(sel) = self.strategies {
            if let Some(fx) = self.strategy_list_key(sel, action) {
                return Some(fx);
            }
        }
        if self.history.is_some() {
            return self.history_key(action);
        }
        None
    }

    /// Real money needs LIVE typed in full; anything else sends nothing.
    fn real_money_key(&mut self, action: &Action) -> Option<Vec<Effect>> {
        match *action {
            Action::Edit(k) => {
                match k.code {
                    crossterm::event::KeyCode::Char(c) => self.typed.push(c),
                    crossterm::event::KeyCode::Backspace => {
                        self.typed.pop();
                    }
                    _ => {}
                }
                Some(Vec::new())
            }
            Action::Enter => {
                let ok = self.typed == "LIVE";
                self.typed.clear();
                if ok {
                    let fx = self.launch(Mode::Live);
                    self.confirm = None;
                    return Some(fx);
                }
                self.confirm = None;
                self.error("confirmation did not match LIVE; nothing was sent");
                Some(Vec::new())
            }
            Action::Esc | Action::Quit | Action::FocusNext => {
                self.confirm = None;
                self.typed.clear();
                self.info("real-money launch cancelled");
                Some(Vec::new())
            }
            _ => None,
        }
    }

    /// A pending confirmation takes the next answer.
    fn confirm_key(&mut self, c: Confirm, action: &Action) -> Option<Vec<Effect>> {
        match *action {
            Action::Confirm(true) => {
                self.confirm = None;
                Some(match c {
                    Confirm::Quit => {
                        self.quitting = true;
                        vec![Effect::Quit]
                    }
                    Confirm::StopLive => vec![Effect::Stop],
                    Confirm::RealMoney => Vec::new(),
                })
            }
            Action::Confirm(false) | Action::Esc => {
                self.confirm = None;
                Some(Vec::new())
            }
            Action::Quit if c == Confirm::Quit => {
                // A second Ctrl-C/q means it.
                self.confirm = None;
                self.quitting = true;
                Some(vec![Effect::Quit])
            }
            ref news if news.is_news() => None,
            _ => Some(Vec::new()),
        }
    }

    /// The strategy list has the keyboard while it is open.
    fn strategy_list_key(&mut self, sel: usize, action: &Action) -> Option<Vec<Effect>> {
        match *action {
            Action::Up => {
                self.strategies = Some(sel.saturating_sub(1));
                Some(Vec::new())
            }
            Action::Down => {
                self.strategies = Some((sel + 1).min(self.catalog.len().saturating_sub(1)));
                Some(Vec::new())
            }
            Action::Enter | Action::EditScript => Some(match self.catalog.get(sel) {
                Some(e) if e.from != "built-in" => vec![Effect::Edit(e.name.clone())],
                Some(_) => {
                    self.error("built-in strategies are compiled in; `cracktrader-tui strategies new NAME` writes a script to edit");
                    Vec::new()
                }
                None => Vec::new(),
            }),
            Action::Esc | Action::ToggleStrategies => {
                self.strategies = None;
                Some(Vec::new())
            }
            Action::Quit => None,
            ref news if news.is_news() => None,
            _ => Some(Vec::new()),
        }
    }

    /// The history overlay has the keyboard while it is open.
    fn history_key(&mut self, action: &Action) -> Option<Vec<Effect>> {
        // `selected` is a position among the runs the `/` filter lets through.
        let hits = self.history_hits();
        let last = hits.len().saturating_sub(1);
        let h = self.history.as_mut()?;
        match *action {
            Action::Up => {
                h.selected = h.selected.saturating_sub(1);
                Some(Vec::new())
            }
            Action::Down => {
                h.selected = (h.selected + 1).min(last);
                Some(Vec::new())
            }
            Action::Top => {
                h.selected = 0;
                Some(Vec::new())
            }
            Action::Bottom => {
                h.selected = last;
                Some(Vec::new())
            }
            Action::PageUp => {
                h.selected = h.selected.saturating_sub(10);
                Some(Vec::new())
            }
            Action::PageDown => {
                h.selected = (h.selected + 10).min(last);
                Some(Vec::new())
            }
            Action::Enter => Some(match hits.get(h.selected).and_then(|&i| h.runs.get(i)) {
                Some(r) => vec![Effect::OpenRun(r.run_id.clone())],
                None => Vec::new(),
            }),
            Action::Esc | Action::ToggleHistory => {
                self.history = None;
                Some(Vec::new())
            }
            Action::FocusNext
            | Action::FocusPrev
            | Action::Left
            | Action::Right
            | Action::Edit(_)
            | Action::Launch(_)
            | Action::Stop
            | Action::Reset
            | Action::ToggleChart
            | Action::NextTheme
            | Action::ToggleHelp
            | Action::Confirm(_) => Some(Vec::new()),
            _ => None,
        }
    }
}

//! The command palette as the App drives it: its entries (with the keys bound now) and its keys.

use super::action::Action;
use super::app::{App, Effect};
use super::keys::{self, DESCRIPTIONS};
use super::palette::{fuzzy, Entry, MAX_QUERY};
use crate::run::config::Mode;
use crossterm::event::KeyCode;

impl App {
    /// Everything the palette offers, with the key that does the same.
    pub fn palette_entries(&self) -> Vec<Entry> {
        let mut out: Vec<Entry> = DESCRIPTIONS
            .iter()
            .filter(|(name, _)| *name != "palette")
            .filter_map(|(name, what)| {
                Some(Entry {
                    name: name.to_string(),
                    key: self.keys.key(name).to_string(),
                    what: what.to_string(),
                    action: keys::command(name)?,
                })
            })
            .collect();
        let extra = [
            (
                "live",
                "p on Mode live",
                "launch the form as a live run (testnet by default; real money asks)",
                Action::Launch(Mode::Live),
            ),
            (
                "next panel",
                "Tab",
                "move focus: form, trades, orders",
                Action::FocusNext,
            ),
            ("previous panel", "Shift-Tab", "move focus back", Action::FocusPrev),
            (
                "top",
                "g / Home",
                "to the first field, the newest line, the first run",
                Action::Top,
            ),
            (
                "bottom",
                "G / End",
                "to the last field, the oldest line, the last run",
                Action::Bottom,
            ),
        ];
        out.extend(extra.into_iter().map(|(name, key, what, action)| Entry {
            name: name.into(),
            key: key.into(),
            what: what.into(),
            action,
        }));
        out
    }

    /// The entries matching the palette's query, best first (all, in their order, when it is empty).
    pub fn palette_matches(&self) -> Vec<Entry> {
        let query = self.palette.as_ref().map(|p| p.query.as_str()).unwrap_or("");
        let mut scored: Vec<(i32, usize, Entry)> = self
            .palette_entries()
            .into_iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let s = fuzzy(query, &e.name)
                    .map(|s| s + 10)
                    .or_else(|| fuzzy(query, &e.what))?;
                Some((s, i, e))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, _, e)| e).collect()
    }

    /// Keys while the palette is open: `Some` when taken.
    pub(super) fn palette_key(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let p = self.palette.as_mut()?;
        match action {
            Action::Edit(k) => {
                match k.code {
                    KeyCode::Char(c) if p.query.chars().count() < MAX_QUERY => {
                        p.query.push(c);
                        p.selected = 0;
                    }
                    KeyCode::Backspace => {
                        p.query.pop();
                        p.selected = 0;
                    }
                    KeyCode::Up => p.selected = p.selected.saturating_sub(1),
                    KeyCode::Down => p.selected += 1,
                    _ => {}
                }
                let n = self.palette_matches().len();
                if let Some(p) = self.palette.as_mut() {
                    p.selected = p.selected.min(n.saturating_sub(1));
                }
                Some(Vec::new())
            }
            Action::Enter => Some(self.run_palette_entry()),
            Action::Esc | Action::FocusNext => {
                self.palette = None;
                Some(Vec::new())
            }
            a if a.is_news() => None,
            Action::Click { .. } | Action::Wheel { .. } => None,
            _ => Some(Vec::new()),
        }
    }

    /// Closes the palette and runs the selected entry as its key would.
    pub(super) fn run_palette_entry(&mut self) -> Vec<Effect> {
        let selected = self.palette.as_ref().map_or(0, |p| p.selected);
        let entry = self.palette_matches().into_iter().nth(selected);
        self.palette = None;
        match entry {
            Some(e) => self.update(e.action),
            None => Vec::new(),
        }
    }
}

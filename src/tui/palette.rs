//! `:` the command palette: every action listed with its key, narrowed by a fuzzy query, so nothing
//! needs remembering. Enter runs the selected one exactly as its key would.

use super::action::Action;
use super::app::{App, Effect};
use super::keys::{self, DESCRIPTIONS};
use crate::run::config::Mode;
use crossterm::event::KeyCode;

/// Longest query kept.
const MAX_QUERY: usize = 40;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub query: String,
    /// Position in the matching entries.
    pub selected: usize,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub key: String,
    pub what: String,
    pub action: Action,
}

/// How well `query` matches `text` as a subsequence (any case); `None` when it does not. Higher is
/// better: consecutive letters and a match at the start of a word count more.
pub fn fuzzy(query: &str, text: &str) -> Option<i32> {
    let text: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut score = 0;
    let mut at = 0usize;
    let mut last: Option<usize> = None;
    for q in query.chars().filter(|c| !c.is_whitespace()) {
        let q = q.to_ascii_lowercase();
        let i = (at..text.len()).find(|&i| text[i] == q)?;
        score += 1;
        if last.is_some_and(|l| l + 1 == i) {
            score += 3;
        }
        if i == 0 || !text[i - 1].is_alphanumeric() {
            score += 2;
        }
        last = Some(i);
        at = i + 1;
    }
    Some(score - (text.len() as i32 / 16))
}

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

#[cfg(test)]
mod tests {
    use super::fuzzy;

    #[test]
    fn fuzzy_matches_subsequences_and_prefers_tight_ones() {
        assert!(fuzzy("hist", "history").is_some());
        assert!(fuzzy("hsty", "history").is_some());
        assert!(fuzzy("xyz", "history").is_none());
        assert!(fuzzy("st", "stop").unwrap() > fuzzy("st", "strategies list of things").unwrap_or(-99) - 10);
        assert!(fuzzy("sto", "stop").unwrap() > fuzzy("sto", "strategies").unwrap_or(i32::MIN));
        assert_eq!(fuzzy("", "anything"), Some(0));
    }
}

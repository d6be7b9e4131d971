//! The `/` list filters as the App applies them: which rows pass, and the keys while one is typed.

use super::action::Action;
use super::app::{App, Effect, Focus};
use super::filter::{matches, FilterTarget, MAX_QUERY};
use crossterm::event::KeyCode;

impl App {
    /// Indices into `trades`, newest first, of the fills the filter lets through (`None`: all).
    pub fn trade_hits(&self) -> Option<Vec<usize>> {
        let q = self.filters.trades.trim();
        if q.is_empty() {
            return None;
        }
        Some(
            (0..self.trades.len())
                .rev()
                .filter(|&i| {
                    let t = &self.trades[i];
                    matches(q, &[&t.timestamp, &t.symbol, &t.side, &t.order_id])
                })
                .collect(),
        )
    }

    /// Indices into `orders` (as shown) the filter lets through (`None`: all).
    pub fn order_hits(&self) -> Option<Vec<usize>> {
        let q = self.filters.orders.trim();
        if q.is_empty() {
            return None;
        }
        Some(
            self.orders
                .iter()
                .enumerate()
                .filter(|(_, o)| {
                    let id = format!("#{}", o.order_id);
                    let reason = o.reason.as_deref().unwrap_or("");
                    matches(q, &[&o.symbol, &o.side, &o.status, &o.order_type, &id, reason])
                })
                .map(|(i, _)| i)
                .collect(),
        )
    }

    /// Indices into the history's runs the filter lets through, in order.
    pub fn history_hits(&self) -> Vec<usize> {
        let Some(h) = &self.history else {
            return Vec::new();
        };
        let q = self.filters.history.trim();
        h.runs
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let symbols = r.symbols.join(",");
                matches(
                    q,
                    &[
                        &r.run_id,
                        &r.mode,
                        &r.status,
                        &r.strategy,
                        &symbols,
                        &r.exchange,
                        &r.timeframe,
                        &r.start_time,
                    ],
                )
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// `/`: type a filter for the history (when open) or the focused list (the trade log from the form).
    pub(super) fn start_filter(&mut self) {
        let target = if self.history.is_some() {
            FilterTarget::History
        } else {
            self.logs_open = false;
            self.form.editing = false;
            match self.focus {
                Focus::Orders => FilterTarget::Orders,
                Focus::Form | Focus::Trades => {
                    self.focus = Focus::Trades;
                    FilterTarget::Trades
                }
            }
        };
        self.filters.editing = Some(target);
    }

    /// Keys while a filter is typed: `Some` when taken.
    pub(super) fn filter_key(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let target = self.filters.editing?;
        match action {
            Action::Edit(k) => {
                let q = self.filters.get_mut(target);
                match k.code {
                    KeyCode::Char(c) if q.chars().count() < MAX_QUERY => q.push(c),
                    KeyCode::Backspace => {
                        q.pop();
                    }
                    _ => return Some(Vec::new()),
                }
                self.filter_changed(target);
                Some(Vec::new())
            }
            Action::Enter => {
                self.filters.editing = None;
                Some(Vec::new())
            }
            Action::Esc => {
                self.filters.get_mut(target).clear();
                self.filters.editing = None;
                self.filter_changed(target);
                Some(Vec::new())
            }
            a if a.is_news() => None,
            // Anything else (Tab, a click) finishes typing and then acts.
            _ => {
                self.filters.editing = None;
                None
            }
        }
    }

    /// A changed query starts its list from the top.
    fn filter_changed(&mut self, target: FilterTarget) {
        match target {
            FilterTarget::Trades => self.trade_scroll = 0,
            FilterTarget::Orders => self.order_scroll = 0,
            FilterTarget::History => {
                if let Some(h) = self.history.as_mut() {
                    h.selected = 0;
                }
            }
        }
    }
}

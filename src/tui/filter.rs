//! `/` filters: the trade log, the order stream and the history each keep their own query. A row
//! is shown when every word of the query appears in it (any case): `btc sell`, `rejected`, `01-04`.

use super::action::Action;
use super::app::{App, Effect, Focus};
use crossterm::event::KeyCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterTarget {
    Trades,
    Orders,
    History,
}

/// Longest query kept (a filter is a few words).
const MAX_QUERY: usize = 64;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub trades: String,
    pub orders: String,
    pub history: String,
    /// The query being typed, if any.
    pub editing: Option<FilterTarget>,
}

impl Filters {
    pub fn get(&self, t: FilterTarget) -> &str {
        match t {
            FilterTarget::Trades => &self.trades,
            FilterTarget::Orders => &self.orders,
            FilterTarget::History => &self.history,
        }
    }

    fn get_mut(&mut self, t: FilterTarget) -> &mut String {
        match t {
            FilterTarget::Trades => &mut self.trades,
            FilterTarget::Orders => &mut self.orders,
            FilterTarget::History => &mut self.history,
        }
    }
}

/// Every word of `query` is in one of `fields` (ASCII case folded; no allocation per row).
pub fn matches(query: &str, fields: &[&str]) -> bool {
    query.split_whitespace().all(|word| {
        let w = word.as_bytes();
        fields
            .iter()
            .any(|f| f.as_bytes().windows(w.len()).any(|win| win.eq_ignore_ascii_case(w)))
    })
}

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

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn every_word_must_match_in_any_case() {
        let row = ["2024-01-04T21:13:00Z", "BTC/USDT", "sell", "17"];
        assert!(matches("btc", &row));
        assert!(matches("btc SELL", &row));
        assert!(matches("01-04", &row));
        assert!(!matches("btc buy", &row), "both words must match");
        assert!(!matches("eth", &row));
        assert!(matches("   ", &row), "an empty query matches everything");
    }
}

//! `/` filters: the trade log, the order stream and the history each keep their own query. A row
//! is shown when every word of the query appears in it (any case): `btc sell`, `rejected`, `01-04`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterTarget {
    Trades,
    Orders,
    History,
}

/// Longest query kept (a filter is a few words).
pub const MAX_QUERY: usize = 64;

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

    pub fn get_mut(&mut self, t: FilterTarget) -> &mut String {
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

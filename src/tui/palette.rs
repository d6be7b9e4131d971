//! `:` the command palette: every action listed with its key, narrowed by a fuzzy query, so nothing
//! needs remembering. Enter runs the selected one exactly as its key would.

use super::action::Action;

/// Longest query kept.
pub const MAX_QUERY: usize = 40;

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

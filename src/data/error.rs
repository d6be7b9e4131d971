//! Data errors always say which file, which line and what was wrong.

use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct DataError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl DataError {
    pub fn new(file: impl AsRef<Path>, line: Option<usize>, message: impl Into<String>) -> Self {
        DataError {
            file: file.as_ref().display().to_string(),
            line,
            message: message.into(),
        }
    }
    pub fn plain(message: impl Into<String>) -> Self {
        DataError {
            file: String::new(),
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => write!(f, "{}", self.message),
            (false, Some(l)) => write!(f, "{}:{}: {}", self.file, l, self.message),
            (false, None) => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for DataError {}

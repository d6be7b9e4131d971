//! Candle data: files, the binary cache, resampling and the synthetic `sim` market.

pub mod cache;
pub mod error;
pub mod file_formats;
pub mod resample;
pub mod series;
pub mod sim;
pub mod source;
pub mod time;
pub mod validate;

pub use cache::Cache;
pub use error::DataError;
pub use file_formats::{load_file, FileFormat, Loaded};
pub use series::Series;
pub use source::{load, CandleQuery, CandleSet};

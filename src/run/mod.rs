//! Runs: request validation, the backtest pipeline and the results clients receive.

pub mod attention;
pub mod backtest;
pub mod config;
pub mod error;
pub mod optimize;
pub mod policy;
pub mod request;
pub mod results;
pub mod sweep;
pub mod worker;

pub use config::{Mode, RunConfig, RunRequest};
pub use error::{ErrorCode, RunError};
pub use results::{ResultsResponse, RunStatus};
pub use worker::WorkerEvent;

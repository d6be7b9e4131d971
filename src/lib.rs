//! cracktrader-tui: a terminal trading console with an in-process engine and a REST/WebSocket API.

pub mod api;
pub mod data;
pub mod engine;
pub mod exchange;
pub mod run;
pub mod runner;
pub mod script;
pub mod store;
pub mod tui;

//! The integration tests, linked into one binary: one link of the crate instead of one per file,
//! which keeps a clean `cargo test` build small on disk and quick to link.
//! (`binance_paper` stays its own binary: it sets a process-wide environment variable.)

#[path = "../common/mod.rs"]
mod common;

mod api_routes;
mod api_ws;
mod binance_history;
mod binance_live;
mod binance_recovery;
mod cli_backtest;
mod engine_properties;
mod layers;
mod live_books;
mod scripts;
mod serve_cli;
mod store_recovery;
mod tui_e2e;
mod tui_render;

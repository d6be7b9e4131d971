//! Binance spot: request signing, symbols and filters, public REST (exchange info, klines, time).

pub mod filters;
pub mod rest;
pub mod sign;

/// Production REST origin; `/api/v3/...` paths are appended to it.
pub const MAINNET_REST: &str = "https://api.binance.com";
/// Spot testnet REST origin.
pub const TESTNET_REST: &str = "https://testnet.binance.vision";
/// Env override of the REST origin (tests point it at a local fake).
pub const REST_ENV: &str = "CRACKTRADER_BINANCE_REST";

/// The REST origin to use: the override, else testnet or mainnet.
pub fn rest_origin(sandbox: bool) -> String {
    std::env::var(REST_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| if sandbox { TESTNET_REST } else { MAINNET_REST }.to_string())
        .trim_end_matches('/')
        .to_string()
}

pub mod history;

//! Binance spot: request signing, symbols and filters, public REST (exchange info, klines, time).

pub mod filters;
pub mod recovery;
pub mod rest;
pub mod sign;
pub mod stream;
pub mod trade;

/// Production REST origin; `/api/v3/...` paths are appended to it.
pub const MAINNET_REST: &str = "https://api.binance.com";
/// Spot testnet REST origin.
pub const TESTNET_REST: &str = "https://testnet.binance.vision";
/// Env override of the REST origin (tests point it at a local fake).
pub const REST_ENV: &str = "CRACKTRADER_BINANCE_REST";

/// Production market-stream origin; `/stream?streams=...` is appended to it.
pub const MAINNET_WS: &str = "wss://stream.binance.com:9443";
pub const TESTNET_WS: &str = "wss://stream.testnet.binance.vision";
/// Env override of the stream origin.
pub const WS_ENV: &str = "CRACKTRADER_BINANCE_WS";

/// Origins for a run: its `urls` first, then the env overrides, then testnet or mainnet.
pub fn origins(live: &crate::run::config::LiveSettings) -> (String, String) {
    let pick = |given: &Option<String>, env: &str, test: &str, main: &str| {
        given
            .clone()
            .or_else(|| std::env::var(env).ok())
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| if live.sandbox { test } else { main }.to_string())
            .trim_end_matches('/')
            .to_string()
    };
    (
        pick(&live.urls.rest, REST_ENV, TESTNET_REST, MAINNET_REST),
        pick(&live.urls.ws, WS_ENV, TESTNET_WS, MAINNET_WS),
    )
}

/// The REST origin when a run has no `urls`: the env override, else testnet or mainnet.
pub fn rest_origin(sandbox: bool) -> String {
    origins(&crate::run::config::LiveSettings {
        sandbox,
        ..Default::default()
    })
    .0
}

/// Binance sends numbers as strings (`"0.00100000"`); accepts either form.
pub fn number(v: &serde_json::Value) -> Option<f64> {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_f64())
}

pub mod history;

//! `GET /strategies` and `GET /exchanges`: what a run can be made of.

use crate::api::models::{ExchangeInfo, ExchangesResponse, ParamInfo, StrategiesResponse, StrategyInfo};
use crate::engine::strategy::Source;
use crate::engine::Timeframe;
use crate::script::catalog;
use axum::Json;

#[utoipa::path(get, path = "/strategies", tag = "catalog", responses((status = 200, body = StrategiesResponse)))]
pub async fn strategies() -> Json<StrategiesResponse> {
    let mut strategies: Vec<StrategyInfo> = catalog::list()
        .iter()
        .map(|s| {
            let (source, file) = match &s.source {
                Source::Builtin => ("builtin", None),
                Source::Script { file, .. } => ("script", Some(file.clone())),
            };
            StrategyInfo {
                name: s.name.clone(),
                description: s.description.clone(),
                source: source.into(),
                file,
                status: "ok".into(),
                error: None,
                params: s
                    .all_params()
                    .iter()
                    .map(|p| ParamInfo {
                        name: p.name.to_string(),
                        ty: p.ty.as_str().into(),
                        default: p.default.map(|d| p.display_json(d)),
                        min: p.min,
                        max: p.max,
                        choices: p.choices.clone(),
                        description: p.description.to_string(),
                    })
                    .collect(),
            }
        })
        .collect();
    // Scripts that do not load are listed too, with where and why, so a user sees what to fix.
    strategies.extend(catalog::broken().into_iter().map(|b| StrategyInfo {
        name: b.file.trim_end_matches(".luau").to_string(),
        description: String::new(),
        source: "script".into(),
        file: Some(b.file),
        status: "error".into(),
        error: Some(b.error),
        params: Vec::new(),
    }));
    Json(StrategiesResponse { strategies })
}

#[utoipa::path(get, path = "/exchanges", tag = "catalog", responses((status = 200, body = ExchangesResponse)))]
pub async fn exchanges() -> Json<ExchangesResponse> {
    let timeframes: Vec<String> = Timeframe::ALL.iter().map(|t| t.as_str().to_string()).collect();
    Json(ExchangesResponse {
        exchanges: vec![
            ExchangeInfo {
                id: "sim".into(),
                name: "Simulated market (offline, deterministic)".into(),
                modes: vec!["backtest".into(), "paper".into(), "live".into()],
                timeframes: timeframes.clone(),
                sandbox: false,
                sandbox_notes: "No sandbox needed: nothing is real. Paper runs tick at exchange_config.speed (60 = one minute per second).".into(),
                requires_credentials: false,
            },
            ExchangeInfo {
                id: "binance".into(),
                name: "Binance (spot)".into(),
                modes: vec!["backtest".into(), "paper".into(), "live".into()],
                timeframes,
                sandbox: true,
                sandbox_notes: "exchange_config.sandbox: true uses the spot testnet (testnet.binance.vision, separate API keys). Real-money live trading (sandbox false) needs the server started with --allow-live. Backtests with a start date download missing candles into the cache.".into(),
                requires_credentials: true,
            },
        ],
    })
}

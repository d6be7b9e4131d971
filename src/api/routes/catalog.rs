//! `GET /strategies` and `GET /exchanges`: what a run can be made of.

use crate::api::models::{ExchangeInfo, ExchangesResponse, ParamInfo, StrategiesResponse, StrategyInfo};
use crate::engine::strategy::{registry, ParamType};
use crate::engine::Timeframe;
use axum::Json;

#[utoipa::path(get, path = "/strategies", tag = "catalog", responses((status = 200, body = StrategiesResponse)))]
pub async fn strategies() -> Json<StrategiesResponse> {
    let strategies = registry()
        .iter()
        .map(|s| StrategyInfo {
            name: s.name.into(),
            description: s.description.into(),
            params: s
                .all_params()
                .iter()
                .map(|p| ParamInfo {
                    name: p.name.into(),
                    ty: if p.ty == ParamType::Int { "int" } else { "float" }.into(),
                    default: p.default,
                    min: p.min,
                    max: p.max,
                    description: p.description.into(),
                })
                .collect(),
        })
        .collect();
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

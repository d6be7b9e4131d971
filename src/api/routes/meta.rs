//! `GET /meta` and `GET /openapi.json`.

use crate::api::models::{MetaResponse, RiskKeyInfo};
use crate::run::config::RISK_KEYS;
use axum::Json;

#[utoipa::path(get, path = "/meta", tag = "meta", responses((status = 200, body = MetaResponse)))]
pub async fn meta() -> Json<MetaResponse> {
    Json(MetaResponse {
        api_version: crate::api::API_VERSION.into(),
        server_version: env!("CARGO_PKG_VERSION").into(),
        deprecations: Vec::new(),
        risk_keys: RISK_KEYS
            .iter()
            .map(|k| RiskKeyInfo {
                name: k.name.into(),
                ty: k.ty.into(),
                min: k.min,
                max: k.max,
                description: k.description.into(),
            })
            .collect(),
    })
}

#[utoipa::path(get, path = "/openapi.json", tag = "meta", responses((status = 200, description = "This OpenAPI 3 document")))]
pub async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(super::document())
}

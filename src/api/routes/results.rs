//! `GET /results`: the last finished run, exactly as `backtest --json` prints it.

use crate::api::error::{ApiError, ErrorResponse};
use crate::api::ApiState;
use crate::run::error::ErrorCode;
use crate::run::ResultsResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[utoipa::path(get, path = "/results", tag = "results",
    responses((status = 200, body = ResultsResponse), (status = 404, body = ErrorResponse)))]
pub async fn results(State(st): State<ApiState>) -> Result<Response, ApiError> {
    if st.runner.snapshot().results.is_none() {
        // Just after start-up the last run may still be being read back from history.
        st.runner.restored(std::time::Duration::from_secs(10)).await;
    }
    match st.runner.snapshot().results.clone() {
        // At most 10,000 orders and fills inline; `/runs/{run_id}/orders` and `/trades` page them all.
        Some(r) => Ok(Json(r.listed().as_ref()).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NoResults,
            "no run has finished yet",
        )),
    }
}

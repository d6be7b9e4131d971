//! Run history: `/runs` (newest first, filterable), one run as `ResultsResponse`, delete, CSV exports.

use crate::api::error::{ApiError, ErrorResponse};
use crate::api::ApiState;
use crate::run::error::ErrorCode;
use crate::run::{Mode, ResultsResponse, RunStatus};
use crate::store::{equity_csv, trades_csv, PruneReport, RunFilter, RunSummary, Store};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::{Arc, Mutex};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Runs per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// Runs to skip, newest first (default 0).
    offset: Option<usize>,
    /// Only runs with this status.
    #[param(value_type = Option<RunStatus>)]
    status: Option<String>,
    /// Only runs of this mode.
    #[param(value_type = Option<Mode>)]
    mode: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunsResponse {
    pub runs: Vec<RunSummary>,
    pub limit: usize,
    pub offset: usize,
}

/// Runs a query on the history database off the async threads.
async fn with_store<T: Send + 'static>(
    st: &ApiState,
    f: impl FnOnce(&mut Store) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store: Arc<Mutex<Store>> = st
        .runner
        .store
        .clone()
        .ok_or_else(|| ApiError::not_found("run history is not enabled on this server"))?;
    tokio::task::spawn_blocking(move || {
        let mut s = store.lock().map_err(|_| ApiError::internal("history lock poisoned"))?;
        f(&mut s).map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)?
}

fn bad(field: &str, msg: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::ValidationError, msg).details(json!({ "field": field }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PruneQuery {
    /// Delete runs started more than this many days ago.
    #[param(minimum = 0)]
    older_than: Option<f64>,
    /// Delete all but the newest `keep` runs.
    keep: Option<usize>,
}

/// Deletes old runs (write key); runs still running are kept. Compacts the file when much was freed.
#[utoipa::path(delete, path = "/runs", tag = "runs", params(PruneQuery),
    responses((status = 200, body = PruneReport), (status = 400, body = ErrorResponse)))]
pub async fn runs_prune(
    State(st): State<ApiState>,
    Query(q): Query<PruneQuery>,
) -> Result<Json<PruneReport>, ApiError> {
    if q.older_than.is_none() && q.keep.is_none() {
        return Err(bad(
            "older_than",
            "say what to delete: ?older_than=DAYS and/or ?keep=N".into(),
        ));
    }
    if let Some(d) = q.older_than.filter(|d| !(d.is_finite() && *d >= 0.0)) {
        return Err(bad(
            "older_than",
            format!("older_than is a number of days, 0 or more; got {d}"),
        ));
    }
    Ok(Json(with_store(&st, move |s| s.prune(q.keep, q.older_than)).await?))
}

/// The `{run_id}` of the run routes.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // only its documentation is used; the handlers read `Path<String>`
struct RunId {
    /// A run's id as `/runs` lists it.
    run_id: String,
}

#[utoipa::path(get, path = "/runs", tag = "runs", params(RunsQuery),
    responses((status = 200, body = RunsResponse), (status = 400, body = ErrorResponse)))]
pub async fn runs_list(State(st): State<ApiState>, Query(q): Query<RunsQuery>) -> Result<Json<RunsResponse>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(bad("limit", format!("limit must be from 1 to 1000, got {limit}")));
    }
    let one_of = |all: Vec<&str>| all.join(", ");
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(RunStatus::parse(s).ok_or_else(|| {
            bad(
                "status",
                format!(
                    "unknown status; one of {}",
                    one_of(RunStatus::ALL.iter().map(|x| x.as_str()).collect())
                ),
            )
        })?),
    };
    let mode = match q.mode.as_deref() {
        None => None,
        Some(m) => Some(Mode::parse(m).ok_or_else(|| {
            bad(
                "mode",
                format!(
                    "unknown mode; one of {}",
                    one_of(Mode::ALL.iter().map(|x| x.as_str()).collect())
                ),
            )
        })?),
    };
    let offset = q.offset.unwrap_or(0);
    let filter = RunFilter {
        limit,
        offset,
        status: status.map(|s| s.as_str().to_string()),
        mode: mode.map(|m| m.as_str().to_string()),
    };
    let runs = if st.runner.store.is_some() {
        with_store(&st, move |s| s.list(&filter)).await?
    } else {
        Vec::new()
    };
    Ok(Json(RunsResponse { runs, limit, offset }))
}

async fn load(st: &ApiState, run_id: String) -> Result<ResultsResponse, ApiError> {
    let id = run_id.clone();
    with_store(st, move |s| s.results(&id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no run '{run_id}'")))
}

#[utoipa::path(get, path = "/runs/{run_id}", tag = "runs", params(RunId),
    responses((status = 200, body = ResultsResponse), (status = 404, body = ErrorResponse)))]
pub async fn runs_get(
    State(st): State<ApiState>,
    Path(run_id): Path<String>,
) -> Result<Json<ResultsResponse>, ApiError> {
    Ok(Json(load(&st, run_id).await?))
}

#[utoipa::path(delete, path = "/runs/{run_id}", tag = "runs", params(RunId),
    responses((status = 200, description = "deleted"), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn runs_delete(
    State(st): State<ApiState>,
    Path(run_id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let snap = st.runner.snapshot();
    if snap.status.is_active() && snap.run_id.as_deref() == Some(run_id.as_str()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::RunActive,
            format!("run {run_id} is active; stop it before deleting it"),
        ));
    }
    let id = run_id.clone();
    if !with_store(&st, move |s| s.delete(&id)).await? {
        return Err(ApiError::not_found(format!("no run '{run_id}'")));
    }
    Ok(Json(json!({ "run_id": run_id, "deleted": true })))
}

fn csv(name: String, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(get, path = "/runs/{run_id}/trades.csv", tag = "runs", params(RunId),
    responses((status = 200, content_type = "text/csv", description = "fills"), (status = 404, body = ErrorResponse)))]
pub async fn runs_trades_csv(State(st): State<ApiState>, Path(run_id): Path<String>) -> Result<Response, ApiError> {
    let r = load(&st, run_id).await?;
    Ok(csv(format!("{}-trades.csv", r.run_id), trades_csv(&r.trades)))
}

#[utoipa::path(get, path = "/runs/{run_id}/equity.csv", tag = "runs", params(RunId),
    responses((status = 200, content_type = "text/csv", description = "equity curve"), (status = 404, body = ErrorResponse)))]
pub async fn runs_equity_csv(State(st): State<ApiState>, Path(run_id): Path<String>) -> Result<Response, ApiError> {
    let r = load(&st, run_id).await?;
    Ok(csv(format!("{}-equity.csv", r.run_id), equity_csv(&r.equity_curve)))
}

//! Run history: `/runs` (newest first, filterable), one run as `ResultsResponse`, delete, CSV exports.

use crate::api::error::{ApiError, ErrorResponse};
use crate::api::ApiState;
use crate::run::error::ErrorCode;
use crate::run::results::{EquityRecord, OrderRecord, TradeRecord};
use crate::run::{Mode, ResultsResponse, RunStatus};
use crate::store::csv::{push_equity, push_trades, EQUITY_HEADER, TRADES_HEADER};
use crate::store::{PruneReport, RunFilter, RunSummary, Store, Window};
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

/// A stored run: its configuration, metrics, the equity curve (downsampled to 5000 points) and its
/// newest 10,000 orders and fills (`orders_total`, `trades_total` say how many there are; page through
/// them all at `/orders` and `/trades`).
#[utoipa::path(get, path = "/runs/{run_id}", tag = "runs", params(RunId),
    responses((status = 200, body = ResultsResponse), (status = 404, body = ErrorResponse)))]
pub async fn runs_get(State(st): State<ApiState>, Path(run_id): Path<String>) -> Result<Response, ApiError> {
    let r = load(&st, run_id).await?;
    Ok(Json(r.listed().as_ref()).into_response())
}

/// Largest page of `/runs/{run_id}/orders`, `/trades` and `/equity`.
pub const MAX_PAGE: usize = 10_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 10000 (default 1000).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<usize>,
    /// Where to go on from: the previous page's `next_cursor` (omit for the first page).
    cursor: Option<String>,
}

impl PageQuery {
    fn window(&self) -> Result<Window, ApiError> {
        let limit = self.limit.unwrap_or(1000);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(bad("limit", format!("limit must be from 1 to {MAX_PAGE}, got {limit}")));
        }
        let offset = match self.cursor.as_deref() {
            None => 0,
            Some(c) => c
                .parse::<usize>()
                .map_err(|_| bad("cursor", "cursor must be a next_cursor from an earlier page".into()))?,
        };
        Ok(Window {
            offset,
            limit: Some(limit),
        })
    }
}

/// One page of a run's list, oldest first. One named type per list, so clients get each item's
/// own model.
macro_rules! page_type {
    ($name:ident, $item:ty) => {
        #[derive(Debug, Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub run_id: String,
            pub items: Vec<$item>,
            /// How many the run has in all.
            pub total: usize,
            /// Pass as `cursor` for the next page; null on the last one.
            pub next_cursor: Option<String>,
        }

        impl From<(String, Vec<$item>, usize, Option<String>)> for $name {
            fn from((run_id, items, total, next_cursor): (String, Vec<$item>, usize, Option<String>)) -> Self {
                $name {
                    run_id,
                    items,
                    total,
                    next_cursor,
                }
            }
        }
    };
}
page_type!(OrdersPage, OrderRecord);
page_type!(TradesPage, TradeRecord);
page_type!(EquityPage, EquityRecord);

/// Runs `read` on the store for one page of `run_id`'s list; 404 for an unknown run.
async fn page<T, P, F>(st: &ApiState, run_id: String, q: PageQuery, read: F) -> Result<Json<P>, ApiError>
where
    T: Send + 'static,
    P: From<(String, Vec<T>, usize, Option<String>)>,
    F: FnOnce(&Store, &str, Window) -> Result<(Vec<T>, usize), crate::store::StoreError> + Send + 'static,
{
    let w = q.window()?;
    let id = run_id.clone();
    let found = with_store(st, move |s| {
        if !s.exists(&id)? {
            return Ok(None);
        }
        read(s, &id, w).map(Some)
    })
    .await?;
    let (items, total) = found.ok_or_else(|| ApiError::not_found(format!("no run '{run_id}'")))?;
    let end = w.offset + items.len();
    let next_cursor = (end < total).then(|| end.to_string());
    Ok(Json(P::from((run_id, items, total, next_cursor))))
}

#[utoipa::path(get, path = "/runs/{run_id}/orders", tag = "runs", params(RunId, PageQuery),
    responses((status = 200, body = OrdersPage), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn runs_orders(
    State(st): State<ApiState>,
    Path(run_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<OrdersPage>, ApiError> {
    page(&st, run_id, q, |s, id, w| s.orders_in(id, w)).await
}

#[utoipa::path(get, path = "/runs/{run_id}/trades", tag = "runs", params(RunId, PageQuery),
    responses((status = 200, body = TradesPage), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn runs_trades(
    State(st): State<ApiState>,
    Path(run_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<TradesPage>, ApiError> {
    page(&st, run_id, q, |s, id, w| s.fills_in(id, w)).await
}

/// Every stored equity point (paper and live runs store theirs as they go), not downsampled.
#[utoipa::path(get, path = "/runs/{run_id}/equity", tag = "runs", params(RunId, PageQuery),
    responses((status = 200, body = EquityPage), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn runs_equity(
    State(st): State<ApiState>,
    Path(run_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<EquityPage>, ApiError> {
    page(&st, run_id, q, |s, id, w| s.equity_in(id, w)).await
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

/// Rows read and written per chunk of a streamed CSV export.
const CSV_PAGE: usize = 5000;

/// Streams a run's list as CSV, a page at a time from the database (a backtest's lists, stored as
/// one blob, are read once): the whole export is never in memory, however long the run.
async fn stream_csv<T, R, W>(
    st: &ApiState,
    run_id: String,
    name: &str,
    header: &'static str,
    read: R,
    write: W,
) -> Result<Response, ApiError>
where
    T: Send + 'static,
    R: Fn(&Store, &str, Window) -> Result<(Vec<T>, usize), crate::store::StoreError> + Send + 'static,
    W: Fn(&mut String, &[T]) + Send + 'static,
{
    let id = run_id.clone();
    let blobs = with_store(st, move |s| {
        if s.exists(&id)? {
            s.has_blobs(&id).map(Some)
        } else {
            Ok(None)
        }
    })
    .await?;
    let Some(blobs) = blobs else {
        return Err(ApiError::not_found(format!("no run '{run_id}'")));
    };
    let store = st
        .runner
        .store
        .clone()
        .ok_or_else(|| ApiError::not_found("run history is not enabled"))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(4);
    let id = run_id.clone();
    tokio::task::spawn_blocking(move || {
        if tx.blocking_send(Ok(header.to_string())).is_err() {
            return;
        }
        let mut offset = 0;
        loop {
            let w = Window {
                offset,
                limit: (!blobs).then_some(CSV_PAGE),
            };
            // The lock is held for one page, so other requests go on between pages.
            let page = match store.lock() {
                Ok(s) => read(&s, &id, w),
                Err(_) => return,
            };
            let items = match page {
                Ok((items, _)) => items,
                Err(e) => {
                    let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
                    return;
                }
            };
            for chunk in items.chunks(CSV_PAGE) {
                let mut out = String::with_capacity(chunk.len() * 96);
                write(&mut out, chunk);
                if tx.blocking_send(Ok(out)).is_err() {
                    return; // the client went away
                }
            }
            offset += items.len();
            if blobs || items.len() < CSV_PAGE {
                return;
            }
        }
    });
    let body = axum::body::Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{run_id}-{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(get, path = "/runs/{run_id}/trades.csv", tag = "runs", params(RunId),
    responses((status = 200, content_type = "text/csv", description = "every fill, streamed"), (status = 404, body = ErrorResponse)))]
pub async fn runs_trades_csv(State(st): State<ApiState>, Path(run_id): Path<String>) -> Result<Response, ApiError> {
    stream_csv(
        &st,
        run_id,
        "trades",
        TRADES_HEADER,
        |s, id, w| s.fills_in(id, w),
        push_trades,
    )
    .await
}

#[utoipa::path(get, path = "/runs/{run_id}/equity.csv", tag = "runs", params(RunId),
    responses((status = 200, content_type = "text/csv", description = "every stored equity point, streamed"), (status = 404, body = ErrorResponse)))]
pub async fn runs_equity_csv(State(st): State<ApiState>, Path(run_id): Path<String>) -> Result<Response, ApiError> {
    stream_csv(
        &st,
        run_id,
        "equity",
        EQUITY_HEADER,
        |s, id, w| s.equity_in(id, w),
        push_equity,
    )
    .await
}

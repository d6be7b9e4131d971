//! `GET /health`: is the engine alive, can we store data, is the active run's market reachable.

use crate::api::auth::Principal;
use crate::api::models::{Check, HealthResponse};
use crate::api::ApiState;
use axum::extract::State;
use axum::Extension;
use axum::Json;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

fn check(ok: bool, detail: impl Into<String>, bad: &str) -> Check {
    Check {
        status: if ok { "ok" } else { bad }.to_string(),
        detail: detail.into(),
    }
}

pub fn health_report(st: &ApiState) -> HealthResponse {
    let mut checks = BTreeMap::new();
    let alive = st.runner.is_alive();
    checks.insert(
        "engine".into(),
        check(
            alive,
            if alive {
                "runner task is taking commands"
            } else {
                "runner task has stopped"
            },
            "error",
        ),
    );
    let dir = &st.runner.data_dir;
    let writable = std::fs::create_dir_all(dir).is_ok()
        && std::fs::metadata(dir)
            .map(|m| !m.permissions().readonly())
            .unwrap_or(false);
    checks.insert(
        "storage".into(),
        check(
            writable,
            format!(
                "data dir {}{}",
                dir.display(),
                if writable { "" } else { " is not writable" }
            ),
            "degraded",
        ),
    );
    let store_check = match (&st.runner.store, &st.runner.writer) {
        (Some(_), Some(w)) => {
            let error = w.error.lock().ok().and_then(|e| e.clone());
            let queued = w.queued.load(Ordering::Relaxed);
            match error {
                Some(e) => check(
                    false,
                    format!("history writes failing ({e}); results kept in memory"),
                    "degraded",
                ),
                None if queued > 100_000 => {
                    check(false, format!("history writer is {queued} events behind"), "degraded")
                }
                None => check(
                    true,
                    format!("history at {}", crate::store::Store::db_path(dir).display()),
                    "ok",
                ),
            }
        }
        _ => check(true, "run history off", "ok"),
    };
    checks.insert("history".into(), store_check);
    let snap = st.runner.snapshot();
    let exchange = match (snap.config.as_ref().filter(|_| snap.status.is_active()), &snap.exchange) {
        (None, _) => check(true, "no active run", "ok"),
        (Some(c), _) if c.exchange == "sim" => check(true, "sim: offline synthetic market", "ok"),
        (Some(c), Some((up, detail))) if c.mode != crate::run::Mode::Backtest => {
            check(*up, format!("{}: {detail}", c.exchange), "degraded")
        }
        (Some(c), None) if c.mode != crate::run::Mode::Backtest => {
            check(true, format!("{}: connecting", c.exchange), "ok")
        }
        (Some(c), _) => check(true, format!("{}: candles from the local cache", c.exchange), "ok"),
    };
    checks.insert("exchange".into(), exchange);
    let status = if !alive {
        "unhealthy"
    } else if checks.values().any(|c| c.status != "ok") {
        "degraded"
    } else {
        "healthy"
    };
    let s = &st.runner.stats;
    let m = &st.metrics;
    let metrics: BTreeMap<String, Value> = [
        ("uptime_seconds", json!(m.started.elapsed().as_secs_f64())),
        ("requests_total", json!(m.requests_total.load(Ordering::Relaxed))),
        ("ws_connections", json!(m.ws_connections.load(Ordering::Relaxed))),
        ("runs_started", json!(s.runs_started.load(Ordering::Relaxed))),
        ("runs_completed", json!(s.runs_completed.load(Ordering::Relaxed))),
        ("runs_failed", json!(s.runs_failed.load(Ordering::Relaxed))),
        ("runs_stopped", json!(s.runs_stopped.load(Ordering::Relaxed))),
        (
            "store_queue",
            json!(st.runner.writer.as_ref().map(|w| w.queued.load(Ordering::Relaxed))),
        ),
        (
            "store_committed",
            json!(st.runner.writer.as_ref().map(|w| w.committed.load(Ordering::Relaxed))),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    HealthResponse {
        status: status.into(),
        checks: Some(checks),
        metrics: Some(metrics),
        timestamp: crate::run::backtest::now_iso(),
    }
}

/// Open to everyone (load balancers ask it); with API keys on, only a caller with a key sees the
/// checks and counters.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = HealthResponse)))]
pub async fn health(State(st): State<ApiState>, who: Option<Extension<Principal>>) -> Json<HealthResponse> {
    let mut report = health_report(&st);
    if !st.settings.keys.is_empty() && who.is_none() {
        report.checks = None;
        report.metrics = None;
    }
    Json(report)
}

//! The writer thread. Workers send it their events; it commits each batch in one transaction and only
//! then forwards the events to the runner, so whatever the API or the dashboard has shown is on disk.
//! The engine never waits: sends are unbounded, and the backlog is reported in `/health`.

use super::Store;
use crate::run::config::{Mode, RunConfig};
use crate::run::results::{EquityRecord, OrderRecord, ResultsResponse, RiskEventRecord, TradeRecord};
use crate::run::worker::WorkerEvent;
use rusqlite::{params, Transaction};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// Most events committed in one transaction.
const BATCH: usize = 4096;

/// Writer health, shared with `/health`.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Events sent to the writer and not yet committed.
    pub queued: AtomicU64,
    pub committed: AtomicU64,
    /// The last write failure; results stay in memory while this is set.
    pub error: Mutex<Option<String>>,
}

struct RunInfo {
    run_id: String,
    mode: Mode,
    equity_seq: i64,
    risk_seq: i64,
}

/// Executes with a cached prepared statement: the writer runs the same few statements thousands of times.
fn exec<P: rusqlite::Params>(tx: &Transaction<'_>, sql: &str, p: P) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(p)
}

pub(crate) fn begin_run(tx: &Transaction<'_>, run_id: &str, c: &RunConfig, start: &str) -> rusqlite::Result<()> {
    let config = serde_json::to_string(c).unwrap_or_else(|_| "{}".into());
    let symbols = serde_json::to_string(&c.symbols).unwrap_or_else(|_| "[]".into());
    exec(tx, "INSERT OR IGNORE INTO runs (run_id, mode, status, strategy, symbols, exchange, timeframe, config, start_time, last_update)
         VALUES (?1, ?2, 'starting', ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![run_id, c.mode.as_str(), c.strategy_name, symbols, c.exchange, c.timeframe.as_str(), config, start],
    )?;
    exec(
        tx,
        "INSERT INTO run_status (run_id, status, at) VALUES (?1, 'starting', ?2)",
        params![run_id, start],
    )?;
    Ok(())
}

fn set_status(tx: &Transaction<'_>, run_id: &str, status: &str, at: &str) -> rusqlite::Result<()> {
    exec(
        tx,
        "UPDATE runs SET status = ?2, last_update = ?3 WHERE run_id = ?1",
        params![run_id, status, at],
    )?;
    exec(
        tx,
        "INSERT INTO run_status (run_id, status, at) VALUES (?1, ?2, ?3)",
        params![run_id, status, at],
    )?;
    Ok(())
}

fn put_order(tx: &Transaction<'_>, run_id: &str, o: &OrderRecord, at: i64) -> rusqlite::Result<()> {
    exec(tx, "INSERT OR REPLACE INTO orders (run_id, order_id, symbol, side, type, amount, price, stop_price, status, filled, average_price, reason, created_at, updated_at, fee, fee_asset)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![run_id, o.id, o.symbol, o.side, o.order_type, o.amount, o.price, o.stop_price, o.status, o.filled, o.average_price, o.reason, o.created_at, o.updated_at, o.fee, o.fee_asset],
    )?;
    exec(
        tx,
        "INSERT INTO order_events (run_id, order_id, status, filled, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![run_id, o.id, o.status, o.filled, at],
    )?;
    Ok(())
}

fn put_fill(tx: &Transaction<'_>, run_id: &str, t: &TradeRecord) -> rusqlite::Result<()> {
    exec(tx, "INSERT OR REPLACE INTO fills (run_id, fill_id, order_id, timestamp, symbol, side, size, price, value, commission, pnl, fee, fee_asset)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![run_id, t.id, t.order_id, t.timestamp, t.symbol, t.side, t.size, t.price, t.value, t.commission, t.pnl, t.fee, t.fee_asset],
    )?;
    Ok(())
}

fn put_risk_event(tx: &Transaction<'_>, run_id: &str, seq: i64, e: &RiskEventRecord) -> rusqlite::Result<()> {
    let json = serde_json::to_string(e).unwrap_or_else(|_| "{}".into());
    exec(
        tx,
        "INSERT OR REPLACE INTO risk_events (run_id, seq, event) VALUES (?1, ?2, ?3)",
        params![run_id, seq, json],
    )?;
    Ok(())
}

fn put_equity(tx: &Transaction<'_>, run_id: &str, seq: i64, e: &EquityRecord) -> rusqlite::Result<()> {
    exec(tx, "INSERT OR REPLACE INTO equity (run_id, seq, timestamp, value, cash, pnl, benchmark) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![run_id, seq, e.timestamp, e.value, e.cash, e.pnl, e.benchmark],
    )?;
    Ok(())
}

/// The final word on a run: outcome, metrics, and every order and fill. A backtest stores its
/// records as blobs (its equity the results curve: all points, or an even 5000-point downsample, as
/// the results say); a paper/live run keeps every point it recorded unless it recorded fewer.
pub(crate) fn finish_run(tx: &Transaction<'_>, r: &ResultsResponse) -> rusqlite::Result<()> {
    let end = r.end_time.clone().unwrap_or_else(crate::run::backtest::now_iso);
    let metrics = serde_json::to_string(&r.performance_metrics).ok();
    let warnings = serde_json::to_string(&r.warnings).unwrap_or_else(|_| "[]".into());
    exec(tx, "UPDATE runs SET status = ?2, end_time = ?3, final_value = ?4, error = ?5, metrics = ?6, equity_points_total = ?7, warnings = ?8, last_update = ?3,
         stop_reason = ?9, trading_paused = ?10 WHERE run_id = ?1",
        params![r.run_id, r.status.as_str(), end, r.final_value, r.error, metrics, r.equity_points_total as i64, warnings, r.stop_reason, r.trading_paused],
    )?;
    if let Some(report) = &r.optimization {
        let json = serde_json::to_string(report).ok();
        exec(
            tx,
            "UPDATE runs SET optimization = ?2 WHERE run_id = ?1",
            params![r.run_id, json],
        )?;
    }
    for (i, e) in r.risk_events.iter().enumerate() {
        put_risk_event(tx, &r.run_id, i as i64, e)?;
    }
    exec(
        tx,
        "INSERT INTO run_status (run_id, status, at) VALUES (?1, ?2, ?3)",
        params![r.run_id, r.status.as_str(), end],
    )?;
    // A backtest's records go into three blobs here; live and paper runs wrote each change as it happened.
    if r.config.mode == Mode::Backtest {
        use super::columns::{encode_equity, encode_fills, encode_orders};
        // Encoding and compressing dominate a large backtest's save: the orders on one core, the rest
        // on the other.
        let (orders, (fills, equity)) = if r.orders.len() + r.trades.len() < 2_000 {
            (
                encode_orders(&r.orders),
                (encode_fills(&r.trades), encode_equity(&r.equity_curve)),
            )
        } else {
            std::thread::scope(|sc| {
                let orders = sc.spawn(|| encode_orders(&r.orders));
                let rest = (encode_fills(&r.trades), encode_equity(&r.equity_curve));
                match orders.join() {
                    Ok(o) => (o, rest),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            })
        };
        exec(
            tx,
            "INSERT OR REPLACE INTO run_data (run_id, orders, fills, equity, fill_count) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![r.run_id, orders, fills, equity, r.trades.len() as i64],
        )?;
        return Ok(());
    }
    for o in &r.orders {
        let known: Option<String> = tx
            .query_row(
                "SELECT status FROM orders WHERE run_id = ?1 AND order_id = ?2",
                params![r.run_id, o.id],
                |x| x.get(0),
            )
            .ok();
        if known.as_deref() != Some(o.status.as_str()) {
            put_order(tx, &r.run_id, o, chrono::Utc::now().timestamp_millis())?;
        }
    }
    for t in &r.trades {
        put_fill(tx, &r.run_id, t)?;
    }
    let stored: i64 = tx.query_row("SELECT COUNT(*) FROM equity WHERE run_id = ?1", [&r.run_id], |x| {
        x.get(0)
    })?;
    if (stored as usize) < r.equity_curve.len() {
        exec(tx, "DELETE FROM equity WHERE run_id = ?1", [&r.run_id])?;
        for (i, e) in r.equity_curve.iter().enumerate() {
            put_equity(tx, &r.run_id, i as i64, e)?;
        }
    }
    Ok(())
}

/// Commits one batch; returns how many records were written.
fn persist(store: &mut Store, runs: &mut HashMap<u64, RunInfo>, batch: &[(u64, WorkerEvent)]) -> Result<u64, String> {
    let tx = store.transaction().map_err(|e| e.to_string())?;
    let mut n = 0;
    let now = crate::run::backtest::now_iso();
    for (generation, ev) in batch {
        let res = match ev {
            WorkerEvent::Begin {
                run_id,
                config,
                start_time,
            } => {
                runs.insert(
                    *generation,
                    RunInfo {
                        run_id: run_id.clone(),
                        mode: config.mode,
                        equity_seq: 0,
                        risk_seq: 0,
                    },
                );
                begin_run(&tx, run_id, config, start_time)
            }
            other => {
                let Some(run) = runs.get_mut(generation) else { continue };
                let live = run.mode != Mode::Backtest;
                match other {
                    WorkerEvent::Running => set_status(&tx, &run.run_id, "running", &now),
                    WorkerEvent::Order(o, at) if live => put_order(&tx, &run.run_id, o, *at),
                    WorkerEvent::Fill(t) if live => put_fill(&tx, &run.run_id, t),
                    WorkerEvent::Progress { equity, kept: true, .. } if live => {
                        run.equity_seq += 1;
                        put_equity(&tx, &run.run_id, run.equity_seq - 1, equity)
                    }
                    WorkerEvent::Risk(e) => {
                        run.risk_seq += 1;
                        put_risk_event(&tx, &run.run_id, run.risk_seq - 1, e)
                    }
                    WorkerEvent::Finished(r) => finish_run(&tx, r),
                    _ => continue,
                }
            }
        };
        res.map_err(|e| e.to_string())?;
        n += 1;
    }
    for (g, ev) in batch {
        if let (Some(run), false) = (runs.get(g), matches!(ev, WorkerEvent::Finished(_))) {
            exec(
                &tx,
                "UPDATE runs SET last_update = ?2 WHERE run_id = ?1",
                params![run.run_id, now],
            )
            .map_err(|e| e.to_string())?;
            break;
        }
    }
    tx.commit().map_err(|e| e.to_string())?;
    for (g, ev) in batch {
        if matches!(ev, WorkerEvent::Finished(_)) {
            runs.remove(g);
        }
    }
    Ok(n)
}

/// Runs the writer until every sender is gone: persist a batch, then forward it.
pub fn run(
    mut store: Store,
    mut rx: UnboundedReceiver<(u64, WorkerEvent)>,
    forward: UnboundedSender<(u64, WorkerEvent)>,
    stats: Arc<WriterStats>,
) {
    let mut runs = HashMap::new();
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        match persist(&mut store, &mut runs, &batch) {
            Ok(n) => {
                stats.committed.fetch_add(n, Ordering::Relaxed);
                if let Ok(mut e) = stats.error.lock() {
                    *e = None;
                }
            }
            Err(e) => {
                tracing::error!("storing run data failed: {e}");
                if let Ok(mut slot) = stats.error.lock() {
                    *slot = Some(e);
                }
            }
        }
        stats.queued.fetch_sub(batch.len() as u64, Ordering::Relaxed);
        for m in batch {
            if forward.send(m).is_err() {
                return;
            }
        }
    }
}

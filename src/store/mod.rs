//! Run history in SQLite (`<data dir>/cracktrader.db`, WAL): every run's request (secrets already
//! redacted), status transitions, orders with each status change, fills, equity, metrics and outcome.
//! Restarting loses nothing that was reported: the writer commits before anything is published.

pub mod columns;
pub mod csv;
pub mod schema;
pub mod writer;

pub use csv::{equity_csv, trades_csv};

use crate::engine::metrics::PerformanceMetrics;
use crate::run::config::RunConfig;
use crate::run::results::{
    downsample_indices, EquityRecord, OrderRecord, ResultsResponse, RiskEventRecord, TradeRecord, MAX_EQUITY_POINTS,
};
use crate::run::RunStatus;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: database was written by a newer version (schema {found}, this program knows up to {known}); refusing to touch it")]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("{path}: {message}")]
    Open { path: PathBuf, message: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored data is unreadable: {0}")]
    Decode(String),
}

pub struct Store {
    conn: Connection,
    pub path: PathBuf,
}

/// One line of the run history.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RunSummary {
    pub run_id: String,
    pub mode: String,
    pub status: String,
    pub strategy: String,
    pub symbols: Vec<String>,
    pub exchange: String,
    pub timeframe: String,
    #[schema(format = DateTime)]
    pub start_time: String,
    #[schema(format = DateTime)]
    pub end_time: Option<String>,
    pub final_value: Option<f64>,
    pub initial_cash: Option<f64>,
    pub trade_count: u64,
    pub error: Option<String>,
    /// Bytes the run's records take in the history (its blobs, or its rows' values).
    pub stored_bytes: u64,
}

/// What `prune` removed. `freed_bytes` is the space the runs took; with `vacuumed` the file shrank by
/// about that much, otherwise the space is reused by later runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PruneReport {
    pub deleted: u64,
    /// The runs removed, newest first.
    pub run_ids: Vec<String>,
    pub freed_bytes: u64,
    /// Whether the file was compacted (VACUUM) because a quarter of it or more was freed.
    pub vacuumed: bool,
}

/// A window of one of a run's lists: `offset` items skipped, at most `limit` returned (all when
/// `None`). Pages of `/runs/{run_id}/orders` and the like, and the streamed CSV exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub offset: usize,
    pub limit: Option<usize>,
}

impl Window {
    pub const ALL: Window = Window { offset: 0, limit: None };

    /// SQLite's `LIMIT ?, OFFSET ?` (-1: no limit).
    fn sql(self) -> (i64, i64) {
        let limit = self.limit.map_or(-1, |l| l.min(i64::MAX as usize) as i64);
        (limit, self.offset.min(i64::MAX as usize) as i64)
    }

    /// The window of a list already in memory, and the list's length.
    fn slice<T>(self, mut v: Vec<T>) -> (Vec<T>, usize) {
        let total = v.len();
        let start = self.offset.min(total);
        let end = self.limit.map_or(total, |l| start.saturating_add(l).min(total));
        v.truncate(end);
        v.drain(..start);
        (v, total)
    }
}

#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub limit: usize,
    pub offset: usize,
    pub status: Option<String>,
    pub mode: Option<String>,
}

fn now_iso() -> String {
    crate::run::backtest::now_iso()
}

impl Store {
    pub fn db_path(data_dir: &Path) -> PathBuf {
        data_dir.join("cracktrader.db")
    }

    /// Opens (creating if needed) and migrates the database.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let err = |message: String| StoreError::Open {
            path: path.to_path_buf(),
            message,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(format!("cannot create the data directory: {e}")))?;
        }
        let conn = Connection::open(path).map_err(|e| err(format!("cannot open the database: {e}")))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| {
                err(format!(
                    "not a readable SQLite database ({e}); move it aside to start fresh"
                ))
            })?;
        if found > schema::current_version() {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found,
                known: schema::current_version(),
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| err(format!("cannot enable WAL (is the database locked?): {e}")))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store
            .migrate(found)
            .map_err(|e| err(format!("migration failed: {e}")))?;
        Ok(store)
    }

    fn migrate(&mut self, from: i64) -> Result<(), rusqlite::Error> {
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(from as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    pub fn version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    pub(crate) fn transaction(&mut self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        Ok(self.conn.transaction()?)
    }

    /// Runs left `starting`/`running` by a crash become `failed` with error `interrupted`, ended at the
    /// time of their last record. Returns their ids.
    pub fn mark_interrupted(&mut self) -> Result<Vec<String>, StoreError> {
        let tx = self.conn.transaction()?;
        let ids: Vec<(String, String)> = {
            let mut st = tx.prepare("SELECT run_id, last_update FROM runs WHERE status IN ('starting', 'running')")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, last) in &ids {
            tx.execute(
                "UPDATE runs SET status = 'failed', error = 'interrupted', end_time = ?2 WHERE run_id = ?1",
                params![id, last],
            )?;
            tx.execute(
                "INSERT INTO run_status (run_id, status, at) VALUES (?1, 'failed', ?2)",
                params![id, now_iso()],
            )?;
        }
        tx.commit()?;
        Ok(ids.into_iter().map(|(id, _)| id).collect())
    }

    /// Orders of the given (interrupted) runs that were not final when the process died.
    pub fn unfinished_orders(&self, run_id: &str) -> Result<Vec<OrderRecord>, StoreError> {
        Ok(self
            .orders(run_id)?
            .into_iter()
            .filter(|o| !matches!(o.status.as_str(), "filled" | "cancelled" | "rejected"))
            .collect())
    }

    /// Records what the exchange says about an order after a restart.
    pub fn reconcile_order(
        &mut self,
        run_id: &str,
        order_id: &str,
        status: &str,
        filled: f64,
        note: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE orders SET status = ?3, filled = ?4, reason = ?5, updated_at = ?6 WHERE run_id = ?1 AND order_id = ?2",
            params![run_id, order_id, status, filled, note, now_iso()],
        )?;
        tx.execute(
            "INSERT INTO order_events (run_id, order_id, status, filled, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![run_id, order_id, status, filled, chrono::Utc::now().timestamp_millis()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The config of a stored run.
    pub fn config(&self, run_id: &str) -> Result<Option<RunConfig>, StoreError> {
        let c: Option<String> = self
            .conn
            .query_row("SELECT config FROM runs WHERE run_id = ?1", [run_id], |r| r.get(0))
            .optional()?;
        c.map(|c| serde_json::from_str(&c).map_err(|e| StoreError::Decode(format!("config of {run_id}: {e}"))))
            .transpose()
    }

    pub fn list(&self, f: &RunFilter) -> Result<Vec<RunSummary>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT r.run_id, r.mode, r.status, r.strategy, r.symbols, r.exchange, r.timeframe, r.start_time, r.end_time,
                    r.final_value, r.config, r.error,
                    COALESCE((SELECT d.fill_count FROM run_data d WHERE d.run_id = r.run_id),
                             (SELECT COUNT(*) FROM fills f WHERE f.run_id = r.run_id)),
                    COALESCE((SELECT LENGTH(d.orders) + LENGTH(d.fills) + LENGTH(d.equity) FROM run_data d WHERE d.run_id = r.run_id), 0)
                    + COALESCE((SELECT SUM(LENGTH(o.order_id) + LENGTH(o.symbol) + LENGTH(o.status) + LENGTH(o.created_at) + LENGTH(o.updated_at) + 48) FROM orders o WHERE o.run_id = r.run_id), 0)
                    + COALESCE((SELECT SUM(LENGTH(f.fill_id) + LENGTH(f.order_id) + LENGTH(f.timestamp) + LENGTH(f.symbol) + 56) FROM fills f WHERE f.run_id = r.run_id), 0)
                    + COALESCE((SELECT SUM(LENGTH(e.timestamp) + 40) FROM equity e WHERE e.run_id = r.run_id), 0)
                    + LENGTH(r.config)
             FROM runs r
             WHERE (?1 IS NULL OR r.status = ?1) AND (?2 IS NULL OR r.mode = ?2)
             ORDER BY r.start_time DESC, r.rowid DESC LIMIT ?3 OFFSET ?4",
        )?;
        let rows = st.query_map(params![f.status, f.mode, f.limit.max(1) as i64, f.offset as i64], |r| {
            let symbols: String = r.get(4)?;
            let config: String = r.get(10)?;
            let initial = serde_json::from_str::<serde_json::Value>(&config)
                .ok()
                .and_then(|c| c["initial_cash"].as_f64());
            Ok(RunSummary {
                run_id: r.get(0)?,
                mode: r.get(1)?,
                status: r.get(2)?,
                strategy: r.get(3)?,
                symbols: serde_json::from_str(&symbols).unwrap_or_default(),
                exchange: r.get(5)?,
                timeframe: r.get(6)?,
                start_time: r.get(7)?,
                end_time: r.get(8)?,
                final_value: r.get(9)?,
                initial_cash: initial,
                trade_count: r.get::<_, i64>(12)? as u64,
                error: r.get(11)?,
                stored_bytes: r.get::<_, i64>(13)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn status_of(&self, run_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT status FROM runs WHERE run_id = ?1", [run_id], |r| r.get(0))
            .optional()?)
    }

    /// Status transitions with their times, oldest first.
    pub fn history(&self, run_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT status, at FROM run_status WHERE run_id = ?1 ORDER BY rowid")?;
        let rows = st.query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every status an order went through, oldest first.
    pub fn order_events(&self, run_id: &str, order_id: &str) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT status FROM order_events WHERE run_id = ?1 AND order_id = ?2 ORDER BY rowid")?;
        let rows = st.query_map([run_id, order_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn delete(&mut self, run_id: &str) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        for t in [
            "run_status",
            "orders",
            "order_events",
            "fills",
            "equity",
            "risk_events",
            "run_data",
        ] {
            tx.execute(&format!("DELETE FROM {t} WHERE run_id = ?1"), [run_id])?;
        }
        let n = tx.execute("DELETE FROM runs WHERE run_id = ?1", [run_id])?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// Deletes finished runs beyond the newest `keep` and runs started more than `older_than_days`
    /// ago (either rule deletes; at least one must be given). Runs still starting or running are never
    /// touched. Compacts the file when a quarter of it or more became free.
    pub fn prune(&mut self, keep: Option<usize>, older_than_days: Option<f64>) -> Result<PruneReport, StoreError> {
        let cutoff = older_than_days.map(|d| {
            let ms = (d * 86_400_000.0).min(1e15) as i64;
            crate::data::validate::fmt_ts(chrono::Utc::now().timestamp_millis() - ms)
        });
        let ids: Vec<(String, String)> = {
            let mut st = self.conn.prepare(
                "SELECT run_id, start_time FROM runs WHERE status NOT IN ('starting', 'running')
                 ORDER BY start_time DESC, rowid DESC",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let doomed: Vec<String> = ids
            .into_iter()
            .enumerate()
            .filter(|(i, (_, start))| {
                keep.is_some_and(|k| *i >= k) || cutoff.as_deref().is_some_and(|c| start.as_str() < c)
            })
            .map(|(_, (id, _))| id)
            .collect();
        let pragma = |s: &Store, sql: &str| -> Result<i64, StoreError> { Ok(s.conn.query_row(sql, [], |r| r.get(0))?) };
        let (pages, free_before, page) = (
            pragma(self, "PRAGMA page_count")?,
            pragma(self, "PRAGMA freelist_count")?,
            pragma(self, "PRAGMA page_size")?,
        );
        for id in &doomed {
            self.delete(id)?;
        }
        let free = pragma(self, "PRAGMA freelist_count")?;
        let vacuumed = !doomed.is_empty() && free * 4 >= pages;
        if vacuumed {
            self.conn.execute_batch("VACUUM")?;
        }
        Ok(PruneReport {
            deleted: doomed.len() as u64,
            run_ids: doomed,
            freed_bytes: ((free - free_before).max(0) * page) as u64,
            vacuumed,
        })
    }

    /// The newest finished run.
    pub fn last_finished(&self) -> Result<Option<ResultsResponse>, StoreError> {
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT run_id FROM runs WHERE status IN ('completed', 'failed', 'stopped') ORDER BY start_time DESC, rowid DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => self.results(&id),
            None => Ok(None),
        }
    }

    /// A stored run as a `ResultsResponse` (the same JSON as `/results`).
    pub fn results(&self, run_id: &str) -> Result<Option<ResultsResponse>, StoreError> {
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<f64>,
            Option<String>,
            Option<String>,
            i64,
            String,
            (Option<String>, Option<String>, Option<String>),
        );
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT config, status, start_time, end_time, final_value, error, metrics, equity_points_total, warnings, stop_reason, trading_paused, optimization FROM runs WHERE run_id = ?1",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, (r.get(9)?, r.get(10)?, r.get(11)?))),
            )
            .optional()?;
        let Some((
            config,
            status,
            start,
            end,
            final_value,
            error,
            metrics,
            total,
            warnings,
            (stop_reason, trading_paused, optimization),
        )) = row
        else {
            return Ok(None);
        };
        let config: RunConfig =
            serde_json::from_str(&config).map_err(|e| StoreError::Decode(format!("config of {run_id}: {e}")))?;
        let status: RunStatus = serde_json::from_value(serde_json::Value::String(status.clone()))
            .map_err(|_| StoreError::Decode(format!("status '{status}'")))?;
        let metrics: PerformanceMetrics = metrics.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default();
        let orders = self.orders(run_id)?;
        let trades = self.fills(run_id)?;
        let (orders_total, trades_total) = (orders.len(), trades.len());
        // A paper or live run stores its curve as it goes (up to hundreds of thousands of points);
        // shown, it is downsampled like a finished run's `/results`.
        let stored = self.equity(run_id)?;
        let stored_len = stored.len();
        let equity_curve = if stored_len > MAX_EQUITY_POINTS {
            let keep = downsample_indices(stored_len, MAX_EQUITY_POINTS);
            keep.into_iter().map(|i| stored[i].clone()).collect()
        } else {
            stored
        };
        let positions = Vec::new();
        Ok(Some(ResultsResponse {
            run_id: run_id.to_string(),
            final_value: final_value.unwrap_or(config.initial_cash),
            config,
            status,
            start_time: start,
            end_time: end,
            orders,
            trades,
            positions,
            equity_points_total: (total as usize).max(stored_len),
            equity_curve,
            performance_metrics: metrics,
            error,
            warnings: serde_json::from_str(&warnings).unwrap_or_default(),
            risk_events: self.risk_events(run_id)?,
            stop_reason,
            trading_paused,
            orders_total,
            trades_total,
            optimization: match optimization {
                Some(json) => Some(
                    serde_json::from_str(&json)
                        .map_err(|e| StoreError::Decode(format!("optimization of {run_id}: {e}")))?,
                ),
                None => None,
            },
        }))
    }

    pub fn risk_events(&self, run_id: &str) -> Result<Vec<RiskEventRecord>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT event FROM risk_events WHERE run_id = ?1 ORDER BY seq")?;
        let rows = st.query_map([run_id], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for json in rows {
            let json = json?;
            out.push(
                serde_json::from_str(&json).map_err(|e| StoreError::Decode(format!("risk event of {run_id}: {e}")))?,
            );
        }
        Ok(out)
    }

    /// Whether the history has run `run_id`.
    pub fn exists(&self, run_id: &str) -> Result<bool, StoreError> {
        Ok(self.count("SELECT COUNT(*) FROM runs WHERE run_id = ?1", run_id)? > 0)
    }

    /// Whether the run's lists are stored as blobs (a backtest: read whole, then windowed) rather
    /// than rows (paper and live: read a window at a time).
    pub fn has_blobs(&self, run_id: &str) -> Result<bool, StoreError> {
        Ok(self.count("SELECT COUNT(*) FROM run_data WHERE run_id = ?1", run_id)? > 0)
    }

    fn count(&self, sql: &str, run_id: &str) -> Result<usize, StoreError> {
        let n: i64 = self.conn.query_row(sql, [run_id], |r| r.get(0))?;
        Ok(n.max(0) as usize)
    }

    /// One of a backtest's blobs (`orders`, `fills`, `equity`); None for runs stored row by row.
    fn blob(&self, run_id: &str, column: Blob) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = match column {
            Blob::Orders => "SELECT orders FROM run_data WHERE run_id = ?1",
            Blob::Fills => "SELECT fills FROM run_data WHERE run_id = ?1",
            Blob::Equity => "SELECT equity FROM run_data WHERE run_id = ?1",
        };
        Ok(self.conn.query_row(sql, [run_id], |r| r.get(0)).optional()?)
    }

    fn decoded<T>(
        &self,
        run_id: &str,
        column: Blob,
        decode: fn(&[u8]) -> Result<Vec<T>, columns::CodecError>,
    ) -> Result<Option<Vec<T>>, StoreError> {
        self.blob(run_id, column)?
            .map(|b| decode(&b).map_err(|e| StoreError::Decode(format!("{run_id}: {e}"))))
            .transpose()
    }

    pub fn orders(&self, run_id: &str) -> Result<Vec<OrderRecord>, StoreError> {
        Ok(self.orders_in(run_id, Window::ALL)?.0)
    }

    /// A window of a run's orders, oldest first, and how many it has in all.
    pub fn orders_in(&self, run_id: &str, w: Window) -> Result<(Vec<OrderRecord>, usize), StoreError> {
        if let Some(v) = self.decoded(run_id, Blob::Orders, columns::decode_orders)? {
            return Ok(w.slice(v));
        }
        let total = self.count("SELECT COUNT(*) FROM orders WHERE run_id = ?1", run_id)?;
        let mut st = self.conn.prepare(
            "SELECT order_id, symbol, side, type, amount, price, stop_price, status, filled, average_price, reason, created_at, updated_at, fee, fee_asset
             FROM orders WHERE run_id = ?1 ORDER BY CAST(order_id AS INTEGER), order_id LIMIT ?2 OFFSET ?3",
        )?;
        let (limit, offset) = w.sql();
        let rows = st.query_map(params![run_id, limit, offset], |r| {
            Ok(OrderRecord {
                id: r.get(0)?,
                symbol: r.get(1)?,
                side: r.get(2)?,
                order_type: r.get(3)?,
                amount: r.get(4)?,
                price: r.get(5)?,
                stop_price: r.get(6)?,
                status: r.get(7)?,
                filled: r.get(8)?,
                average_price: r.get(9)?,
                reason: r.get(10)?,
                created_at: r.get(11)?,
                updated_at: r.get(12)?,
                fee: r.get(13)?,
                fee_asset: r.get(14)?,
            })
        })?;
        Ok((rows.collect::<Result<_, _>>()?, total))
    }

    pub fn fills(&self, run_id: &str) -> Result<Vec<TradeRecord>, StoreError> {
        Ok(self.fills_in(run_id, Window::ALL)?.0)
    }

    /// A window of a run's fills, oldest first, and how many it has in all.
    pub fn fills_in(&self, run_id: &str, w: Window) -> Result<(Vec<TradeRecord>, usize), StoreError> {
        if let Some(v) = self.decoded(run_id, Blob::Fills, columns::decode_fills)? {
            return Ok(w.slice(v));
        }
        let total = self.count("SELECT COUNT(*) FROM fills WHERE run_id = ?1", run_id)?;
        let mut st = self.conn.prepare(
            "SELECT fill_id, order_id, timestamp, symbol, side, size, price, value, commission, pnl, fee, fee_asset
             FROM fills WHERE run_id = ?1 ORDER BY CAST(fill_id AS INTEGER), fill_id LIMIT ?2 OFFSET ?3",
        )?;
        let (limit, offset) = w.sql();
        let rows = st.query_map(params![run_id, limit, offset], |r| {
            Ok(TradeRecord {
                id: r.get(0)?,
                order_id: r.get(1)?,
                timestamp: r.get(2)?,
                symbol: r.get(3)?,
                side: r.get(4)?,
                size: r.get(5)?,
                price: r.get(6)?,
                value: r.get(7)?,
                commission: r.get(8)?,
                pnl: r.get(9)?,
                fee: r.get(10)?,
                fee_asset: r.get(11)?,
            })
        })?;
        Ok((rows.collect::<Result<_, _>>()?, total))
    }

    pub fn equity(&self, run_id: &str) -> Result<Vec<EquityRecord>, StoreError> {
        Ok(self.equity_in(run_id, Window::ALL)?.0)
    }

    /// A window of a run's stored equity points, oldest first, and how many it has in all.
    pub fn equity_in(&self, run_id: &str, w: Window) -> Result<(Vec<EquityRecord>, usize), StoreError> {
        if let Some(v) = self.decoded(run_id, Blob::Equity, columns::decode_equity)? {
            return Ok(w.slice(v));
        }
        let total = self.count("SELECT COUNT(*) FROM equity WHERE run_id = ?1", run_id)?;
        let mut st = self.conn.prepare(
            "SELECT timestamp, value, cash, pnl, benchmark FROM equity WHERE run_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3",
        )?;
        let (limit, offset) = w.sql();
        let rows = st.query_map(params![run_id, limit, offset], |r| {
            Ok(EquityRecord {
                timestamp: r.get(0)?,
                value: r.get(1)?,
                cash: r.get(2)?,
                pnl: r.get(3)?,
                benchmark: r.get(4)?,
            })
        })?;
        Ok((rows.collect::<Result<_, _>>()?, total))
    }

    /// Stores a whole finished run at once (CLI backtests, and the final word on any run).
    pub fn save_results(&mut self, r: &ResultsResponse) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        writer::begin_run(&tx, &r.run_id, &r.config, &r.start_time)?;
        writer::finish_run(&tx, r)?;
        tx.commit()?;
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Blob {
    Orders,
    Fills,
    Equity,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::config::{self, RunRequest};

    fn backtest(strategy: &str) -> ResultsResponse {
        let req = RunRequest::backtest(strategy, &["BTC/USDT"], "1h").between("2024-01-01", "2024-04-01");
        let cfg = config::validate(&req, &["sim".into()]).unwrap();
        crate::run::backtest::run(Path::new("/nonexistent"), cfg, &crate::run::backtest::NoFetch).unwrap()
    }

    #[test]
    fn a_long_paper_runs_stored_curve_is_shown_downsampled() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&Store::db_path(d.path())).unwrap();
        let mut r = backtest("BuyAndHold");
        r.config.mode = crate::run::config::Mode::Paper;
        let point = r.equity_curve[0].clone();
        r.equity_curve = vec![point; 12_345];
        s.save_results(&r).unwrap();
        assert_eq!(s.equity(&r.run_id).unwrap().len(), 12_345, "everything is on disk");
        let back = s.results(&r.run_id).unwrap().unwrap();
        assert_eq!(back.equity_curve.len(), MAX_EQUITY_POINTS);
        assert_eq!(back.equity_points_total, 12_345);
    }

    #[test]
    fn windows_of_a_paper_runs_rows_and_of_a_backtests_blobs_agree() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&Store::db_path(d.path())).unwrap();
        let bt = backtest("MovingAverageCross");
        let mut paper = bt.clone();
        paper.run_id = "run-paper".into();
        paper.config.mode = crate::run::config::Mode::Paper;
        s.save_results(&bt).unwrap();
        s.save_results(&paper).unwrap();
        assert!(s.has_blobs(&bt.run_id).unwrap() && !s.has_blobs("run-paper").unwrap());
        let n = bt.trades.len();
        assert!(n > 4);
        for id in [bt.run_id.as_str(), "run-paper"] {
            let w = Window {
                offset: 2,
                limit: Some(3),
            };
            let (page, total) = s.fills_in(id, w).unwrap();
            assert_eq!((total, page.as_slice()), (n, &bt.trades[2..5]), "{id}");
            let (tail, _) = s
                .orders_in(
                    id,
                    Window {
                        offset: bt.orders.len() - 1,
                        limit: Some(10),
                    },
                )
                .unwrap();
            assert_eq!(tail.len(), 1, "{id}");
            let (past, total) = s
                .equity_in(
                    id,
                    Window {
                        offset: usize::MAX,
                        limit: Some(5),
                    },
                )
                .unwrap();
            assert!(past.is_empty() && total == bt.equity_curve.len(), "{id}");
        }
        assert!(s.exists("run-paper").unwrap() && !s.exists("run-nope").unwrap());
    }

    #[test]
    fn a_run_round_trips() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&Store::db_path(d.path())).unwrap();
        let r = backtest("MovingAverageCross");
        assert!(!r.trades.is_empty());
        s.save_results(&r).unwrap();
        let back = s.results(&r.run_id).unwrap().unwrap();
        assert_eq!(back.trades, r.trades);
        assert_eq!(back.orders, r.orders);
        assert_eq!(back.equity_curve, r.equity_curve);
        assert_eq!(back.performance_metrics, r.performance_metrics);
        assert_eq!(
            (back.status, back.final_value, back.equity_points_total),
            (r.status, r.final_value, r.equity_points_total)
        );
        assert_eq!(
            serde_json::to_value(&back.config).unwrap(),
            serde_json::to_value(&r.config).unwrap()
        );
        assert_eq!(s.last_finished().unwrap().unwrap().run_id, r.run_id);
        assert_eq!(
            s.history(&r.run_id)
                .unwrap()
                .iter()
                .map(|h| h.0.as_str())
                .collect::<Vec<_>>(),
            vec!["starting", "completed"]
        );
        assert!(trades_csv(&back.trades).lines().count() == back.trades.len() + 1);
        // A backtest is three blobs, not a row per record, and is listed with its fill count.
        let rows = |s: &Store, t: &str| -> i64 {
            s.conn
                .query_row(
                    &format!("SELECT COUNT(*) FROM {t} WHERE run_id = ?1"),
                    [&r.run_id],
                    |x| x.get(0),
                )
                .unwrap()
        };
        let counts = ["orders", "fills", "equity", "run_data"].map(|t| rows(&s, t));
        assert_eq!(counts, [0, 0, 0, 1]);
        let listed = s
            .list(&RunFilter {
                limit: 5,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(listed[0].trade_count as usize, r.trades.len());
        assert!(s.delete(&r.run_id).unwrap());
        assert_eq!(rows(&s, "run_data"), 0);
    }

    #[test]
    fn risk_events_fees_and_stop_reasons_are_kept() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&Store::db_path(d.path())).unwrap();
        let mut req = RunRequest::backtest("BuyAndHold", &["BTC/USDT"], "1h").between("2024-01-01", "2024-04-01");
        req.risk = config::params_from_pairs(&["max_drawdown=0.01".into(), "max_position_value=3000".into()]).unwrap();
        let cfg = config::validate(&req, &["sim".into()]).unwrap();
        let r = crate::run::backtest::run(Path::new("/nonexistent"), cfg, &crate::run::backtest::NoFetch).unwrap();
        assert_eq!(r.stop_reason.as_deref(), Some("RISK_MAX_DRAWDOWN"));
        assert_eq!(r.risk_events.len(), 2);
        s.save_results(&r).unwrap();
        let back = s.results(&r.run_id).unwrap().unwrap();
        assert_eq!(back.risk_events, r.risk_events);
        assert_eq!(back.stop_reason, r.stop_reason);
        assert_eq!(back.trades, r.trades);
        assert_eq!(back.trades[0].fee_asset, "USDT");
        assert_eq!(back.orders, r.orders);
        assert_eq!(back.config.risk, r.config.risk);
        assert!(s.delete(&r.run_id).unwrap());
        assert!(s.risk_events(&r.run_id).unwrap().is_empty());
    }

    #[test]
    fn prune_keeps_the_newest_and_running_runs_and_compacts() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&Store::db_path(d.path())).unwrap();
        let mut ids = Vec::new();
        for _ in 0..4 {
            let r = backtest("MovingAverageCross");
            s.save_results(&r).unwrap();
            ids.push(r.run_id);
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
        // The oldest one is still running (as after a crash before `mark_interrupted`): never pruned.
        s.conn
            .execute("UPDATE runs SET status = 'running' WHERE run_id = ?1", [&ids[0]])
            .unwrap();
        let listed = s
            .list(&RunFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert!(listed.iter().all(|r| r.stored_bytes > 1000), "sizes are listed");
        assert!(
            s.prune(None, Some(1.0)).unwrap().run_ids.is_empty(),
            "nothing is a day old"
        );
        let r = s.prune(Some(1), None).unwrap();
        assert_eq!(r.run_ids, vec![ids[2].clone(), ids[1].clone()]);
        assert!(r.freed_bytes > 0 && r.vacuumed, "{r:?}");
        let left: Vec<String> = s
            .list(&RunFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|r| r.run_id)
            .collect();
        assert_eq!(left, vec![ids[3].clone(), ids[0].clone()]);
        assert_eq!(s.prune(None, Some(0.0)).unwrap().run_ids, vec![ids[3].clone()]);
    }

    #[test]
    fn list_filter_delete_and_interrupted() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&Store::db_path(d.path())).unwrap();
        let a = backtest("BuyAndHold");
        std::thread::sleep(std::time::Duration::from_millis(5));
        let b = backtest("MovingAverageCross");
        s.save_results(&a).unwrap();
        s.save_results(&b).unwrap();
        let all = s
            .list(&RunFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            all.iter().map(|r| r.run_id.clone()).collect::<Vec<_>>(),
            vec![b.run_id.clone(), a.run_id.clone()],
            "newest first"
        );
        assert_eq!(all[1].trade_count, 1);
        assert_eq!(
            s.list(&RunFilter {
                limit: 1,
                offset: 1,
                ..Default::default()
            })
            .unwrap()[0]
                .run_id,
            a.run_id
        );
        assert!(s
            .list(&RunFilter {
                limit: 10,
                mode: Some("paper".into()),
                ..Default::default()
            })
            .unwrap()
            .is_empty());
        // A run left "running" by a crash.
        {
            let tx = s.transaction().unwrap();
            writer::begin_run(&tx, "crashed", &a.config, "2026-01-01T00:00:00.000Z").unwrap();
            tx.execute(
                "UPDATE runs SET status = 'running', last_update = '2026-01-01T00:05:00.000Z' WHERE run_id = 'crashed'",
                [],
            )
            .unwrap();
            tx.commit().unwrap();
        }
        assert_eq!(s.mark_interrupted().unwrap(), vec!["crashed".to_string()]);
        let c = s.results("crashed").unwrap().unwrap();
        assert_eq!(
            (c.status, c.error.as_deref(), c.end_time.as_deref()),
            (RunStatus::Failed, Some("interrupted"), Some("2026-01-01T00:05:00.000Z"))
        );
        assert!(s.delete(&a.run_id).unwrap());
        assert!(!s.delete(&a.run_id).unwrap());
        assert!(s.results(&a.run_id).unwrap().is_none());
    }

    #[test]
    fn migrates_from_the_first_schema_and_refuses_newer_ones() {
        let d = tempfile::tempdir().unwrap();
        let path = Store::db_path(d.path());
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO runs (run_id, mode, status, strategy, symbols, exchange, timeframe, config, start_time, last_update)
                 VALUES ('old', 'backtest', 'completed', 'BuyAndHold', '[\"BTC/USDT\"]', 'sim', '1h', ?1, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
                // A config as round 1 wrote it: no risk limits.
                [{
                    let mut c = serde_json::to_value(backtest("BuyAndHold").config).unwrap();
                    c.as_object_mut().unwrap().remove("risk");
                    c.to_string()
                }],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO fills (run_id, fill_id, order_id, timestamp, symbol, side, size, price, value, commission, pnl)
                 VALUES ('old', '1', '1', '2025-01-01T00:00:00Z', 'BTC/USDT', 'buy', 0.1, 40000, 4000, 4.0, NULL)",
                [],
            )
            .unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.version().unwrap(), schema::current_version());
        let old = s.results("old").unwrap().unwrap();
        assert_eq!((old.status, old.warnings.len()), (RunStatus::Completed, 0));
        assert_eq!(old.config.risk, crate::engine::risk::RiskLimits::default());
        // Older fills were all charged in the quote asset.
        assert_eq!((old.trades[0].fee, old.trades[0].fee_asset.as_str()), (4.0, "USDT"));
        assert!(old.risk_events.is_empty() && old.stop_reason.is_none());
        drop(s);
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(
            err.to_string().contains("newer version") && err.to_string().contains("99"),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "a newer database is never rewritten"
        );
        std::fs::write(&path, b"this is not a database at all, not even close to one....").unwrap();
        let err = Store::open(&path).err().unwrap().to_string();
        assert!(err.contains("cracktrader.db") && err.contains("move it aside"), "{err}");
    }
}

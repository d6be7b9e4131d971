//! Schema migrations. Each entry moves the database from version i to i+1 (`PRAGMA user_version`);
//! a database newer than this program knows is refused, never rewritten.

pub const MIGRATIONS: &[&str] = &[
    // 1: runs, their status history, orders with every status change, fills, equity points.
    r#"
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        mode TEXT NOT NULL,
        status TEXT NOT NULL,
        strategy TEXT NOT NULL,
        symbols TEXT NOT NULL,
        exchange TEXT NOT NULL,
        timeframe TEXT NOT NULL,
        config TEXT NOT NULL,
        start_time TEXT NOT NULL,
        end_time TEXT,
        final_value REAL,
        error TEXT,
        metrics TEXT,
        equity_points_total INTEGER NOT NULL DEFAULT 0,
        last_update TEXT NOT NULL
    );
    CREATE TABLE run_status (run_id TEXT NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL);
    CREATE TABLE orders (
        run_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        type TEXT NOT NULL,
        amount REAL NOT NULL,
        price REAL,
        stop_price REAL,
        status TEXT NOT NULL,
        filled REAL NOT NULL,
        average_price REAL,
        reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (run_id, order_id)
    );
    CREATE TABLE order_events (run_id TEXT NOT NULL, order_id TEXT NOT NULL, status TEXT NOT NULL, filled REAL NOT NULL, at INTEGER NOT NULL);
    CREATE TABLE fills (
        run_id TEXT NOT NULL,
        fill_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        size REAL NOT NULL,
        price REAL NOT NULL,
        value REAL NOT NULL,
        commission REAL NOT NULL,
        pnl REAL,
        PRIMARY KEY (run_id, fill_id)
    );
    CREATE TABLE equity (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        timestamp TEXT NOT NULL,
        value REAL NOT NULL,
        cash REAL NOT NULL,
        pnl REAL NOT NULL,
        benchmark REAL,
        PRIMARY KEY (run_id, seq)
    );
    "#,
    // 2: warnings kept with the run; indexes for history listing and per-run lookups.
    r#"
    ALTER TABLE runs ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
    CREATE INDEX runs_by_start ON runs (start_time DESC);
    CREATE INDEX run_status_by_run ON run_status (run_id);
    CREATE INDEX order_events_by_run ON order_events (run_id);
    "#,
    // 3: fees as the exchange charged them (older fills were all charged in the quote asset), risk
    // interventions, and why a run stopped or paused.
    r#"
    ALTER TABLE orders ADD COLUMN fee REAL NOT NULL DEFAULT 0;
    ALTER TABLE orders ADD COLUMN fee_asset TEXT;
    ALTER TABLE fills ADD COLUMN fee REAL NOT NULL DEFAULT 0;
    ALTER TABLE fills ADD COLUMN fee_asset TEXT NOT NULL DEFAULT '';
    UPDATE fills SET fee = commission, fee_asset = substr(symbol, instr(symbol, '/') + 1);
    ALTER TABLE runs ADD COLUMN stop_reason TEXT;
    ALTER TABLE runs ADD COLUMN trading_paused TEXT;
    CREATE TABLE risk_events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (run_id, seq));
    "#,
    // 4: a backtest's orders, fills and equity curve as three compact blobs (store/columns.rs), written
    // once when it ends; paper and live runs keep one row per record, written as they happen.
    r#"
    CREATE TABLE run_data (
        run_id TEXT PRIMARY KEY,
        orders BLOB NOT NULL,
        fills BLOB NOT NULL,
        equity BLOB NOT NULL,
        fill_count INTEGER NOT NULL
    );
    "#,
    // 5: an optimize run's sweep report (its table of combinations, the best, walk-forward folds).
    r#"
    ALTER TABLE runs ADD COLUMN optimization TEXT;
    "#,
];

pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

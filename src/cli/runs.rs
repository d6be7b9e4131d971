//! `cracktrader-tui runs list|show|export|prune`: the run history.

use super::summary;
use anyhow::{anyhow, bail};
use clap::{Subcommand, ValueEnum};
use cracktrader::store::{equity_csv, trades_csv, RunFilter, Store};
use std::path::Path;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Stored runs, newest first
    List {
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// completed, failed, stopped, running...
        #[arg(long)]
        status: Option<String>,
        /// backtest, paper or live
        #[arg(long)]
        mode: Option<String>,
    },
    /// One run's summary
    Show { run_id: String },
    /// Delete old runs: those beyond the newest N (--keep) and those started more than DAYS ago
    /// (--older-than); runs still running are kept. Compacts the file when much was freed.
    Prune {
        #[arg(long)]
        keep: Option<usize>,
        #[arg(long, value_name = "DAYS")]
        older_than: Option<f64>,
    },
    /// One run's data: json = its ResultsResponse; csv = its fills (or --equity for the equity curve)
    Export {
        run_id: String,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// With --format csv: export the equity curve instead of the fills
        #[arg(long)]
        equity: bool,
    },
}

fn open(data_dir: &Path) -> anyhow::Result<Store> {
    let db = Store::db_path(data_dir);
    if !db.exists() {
        bail!("no runs stored yet in {}", data_dir.display());
    }
    Ok(Store::open(&db)?)
}

/// `812 KB`, `10.4 MB`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / 1048576.0),
    }
}

pub fn run(data_dir: &Path, cmd: RunsCommand) -> anyhow::Result<()> {
    let store = open(data_dir)?;
    match cmd {
        RunsCommand::List {
            limit,
            offset,
            status,
            mode,
        } => {
            let runs = store.list(&RunFilter {
                limit: limit.clamp(1, 10_000),
                offset,
                status,
                mode,
            })?;
            if runs.is_empty() {
                println!("no runs match");
                return Ok(());
            }
            println!(
                "{:<26} {:<9} {:<10} {:<20} {:<22} {:<4} {:<24} {:>8} {:>14} {:>9}",
                "RUN", "MODE", "STATUS", "STRATEGY", "SYMBOLS", "TF", "STARTED", "FILLS", "FINAL VALUE", "STORED"
            );
            for r in runs {
                println!(
                    "{:<26} {:<9} {:<10} {:<20} {:<22} {:<4} {:<24} {:>8} {:>14} {:>9}",
                    r.run_id,
                    r.mode,
                    r.status,
                    r.strategy,
                    r.symbols.join(","),
                    r.timeframe,
                    r.start_time,
                    r.trade_count,
                    r.final_value.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into()),
                    size(r.stored_bytes)
                );
            }
        }
        RunsCommand::Prune { keep, older_than } => {
            if keep.is_none() && older_than.is_none() {
                bail!("say what to delete: --keep N (keep the newest N runs) and/or --older-than DAYS");
            }
            if let Some(d) = older_than.filter(|d| !(d.is_finite() && *d >= 0.0)) {
                bail!("--older-than takes a number of days (0 or more), got {d}");
            }
            let mut store = store;
            let r = store.prune(keep, older_than)?;
            println!(
                "deleted {} run(s), {} freed{}",
                r.deleted,
                size(r.freed_bytes),
                if r.vacuumed { "; the file was compacted" } else { "" }
            );
        }
        RunsCommand::Show { run_id } => {
            let r = store
                .results(&run_id)?
                .ok_or_else(|| anyhow!("no run '{run_id}'; see `cracktrader-tui runs list`"))?;
            print!("{}", summary::render(&r));
            if let Some(o) = &r.optimization {
                print!("\n{}", super::optimize::render(o, 10));
            }
            if let Some(e) = &r.error {
                println!("\n  error: {e}");
            }
            let history: Vec<String> = store
                .history(&run_id)?
                .into_iter()
                .map(|(s, at)| format!("{s} at {at}"))
                .collect();
            println!("\n  status history: {}", history.join(" -> "));
        }
        RunsCommand::Export { run_id, format, equity } => {
            let r = store
                .results(&run_id)?
                .ok_or_else(|| anyhow!("no run '{run_id}'; see `cracktrader-tui runs list`"))?;
            match format {
                Format::Json => println!("{}", serde_json::to_string(&r)?),
                Format::Csv if equity => print!("{}", equity_csv(&r.equity_curve)),
                Format::Csv => print!("{}", trades_csv(&r.trades)),
            }
        }
    }
    Ok(())
}

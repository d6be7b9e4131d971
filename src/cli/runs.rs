//! `cracktrader-tui runs list|show|export`: the run history.

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
                "{:<26} {:<9} {:<10} {:<20} {:<22} {:<4} {:<24} {:>8} {:>14}",
                "RUN", "MODE", "STATUS", "STRATEGY", "SYMBOLS", "TF", "STARTED", "FILLS", "FINAL VALUE"
            );
            for r in runs {
                println!(
                    "{:<26} {:<9} {:<10} {:<20} {:<22} {:<4} {:<24} {:>8} {:>14}",
                    r.run_id,
                    r.mode,
                    r.status,
                    r.strategy,
                    r.symbols.join(","),
                    r.timeframe,
                    r.start_time,
                    r.trade_count,
                    r.final_value.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into())
                );
            }
        }
        RunsCommand::Show { run_id } => {
            let r = store
                .results(&run_id)?
                .ok_or_else(|| anyhow!("no run '{run_id}'; see `cracktrader-tui runs list`"))?;
            print!("{}", summary::render(&r));
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

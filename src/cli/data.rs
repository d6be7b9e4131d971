//! `cracktrader-tui data import|list`: the candle cache.

use anyhow::{anyhow, bail};
use clap::Subcommand;
use cracktrader::data::source::{normalise_exchange, normalise_symbol};
use cracktrader::data::validate::{fmt_ts, infer_timeframe};
use cracktrader::data::{load_file, Cache};
use cracktrader::engine::Timeframe;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Store a candle file in the cache (merged by timestamp with what is already there)
    Import {
        /// CCXT OHLCV JSON, Binance kline CSV or OHLCV CSV
        file: PathBuf,
        #[arg(long)]
        exchange: String,
        #[arg(long)]
        symbol: String,
        #[arg(long)]
        timeframe: String,
    },
    /// Show what is cached
    List,
}

pub fn run(data_dir: &Path, cmd: DataCommand) -> anyhow::Result<()> {
    let cache = Cache::new(data_dir);
    match cmd {
        DataCommand::Import {
            file,
            exchange,
            symbol,
            timeframe,
        } => {
            let exchange = normalise_exchange(&exchange).map_err(|e| anyhow!(e))?;
            if exchange == "sim" {
                bail!("`sim` candles are generated, not imported; use another exchange id such as binance");
            }
            let symbol = normalise_symbol(&symbol).map_err(|e| anyhow!(e))?;
            let tf: Timeframe = timeframe.parse()?;
            let loaded = load_file(&file, Some(tf))?;
            if let Some(found) = infer_timeframe(&loaded.candles) {
                if found != tf {
                    bail!(
                        "{}: the file holds {found} candles but --timeframe is {tf}; import it as {found}",
                        file.display()
                    );
                }
            }
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            if let Some(c) = loaded.candles.iter().find(|c| tf.floor(c.ts) != c.ts) {
                bail!(
                    "{}: candle at {} does not start on a {tf} boundary",
                    file.display(),
                    fmt_ts(c.ts)
                );
            }
            let stats = cache.store(&exchange, &symbol, tf, &loaded.candles)?;
            println!(
                "imported {} candles ({}) into {exchange} {symbol} {tf}: {} new, {} replaced, {} cached in total",
                loaded.candles.len(),
                loaded.format.name(),
                stats.added,
                stats.replaced,
                stats.total
            );
        }
        DataCommand::List => {
            let entries = cache.list()?;
            if entries.is_empty() {
                println!("no cached candles in {}", data_dir.display());
                return Ok(());
            }
            println!(
                "{:<12} {:<14} {:<5} {:<21} {:<21} {:>10}",
                "EXCHANGE", "SYMBOL", "TF", "FIRST", "LAST", "CANDLES"
            );
            for e in entries {
                println!(
                    "{:<12} {:<14} {:<5} {:<21} {:<21} {:>10}",
                    e.exchange,
                    e.symbol,
                    e.timeframe.as_str(),
                    fmt_ts(e.first),
                    fmt_ts(e.last),
                    e.count
                );
            }
        }
    }
    Ok(())
}

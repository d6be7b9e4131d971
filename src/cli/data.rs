//! `cracktrader-tui data import|list`: the candle cache.

use anyhow::{anyhow, bail};
use clap::Subcommand;
use cracktrader::data::cache::conflicts;
use cracktrader::data::source::{normalise_exchange, normalise_symbol, parse_date, EXCHANGES};
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
        /// A known exchange id (binance), or custom:NAME for candles of your own
        #[arg(long)]
        exchange: String,
        #[arg(long)]
        symbol: String,
        #[arg(long)]
        timeframe: String,
        /// Overwrite cached candles that the file has with other values (otherwise that is an error)
        #[arg(long)]
        replace: bool,
        /// Accept candles before 2009 (crypto markets start then; older times usually mean a wrong unit)
        #[arg(long)]
        allow_old: bool,
    },
    /// Show what is cached
    List,
    /// Download candles from an exchange into the cache (only what is missing)
    Download {
        /// Only binance has a connector
        #[arg(long, default_value = "binance")]
        exchange: String,
        #[arg(long)]
        symbol: String,
        #[arg(long)]
        timeframe: String,
        /// First candle (ISO 8601)
        #[arg(long, value_name = "ISO8601")]
        start: String,
        /// Candles opening before this time (ISO 8601) [default: now]
        #[arg(long, value_name = "ISO8601")]
        end: Option<String>,
    },
}

/// 2009-01-01: no crypto market has candles before it.
const OLDEST: i64 = 1_230_768_000_000;

/// The exchange an import goes under: a known exchange id, or `custom:NAME` for the user's own data
/// (which backtests then accept under that name). `sim` is generated, never imported.
fn import_exchange(given: &str) -> anyhow::Result<String> {
    let id = normalise_exchange(given).map_err(|e| anyhow!(e))?;
    match id.as_str() {
        custom if custom.starts_with("custom:") => Ok(id),
        "sim" => bail!("`sim` candles are generated, not imported; use binance or custom:NAME"),
        known if EXCHANGES.contains(&known) => Ok(id),
        other => bail!(
            "unknown exchange '{other}': use one of {} or custom:NAME for candles of your own",
            EXCHANGES
                .iter()
                .filter(|e| **e != "sim")
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `\r`-redrawn progress bar on stderr.
fn progress_bar(label: &str, done: usize, total: usize) {
    let total = total.max(1);
    let frac = (done as f64 / total as f64).min(1.0);
    let filled = (frac * 30.0) as usize;
    eprint!(
        "\r{label} [{}{}] {done}/{total} candles {:>3.0}%",
        "#".repeat(filled),
        " ".repeat(30 - filled),
        frac * 100.0
    );
}

pub fn run(data_dir: &Path, cmd: DataCommand) -> anyhow::Result<()> {
    let cache = Cache::new(data_dir);
    match cmd {
        DataCommand::Import {
            file,
            exchange,
            symbol,
            timeframe,
            replace,
            allow_old,
        } => {
            let exchange = import_exchange(&exchange)?;
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
            if let Some(c) = loaded.candles.first().filter(|c| c.ts < OLDEST && !allow_old) {
                bail!(
                    "{}: the first candle is at {}, before 2009; the timestamps are probably in another unit \
                     (pass --allow-old if the dates are right)",
                    file.display(),
                    fmt_ts(c.ts)
                );
            }
            if !replace {
                let cached = cache.load(&exchange, &symbol, tf)?.unwrap_or_default();
                if let Some((n, first, last)) = conflicts(&cached, &loaded.candles) {
                    bail!(
                        "{}: would replace {n} cached {exchange} {symbol} {tf} candles with other values \
                         (between {} and {}); nothing was imported. Pass --replace to overwrite them",
                        file.display(),
                        fmt_ts(first),
                        fmt_ts(last)
                    );
                }
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
        DataCommand::Download {
            exchange,
            symbol,
            timeframe,
            start,
            end,
        } => {
            let exchange = normalise_exchange(&exchange).map_err(|e| anyhow!(e))?;
            if exchange != cracktrader::exchange::binance::history::EXCHANGE {
                bail!("downloading is available from binance only (got '{exchange}')");
            }
            let symbol = normalise_symbol(&symbol).map_err(|e| anyhow!(e))?;
            let tf: Timeframe = timeframe.parse()?;
            let start = parse_date(&start).map_err(|e| anyhow!(e))?;
            let end = match end {
                Some(e) => parse_date(&e).map_err(|e| anyhow!(e))?,
                None => tf.floor(chrono::Utc::now().timestamp_millis()),
            };
            if end <= start {
                bail!("--end {} must be after --start {}", fmt_ts(end), fmt_ts(start));
            }
            let rest =
                cracktrader::exchange::binance::rest::Rest::new(&cracktrader::exchange::binance::rest_origin(false))
                    .map_err(|e| anyhow!(e))?;
            let label = format!("{symbol} {tf}");
            let added = cracktrader::exchange::binance::history::ensure_cached(
                data_dir,
                &rest,
                &symbol,
                tf,
                start,
                end,
                |d, t| progress_bar(&label, d, t),
            )
            .map_err(|e| anyhow!(e.message))?;
            eprintln!();
            println!(
                "downloaded {added} new {symbol} {tf} candles from Binance; cached in {}",
                data_dir.display()
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

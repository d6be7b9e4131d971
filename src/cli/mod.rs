//! Command-line interface. Each subcommand lives in its own file; this one parses and dispatches.

mod backtest;
mod data;
mod serve;
mod strategies;
mod summary;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "cracktrader-tui",
    version,
    about = "Terminal trading console: backtests, paper and live trading, with a REST/WebSocket API"
)]
pub struct Cli {
    /// Where candles, runs and logs are stored [default: the platform's data dir for cracktrader]
    #[arg(long, global = true, env = "CRACKTRADER_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a strategy over historical candles and print its results
    Backtest(backtest::BacktestArgs),
    /// Import and list cached candle data
    #[command(subcommand)]
    Data(data::DataCommand),
    /// List the built-in strategies and their parameters
    Strategies,
    /// Run the engine and the REST/WebSocket API without the dashboard
    Serve(serve::ServeArgs),
}

/// The data dir from the flag/env, else `ProjectDirs::from("", "", "cracktrader")`, else `./cracktrader-data`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| directories::ProjectDirs::from("", "", "cracktrader").map(|d| d.data_dir().to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("cracktrader-data"))
}

/// Logs to stderr, `RUST_LOG` to tune (default info).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Runs the CLI; the returned error is printed as `error: ...` with exit code 1.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let dir = data_dir(cli.data_dir);
    match cli.command {
        Some(Command::Backtest(args)) => backtest::run(&dir, args),
        Some(Command::Data(cmd)) => data::run(&dir, cmd),
        Some(Command::Strategies) => strategies::run(),
        Some(Command::Serve(args)) => {
            init_logging();
            serve::run(&dir, args)
        }
        None => backtest::demo(&dir),
    }
}

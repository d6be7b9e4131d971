//! Command-line interface. Each subcommand lives in its own file; this one parses and dispatches.

mod backtest;
mod data;
mod optimize;
mod runs;
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

    /// Folder of strategy scripts (*.luau) [default: <config dir>/strategies]
    #[arg(long, global = true, env = "CRACKTRADER_STRATEGIES", value_name = "DIR")]
    pub strategies: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub dashboard: DashboardArgs,
}

/// Options of the dashboard (no subcommand).
#[derive(Debug, clap::Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    pub api: serve::ServeArgs,
    /// Do not start the API server next to the dashboard
    #[arg(long)]
    pub no_api: bool,
    /// Colour theme: default, light, gruvbox, nord, high-contrast, or one in <config dir>/themes
    #[arg(long)]
    pub theme: Option<String>,
    /// Config file [default: <config dir>/config.toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Open the dashboard on a server elsewhere, e.g. http://127.0.0.1:8000
    #[arg(long, value_name = "URL")]
    pub connect: Option<String>,
    /// Leave the mouse to the terminal (no clicks or wheel in the dashboard); config: `mouse = false`
    #[arg(long)]
    pub no_mouse: bool,
    /// `--port` (or its env var) was given: a busy port is then an error, not a fallback.
    #[arg(skip)]
    pub port_given: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a strategy over historical candles and print its results
    Backtest(backtest::BacktestArgs),
    /// Sweep a strategy's parameters over a grid (backtests in parallel), ranked by an objective
    Optimize(optimize::OptimizeArgs),
    /// Import and list cached candle data
    #[command(subcommand)]
    Data(data::DataCommand),
    /// List the strategies (built-in and scripts) and their parameters; `strategies new NAME` writes a script template
    Strategies(strategies::StrategiesArgs),
    /// Run the engine and the REST/WebSocket API without the dashboard
    Serve(serve::ServeArgs),
    /// Stored runs: list, show, export
    #[command(subcommand)]
    Runs(runs::RunsCommand),
}

/// The data dir from the flag/env, else `ProjectDirs::from("", "", "cracktrader")`, else `./cracktrader-data`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| directories::ProjectDirs::from("", "", "cracktrader").map(|d| d.data_dir().to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("cracktrader-data"))
}

fn dashboard(data_dir: PathBuf, d: DashboardArgs) -> anyhow::Result<()> {
    let api = if d.no_api || d.connect.is_some() {
        None
    } else {
        Some((d.api.addr()?, d.api.settings()?))
    };
    let key = d
        .api
        .api_keys
        .first()
        .map(|k| k.split(':').next().unwrap_or(k).to_string());
    cracktrader::tui::run(cracktrader::tui::Options {
        data_dir,
        api,
        theme: d.theme,
        config: d.config,
        connect: d.connect.map(|u| (u, key)),
        mouse: !d.no_mouse,
        port_fallback: !d.port_given,
        policy: cracktrader::runner::StartPolicy {
            allow_live: d.api.allow_live,
        },
    })
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
/// The scripts folder from the flag/env, else `<config dir>/strategies`, else `./strategies`.
pub fn strategies_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| directories::ProjectDirs::from("", "", "cracktrader").map(|d| d.config_dir().join("strategies")))
        .unwrap_or_else(|| PathBuf::from("strategies"))
}

/// With `--json`, a failure is also printed on stdout as the API's error envelope, so a script reading
/// stdout gets JSON either way (the message still goes to stderr, and the exit code is 1).
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let json = match &cli.command {
        Some(Command::Backtest(a)) => a.json,
        Some(Command::Optimize(a)) => a.backtest.json,
        _ => false,
    };
    let result = run_command(cli);
    if let (true, Err(e)) = (json, &result) {
        println!("{}", error_envelope(e));
    }
    result
}

/// `{"error":{"code","message","details"}}` for a command's failure.
pub fn error_envelope(e: &anyhow::Error) -> serde_json::Value {
    let (code, details) = match e.downcast_ref::<cracktrader::run::error::RunError>() {
        Some(r) => (r.code.as_str(), r.details.clone()),
        None => ("INVALID_REQUEST", serde_json::json!({})),
    };
    serde_json::json!({"error": {"code": code, "message": format!("{e:#}"), "details": details}})
}

fn run_command(cli: Cli) -> anyhow::Result<()> {
    let dir = data_dir(cli.data_dir);
    let scripts = strategies_dir(cli.strategies);
    cracktrader::script::catalog::use_dir(&scripts);
    match cli.command {
        Some(Command::Backtest(args)) => backtest::run(&dir, args),
        Some(Command::Optimize(args)) => optimize::run(&dir, args),
        Some(Command::Data(cmd)) => data::run(&dir, cmd),
        Some(Command::Strategies(args)) => strategies::run(&scripts, args),
        Some(Command::Runs(cmd)) => runs::run(&dir, cmd),
        Some(Command::Serve(args)) => {
            init_logging();
            serve::run(&dir, args)
        }
        None => dashboard(dir, cli.dashboard),
    }
}

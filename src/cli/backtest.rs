//! `cracktrader-tui backtest`: one backtest, printed as a summary or as the API's results JSON.

use super::summary;
use clap::Args;
use cracktrader::data::source::known_exchanges;
use cracktrader::run::backtest;
use cracktrader::run::config::{self, params_from_pairs, Mode, RunRequest};
use cracktrader::run::policy::StartPolicy;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Strategy name (see `strategies`)
    #[arg(long)]
    strategy: String,
    /// Strategy parameter, repeatable: --param fast_period=12
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Symbol as BASE/QUOTE, repeatable for multi-symbol runs
    #[arg(long = "symbol", required = true, value_name = "SYM")]
    symbols: Vec<String>,
    /// Candle timeframe: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w
    #[arg(long)]
    timeframe: String,
    /// Exchange whose data to use (`sim` is synthetic and offline)
    #[arg(long, default_value = "sim")]
    exchange: String,
    /// First candle to include (ISO 8601)
    #[arg(long, value_name = "ISO8601")]
    start: Option<String>,
    /// Include candles opening before this time (ISO 8601)
    #[arg(long, value_name = "ISO8601")]
    end: Option<String>,
    /// Starting cash in the quote currency
    #[arg(long, default_value_t = config::DEFAULT_CASH)]
    cash: f64,
    /// Fee rate per fill (0.001 = 0.1%)
    #[arg(long, default_value_t = config::DEFAULT_COMMISSION)]
    commission: f64,
    /// Slippage on market and stop fills, in basis points
    #[arg(long, default_value_t = 0.0)]
    slippage_bps: f64,
    /// Backtest straight from a candle file (CCXT JSON, Binance kline CSV or OHLCV CSV; one symbol)
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Risk limit, repeatable: --risk max_drawdown=0.2 (keys: max_drawdown, max_daily_loss,
    /// max_position_value, max_open_orders, cooldown_bars)
    #[arg(long = "risk", value_name = "KEY=VALUE")]
    risk: Vec<String>,
    /// Print the results as one JSON object (the Web API's ResultsResponse)
    #[arg(long)]
    pub json: bool,
}

impl BacktestArgs {
    /// The backtest these arguments describe (also the base of every combination of `optimize`).
    pub fn request(&self) -> anyhow::Result<RunRequest> {
        Ok(RunRequest {
            strategy_name: self.strategy.clone(),
            strategy_params: params_from_pairs(&self.params)?,
            symbols: self.symbols.clone(),
            timeframe: self.timeframe.clone(),
            start_date: self.start.clone(),
            end_date: self.end.clone(),
            initial_cash: self.cash,
            exchange: self.exchange.clone(),
            commission: Some(self.commission),
            slippage_bps: Some(self.slippage_bps),
            mode: Mode::Backtest,
            data_file: self.data.clone(),
            exchange_config: Default::default(),
            risk: params_from_pairs(&self.risk)?,
        })
    }
}

pub fn run(data_dir: &Path, a: BacktestArgs) -> anyhow::Result<()> {
    let req = a.request()?;
    let cfg = StartPolicy::default().prepare(&req, &known_exchanges(data_dir))?;
    let results = backtest::run(data_dir, cfg, &cracktrader::exchange::binance::history::Download)?;
    // Recorded in the run history; a history problem is reported, never allowed to lose the result.
    let db = cracktrader::store::Store::db_path(data_dir);
    if let Err(e) = cracktrader::store::Store::open(&db).and_then(|mut s| s.save_results(&results)) {
        eprintln!("warning: the run was not saved to the history: {e}");
    }
    if a.json {
        for w in &results.warnings {
            eprintln!("warning: {w}");
        }
        println!("{}", serde_json::to_string(&results)?);
    } else {
        print!("{}", summary::render(&results));
    }
    // The process ends here: freeing a million-point run piece by piece would cost more than the
    // operating system takes to drop it whole.
    std::mem::forget(results);
    Ok(())
}

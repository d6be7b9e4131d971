//! The Web API's run request bodies. They live here, below the API, so every client of the runner (the
//! API's handlers, the dashboard's remote backend) speaks the same typed shape.

use super::config::{Mode, RunRequest, DEFAULT_CASH};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

fn default_cash() -> f64 {
    DEFAULT_CASH
}
fn default_exchange() -> String {
    "sim".into()
}

/// Declares a run request: the fields every run request has (with their schema limits), then its own.
macro_rules! run_request {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            #[schema(min_length = 1, example = "MovingAverageCross")]
            pub strategy_name: String,
            /// The strategy's parameters (in a sweep, those every combination shares).
            #[serde(default)]
            #[schema(value_type = Object)]
            pub strategy_params: Map<String, Value>,
            /// `BASE/QUOTE` pairs, 1 to 20.
            #[schema(min_items = 1, max_items = 20, example = json!(["BTC/USDT"]))]
            pub symbols: Vec<String>,
            #[schema(example = "1h", pattern = "^(1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w)$")]
            pub timeframe: String,
            #[serde(default = "default_cash")]
            #[schema(minimum = 0.000001, maximum = 1e15)]
            pub initial_cash: f64,
            #[serde(default = "default_exchange")]
            #[schema(min_length = 1, example = "sim")]
            pub exchange: String,
            /// Fee rate per fill (default 0.001).
            #[serde(default)]
            #[schema(minimum = 0.0, maximum = 0.1)]
            pub commission: Option<f64>,
            #[serde(default)]
            #[schema(minimum = 0.0, maximum = 1000.0)]
            pub slippage_bps: Option<f64>,
            /// Risk limits: `max_drawdown`, `max_daily_loss`, `max_position_value`, `max_open_orders`,
            /// `cooldown_bars`, `max_consecutive_rejections` (ranges in `/api/v1/meta`); paper and live
            /// runs pause after `max_consecutive_rejections` (default 3) rejected orders in a row.
            #[serde(default)]
            #[schema(value_type = Object)]
            pub risk: Map<String, Value>,
            $($(#[$fm])* pub $f: $t,)*
        }

        impl $name {
            /// The run request with the fields every request has; the rest as given.
            fn run_request(self, mode: Mode, dates: (Option<String>, Option<String>), exchange_config: Map<String, Value>) -> RunRequest {
                RunRequest {
                    strategy_name: self.strategy_name,
                    strategy_params: self.strategy_params,
                    symbols: self.symbols,
                    timeframe: self.timeframe,
                    start_date: dates.0,
                    end_date: dates.1,
                    initial_cash: self.initial_cash,
                    exchange: self.exchange,
                    commission: self.commission,
                    slippage_bps: self.slippage_bps,
                    mode,
                    data_file: None,
                    exchange_config,
                    risk: self.risk,
                }
            }
        }
    };
}

/// Declares a request over a stretch of history: a run request with `start_date` and `end_date`, then
/// its own fields, so a sweep's request cannot drift from a backtest's.
macro_rules! backtest_request {
    ($(#[$m:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        run_request! {
            $(#[$m])*
            pub struct $name {
                /// ISO 8601: `2024-01-01` or `2024-01-01T00:00:00Z` (UTC when no offset is given).
                #[serde(default)]
                #[schema(example = "2024-01-01")]
                pub start_date: Option<String>,
                /// ISO 8601, after `start_date`; candles opening before it are used.
                #[serde(default)]
                #[schema(example = "2024-07-01")]
                pub end_date: Option<String>,
                $($fields)*
            }
        }

        impl From<$name> for RunRequest {
            fn from(mut r: $name) -> Self {
                let dates = (r.start_date.take(), r.end_date.take());
                r.run_request(Mode::Backtest, dates, Map::new())
            }
        }
    };
}

backtest_request! {
    /// A backtest over stored or downloaded candles.
    pub struct BacktestRequest {}
}

fn default_train_pct() -> f64 {
    0.7
}

/// Walk-forward: contiguous folds; in each, the grid runs on the first `train_pct` and its best
/// combination is scored on the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalkForwardRequest {
    #[schema(minimum = 1, maximum = 50)]
    pub folds: usize,
    #[serde(default = "default_train_pct")]
    #[schema(exclusive_minimum = 0.0, exclusive_maximum = 1.0)]
    pub train_pct: f64,
}

/// The most round trips a sweep may require of a combination.
pub const MAX_MIN_TRADES: u64 = 1_000_000;

backtest_request! {
    /// A parameter sweep: the backtest request's fields, plus the grid and how to rank it.
    pub struct OptimizeRequest {
        /// Parameter name -> a list of values (`[5, 10, 20]`) or a range (`{"start": 5, "end": 50, "step": 5}`).
        #[schema(value_type = Object, example = json!({"fast_period": [5, 10, 20], "slow_period": {"start": 30, "end": 60, "step": 10}}))]
        pub grid: Map<String, Value>,
        /// What ranks the combinations (default sharpe).
        #[serde(default)]
        pub objective: Option<crate::run::sweep::Objective>,
        /// Combinations with fewer round trips are listed but never best.
        #[serde(default)]
        #[schema(maximum = 1000000)]
        pub min_trades: u64,
        #[serde(default)]
        pub walk_forward: Option<WalkForwardRequest>,
    }
}

impl OptimizeRequest {
    /// The sweep this asks for; grid errors name the parameter (`INVALID_PARAMS` for one the
    /// strategy does not take, `VALIDATION_ERROR` for a bad range).
    pub fn sweep(mut self) -> Result<crate::run::optimize::Sweep, crate::run::error::RunError> {
        use crate::run::optimize::{axis_from_json, Sweep, WalkForward};
        if self.min_trades > MAX_MIN_TRADES {
            return Err(crate::run::error::RunError::field(
                "min_trades",
                format!("min_trades must be from 0 to {MAX_MIN_TRADES}, got {}", self.min_trades),
            ));
        }
        let grid = std::mem::take(&mut self.grid);
        let axes = grid
            .iter()
            .map(|(name, v)| axis_from_json(&self.strategy_name, name, v))
            .collect::<Result<Vec<_>, _>>()?;
        let walk_forward = self
            .walk_forward
            .take()
            .map(|w| WalkForward::new(w.folds, w.train_pct))
            .transpose()?;
        Ok(Sweep {
            axes,
            objective: self.objective.unwrap_or(crate::run::sweep::Objective::Sharpe),
            min_trades: self.min_trades,
            base: self.into(),
            walk_forward,
            jobs: 0,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LiveMode {
    Paper,
    Live,
}

run_request! {
    /// A paper run (live candles, simulated fills) or a live one (real orders, or the testnet).
    pub struct LiveTradingRequest {
        /// API keys and settings: `apiKey`, `secret`, `sandbox`, and for `sim` `speed`. Never echoed back.
        #[serde(default)]
        #[schema(value_type = Object)]
        pub exchange_config: Map<String, Value>,
        pub mode: LiveMode,
    }
}

impl From<LiveTradingRequest> for RunRequest {
    fn from(mut r: LiveTradingRequest) -> Self {
        let mode = match r.mode {
            LiveMode::Paper => Mode::Paper,
            LiveMode::Live => Mode::Live,
        };
        let config = std::mem::take(&mut r.exchange_config);
        r.run_request(mode, (None, None), config)
    }
}

/// A run request in the Web API's own shape, for a client that starts runs over HTTP (the dashboard's
/// `--connect`): the path to post to and the body.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiRunRequest {
    Backtest(BacktestRequest),
    Live(LiveTradingRequest),
}

impl ApiRunRequest {
    pub fn path(&self) -> &'static str {
        match self {
            ApiRunRequest::Backtest(_) => "/api/v1/run/backtest",
            ApiRunRequest::Live(_) => "/api/v1/run/live",
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let v = match self {
            ApiRunRequest::Backtest(b) => serde_json::to_value(b),
            ApiRunRequest::Live(l) => serde_json::to_value(l),
        };
        v.unwrap_or_default()
    }
}

impl From<&RunRequest> for ApiRunRequest {
    fn from(r: &RunRequest) -> ApiRunRequest {
        match r.mode {
            // The dashboard starts sweeps only through `OptimizeRequest`; a plain request is a backtest.
            Mode::Backtest | Mode::Optimize => ApiRunRequest::Backtest(BacktestRequest {
                strategy_name: r.strategy_name.clone(),
                strategy_params: r.strategy_params.clone(),
                symbols: r.symbols.clone(),
                timeframe: r.timeframe.clone(),
                start_date: r.start_date.clone(),
                end_date: r.end_date.clone(),
                initial_cash: r.initial_cash,
                exchange: r.exchange.clone(),
                commission: r.commission,
                slippage_bps: r.slippage_bps,
                risk: r.risk.clone(),
            }),
            Mode::Paper | Mode::Live => ApiRunRequest::Live(LiveTradingRequest {
                strategy_name: r.strategy_name.clone(),
                strategy_params: r.strategy_params.clone(),
                symbols: r.symbols.clone(),
                timeframe: r.timeframe.clone(),
                exchange: r.exchange.clone(),
                exchange_config: r.exchange_config.clone(),
                mode: if r.mode == Mode::Live {
                    LiveMode::Live
                } else {
                    LiveMode::Paper
                },
                initial_cash: r.initial_cash,
                commission: r.commission,
                slippage_bps: r.slippage_bps,
                risk: r.risk.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_survives_the_trip_through_the_api_shape() {
        let mut r = RunRequest::backtest("MovingAverageCross", &["BTC/USDT"], "1h").between("2024-01-01", "2024-02-01");
        r.risk = crate::run::config::params_from_pairs(&["max_drawdown=0.2".into()]).unwrap();
        let api = ApiRunRequest::from(&r);
        assert_eq!(api.path(), "/api/v1/run/backtest");
        let back: BacktestRequest = serde_json::from_value(api.body()).unwrap();
        assert_eq!(RunRequest::from(back), r);
        r.mode = Mode::Paper;
        r.start_date = None;
        r.end_date = None;
        r.exchange_config = serde_json::json!({"speed": 60}).as_object().unwrap().clone();
        let api = ApiRunRequest::from(&r);
        assert_eq!(api.path(), "/api/v1/run/live");
        let back: LiveTradingRequest = serde_json::from_value(api.body()).unwrap();
        assert_eq!(RunRequest::from(back), r);
    }
}

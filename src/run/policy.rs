//! What this process allows a run to do, decided once at start-up and applied to every caller (the
//! API, the dashboard, `--connect` through the API, the CLI), so no path can skip a check.

use super::config::{validate, Mode, RunConfig, RunRequest};
use super::error::{ErrorCode, RunError};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartPolicy {
    /// Real-money live trading (`mode: live` without `sandbox: true`); off unless `--allow-live`.
    pub allow_live: bool,
}

impl StartPolicy {
    /// Refuses what the policy does not allow, with the same message for every caller.
    pub fn check(&self, cfg: &RunConfig) -> Result<(), RunError> {
        if cfg.mode == Mode::Live && !cfg.live.sandbox && !self.allow_live {
            return Err(RunError::new(
                ErrorCode::LiveTradingDisabled,
                "real-money live trading is disabled on this server; use exchange_config.sandbox: true for the testnet, or start it with --allow-live",
            ));
        }
        Ok(())
    }

    /// A request as a run may start it: validated against the exchanges known here, then checked.
    pub fn prepare(&self, req: &RunRequest, known_exchanges: &[String]) -> Result<RunConfig, RunError> {
        let cfg = validate(req, known_exchanges)?;
        self.check(&cfg)?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_money_needs_allow_live_and_nothing_else_does() {
        let known = ["sim".to_string(), "binance".to_string()];
        let mut req = RunRequest::backtest("BuyAndHold", &["BTC/USDT"], "1h");
        let off = StartPolicy::default();
        assert!(off.prepare(&req, &known).is_ok(), "backtests are never refused");
        req.mode = Mode::Live;
        req.exchange = "binance".into();
        req.exchange_config = json!({"apiKey": "k", "secret": "s", "sandbox": true})
            .as_object()
            .unwrap()
            .clone();
        assert!(off.prepare(&req, &known).is_ok(), "the testnet is allowed");
        req.exchange_config["sandbox"] = json!(false);
        let e = off.prepare(&req, &known).unwrap_err();
        assert_eq!(e.code, ErrorCode::LiveTradingDisabled);
        assert!(e.message.contains("--allow-live"));
        assert!(StartPolicy { allow_live: true }.prepare(&req, &known).is_ok());
        // Validation comes first: a bad request is a validation error, whatever the policy.
        req.timeframe = "7m".into();
        assert_eq!(off.prepare(&req, &known).unwrap_err().code, ErrorCode::InvalidTimeframe);
    }
}

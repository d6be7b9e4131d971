//! Risk limits: the same checks in backtest, paper and live, so a backtest shows what live would have
//! done. The engine consults them on every strategy order and at the end of every step; each
//! intervention is recorded as a `RiskEvent`.

use super::types::SymbolIdx;
use serde::{Deserialize, Serialize};

/// Limits a run trades under. `None` (or 0 for the counters) means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RiskLimits {
    /// Fraction below the equity peak at which the run closes everything and stops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_drawdown: Option<f64>,
    /// Fraction of the UTC day's opening equity the run may lose before it closes everything and stops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily_loss: Option<f64>,
    /// Quote value per symbol; a larger entry is cut to the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_position_value: Option<f64>,
    /// Working orders across all symbols; further strategy orders are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open_orders: Option<u32>,
    /// Bars without a new entry after a stop-loss exit on that symbol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_bars: Option<u32>,
    /// Consecutive rejected orders after which a paper or live run pauses trading (0 = never).
    #[serde(default)]
    pub max_consecutive_rejections: u32,
}

impl RiskLimits {
    /// Whether any limit needs the per-step equity check.
    pub fn watches_equity(&self) -> bool {
        self.max_drawdown.is_some() || self.max_daily_loss.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskRule {
    MaxDrawdown,
    MaxDailyLoss,
    MaxPositionValue,
    MaxOpenOrders,
    CooldownBars,
    MaxConsecutiveRejections,
}

impl RiskRule {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskRule::MaxDrawdown => "max_drawdown",
            RiskRule::MaxDailyLoss => "max_daily_loss",
            RiskRule::MaxPositionValue => "max_position_value",
            RiskRule::MaxOpenOrders => "max_open_orders",
            RiskRule::CooldownBars => "cooldown_bars",
            RiskRule::MaxConsecutiveRejections => "max_consecutive_rejections",
        }
    }

    /// The code a run stopped by this rule ends with.
    pub fn stop_code(self) -> &'static str {
        match self {
            RiskRule::MaxDrawdown => "RISK_MAX_DRAWDOWN",
            RiskRule::MaxDailyLoss => "RISK_DAILY_LOSS",
            RiskRule::MaxPositionValue => "RISK_MAX_POSITION_VALUE",
            RiskRule::MaxOpenOrders => "RISK_MAX_OPEN_ORDERS",
            RiskRule::CooldownBars => "RISK_COOLDOWN",
            RiskRule::MaxConsecutiveRejections => "RISK_REJECTIONS",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskAction {
    /// An entry was made smaller to fit the limit.
    Cut,
    /// An order was not placed.
    Blocked,
    /// New entries on a symbol are held off for some bars.
    Cooldown,
    /// Working orders cancelled, positions closed at market, run ending.
    Liquidate,
    /// Trading paused until resumed.
    Pause,
}

impl RiskAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskAction::Cut => "cut",
            RiskAction::Blocked => "blocked",
            RiskAction::Cooldown => "cooldown",
            RiskAction::Liquidate => "liquidate",
            RiskAction::Pause => "pause",
        }
    }
}

/// One intervention: when, which rule, what was done, the observed value and the limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskEvent {
    pub ts: i64,
    pub rule: RiskRule,
    pub action: RiskAction,
    pub symbol: Option<SymbolIdx>,
    pub value: f64,
    pub limit: f64,
}

/// What the engine tracks to apply the limits.
#[derive(Debug, Clone)]
pub(crate) struct RiskState {
    pub limits: RiskLimits,
    pub peak: f64,
    /// UTC day number of the current step and the equity it opened with.
    pub day: i64,
    pub day_open: f64,
    /// Bars seen per symbol, and the bar count before which entries are held off.
    pub bars: Vec<u64>,
    pub cooldown_until: Vec<u64>,
    /// Rules that already reported a refusal in the current episode (reported once, not per bar).
    pub quiet: Vec<RiskRule>,
    pub consecutive_rejections: u32,
}

pub const DAY_MS: i64 = 86_400_000;

impl RiskState {
    pub fn new(limits: RiskLimits, initial: f64, symbols: usize) -> RiskState {
        RiskState {
            limits,
            peak: initial,
            day: i64::MIN,
            day_open: initial,
            bars: vec![0; symbols],
            cooldown_until: vec![0; symbols],
            quiet: Vec::new(),
            consecutive_rejections: 0,
        }
    }

    /// Updates the peak and the day's opening equity with the value at the end of a step (`prev` is the
    /// value the day opened with when `ts` starts a new day); returns the rule breached, if any.
    pub fn check_equity(&mut self, ts: i64, value: f64, prev: f64) -> Option<(RiskRule, f64, f64)> {
        let day = ts.div_euclid(DAY_MS);
        if day != self.day {
            self.day = day;
            self.day_open = prev;
        }
        if value > self.peak {
            self.peak = value;
        }
        if let Some(limit) = self.limits.max_drawdown {
            let dd = if self.peak > 0.0 { 1.0 - value / self.peak } else { 0.0 };
            if dd >= limit {
                return Some((RiskRule::MaxDrawdown, dd, limit));
            }
        }
        if let Some(limit) = self.limits.max_daily_loss {
            let loss = if self.day_open > 0.0 {
                1.0 - value / self.day_open
            } else {
                0.0
            };
            if loss >= limit {
                return Some((RiskRule::MaxDailyLoss, loss, limit));
            }
        }
        None
    }

    /// True the first time a refusal by `rule` is seen in an episode.
    pub fn first_refusal(&mut self, rule: RiskRule) -> bool {
        if self.quiet.contains(&rule) {
            return false;
        }
        self.quiet.push(rule);
        true
    }

    /// The episode of `rule` is over: its next refusal is reported again.
    pub fn calm(&mut self, rule: RiskRule) {
        self.quiet.retain(|r| *r != rule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_from_the_peak_and_daily_loss_from_the_day_open() {
        let limits = RiskLimits {
            max_drawdown: Some(0.2),
            max_daily_loss: Some(0.1),
            ..RiskLimits::default()
        };
        let mut r = RiskState::new(limits, 100.0, 1);
        assert_eq!(r.check_equity(0, 120.0, 100.0), None);
        // Day 0 opened at 100: 108 is 10% below the day's 120 peak but only below the day open by -8%.
        assert_eq!(r.check_equity(1000, 108.0, 120.0), None);
        // Next day opens at 108; 97 is 10.2% below it.
        let (rule, v, l) = r.check_equity(DAY_MS, 97.0, 108.0).unwrap();
        assert_eq!((rule, l), (RiskRule::MaxDailyLoss, 0.1));
        assert!((v - (1.0 - 97.0 / 108.0)).abs() < 1e-12);
        let mut r = RiskState::new(limits, 100.0, 1);
        r.check_equity(0, 150.0, 100.0);
        r.check_equity(DAY_MS, 140.0, 150.0);
        r.check_equity(2 * DAY_MS, 131.0, 140.0);
        assert_eq!(r.check_equity(3 * DAY_MS, 121.0, 131.0), None);
        let (rule, v, _) = r.check_equity(3 * DAY_MS + 1, 119.0, 121.0).unwrap();
        assert_eq!(rule, RiskRule::MaxDrawdown);
        assert!((v - (1.0 - 119.0 / 150.0)).abs() < 1e-12);
    }

    #[test]
    fn refusals_are_reported_once_per_episode() {
        let mut r = RiskState::new(RiskLimits::default(), 1.0, 1);
        assert!(r.first_refusal(RiskRule::MaxOpenOrders));
        assert!(!r.first_refusal(RiskRule::MaxOpenOrders));
        r.calm(RiskRule::MaxOpenOrders);
        assert!(r.first_refusal(RiskRule::MaxOpenOrders));
    }
}

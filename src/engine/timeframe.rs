//! Binance's candle intervals, the only timeframes runs accept.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// 1970-01-01 was a Thursday; exchanges start weeks on Monday, four days later.
const WEEK_OFFSET: i64 = 4 * DAY;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timeframe {
    #[serde(rename = "1m")]
    M1,
    #[serde(rename = "3m")]
    M3,
    #[serde(rename = "5m")]
    M5,
    #[serde(rename = "15m")]
    M15,
    #[serde(rename = "30m")]
    M30,
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "2h")]
    H2,
    #[serde(rename = "4h")]
    H4,
    #[serde(rename = "6h")]
    H6,
    #[serde(rename = "8h")]
    H8,
    #[serde(rename = "12h")]
    H12,
    #[serde(rename = "1d")]
    D1,
    #[serde(rename = "3d")]
    D3,
    #[serde(rename = "1w")]
    W1,
}

impl Timeframe {
    pub const ALL: [Timeframe; 14] = [
        Timeframe::M1,
        Timeframe::M3,
        Timeframe::M5,
        Timeframe::M15,
        Timeframe::M30,
        Timeframe::H1,
        Timeframe::H2,
        Timeframe::H4,
        Timeframe::H6,
        Timeframe::H8,
        Timeframe::H12,
        Timeframe::D1,
        Timeframe::D3,
        Timeframe::W1,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Timeframe::M1 => "1m",
            Timeframe::M3 => "3m",
            Timeframe::M5 => "5m",
            Timeframe::M15 => "15m",
            Timeframe::M30 => "30m",
            Timeframe::H1 => "1h",
            Timeframe::H2 => "2h",
            Timeframe::H4 => "4h",
            Timeframe::H6 => "6h",
            Timeframe::H8 => "8h",
            Timeframe::H12 => "12h",
            Timeframe::D1 => "1d",
            Timeframe::D3 => "3d",
            Timeframe::W1 => "1w",
        }
    }

    pub fn millis(self) -> i64 {
        match self {
            Timeframe::M1 => MIN,
            Timeframe::M3 => 3 * MIN,
            Timeframe::M5 => 5 * MIN,
            Timeframe::M15 => 15 * MIN,
            Timeframe::M30 => 30 * MIN,
            Timeframe::H1 => HOUR,
            Timeframe::H2 => 2 * HOUR,
            Timeframe::H4 => 4 * HOUR,
            Timeframe::H6 => 6 * HOUR,
            Timeframe::H8 => 8 * HOUR,
            Timeframe::H12 => 12 * HOUR,
            Timeframe::D1 => DAY,
            Timeframe::D3 => 3 * DAY,
            Timeframe::W1 => 7 * DAY,
        }
    }

    /// Open time of the candle containing `ts` (weeks start Monday 00:00 UTC like Binance's).
    pub fn floor(self, ts: i64) -> i64 {
        let ms = self.millis();
        let off = if self == Timeframe::W1 { WEEK_OFFSET } else { 0 };
        (ts - off).div_euclid(ms) * ms + off
    }

    /// Candles per year for annualising metrics; crypto trades 365 days a year.
    pub fn periods_per_year(self) -> f64 {
        365.0 * DAY as f64 / self.millis() as f64
    }

    /// Whether candles of `self` can be built exactly from candles of `base`.
    pub fn is_multiple_of(self, base: Timeframe) -> bool {
        if self == base {
            return true;
        }
        let (a, b) = (self.millis(), base.millis());
        // Weekly buckets start on Mondays, which 3d buckets never line up with.
        a > b && a % b == 0 && !(self == Timeframe::W1 && base == Timeframe::D3)
    }

    pub fn accepted_list() -> String {
        Timeframe::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown timeframe '{given}'; accepted: {accepted}")]
pub struct TimeframeError {
    pub given: String,
    pub accepted: String,
}

impl FromStr for Timeframe {
    type Err = TimeframeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timeframe::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| TimeframeError {
                given: s.to_string(),
                accepted: Timeframe::accepted_list(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_binance_interval_and_rejects_others() {
        for tf in Timeframe::ALL {
            assert_eq!(tf.as_str().parse::<Timeframe>().unwrap(), tf);
        }
        let err = "2m".parse::<Timeframe>().unwrap_err();
        assert!(err.to_string().contains("2m") && err.to_string().contains("1w"));
        assert!("1M".parse::<Timeframe>().is_err());
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2018-01-10 (Wednesday) 12:00 UTC -> Monday 2018-01-08 00:00 UTC.
        let wed = 1_515_585_600_000;
        assert_eq!(Timeframe::W1.floor(wed), 1_515_369_600_000);
        assert_eq!(Timeframe::H1.floor(wed + 1_234), wed);
        assert_eq!(Timeframe::M5.floor(-1), -300_000);
    }

    #[test]
    fn multiples() {
        assert!(Timeframe::H1.is_multiple_of(Timeframe::M5));
        assert!(Timeframe::H1.is_multiple_of(Timeframe::H1));
        assert!(!Timeframe::M5.is_multiple_of(Timeframe::H1));
        assert!(!Timeframe::H1.is_multiple_of(Timeframe::M3) || 60 % 3 == 0);
        assert!(!Timeframe::M5.is_multiple_of(Timeframe::M3));
        assert!(!Timeframe::W1.is_multiple_of(Timeframe::D3));
        assert!(Timeframe::W1.is_multiple_of(Timeframe::D1));
    }
}

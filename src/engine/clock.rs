//! Where "now" comes from. Backtests take it from the events they replay, live runs from the wall
//! clock; the engine stamps orders and fills through this trait and never asks the OS directly.

pub trait Clock {
    /// Called with the timestamp of every market event before the engine handles it.
    fn observe(&mut self, event_ts: i64);
    fn now(&self) -> i64;
}

/// Time stands still between candles: now is the open time of the last candle seen (backtrader's
/// convention for order and fill timestamps).
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoricalClock {
    now: i64,
}

impl Clock for HistoricalClock {
    #[inline]
    fn observe(&mut self, event_ts: i64) {
        self.now = event_ts;
    }
    #[inline]
    fn now(&self) -> i64 {
        self.now
    }
}

/// Wall-clock time in Unix milliseconds, for paper and live runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct LiveClock;

impl Clock for LiveClock {
    fn observe(&mut self, _event_ts: i64) {}
    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

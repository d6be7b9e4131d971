//! Building higher-timeframe candles from lower ones (1h from 5m, ...).

use crate::engine::{Candle, Timeframe};

/// Streaming aggregator: feed candles in time order, get finished buckets out.
#[derive(Debug, Clone)]
pub struct Aggregator {
    to: Timeframe,
    current: Option<Candle>,
}

impl Aggregator {
    pub fn new(to: Timeframe) -> Self {
        Aggregator { to, current: None }
    }

    /// Adds a candle; returns the previous bucket when this one starts a new bucket.
    #[inline]
    pub fn push(&mut self, c: &Candle) -> Option<Candle> {
        let bucket = self.to.floor(c.ts);
        match &mut self.current {
            Some(cur) if cur.ts == bucket => {
                cur.high = cur.high.max(c.high);
                cur.low = cur.low.min(c.low);
                cur.close = c.close;
                cur.volume += c.volume;
                None
            }
            _ => self.current.replace(Candle { ts: bucket, ..*c }),
        }
    }

    /// The bucket in progress, if any.
    pub fn take(&mut self) -> Option<Candle> {
        self.current.take()
    }
}

/// Aggregates `candles` (timeframe `from`) into timeframe `to`: open of the first, highest high, lowest
/// low, close of the last, summed volume. Buckets with missing candles inside are kept (the market had
/// a gap); a trailing bucket whose last candle is missing is dropped, since that candle has not closed.
pub fn resample(candles: &[Candle], from: Timeframe, to: Timeframe) -> Vec<Candle> {
    if from == to {
        return candles.to_vec();
    }
    let mut agg = Aggregator::new(to);
    let mut out = Vec::with_capacity(candles.len() / (to.millis() / from.millis()).max(1) as usize + 1);
    out.extend(candles.iter().filter_map(|c| agg.push(c)));
    if let (Some(last_bucket), Some(last)) = (agg.take(), candles.last()) {
        if last.ts + from.millis() >= last_bucket.ts + to.millis() {
            out.push(last_bucket);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_minute_to_hourly() {
        // 13 five-minute candles from 00:00 to 01:00 -> one complete hour, then an incomplete one.
        let c: Vec<Candle> = (0..13)
            .map(|i| {
                Candle::new(
                    i * 300_000,
                    10.0 + i as f64,
                    20.0 + i as f64,
                    5.0 - i as f64 * 0.1,
                    11.0 + i as f64,
                    1.0,
                )
            })
            .collect();
        let h = resample(&c, Timeframe::M5, Timeframe::H1);
        assert_eq!(h.len(), 1, "the 01:00 bucket has only one of its twelve candles");
        assert_eq!(h[0], Candle::new(0, 10.0, 31.0, 5.0 - 1.1, 22.0, 12.0));
    }

    #[test]
    fn gaps_inside_a_bucket_keep_it() {
        let c = vec![
            Candle::new(0, 1.0, 2.0, 0.5, 1.5, 1.0),
            Candle::new(1_800_000, 1.5, 3.0, 1.0, 2.5, 1.0),
            Candle::new(3_300_000, 2.5, 2.6, 2.0, 2.1, 1.0),
        ];
        assert_eq!(
            resample(&c, Timeframe::M5, Timeframe::H1),
            vec![Candle::new(0, 1.0, 3.0, 0.5, 2.1, 3.0)]
        );
    }

    #[test]
    fn weekly_buckets_start_monday() {
        // Daily candles from Monday 2018-01-08: seven make a week.
        let monday = 1_515_369_600_000;
        let c: Vec<Candle> = (0..8)
            .map(|i| Candle::new(monday + i * 86_400_000, 1.0, 2.0, 0.5, 1.0 + i as f64, 1.0))
            .collect();
        let w = resample(&c, Timeframe::D1, Timeframe::W1);
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].ts, w[0].close, w[0].volume), (monday, 7.0, 7.0));
    }
}

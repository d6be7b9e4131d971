//! Streaming indicators: O(1) per update, no allocation after construction.

use std::collections::VecDeque;

/// Simple moving average over the last `period` values.
///
/// Keeps a running sum over a ring buffer (zero-initialised, so the first pass needs no special case).
#[derive(Debug, Clone)]
pub struct Sma {
    buf: Vec<f64>,
    pos: usize,
    len: usize,
    sum: f64,
    wraps: usize,
}

impl Sma {
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Sma {
            buf: vec![0.0; period],
            pos: 0,
            len: 0,
            sum: 0.0,
            wraps: 0,
        }
    }

    pub fn period(&self) -> usize {
        self.buf.len()
    }

    /// Adds a value; returns the average once `period` values have been seen.
    #[inline]
    pub fn update(&mut self, v: f64) -> Option<f64> {
        let n = self.buf.len();
        let slot = &mut self.buf[self.pos];
        let old = std::mem::replace(slot, v);
        self.sum += v - old;
        self.pos += 1;
        if self.pos == n {
            self.pos = 0;
            self.len = n;
            // Every 64 trips round the window, rebuild the sum so float drift never accumulates.
            self.wraps += 1;
            if self.wraps == 64 {
                self.wraps = 0;
                self.sum = self.buf.iter().sum();
            }
        }
        (self.len == n).then(|| self.sum / n as f64)
    }
}

/// Wilder's RSI: average gains and losses seeded with their simple mean over the first `period`
/// changes, then smoothed as `avg = (avg * (period - 1) + x) / period` (backtrader's `RSI`).
/// No losses gives 100, no movement at all gives 50.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev: Option<f64>,
    count: usize,
    avg_gain: f64,
    avg_loss: f64,
}

impl Rsi {
    pub fn new(period: usize) -> Self {
        Rsi {
            period: period.max(1),
            prev: None,
            count: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
        }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> Option<f64> {
        let prev = self.prev.replace(close)?;
        let change = close - prev;
        let (gain, loss) = if change > 0.0 { (change, 0.0) } else { (0.0, -change) };
        let p = self.period as f64;
        self.count += 1;
        if self.count <= self.period {
            self.avg_gain += gain / p;
            self.avg_loss += loss / p;
            if self.count < self.period {
                return None;
            }
        } else {
            self.avg_gain = (self.avg_gain * (p - 1.0) + gain) / p;
            self.avg_loss = (self.avg_loss * (p - 1.0) + loss) / p;
        }
        Some(if self.avg_loss == 0.0 {
            if self.avg_gain == 0.0 {
                50.0
            } else {
                100.0
            }
        } else {
            100.0 - 100.0 / (1.0 + self.avg_gain / self.avg_loss)
        })
    }
}

/// Highest (or lowest) of the previous `period` values, excluding the one being added: what a
/// breakout compares today's close against. Monotonic deque, amortised O(1).
#[derive(Debug, Clone)]
pub struct RollingExtreme {
    period: usize,
    highest: bool,
    seen: usize,
    deque: VecDeque<(usize, f64)>,
}

impl RollingExtreme {
    pub fn highest(period: usize) -> Self {
        Self::new(period, true)
    }
    pub fn lowest(period: usize) -> Self {
        Self::new(period, false)
    }
    fn new(period: usize, highest: bool) -> Self {
        let period = period.max(1);
        RollingExtreme {
            period,
            highest,
            seen: 0,
            deque: VecDeque::with_capacity(period + 1),
        }
    }

    /// Returns the extreme of the `period` values before `v` (None until that many exist), then adds `v`.
    #[inline]
    pub fn update(&mut self, v: f64) -> Option<f64> {
        let idx = self.seen;
        while let Some(&(i, _)) = self.deque.front() {
            if i + self.period < idx {
                self.deque.pop_front();
            } else {
                break;
            }
        }
        let out = (idx >= self.period)
            .then(|| self.deque.front().map(|&(_, x)| x))
            .flatten();
        while let Some(&(_, x)) = self.deque.back() {
            let dominated = if self.highest { x <= v } else { x >= v };
            if dominated {
                self.deque.pop_back();
            } else {
                break;
            }
        }
        self.deque.push_back((idx, v));
        self.seen += 1;
        out
    }
}

/// Crossing in backtrader's sense: the sign of `a - b` changes; a zero difference keeps the previous sign.
#[derive(Debug, Clone, Copy, Default)]
pub struct CrossOver {
    last_sign: i8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cross {
    None,
    Up,
    Down,
}

impl CrossOver {
    #[inline]
    pub fn update(&mut self, a: f64, b: f64) -> Cross {
        let d = a - b;
        let sign = if d > 0.0 {
            1
        } else if d < 0.0 {
            -1
        } else {
            0
        };
        let out = match (self.last_sign, sign) {
            (-1, 1) => Cross::Up,
            (1, -1) => Cross::Down,
            _ => Cross::None,
        };
        if sign != 0 {
            self.last_sign = sign;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_sma(xs: &[f64], i: usize, p: usize) -> Option<f64> {
        (i + 1 >= p).then(|| xs[i + 1 - p..=i].iter().sum::<f64>() / p as f64)
    }

    #[test]
    fn sma_matches_naive_window_average() {
        let xs: Vec<f64> = (0..5000).map(|i| 100.0 + ((i * 7919) % 113) as f64 * 0.37).collect();
        let mut sma = Sma::new(30);
        for (i, &x) in xs.iter().enumerate() {
            let got = sma.update(x);
            match (got, naive_sma(&xs, i, 30)) {
                (None, None) => {}
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "bar {i}: {a} vs {b}"),
                other => panic!("bar {i}: {other:?}"),
            }
        }
    }

    #[test]
    fn rsi_known_values() {
        // Rising only -> 100; falling only -> 0; flat -> 50.
        let mut r = Rsi::new(3);
        let out: Vec<_> = [1.0, 2.0, 3.0, 4.0, 5.0].iter().map(|&x| r.update(x)).collect();
        assert_eq!(out, vec![None, None, None, Some(100.0), Some(100.0)]);
        let mut r = Rsi::new(2);
        assert_eq!(r.update(5.0), None);
        assert_eq!(r.update(4.0), None);
        assert_eq!(r.update(3.0), Some(0.0));
        let mut r = Rsi::new(2);
        r.update(1.0);
        r.update(1.0);
        assert_eq!(r.update(1.0), Some(50.0));
    }

    #[test]
    fn rsi_wilder_smoothing_by_hand() {
        // period 2; changes +2, -1 -> seed avg gain 1, avg loss 0.5, rs 2 -> 66.67.
        // next change +1: gain (1*1+1)/2 = 1, loss (0.5*1+0)/2 = 0.25 -> rs 4 -> 80.
        let mut r = Rsi::new(2);
        r.update(10.0);
        r.update(12.0);
        let a = r.update(11.0).unwrap();
        assert!((a - 200.0 / 3.0).abs() < 1e-9);
        let b = r.update(12.0).unwrap();
        assert!((b - 80.0).abs() < 1e-9);
    }

    #[test]
    fn rolling_extremes_exclude_current_value() {
        let xs = [5.0, 3.0, 8.0, 1.0, 2.0, 9.0, 4.0];
        let mut hi = RollingExtreme::highest(3);
        let mut lo = RollingExtreme::lowest(3);
        let his: Vec<_> = xs.iter().map(|&x| hi.update(x)).collect();
        let los: Vec<_> = xs.iter().map(|&x| lo.update(x)).collect();
        assert_eq!(his, vec![None, None, None, Some(8.0), Some(8.0), Some(8.0), Some(9.0)]);
        assert_eq!(los, vec![None, None, None, Some(3.0), Some(1.0), Some(1.0), Some(1.0)]);
    }

    #[test]
    fn crossover_keeps_sign_through_zero() {
        let mut c = CrossOver::default();
        assert_eq!(c.update(1.0, 2.0), Cross::None); // first sign seen, no cross
        assert_eq!(c.update(2.0, 2.0), Cross::None); // touch: keeps "below"
        assert_eq!(c.update(3.0, 2.0), Cross::Up); // below -> above through a zero bar
        assert_eq!(c.update(3.0, 2.0), Cross::None);
        assert_eq!(c.update(2.0, 2.0), Cross::None);
        assert_eq!(c.update(2.0, 2.0), Cross::None);
        assert_eq!(c.update(1.0, 2.0), Cross::Down);
        // Touching and going back is not a cross.
        assert_eq!(c.update(2.0, 2.0), Cross::None);
        assert_eq!(c.update(1.0, 2.0), Cross::None);
    }
}

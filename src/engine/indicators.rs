//! Streaming indicators: O(1) per update, no allocation after construction.

use std::collections::VecDeque;

/// A running sum kept exact: a double-double (`hi + lo`) updated with error-free transformations, so
/// adding and removing values leaves no drift. Its value is the correctly rounded sum of the window, the
/// number Python's `math.fsum` gives (what backtrader's averages use), so equal windows give equal
/// averages and crossings at exact ties happen on the same bar.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExactSum {
    hi: f64,
    lo: f64,
}

impl ExactSum {
    /// Knuth's TwoSum: `a + b = s + e` exactly.
    #[inline(always)]
    fn two_sum(a: f64, b: f64) -> (f64, f64) {
        let s = a + b;
        let bb = s - a;
        (s, (a - (s - bb)) + (b - bb))
    }

    /// Adds `v`; the rounding error of the high part is carried exactly in the low part, which only
    /// ever holds the running sum's tiny remainder.
    #[inline(always)]
    pub fn add(&mut self, v: f64) {
        let (s, e) = Self::two_sum(self.hi, v);
        self.hi = s;
        self.lo += e;
    }

    #[inline(always)]
    pub fn value(&self) -> f64 {
        self.hi + self.lo
    }
}

/// Simple moving average over the last `period` values: the exact window sum over `period`.
#[derive(Debug, Clone)]
pub struct Sma {
    buf: Vec<f64>,
    pos: usize,
    len: usize,
    sum: ExactSum,
}

impl Sma {
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Sma {
            buf: vec![0.0; period],
            pos: 0,
            len: 0,
            sum: ExactSum::default(),
        }
    }

    pub fn period(&self) -> usize {
        self.buf.len()
    }

    /// Adds a value; returns the average once `period` values have been seen.
    #[inline]
    pub fn update(&mut self, v: f64) -> Option<f64> {
        let n = self.buf.len();
        let old = std::mem::replace(&mut self.buf[self.pos], v);
        self.sum.add(v);
        self.sum.add(-old);
        self.pos += 1;
        if self.pos == n {
            self.pos = 0;
            self.len = n;
        }
        (self.len == n).then(|| self.sum.value() / n as f64)
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
/// breakout compares today's close against. The inclusive `Extreme`, one value behind.
#[derive(Debug, Clone)]
pub struct RollingExtreme {
    inner: Extreme,
    last: Option<f64>,
}

impl RollingExtreme {
    pub fn highest(period: usize) -> Self {
        RollingExtreme {
            inner: Extreme::highest(period),
            last: None,
        }
    }
    pub fn lowest(period: usize) -> Self {
        RollingExtreme {
            inner: Extreme::lowest(period),
            last: None,
        }
    }

    /// Returns the extreme of the `period` values before `v` (None until that many exist), then adds `v`.
    #[inline]
    pub fn update(&mut self, v: f64) -> Option<f64> {
        std::mem::replace(&mut self.last, self.inner.update(v))
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

/// Exponential moving average, backtrader's way: seeded with the simple average of the first `period`
/// values, then `ema = ema + alpha * (v - ema)` with `alpha = 2 / (period + 1)`.
#[derive(Debug, Clone)]
pub struct Ema {
    seed: Sma,
    alpha: f64,
    value: Option<f64>,
}

impl Ema {
    pub fn new(period: usize) -> Self {
        Self::with_alpha(period, 2.0 / (period.max(1) as f64 + 1.0))
    }

    /// Wilder's smoothing (`alpha = 1 / period`), as RSI and ATR use.
    pub fn wilder(period: usize) -> Self {
        Self::with_alpha(period, 1.0 / period.max(1) as f64)
    }

    fn with_alpha(period: usize, alpha: f64) -> Self {
        Ema {
            seed: Sma::new(period),
            alpha,
            value: None,
        }
    }

    #[inline]
    pub fn update(&mut self, v: f64) -> Option<f64> {
        self.value = match self.value {
            Some(e) => Some(e + self.alpha * (v - e)),
            None => self.seed.update(v),
        };
        self.value
    }
}

/// Weighted moving average: weights 1..=period, the newest heaviest. Running sums keep it O(1).
#[derive(Debug, Clone)]
pub struct Wma {
    buf: Vec<f64>,
    pos: usize,
    len: usize,
    sum: f64,
    weighted: f64,
}

impl Wma {
    pub fn new(period: usize) -> Self {
        Wma {
            buf: vec![0.0; period.max(1)],
            pos: 0,
            len: 0,
            sum: 0.0,
            weighted: 0.0,
        }
    }

    #[inline]
    pub fn update(&mut self, v: f64) -> Option<f64> {
        let n = self.buf.len();
        let old = std::mem::replace(&mut self.buf[self.pos], v);
        self.pos = (self.pos + 1) % n;
        if self.len < n {
            self.len += 1;
            self.weighted += self.len as f64 * v;
            self.sum += v;
            if self.len < n {
                return None;
            }
            // Start from exact sums once the window is full.
            self.recompute();
        } else {
            // Every weight drops by one and the new value enters at weight n.
            self.weighted += n as f64 * v - self.sum;
            self.sum += v - old;
            if self.pos == 0 {
                self.recompute(); // once per window, so rounding never accumulates
            }
        }
        Some(self.weighted / (n * (n + 1) / 2) as f64)
    }

    fn recompute(&mut self) {
        let n = self.buf.len();
        let mut sum = ExactSum::default();
        let mut weighted = ExactSum::default();
        for k in 0..n {
            let x = self.buf[(self.pos + k) % n];
            sum.add(x);
            weighted.add((k + 1) as f64 * x);
        }
        self.sum = sum.value();
        self.weighted = weighted.value();
    }
}

/// Population standard deviation over a window: `sqrt(mean(x^2) - mean(x)^2)`, as backtrader's
/// `StandardDeviation` (and so its Bollinger Bands) computes it.
#[derive(Debug, Clone)]
pub struct StdDev {
    mean: Sma,
    mean_sq: Sma,
}

impl StdDev {
    pub fn new(period: usize) -> Self {
        StdDev {
            mean: Sma::new(period),
            mean_sq: Sma::new(period),
        }
    }

    /// The window's mean and standard deviation.
    #[inline]
    pub fn update(&mut self, v: f64) -> Option<(f64, f64)> {
        let m = self.mean.update(v);
        let q = self.mean_sq.update(v * v);
        let (m, q) = (m?, q?);
        Some((m, (q - m * m).max(0.0).sqrt()))
    }
}

/// MACD: `ema(fast) - ema(slow)`, its `ema(signal)`, and the histogram (their difference).
#[derive(Debug, Clone)]
pub struct Macd {
    fast: Ema,
    slow: Ema,
    signal: Ema,
}

impl Macd {
    pub fn new(fast: usize, slow: usize, signal: usize) -> Self {
        Macd {
            fast: Ema::new(fast),
            slow: Ema::new(slow),
            signal: Ema::new(signal),
        }
    }

    /// `(macd, signal, histogram)`; the signal and histogram start once the signal has warmed up.
    #[inline]
    pub fn update(&mut self, v: f64) -> (Option<f64>, Option<f64>, Option<f64>) {
        let (f, s) = (self.fast.update(v), self.slow.update(v));
        let Some(line) = f.zip(s).map(|(f, s)| f - s) else {
            return (None, None, None);
        };
        let signal = self.signal.update(line);
        (Some(line), signal, signal.map(|sig| line - sig))
    }
}

/// Average true range, Wilder-smoothed. The true range needs the previous close, so the first bar
/// only seeds it.
#[derive(Debug, Clone)]
pub struct Atr {
    prev_close: Option<f64>,
    avg: Ema,
}

impl Atr {
    pub fn new(period: usize) -> Self {
        Atr {
            prev_close: None,
            avg: Ema::wilder(period),
        }
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        let tr = (high - low).max((high - prev).abs()).max((low - prev).abs());
        self.avg.update(tr)
    }
}

/// Highest (or lowest) of the last `period` values, the current one included. Monotonic deque.
#[derive(Debug, Clone)]
pub struct Extreme {
    period: usize,
    highest: bool,
    seen: usize,
    deque: VecDeque<(usize, f64)>,
}

impl Extreme {
    pub fn highest(period: usize) -> Self {
        Self::new(period, true)
    }
    pub fn lowest(period: usize) -> Self {
        Self::new(period, false)
    }
    fn new(period: usize, highest: bool) -> Self {
        let period = period.max(1);
        Extreme {
            period,
            highest,
            seen: 0,
            deque: VecDeque::with_capacity(period + 1),
        }
    }

    #[inline]
    pub fn update(&mut self, v: f64) -> Option<f64> {
        let idx = self.seen;
        self.seen += 1;
        while let Some(&(_, x)) = self.deque.back() {
            let dominated = if self.highest { x <= v } else { x >= v };
            if !dominated {
                break;
            }
            self.deque.pop_back();
        }
        self.deque.push_back((idx, v));
        while self.deque.front().is_some_and(|&(i, _)| i + self.period <= idx) {
            self.deque.pop_front();
        }
        (self.seen >= self.period).then(|| self.deque.front().map_or(v, |&(_, x)| x))
    }
}

/// Stochastic oscillator: `%K = 100 x (close - lowest low) / (highest high - lowest low)` over `period`
/// bars, `%D` its simple average over `d_period`. A flat range gives `%K` 50.
#[derive(Debug, Clone)]
pub struct Stochastic {
    high: Extreme,
    low: Extreme,
    d: Sma,
}

impl Stochastic {
    pub fn new(period: usize, d_period: usize) -> Self {
        Stochastic {
            high: Extreme::highest(period),
            low: Extreme::lowest(period),
            d: Sma::new(d_period),
        }
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> (Option<f64>, Option<f64>) {
        let (h, l) = (self.high.update(high), self.low.update(low));
        let Some((h, l)) = h.zip(l) else {
            return (None, None);
        };
        let k = if h > l { 100.0 * (close - l) / (h - l) } else { 50.0 };
        (Some(k), self.d.update(k))
    }
}

/// Rate of change as a fraction, backtrader's `ROC`: `(v - v[period bars ago]) / v[period bars ago]`.
#[derive(Debug, Clone)]
pub struct Roc {
    buf: VecDeque<f64>,
    period: usize,
}

impl Roc {
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Roc {
            buf: VecDeque::with_capacity(period + 1),
            period,
        }
    }

    #[inline]
    pub fn update(&mut self, v: f64) -> Option<f64> {
        self.buf.push_back(v);
        if self.buf.len() <= self.period {
            return None;
        }
        let old = self.buf.pop_front()?;
        (old != 0.0).then(|| (v - old) / old)
    }
}

/// Volume-weighted average price over the whole run: `sum(typical x volume) / sum(volume)`, the typical
/// price being `(high + low + close) / 3`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Vwap {
    pv: ExactSum,
    volume: ExactSum,
}

impl Vwap {
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        self.pv.add((high + low + close) / 3.0 * volume);
        self.volume.add(volume);
        let v = self.volume.value();
        (v > 0.0).then(|| self.pv.value() / v)
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

    /// Python's `math.fsum`: the correctly rounded sum (Shewchuk's partials).
    pub(crate) fn fsum(xs: &[f64]) -> f64 {
        let mut partials: Vec<f64> = Vec::new();
        for &x in xs {
            let mut x = x;
            let mut i = 0;
            for j in 0..partials.len() {
                let mut y = partials[j];
                if x.abs() < y.abs() {
                    std::mem::swap(&mut x, &mut y);
                }
                let hi = x + y;
                let lo = y - (hi - x);
                if lo != 0.0 {
                    partials[i] = lo;
                    i += 1;
                }
                x = hi;
            }
            partials.truncate(i);
            partials.push(x);
        }
        // Round the partials' sum correctly (the half-way correction of CPython's fsum).
        let mut hi = 0.0;
        if let Some(mut n) = partials.len().checked_sub(0) {
            if n > 0 {
                n -= 1;
                hi = partials[n];
                let mut lo = 0.0;
                while n > 0 {
                    let x = hi;
                    n -= 1;
                    let y = partials[n];
                    hi = x + y;
                    let yr = hi - x;
                    lo = y - yr;
                    if lo != 0.0 {
                        break;
                    }
                }
                if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
                    let y = lo * 2.0;
                    let x = hi + y;
                    if y == x - hi {
                        hi = x;
                    }
                }
            }
        }
        hi
    }

    #[test]
    fn sma_is_the_fsum_of_the_window_bit_for_bit() {
        // Values of very different sizes, and long flat stretches where a drifting sum would break ties.
        let mut xs: Vec<f64> = (0..20_000)
            .map(|i| {
                let base = if (i / 500) % 2 == 0 { 0.00001234 } else { 7123.456789 };
                base * (1.0 + ((i * 7919) % 113) as f64 * 1e-7)
            })
            .collect();
        for x in xs.iter_mut().skip(3000).take(400) {
            *x = 0.00271;
        }
        // And a long walk with 8-decimal prices, as exchanges report them.
        let mut p = 0.05;
        xs.extend((0..100_000).map(|i: u64| {
            p = ((p * (1.0 + (((i * 2_654_435_761) % 1000) as f64 - 500.0) * 1e-6)) * 1e8).round() / 1e8;
            p
        }));
        for period in [2, 10, 30, 200] {
            let mut sma = Sma::new(period);
            for (i, &x) in xs.iter().enumerate() {
                let got = sma.update(x);
                if i + 1 >= period {
                    let want = fsum(&xs[i + 1 - period..=i]) / period as f64;
                    assert_eq!(got, Some(want), "period {period}, bar {i}");
                }
            }
        }
    }

    #[test]
    fn ema_wma_and_friends_by_hand() {
        let mut e = Ema::new(3);
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(2.0), None);
        assert_eq!(e.update(3.0), Some(2.0)); // seeded with the SMA
        assert_eq!(e.update(6.0), Some(4.0)); // 2 + 0.5 x (6 - 2)
        let mut w = Wma::new(3);
        w.update(1.0);
        w.update(2.0);
        assert_eq!(w.update(3.0), Some((1.0 + 4.0 + 9.0) / 6.0));
        assert_eq!(w.update(4.0), Some((2.0 + 6.0 + 12.0) / 6.0));
        for i in 5..200 {
            let v = w.update(i as f64).unwrap();
            let want = ((i - 2) as f64 + 2.0 * (i - 1) as f64 + 3.0 * i as f64) / 6.0;
            assert!((v - want).abs() < 1e-9, "{i}: {v} vs {want}");
        }
        let mut sd = StdDev::new(4);
        let out: Vec<_> = [2.0, 4.0, 4.0, 4.0].iter().map(|&x| sd.update(x)).collect();
        assert_eq!(out[3], Some((3.5, (13.0f64 - 12.25).sqrt())));
        let mut m = Macd::new(2, 3, 2);
        let outs: Vec<_> = [1.0, 2.0, 3.0, 4.0, 5.0].iter().map(|&x| m.update(x)).collect();
        assert_eq!(outs[1], (None, None, None));
        // fast ema(2): 1.5, 2.5, 3.5, 4.5; slow ema(3): -, 2, 3, 4 -> line 0.5, 0.5, 0.5
        assert_eq!(outs[2].0, Some(0.5));
        assert_eq!(outs[3], (Some(0.5), Some(0.5), Some(0.0)));
        let mut atr = Atr::new(2);
        assert_eq!(atr.update(10.0, 8.0, 9.0), None);
        assert_eq!(atr.update(11.0, 9.0, 10.0), None); // tr 2
        assert_eq!(atr.update(13.0, 10.0, 12.0), Some(2.5)); // tr 3 -> seed mean 2.5
        assert_eq!(atr.update(12.0, 12.0, 12.0), Some(1.25)); // tr 0 -> 2.5 + 0.5 x (0 - 2.5)
        let mut hi = Extreme::highest(3);
        let his: Vec<_> = [5.0, 3.0, 8.0, 1.0, 2.0, 1.5].iter().map(|&x| hi.update(x)).collect();
        assert_eq!(his, vec![None, None, Some(8.0), Some(8.0), Some(8.0), Some(2.0)]);
        let mut st = Stochastic::new(2, 2);
        assert_eq!(st.update(10.0, 8.0, 9.0), (None, None));
        assert_eq!(st.update(12.0, 9.0, 11.0), (Some(75.0), None));
        // highest high 12, lowest low 9 over the last two bars: %K = 100 x 1/3.
        let (k, d) = st.update(12.0, 10.0, 10.0);
        assert!((k.unwrap() - 100.0 / 3.0).abs() < 1e-12 && (d.unwrap() - (75.0 + 100.0 / 3.0) / 2.0).abs() < 1e-12);
        let mut r = Roc::new(2);
        assert_eq!(
            (r.update(100.0), r.update(50.0), r.update(110.0)),
            (None, None, Some(0.1))
        );
        let mut v = Vwap::default();
        assert_eq!(v.update(3.0, 3.0, 3.0, 1.0), Some(3.0));
        assert_eq!(v.update(6.0, 6.0, 6.0, 2.0), Some(5.0));
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

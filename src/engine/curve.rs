//! Running figures of a run's equity curve, updated by the engine at every step, so metrics need
//! no second pass over a stored curve and a parameter sweep needs no curve at all. They see every
//! step, also in a long realtime run whose stored curve is thinned.

/// The deepest drawdown so far, and the lowest value since the current peak.
#[derive(Debug, Clone, Copy)]
struct Drawdown {
    max: f64,
    trough: f64,
}

impl Default for Drawdown {
    fn default() -> Self {
        Drawdown {
            max: 0.0,
            trough: f64::INFINITY,
        }
    }
}

impl Drawdown {
    /// The stretch below `peak` ends (a new peak, or the end of the curve).
    #[inline]
    fn close(&mut self, peak: f64) {
        if self.trough < peak && peak > 0.0 {
            self.max = self.max.max((peak - self.trough) / peak);
        }
        self.trough = f64::INFINITY;
    }
}

/// Per-step simple returns `r_i = v_i / v_{i-1} - 1` (the first against the initial cash), their
/// sums, the running peak and the drawdowns below it.
#[derive(Debug, Clone, Copy)]
pub struct CurveStats {
    initial: f64,
    prev: f64,
    steps: u64,
    /// Sum of returns and of squared returns (the variance is their difference).
    sum: f64,
    sum_sq: f64,
    /// Sum of squared negative returns.
    down: f64,
    peak: f64,
    dd: Drawdown,
    dd_len: u64,
    max_dd_len: u64,
}

/// What the metrics take from the curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveSummary {
    pub steps: u64,
    pub final_value: f64,
    pub mean_return: f64,
    /// Sample standard deviation (n - 1) of the returns; `None` below two steps.
    pub std_return: Option<f64>,
    /// `sqrt(mean(min(r, 0)^2))`; `None` without steps.
    pub downside_deviation: Option<f64>,
    /// max over t of (peak_t - v_t) / peak_t, peak_t = running max including the initial cash.
    pub max_drawdown: f64,
    /// Longest run of steps spent below a previous peak.
    pub max_drawdown_steps: u64,
}

impl CurveStats {
    pub fn new(initial: f64) -> Self {
        CurveStats {
            initial,
            prev: initial,
            steps: 0,
            sum: 0.0,
            sum_sq: 0.0,
            down: 0.0,
            peak: initial,
            dd: Drawdown::default(),
            dd_len: 0,
            max_dd_len: 0,
        }
    }

    /// The value at the end of one more step.
    #[inline(always)]
    pub fn push(&mut self, v: f64) {
        let r = if self.prev > 0.0 { v / self.prev - 1.0 } else { 0.0 };
        self.prev = v;
        self.steps += 1;
        self.sum += r;
        self.sum_sq += r * r;
        self.down += r.min(0.0) * r.min(0.0);
        // (peak - v) / peak only falls as v rises (rounding keeps that order), so the deepest point
        // of each stretch below a peak gives that stretch's drawdown: one division per stretch.
        if v >= self.peak {
            self.dd.close(self.peak);
            self.peak = v;
            self.dd_len = 0;
        } else {
            self.dd_len += 1;
            self.max_dd_len = self.max_dd_len.max(self.dd_len);
            self.dd.trough = self.dd.trough.min(v);
        }
    }

    /// `n` steps that all end at `v`: the figures of `n` pushes of `v`. After the first, each step
    /// returns exactly 0 and leaves peak and trough where they are, so the rest only count.
    pub fn push_repeated(&mut self, v: f64, n: u64) {
        if n == 0 {
            return;
        }
        self.push(v);
        if !v.is_finite() {
            (1..n).for_each(|_| self.push(v));
            return;
        }
        let rest = n - 1;
        self.steps += rest;
        if v < self.peak {
            self.dd_len += rest;
            self.max_dd_len = self.max_dd_len.max(self.dd_len);
        }
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn summary(&self) -> CurveSummary {
        let n = self.steps;
        let mut dd = self.dd;
        dd.close(self.peak);
        let (sum, sum_sq) = (self.sum, self.sum_sq);
        let mean_return = if n > 0 { sum / n as f64 } else { 0.0 };
        // Sum of squared deviations = sum(r^2) - sum(r)^2 / n, never below 0.
        let std_return = (n > 1).then(|| ((sum_sq - sum * mean_return).max(0.0) / (n - 1) as f64).sqrt());
        CurveSummary {
            steps: n,
            final_value: if n > 0 { self.prev } else { self.initial },
            mean_return,
            std_return,
            downside_deviation: (n > 0).then(|| (self.down / n as f64).sqrt()),
            max_drawdown: dd.max,
            max_drawdown_steps: self.max_dd_len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CurveStats, Drawdown};

    fn curves() -> impl Iterator<Item = (f64, Vec<f64>)> {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (0..300).map(move |case| {
            let scale = [0.01, 1.0, 1e4, 1e6][case % 4];
            let initial = scale * (1.0 + (next() % 1000) as f64 / 1000.0);
            let mut v = initial;
            let curve = (0..2000)
                .map(|_| {
                    match next() % 10 {
                        0 => {}
                        1..=4 => v *= 1.0 + (next() % 500) as f64 / 1e5,
                        _ => v *= 1.0 - (next() % 500) as f64 / 1e5,
                    }
                    v
                })
                .collect();
            (initial, curve)
        })
    }

    /// The per-stretch drawdown equals the per-bar one, bit for bit, on curves with flat stretches,
    /// new peaks, ties with the peak and values from cents to millions.
    #[test]
    fn the_deepest_point_of_each_stretch_gives_the_per_bar_maximum() {
        for (case, (initial, curve)) in curves().enumerate() {
            let (mut peak, mut per_bar) = (initial, 0.0f64);
            let mut dd = Drawdown::default();
            let mut p = initial;
            for &x in &curve {
                if x >= peak {
                    peak = x;
                } else if peak > 0.0 {
                    per_bar = per_bar.max((peak - x) / peak);
                }
                if x >= p {
                    dd.close(p);
                    p = x;
                } else {
                    dd.trough = dd.trough.min(x);
                }
            }
            dd.close(p);
            assert_eq!(per_bar.to_bits(), dd.max.to_bits(), "case {case}");
        }
    }

    /// The one-pass figures agree with the textbook two-pass ones to 1e-12 (relative).
    #[test]
    fn running_figures_match_two_passes_over_the_curve() {
        for (case, (initial, curve)) in curves().enumerate() {
            let mut stats = CurveStats::new(initial);
            curve.iter().for_each(|&v| stats.push(v));
            let s = stats.summary();
            let mut prev = initial;
            let r: Vec<f64> = curve
                .iter()
                .map(|&v| {
                    let x = v / prev - 1.0;
                    prev = v;
                    x
                })
                .collect();
            let n = r.len() as f64;
            let mean = r.iter().sum::<f64>() / n;
            let std = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let down = (r.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs());
            assert!(close(s.mean_return, mean), "case {case}: {} vs {mean}", s.mean_return);
            assert!(close(s.std_return.unwrap(), std), "case {case}");
            assert!(close(s.downside_deviation.unwrap(), down), "case {case}");
            assert_eq!(s.final_value, *curve.last().unwrap());
            assert_eq!(s.steps, curve.len() as u64);
        }
    }

    /// A repeated value gives the figures of pushing it that many times, bit for bit, below, at and
    /// above the peak, and for zero, negative and non-finite values.
    #[test]
    fn a_repeated_value_counts_as_that_many_pushes() {
        let specials = [0.0, -5.0, f64::INFINITY, f64::NAN];
        for (case, (initial, curve)) in curves().take(60).enumerate() {
            let (mut one_by_one, mut repeated) = (CurveStats::new(initial), CurveStats::new(initial));
            for (i, &v) in curve.iter().enumerate() {
                let v = if i % 97 == 96 { specials[(i / 97) % 4] } else { v };
                let n = (i % 7) as u64;
                (0..n).for_each(|_| one_by_one.push(v));
                repeated.push_repeated(v, n);
                assert_eq!(
                    format!("{one_by_one:?}"),
                    format!("{repeated:?}"),
                    "case {case}, step {i}"
                );
            }
            // Debug text, so NaN figures compare equal.
            assert_eq!(
                format!("{:?}", one_by_one.summary()),
                format!("{:?}", repeated.summary())
            );
        }
    }

    #[test]
    fn no_steps_and_flat_curves_have_no_spread() {
        let s = CurveStats::new(100.0).summary();
        assert_eq!(
            (s.steps, s.final_value, s.std_return, s.downside_deviation),
            (0, 100.0, None, None)
        );
        let mut flat = CurveStats::new(100.0);
        (0..10).for_each(|_| flat.push(100.0));
        let s = flat.summary();
        assert_eq!((s.mean_return, s.std_return, s.max_drawdown), (0.0, Some(0.0), 0.0));
    }
}

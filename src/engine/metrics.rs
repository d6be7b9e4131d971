//! Performance metrics of a run, computed once from its output. Every formula is stated where it is
//! computed. Returns are per engine step (bar); annualisation uses 365 days of the run's timeframe,
//! since crypto markets never close. Ratios that would divide by zero are `None` (JSON null).

use super::core::RunOutput;
use super::timeframe::Timeframe;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PerformanceMetrics {
    pub total_return: f64,
    pub cagr: Option<f64>,
    pub sharpe_ratio: Option<f64>,
    pub sortino_ratio: Option<f64>,
    pub calmar_ratio: Option<f64>,
    pub max_drawdown: f64,
    pub max_drawdown_duration_bars: u64,
    pub volatility: Option<f64>,
    pub total_trades: u64,
    pub win_rate: Option<f64>,
    pub profit_factor: Option<f64>,
    pub expectancy: Option<f64>,
    pub avg_trade_return: Option<f64>,
    pub best_trade: Option<f64>,
    pub worst_trade: Option<f64>,
    pub avg_trade_duration_bars: Option<f64>,
    pub exposure: f64,
    /// Every fee valued in the quote asset (fees paid in a third asset at its price when charged).
    pub total_commission: f64,
    pub buy_and_hold_return: Option<f64>,
    /// Fees as charged, per asset (e.g. `{"USDT": 12.3, "BTC": 0.0002}`).
    pub fees_by_asset: std::collections::BTreeMap<String, f64>,
}

/// The deepest drawdown so far, and the lowest value since the current peak.
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

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

pub fn compute(out: &RunOutput, timeframe: Timeframe) -> PerformanceMetrics {
    let initial = out.portfolio.initial_cash;
    // One pass over the curve, no copies of it: a million-bar run computes its metrics without
    // allocating (the sums fold in the same order as `Iterator::sum`, from -0.0, so results are
    // bit-identical to summing collected vectors).
    let values = || out.equity.iter().map(|p| p.value);
    let final_value = out.equity.last().map_or(initial, |p| p.value);
    let n = out.equity.len();
    // A long realtime run keeps every `stride`-th point (see `Engine::cap_equity`): returns are then
    // per stride bars, and durations count bars, not points. For a backtest stride = 1, bars = n.
    let stride = out.equity_stride.max(1);
    let bars = out.steps.max(n as u64);
    let ppy_bars = timeframe.periods_per_year();
    let ppy = ppy_bars / stride as f64;

    // total_return = final_value / initial_cash - 1
    let total_return = if initial > 0.0 {
        final_value / initial - 1.0
    } else {
        0.0
    };

    // cagr = (final / initial)^(1 / years) - 1, years = bars x timeframe / 365 days
    let years = bars as f64 / ppy_bars;
    let cagr = (n > 0 && initial > 0.0 && final_value > 0.0)
        .then(|| (final_value / initial).powf(1.0 / years) - 1.0)
        .and_then(finite);

    // Per-bar simple returns r_i = v_i / v_{i-1} - 1, the first measured against the initial cash.
    let returns = || {
        let mut prev = initial;
        values().map(move |v| {
            let r = if prev > 0.0 { v / prev - 1.0 } else { 0.0 };
            prev = v;
            r
        })
    };
    // max_drawdown = max over t of (peak_t - v_t) / peak_t, peak_t = running max including the initial
    // cash; max_drawdown_duration_bars = longest run of bars spent below a previous peak.
    // (peak - v) / peak only falls as v rises (rounding keeps that order), so the deepest point of each
    // stretch below a peak gives that stretch's drawdown: one division per stretch, not per bar.
    let (mut peak, mut dd_len, mut max_dd_len) = (initial, 0u64, 0u64);
    let mut dd = Drawdown::default();
    let (mut sum, mut down) = (-0.0f64, -0.0f64);
    for (v, r) in values().zip(returns()) {
        sum += r;
        down += r.min(0.0).powi(2);
        if v >= peak {
            dd.close(peak);
            peak = v;
            dd_len = 0;
        } else {
            dd_len += 1;
            max_dd_len = max_dd_len.max(dd_len);
            dd.trough = dd.trough.min(v);
        }
    }
    dd.close(peak);
    let max_dd = dd.max;
    let mean = if n > 0 { sum / n as f64 } else { 0.0 };
    // Sample standard deviation (n - 1).
    let std = (n > 1).then(|| (returns().fold(-0.0f64, |a, r| a + (r - mean).powi(2)) / (n - 1) as f64).sqrt());
    // volatility = std(r) x sqrt(bars per year)
    let volatility = std.map(|s| s * ppy.sqrt());
    // sharpe = mean(r) / std(r) x sqrt(bars per year), risk-free rate 0
    let sharpe_ratio = std.filter(|&s| s > 0.0).and_then(|s| finite(mean / s * ppy.sqrt()));
    // sortino = mean(r) / downside deviation x sqrt(bars per year), downside dev = sqrt(mean(min(r,0)^2))
    let downside = (n > 0).then(|| (down / n as f64).sqrt());
    let sortino_ratio = downside
        .filter(|&d| d > 0.0)
        .and_then(|d| finite(mean / d * ppy.sqrt()));
    // calmar = cagr / max_drawdown
    let calmar_ratio = cagr.filter(|_| max_dd > 0.0).and_then(|c| finite(c / max_dd));

    // Trades are completed round trips (flat -> long -> flat); returns are pnl / cost of entry.
    let trips = &out.round_trips;
    let t = trips.len();
    let wins = trips.iter().filter(|r| r.pnl > 0.0).count();
    let gross_profit: f64 = trips.iter().filter(|r| r.pnl > 0.0).map(|r| r.pnl).sum();
    let gross_loss: f64 = -trips.iter().filter(|r| r.pnl < 0.0).map(|r| r.pnl).sum::<f64>();
    let avg =
        |f: &dyn Fn(&super::portfolio::RoundTrip) -> f64| (t > 0).then(|| trips.iter().map(f).sum::<f64>() / t as f64);
    // win_rate = winning trips / trips; profit_factor = gross profit / gross loss;
    // expectancy = mean pnl per trip (quote currency); avg_trade_return = mean trip return.
    let win_rate = (t > 0).then(|| wins as f64 / t as f64);
    let profit_factor = (gross_loss > 0.0).then(|| gross_profit / gross_loss);
    let expectancy = avg(&|r| r.pnl);
    let avg_trade_return = avg(&|r| r.ret);
    let best_trade = trips.iter().map(|r| r.ret).reduce(f64::max);
    let worst_trade = trips.iter().map(|r| r.ret).reduce(f64::min);
    let avg_trade_duration_bars = avg(&|r| r.bars as f64);

    // exposure = bars ending with any position open / bars
    let exposure = if bars > 0 {
        out.steps_in_market as f64 / bars as f64
    } else {
        0.0
    };

    // buy_and_hold_return = equal-weight mean over symbols of last close / first close - 1 (no fees)
    let bh: Vec<f64> = out
        .first_close
        .iter()
        .zip(&out.last_close)
        .filter(|(f, l)| f.is_finite() && l.is_finite() && **f > 0.0)
        .map(|(f, l)| l / f - 1.0)
        .collect();
    let buy_and_hold_return = (!bh.is_empty()).then(|| bh.iter().sum::<f64>() / bh.len() as f64);

    PerformanceMetrics {
        total_return,
        cagr,
        sharpe_ratio,
        sortino_ratio,
        calmar_ratio,
        max_drawdown: max_dd,
        max_drawdown_duration_bars: max_dd_len * stride,
        volatility,
        total_trades: t as u64,
        win_rate,
        profit_factor,
        expectancy,
        avg_trade_return,
        best_trade,
        worst_trade,
        avg_trade_duration_bars,
        exposure,
        total_commission: out.portfolio.total_commission,
        buy_and_hold_return,
        fees_by_asset: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::Drawdown;

    /// The per-stretch drawdown equals the per-bar one, bit for bit, on curves with flat stretches,
    /// new peaks, ties with the peak and values from cents to millions.
    #[test]
    fn the_deepest_point_of_each_stretch_gives_the_per_bar_maximum() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..300 {
            let scale = [0.01, 1.0, 1e4, 1e6][case % 4];
            let initial = scale * (1.0 + (next() % 1000) as f64 / 1000.0);
            let mut v = initial;
            let curve: Vec<f64> = (0..2000)
                .map(|_| {
                    match next() % 10 {
                        0 => {}
                        1..=4 => v *= 1.0 + (next() % 500) as f64 / 1e5,
                        _ => v *= 1.0 - (next() % 500) as f64 / 1e5,
                    }
                    v
                })
                .collect();
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
}

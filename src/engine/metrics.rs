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

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

pub fn compute(out: &RunOutput, timeframe: Timeframe) -> PerformanceMetrics {
    let initial = out.portfolio.initial_cash;
    let curve = out.curve.summary();
    let final_value = curve.final_value;
    let bars = curve.steps;
    let ppy = timeframe.periods_per_year();

    // total_return = final_value / initial_cash - 1
    let total_return = if initial > 0.0 {
        final_value / initial - 1.0
    } else {
        0.0
    };

    // cagr = (final / initial)^(1 / years) - 1, years = bars x timeframe / 365 days
    let years = bars as f64 / ppy;
    let cagr = (bars > 0 && initial > 0.0 && final_value > 0.0)
        .then(|| (final_value / initial).powf(1.0 / years) - 1.0)
        .and_then(finite);

    // Returns are per bar, r_i = v_i / v_{i-1} - 1, the first measured against the initial cash;
    // their mean, spread and the drawdowns are kept while the run goes (`curve::CurveStats`).
    let mean = curve.mean_return;
    let max_dd = curve.max_drawdown;
    // volatility = std(r) x sqrt(bars per year), std with n - 1
    let volatility = curve.std_return.map(|s| s * ppy.sqrt());
    // sharpe = mean(r) / std(r) x sqrt(bars per year), risk-free rate 0
    let sharpe_ratio = curve
        .std_return
        .filter(|&s| s > 0.0)
        .and_then(|s| finite(mean / s * ppy.sqrt()));
    // sortino = mean(r) / downside deviation x sqrt(bars per year), downside dev = sqrt(mean(min(r,0)^2))
    let sortino_ratio = curve
        .downside_deviation
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
        max_drawdown_duration_bars: curve.max_drawdown_steps,
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

//! The human-readable backtest summary.

use cracktrader::run::ResultsResponse;
use std::fmt::Write;

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:+.2}%", x * 100.0)).unwrap_or_else(|| "n/a".into())
}
fn frac(v: Option<f64>) -> String {
    v.map(|x| format!("{:.2}%", x * 100.0)).unwrap_or_else(|| "n/a".into())
}
fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3}")).unwrap_or_else(|| "n/a".into())
}

/// `v` to `digits` significant digits, trailing zeros dropped but at least `min_dp` decimals.
fn significant(v: f64, digits: i32, min_dp: usize) -> String {
    if !v.is_finite() || v == 0.0 {
        return format!("{:.*}", min_dp, if v.is_finite() { 0.0 } else { v });
    }
    let magnitude = v.abs().log10().floor() as i32;
    let dp = (digits - 1 - magnitude).clamp(0, 12) as usize;
    let text = format!("{v:.dp$}");
    let mut out = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    let have = out.split_once('.').map_or(0, |(_, d)| d.len());
    if have < min_dp {
        if have == 0 {
            out.push('.');
        }
        out.extend(std::iter::repeat_n('0', min_dp - have));
    }
    out
}

/// An amount of an asset: 8 significant digits (below any exchange's lot), no trailing zeros.
pub fn amount(v: f64) -> String {
    significant(v, 8, 0)
}

/// A price: 8 significant digits, at least cents.
pub fn price(v: f64) -> String {
    significant(v, 8, 2)
}

/// Money in the quote currency: cents, or 4 significant digits when below one (BTC-quoted pairs).
pub fn money(v: f64) -> String {
    if v.abs() >= 1.0 || v == 0.0 {
        format!("{v:.2}")
    } else {
        significant(v, 4, 2)
    }
}

fn signed_money(v: f64) -> String {
    let m = money(v);
    if v >= 0.0 {
        format!("+{m}")
    } else {
        m
    }
}

pub fn render(r: &ResultsResponse) -> String {
    let c = &r.config;
    let m = &r.performance_metrics;
    let mut s = String::new();
    let first = r.equity_curve.first().map(|e| e.timestamp.as_str()).unwrap_or("-");
    let last = r.equity_curve.last().map(|e| e.timestamp.as_str()).unwrap_or("-");
    let params: Vec<String> = c.strategy_params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    // `runs show` prints paper and live runs too: say which kind this was.
    let kind = match c.mode {
        cracktrader::run::config::Mode::Backtest => "Backtest",
        cracktrader::run::config::Mode::Paper => "Paper run",
        cracktrader::run::config::Mode::Live if c.live.sandbox => "Live run (testnet)",
        cracktrader::run::config::Mode::Live => "Live run",
        cracktrader::run::config::Mode::Optimize => "Optimisation (best combination)",
    };
    let _ = writeln!(s, "{kind} {}  [{}]", r.run_id, r.status.as_str());
    let _ = writeln!(s, "  strategy    {} ({})", c.strategy_name, params.join(", "));
    let source = match &c.data_file {
        Some(f) => format!("from {f}"),
        None => format!("on {}", c.exchange),
    };
    let _ = writeln!(s, "  market      {} {} {source}", c.symbols.join(", "), c.timeframe);
    // A sweep keeps no curve or fills of its own: its candles are in the table below.
    let sweep = r.optimization.is_some();
    if !sweep {
        let _ = writeln!(s, "  period      {first} .. {last} ({} bars)", r.equity_points_total);
    }
    let _ = writeln!(
        s,
        "  costs       commission {:.4}%, slippage {} bps",
        c.commission * 100.0,
        c.slippage_bps
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "  initial cash        {:>16.2}", c.initial_cash);
    let _ = writeln!(s, "  final value         {:>16.2}", r.final_value);
    let _ = writeln!(s, "  total return        {:>16}", pct(Some(m.total_return)));
    let _ = writeln!(s, "  buy & hold return   {:>16}", pct(m.buy_and_hold_return));
    let _ = writeln!(s, "  CAGR                {:>16}", pct(m.cagr));
    let _ = writeln!(s, "  max drawdown        {:>16}", pct(Some(-m.max_drawdown)));
    let _ = writeln!(
        s,
        "  sharpe / sortino    {:>16}",
        format!("{} / {}", num(m.sharpe_ratio), num(m.sortino_ratio))
    );
    let _ = writeln!(s, "  calmar              {:>16}", num(m.calmar_ratio));
    let _ = writeln!(s, "  volatility (ann.)   {:>16}", frac(m.volatility));
    let _ = writeln!(s, "  exposure            {:>16}", frac(Some(m.exposure)));
    let _ = writeln!(s);
    let _ = writeln!(s, "  round trips         {:>16}", m.total_trades);
    let _ = writeln!(s, "  win rate            {:>16}", frac(m.win_rate));
    let _ = writeln!(s, "  profit factor       {:>16}", num(m.profit_factor));
    let _ = writeln!(
        s,
        "  avg / best / worst  {:>16}",
        format!(
            "{} / {} / {}",
            pct(m.avg_trade_return),
            pct(m.best_trade),
            pct(m.worst_trade)
        )
    );
    if !sweep {
        let _ = writeln!(s, "  fills               {:>16}", r.trades.len());
    }
    let _ = writeln!(s, "  commission paid     {:>16}", money(m.total_commission));
    let rejected = r.orders.iter().filter(|o| o.status == "rejected").count();
    if rejected > 0 {
        let _ = writeln!(s, "  rejected orders     {:>16}", rejected);
    }
    for p in &r.positions {
        let _ = writeln!(
            s,
            "  open position       {} {} @ {} (unrealized {})",
            amount(p.size),
            p.symbol,
            price(p.avg_price),
            signed_money(p.unrealized_pnl)
        );
    }
    if !r.trades.is_empty() {
        let _ = writeln!(s, "\n  last fills:");
        for t in r.trades.iter().rev().take(5).rev() {
            let pnl = t.pnl.map(signed_money).unwrap_or_default();
            let _ = writeln!(
                s,
                "    {}  {:<4} {:>14} {} @ {:<14} {}",
                t.timestamp,
                t.side,
                amount(t.size),
                t.symbol,
                price(t.price),
                pnl
            );
        }
    }
    for w in &r.warnings {
        let _ = writeln!(s, "\n  warning: {w}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use cracktrader::run::config::{self, Mode, RunRequest};

    #[test]
    fn the_summary_names_the_kind_of_run() {
        let req = RunRequest::backtest("BuyAndHold", &["BTC/USDT"], "1d").between("2024-01-01", "2024-03-01");
        let cfg = config::validate(&req, &["sim".into()]).unwrap();
        let mut r = cracktrader::run::backtest::run(
            std::path::Path::new("/nonexistent"),
            cfg,
            &cracktrader::run::backtest::NoFetch,
        )
        .unwrap();
        assert!(render(&r).starts_with("Backtest run-"));
        r.config.mode = Mode::Paper;
        assert!(render(&r).starts_with("Paper run run-"));
        r.config.mode = Mode::Live;
        r.config.live.sandbox = true;
        assert!(render(&r).starts_with("Live run (testnet) run-"));
    }
}

#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn numbers_are_rounded_for_reading() {
        assert_eq!(price(15099.42705255), "15099.427");
        assert_eq!(price(40000.0), "40000.00");
        assert_eq!(price(0.0812345678), "0.081234568");
        assert_eq!(price(123456789.123), "123456789.00");
        assert_eq!(amount(0.524711), "0.524711");
        assert_eq!(amount(0.1 + 0.2), "0.3");
        assert_eq!(amount(12.0), "12");
        assert_eq!(amount(0.000012345678912), "0.000012345679");
        assert_eq!(money(-113.76114), "-113.76");
        assert_eq!(money(-0.000123456), "-0.0001235");
        assert_eq!(money(0.0), "0.00");
        assert_eq!(signed_money(678.0533), "+678.05");
    }
}

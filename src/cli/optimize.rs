//! `cracktrader-tui optimize`: a parameter sweep, printed as a ranked table (and, for two swept
//! parameters, a heatmap of the objective) or as JSON.

use super::backtest::BacktestArgs;
use clap::Args;
use cracktrader::data::source::known_exchanges;
use cracktrader::run::optimize::{self, Objective, Sweep, SweepReport, WalkForward};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    #[command(flatten)]
    pub backtest: BacktestArgs,
    /// A swept parameter, repeatable: NAME=START..END[:STEP] or NAME=V1,V2,...
    #[arg(long = "grid", value_name = "NAME=RANGE", required = true)]
    grid: Vec<String>,
    /// What to rank by: sharpe, sortino, calmar, total_return, profit_factor, final_value
    #[arg(long, default_value = "sharpe")]
    objective: String,
    /// Combinations with fewer round trips are listed but never best
    #[arg(long, default_value_t = 0)]
    min_trades: u64,
    /// Rows of the ranked table
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Walk-forward: this many contiguous folds, each optimised on its start and tested on the rest
    #[arg(long, value_name = "FOLDS")]
    walk_forward: Option<usize>,
    /// Training share of each walk-forward fold
    #[arg(long, default_value_t = 0.7)]
    train_pct: f64,
    /// Worker threads (default: one per core)
    #[arg(long, default_value_t = 0)]
    jobs: usize,
}

pub fn run(data_dir: &Path, a: OptimizeArgs) -> anyhow::Result<()> {
    let base = a.backtest.request()?;
    let axes = a
        .grid
        .iter()
        .map(|g| optimize::parse_axis(&base.strategy_name, g))
        .collect::<Result<Vec<_>, _>>()?;
    let sweep = Sweep {
        base,
        axes,
        objective: Objective::parse(&a.objective)?,
        min_trades: a.min_trades,
        walk_forward: a.walk_forward.map(|f| WalkForward::new(f, a.train_pct)).transpose()?,
        jobs: a.jobs,
    };
    let known = known_exchanges(data_dir);
    let config = optimize::first_config(&sweep, &known, cracktrader::runner::StartPolicy::default())?;
    let start_time = cracktrader::run::backtest::now_iso();
    let report = optimize::run(
        data_dir,
        &sweep,
        &known,
        &cracktrader::exchange::binance::history::Download,
    )?;
    // Recorded in the run history as one run (mode optimize) with its table; never at the cost of
    // the answer.
    let stored = optimize::into_results(report.clone(), config, start_time);
    let db = cracktrader::store::Store::db_path(data_dir);
    if let Err(e) = cracktrader::store::Store::open(&db).and_then(|mut s| s.save_results(&stored)) {
        eprintln!("warning: the optimisation was not saved to the history: {e}");
    }
    if a.backtest.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", render(&report, a.top));
    }
    Ok(())
}

fn shown(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), String::from)
}

fn num(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

/// The human report: counts, the ranked table, a heatmap for two swept parameters, walk-forward folds.
pub fn render(r: &SweepReport, top: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} over {} combinations ({} run, {} refused by the strategy's checks, {} below --min-trades) on {} candles in {} ms",
        r.strategy, r.combinations, r.completed, r.skipped, r.below_min_trades, r.candles, r.elapsed_ms
    );
    let names: Vec<&str> = r.axes.iter().map(|a| a.name.as_str()).collect();
    let mut header = String::from("rank");
    for n in &names {
        let _ = write!(header, "  {n:>12}");
    }
    let _ = write!(
        header,
        "  {:>12}  {:>8}  {:>8}  {:>7}  {:>6}  {:>12}",
        r.objective.as_str(),
        "return",
        "max_dd",
        "win%",
        "trips",
        "final"
    );
    let _ = writeln!(out, "\n{header}");
    for (i, c) in r.results.iter().take(top).enumerate() {
        let mut line = format!("{:>4}", i + 1);
        for n in &names {
            let _ = write!(line, "  {:>12}", c.params.get(*n).map(shown).unwrap_or_default());
        }
        let _ = write!(
            line,
            "  {:>12}  {:>7.2}%  {:>7.2}%  {:>7}  {:>6}  {:>12.2}",
            num(c.score),
            c.metrics.total_return * 100.0,
            c.metrics.max_drawdown * 100.0,
            c.metrics
                .win_rate
                .map_or_else(|| "-".into(), |w| format!("{:.1}", w * 100.0)),
            c.trades,
            c.final_value
        );
        let _ = writeln!(out, "{line}");
    }
    if let Some(b) = &r.best {
        let params: Vec<String> = names
            .iter()
            .map(|n| format!("{n}={}", b.params.get(*n).map(shown).unwrap_or_default()))
            .collect();
        let _ = writeln!(
            out,
            "\nbest: {} ({} {})",
            params.join(" "),
            r.objective.as_str(),
            num(b.score)
        );
    } else {
        let _ = writeln!(out, "\nno combination qualifies as best (see --min-trades)");
    }
    if r.axes.len() == 2 {
        out.push('\n');
        out.push_str(&heatmap(r));
    }
    if let Some(folds) = &r.walk_forward {
        let _ = writeln!(out, "\nwalk-forward ({} folds):", folds.len());
        for f in folds {
            let best = f.train.best_params.as_ref().map_or_else(
                || "none qualified".to_string(),
                |p| {
                    names
                        .iter()
                        .map(|n| format!("{n}={}", p.get(*n).map(shown).unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(" ")
                },
            );
            let test = f.test.metrics.as_ref().map_or_else(
                || "-".to_string(),
                |m| format!("return {:.2}%, sharpe {}", m.total_return * 100.0, num(m.sharpe_ratio)),
            );
            let _ = writeln!(
                out,
                "  fold {}: train {}..{} best {best} ({}); test {}..{}: {test}",
                f.fold,
                f.train.start,
                f.train.end,
                num(f.train.objective),
                f.test.start,
                f.test.end
            );
        }
    }
    out
}

/// The objective over two parameters: rows are the first, columns the second. Each cell has its value
/// and a shade (` .:-=+*#%@`, darker is better) so it reads without colour; the best cell is in [ ].
pub fn heatmap(r: &SweepReport) -> String {
    const SHADES: &[u8] = b" .:-=+*#%@";
    let (rows, cols) = (&r.axes[0], &r.axes[1]);
    let score = |rv: &Value, cv: &Value| {
        r.results
            .iter()
            .find(|c| c.params.get(&rows.name) == Some(rv) && c.params.get(&cols.name) == Some(cv))
            .map(|c| c.score)
    };
    let scores: Vec<f64> = r.results.iter().filter_map(|c| c.score).collect();
    let (lo, hi) = scores
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let best = r
        .best
        .as_ref()
        .map(|b| (b.params.get(&rows.name), b.params.get(&cols.name)));
    let mut out = format!("{}: {} down, {} across\n", r.objective.as_str(), rows.name, cols.name);
    let _ = write!(out, "{:>10} ", "");
    for cv in &cols.values {
        let _ = write!(out, " {:>10}", shown(cv));
    }
    out.push('\n');
    for rv in &rows.values {
        let _ = write!(out, "{:>10} ", shown(rv));
        for cv in &cols.values {
            let cell = match score(rv, cv) {
                None => "skipped".to_string(),
                Some(None) => "-".to_string(),
                Some(Some(x)) => {
                    let t = if hi > lo { (x - lo) / (hi - lo) } else { 1.0 };
                    let shade =
                        SHADES[((t * (SHADES.len() - 1) as f64).round() as usize).min(SHADES.len() - 1)] as char;
                    let mark = best == Some((Some(rv), Some(cv)));
                    if mark {
                        format!("[{x:.2}]{shade}")
                    } else {
                        format!("{x:.2}{shade}")
                    }
                }
            };
            let _ = write!(out, " {cell:>10}");
        }
        out.push('\n');
    }
    out
}

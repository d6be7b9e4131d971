//! `cracktrader-tui strategies`: the registry with each parameter's schema.

use cracktrader::engine::strategy::registry;
use cracktrader::run::config::RISK_KEYS;

fn num(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
}

/// Large bounds in scientific notation, so the table keeps its columns.
fn short(v: f64) -> String {
    if v.abs() >= 1e7 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

pub fn run() -> anyhow::Result<()> {
    for s in registry() {
        println!("{}\n  {}", s.name, s.description);
        println!(
            "  {:<14} {:<6} {:>8} {:>8} {:>10}  DESCRIPTION",
            "PARAM", "TYPE", "DEFAULT", "MIN", "MAX"
        );
        for p in s.all_params() {
            let ty = if p.ty == cracktrader::engine::strategy::ParamType::Int {
                "int"
            } else {
                "float"
            };
            println!(
                "  {:<14} {:<6} {:>8} {:>8} {:>10}  {}",
                p.name,
                ty,
                num(p.default),
                num(p.min),
                num(p.max),
                p.description
            );
        }
        println!();
    }
    println!("Risk limits (every strategy; --risk KEY=VALUE, or the `risk` object of a run request)");
    println!("  {:<27} {:<6} {:>8} {:>10}  DESCRIPTION", "KEY", "TYPE", "MIN", "MAX");
    for k in RISK_KEYS {
        println!(
            "  {:<27} {:<6} {:>8} {:>10}  {}",
            k.name,
            k.ty,
            short(k.min),
            short(k.max),
            k.description
        );
    }
    Ok(())
}

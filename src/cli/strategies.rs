//! `cracktrader-tui strategies`: the registry with each parameter's schema.

use cracktrader::engine::strategy::registry;

fn num(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
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
    Ok(())
}

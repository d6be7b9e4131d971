//! `cracktrader-tui strategies`: every strategy a run can use (built-in and scripts) with each
//! parameter's schema, the scripts that do not load and why; `strategies new NAME` writes a template.

use clap::{Args, Subcommand};
use cracktrader::engine::strategy::params::show_num;
use cracktrader::engine::strategy::Source;
use cracktrader::run::config::RISK_KEYS;
use cracktrader::script::catalog;
use std::path::Path;

#[derive(Debug, Args)]
pub struct StrategiesArgs {
    #[command(subcommand)]
    pub command: Option<StrategiesCommand>,
}

#[derive(Debug, Subcommand)]
pub enum StrategiesCommand {
    /// Write a commented script template to <strategies dir>/<NAME>.luau
    New {
        /// Strategy name: letters, digits and _ (also the file name)
        name: String,
    },
}

fn num(v: Option<f64>) -> String {
    v.map(show_num).unwrap_or_else(|| "-".into())
}

pub fn run(dir: &Path, args: StrategiesArgs) -> anyhow::Result<()> {
    match args.command {
        Some(StrategiesCommand::New { name }) => new(dir, &name),
        None => list(dir),
    }
}

fn list(dir: &Path) -> anyhow::Result<()> {
    for s in catalog::list() {
        let from = match &s.source {
            Source::Builtin => "built-in".to_string(),
            Source::Script { file, .. } => format!("script {file}"),
        };
        println!("{} ({from})\n  {}", s.name, s.description);
        println!(
            "  {:<16} {:<6} {:>8} {:>8} {:>10}  DESCRIPTION",
            "PARAM", "TYPE", "DEFAULT", "MIN", "MAX"
        );
        for p in s.all_params() {
            let default = p
                .default
                .map(|d| p.display_json(d).to_string().trim_matches('"').to_string())
                .unwrap_or_else(|| "-".into());
            let mut description = p.description.to_string();
            if !p.choices.is_empty() {
                description.push_str(&format!(" (one of: {})", p.choices.join(", ")));
            }
            println!(
                "  {:<16} {:<6} {:>8} {:>8} {:>10}  {}",
                p.name,
                p.ty.as_str(),
                default,
                num(p.min),
                num(p.max),
                description
            );
        }
        println!();
    }
    let broken = catalog::broken();
    if !broken.is_empty() {
        println!("Scripts that do not load (fix them and they appear above):");
        for b in broken {
            println!("  {}: {}", b.file, b.error);
        }
        println!();
    }
    println!(
        "Scripts folder: {} (*.luau; `strategies new NAME` writes a template)",
        dir.display()
    );
    println!();
    println!("Risk limits (every strategy; --risk KEY=VALUE, or the `risk` object of a run request)");
    println!("  {:<27} {:<6} {:>8} {:>10}  DESCRIPTION", "KEY", "TYPE", "MIN", "MAX");
    for k in RISK_KEYS {
        println!(
            "  {:<27} {:<6} {:>8} {:>10}  {}",
            k.name,
            k.ty,
            show_num(k.min),
            show_num(k.max),
            k.description
        );
    }
    Ok(())
}

const TEMPLATE: &str = include_str!("../../strategies/template.luau");

fn new(dir: &Path, name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.len() > 60 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        anyhow::bail!("strategy name '{name}' must be 1-60 letters, digits or _ (e.g. MyBreakout)");
    }
    if catalog::find(name).is_some() {
        anyhow::bail!("a strategy named '{name}' exists already (see `cracktrader-tui strategies`)");
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create the scripts folder {}: {e}", dir.display()))?;
    let path = dir.join(format!("{name}.luau"));
    if path.exists() {
        anyhow::bail!("{} exists already; not overwritten", path.display());
    }
    std::fs::write(&path, TEMPLATE.replace("MyStrategy", name))
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    println!("edit it, then: cracktrader-tui backtest --strategy {name} --symbol BTC/USDT --timeframe 1h");
    Ok(())
}

//! Reading a Luau strategy script into a `StrategyDef`: its name, description, parameter schema and
//! optional checks, all declared in the table the script returns. Each VM is sandboxed (no files,
//! processes, network or clock), deterministic (a seeded `math.random`), and bounded in memory.

use super::runtime::{self, ScriptStrategy};
use super::vm::{open, reset_budget, ScriptError};
use crate::engine::strategy::{Maker, ParamSpec, Params, Source, Strategy, StrategyDef};
use mlua::{Table, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
/// Parameters a script may declare.
const MAX_PARAMS: usize = 64;

fn text(def: &Table, key: &str) -> Option<String> {
    def.get::<Option<String>>(key).ok().flatten()
}

/// Reads one entry of `params`.
fn param(file: &str, i: usize, t: &Table) -> Result<ParamSpec, ScriptError> {
    let at = |m: String| ScriptError::new(file, format!("params[{i}]: {m}"));
    let name = text(t, "name").ok_or_else(|| at("needs a `name`".into()))?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.len() > 40 {
        return Err(at(format!("name '{name}' must be 1-40 letters, digits or _")));
    }
    let description = text(t, "description").unwrap_or_default();
    let ty = text(t, "type").unwrap_or_else(|| "float".into());
    let num = |k: &str| {
        t.get::<Option<f64>>(k)
            .map_err(|_| at(format!("{name}.{k} must be a number")))
    };
    let spec = match ty.as_str() {
        "int" | "float" => {
            let (min, max) = (num("min")?, num("max")?);
            let (Some(min), Some(max)) = (min, max) else {
                return Err(at(format!("{name}: numbers need `min` and `max`")));
            };
            if !(min.is_finite() && max.is_finite() && min <= max) {
                return Err(at(format!("{name}: min {min} must not exceed max {max}")));
            }
            let default = num("default")?;
            let mut p = if ty == "int" {
                ParamSpec::int("", default, min, max, "")
            } else {
                ParamSpec::float("", default, min, max, "")
            };
            p.name = name.clone().into();
            p.description = description.into();
            if let Some(d) = default {
                p.check(d).map_err(|e| at(format!("default: {e}")))?;
            }
            p
        }
        "bool" => {
            let default = t
                .get::<Option<bool>>("default")
                .map_err(|_| at(format!("{name}.default must be true or false")))?
                .unwrap_or(false);
            ParamSpec::boolean(name, default, description)
        }
        "choice" => {
            let choices: Vec<String> = t
                .get::<Option<Vec<String>>>("choices")
                .map_err(|_| at(format!("{name}.choices must be a list of strings")))?
                .unwrap_or_default();
            if choices.is_empty() || choices.len() > 32 {
                return Err(at(format!("{name}: a choice needs 1 to 32 `choices`")));
            }
            let default = text(t, "default").unwrap_or_else(|| choices[0].clone());
            let Some(d) = choices.iter().position(|c| *c == default) else {
                return Err(at(format!("{name}: default '{default}' is not one of its choices")));
            };
            ParamSpec::choice(name, choices, d, description)
        }
        other => {
            return Err(at(format!(
                "{name}: type '{other}' is not one of int, float, bool, choice"
            )))
        }
    };
    Ok(spec)
}

/// Loads and checks a script: the definition it declares, ready for the catalogue.
pub fn define(file: &str, code: &str) -> Result<StrategyDef, ScriptError> {
    let (_lua, def) = open(file, code)?;
    let name = text(&def, "name").ok_or_else(|| ScriptError::new(file, "the returned table needs a `name`"))?;
    if name.is_empty() || name.len() > 60 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ScriptError::new(
            file,
            format!("name '{name}' must be 1-60 letters, digits or _"),
        ));
    }
    let description = text(&def, "description").unwrap_or_default();
    if !matches!(def.get::<Value>("on_bar"), Ok(Value::Function(_))) {
        return Err(ScriptError::new(file, "the returned table needs an `on_bar` function"));
    }
    let mut params = Vec::new();
    if let Ok(Some(list)) = def.get::<Option<Table>>("params") {
        for (i, entry) in list.sequence_values::<Table>().enumerate() {
            let entry = entry.map_err(|_| ScriptError::new(file, format!("params[{}] must be a table", i + 1)))?;
            let p = param(file, i + 1, &entry)?;
            if params.iter().any(|q: &ParamSpec| q.name == p.name) {
                return Err(ScriptError::new(
                    file,
                    format!("parameter '{}' is declared twice", p.name),
                ));
            }
            params.push(p);
        }
    }
    if params.len() > MAX_PARAMS {
        return Err(ScriptError::new(file, format!("at most {MAX_PARAMS} parameters")));
    }
    let sha256 = format!("{:x}", Sha256::digest(code.as_bytes()));
    let maker = ScriptMaker {
        file: file.to_string(),
        code: code.into(),
        params: params.clone(),
    };
    // Built with its defaults once, so a script whose indicators or start fail is reported now.
    let defaults = Params::resolve(
        &params.iter().collect::<Vec<_>>(),
        std::iter::empty::<(&str, &f64)>(),
        |_, v| Ok(Some(*v)),
    )
    .map_err(|e| ScriptError::new(file, e))?;
    maker.check(&defaults).map_err(|e| ScriptError::new(file, e))?;
    maker.build(&defaults).map_err(|e| ScriptError::new(file, e))?;
    Ok(StrategyDef::new(
        name,
        description,
        params,
        Source::Script {
            file: file.to_string(),
            sha256,
        },
        Arc::new(maker),
    ))
}

/// Makes instances of one version of a script: a run keeps the version it started with.
pub struct ScriptMaker {
    pub file: String,
    pub code: Arc<str>,
    pub params: Vec<ParamSpec>,
}

impl Maker for ScriptMaker {
    fn build(&self, params: &Params) -> Result<Box<dyn Strategy>, String> {
        let s = ScriptStrategy::new(&self.file, &self.code, &self.params, params).map_err(|e| e.message)?;
        Ok(Box::new(s))
    }

    /// The script's own `validate(params)`: nil when fine, else a message saying what is wrong.
    fn check(&self, params: &Params) -> Result<(), String> {
        let (lua, def) = open(&self.file, &self.code).map_err(|e| e.message)?;
        let Ok(Some(validate)) = def.get::<Option<mlua::Function>>("validate") else {
            return Ok(());
        };
        let p = runtime::params_table(&lua, &self.params, params)
            .map_err(|e| ScriptError::from_lua(&self.file, &e).message)?;
        reset_budget(&lua);
        match validate.call::<Option<String>>(p) {
            Ok(None) => Ok(()),
            Ok(Some(msg)) => Err(msg),
            Err(e) => Err(ScriptError::from_lua(&self.file, &e).message),
        }
    }
}

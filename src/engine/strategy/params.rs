//! Strategy parameter schemas and validation. The same schema feeds the CLI, the API, and the
//! dashboard form, so a value accepted in one place is accepted everywhere.

use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A parameter's kind. Every value is kept as a number: a bool as 0 or 1, a choice as the index of
/// the chosen option; what users see and type is the natural form (`true`, `"ema"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    Int,
    Float,
    Bool,
    Choice,
}

impl ParamType {
    /// The inverse of `as_str`.
    pub fn parse(s: &str) -> Option<ParamType> {
        [ParamType::Int, ParamType::Float, ParamType::Bool, ParamType::Choice]
            .into_iter()
            .find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::Choice => "choice",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamSpec {
    pub name: Cow<'static, str>,
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// `None` means optional with no value (the strategy treats it as "off").
    pub default: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub description: Cow<'static, str>,
    /// The options of a `choice` parameter, in order (the value is the index).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

impl ParamSpec {
    pub const fn int(name: &'static str, default: Option<f64>, min: f64, max: f64, description: &'static str) -> Self {
        ParamSpec {
            name: Cow::Borrowed(name),
            ty: ParamType::Int,
            default,
            min: Some(min),
            max: Some(max),
            description: Cow::Borrowed(description),
            choices: Vec::new(),
        }
    }
    pub const fn float(
        name: &'static str,
        default: Option<f64>,
        min: f64,
        max: f64,
        description: &'static str,
    ) -> Self {
        ParamSpec {
            name: Cow::Borrowed(name),
            ty: ParamType::Float,
            default,
            min: Some(min),
            max: Some(max),
            description: Cow::Borrowed(description),
            choices: Vec::new(),
        }
    }

    pub fn boolean(name: String, default: bool, description: String) -> Self {
        ParamSpec {
            name: Cow::Owned(name),
            ty: ParamType::Bool,
            default: Some(if default { 1.0 } else { 0.0 }),
            min: Some(0.0),
            max: Some(1.0),
            description: Cow::Owned(description),
            choices: Vec::new(),
        }
    }

    /// A choice among `choices`; `default` is an index into them.
    pub fn choice(name: String, choices: Vec<String>, default: usize, description: String) -> Self {
        ParamSpec {
            name: Cow::Owned(name),
            ty: ParamType::Choice,
            default: Some(default as f64),
            min: Some(0.0),
            max: Some(choices.len().saturating_sub(1) as f64),
            description: Cow::Owned(description),
            choices,
        }
    }

    /// The value as users see it: ints as integers, bools as booleans, choices as the option's name.
    pub fn display_json(&self, v: f64) -> serde_json::Value {
        match self.ty {
            ParamType::Int => serde_json::json!(v as i64),
            ParamType::Float => serde_json::json!(v),
            ParamType::Bool => serde_json::json!(v != 0.0),
            ParamType::Choice => serde_json::json!(self.choices.get(v as usize).cloned().unwrap_or_default()),
        }
    }

    fn choice_error(&self, got: &str) -> ParamError {
        ParamError::Invalid(format!(
            "parameter '{}' must be one of {} (got {got})",
            self.name,
            self.choices.join(", ")
        ))
    }

    /// Checks one value against type and range.
    pub fn check(&self, v: f64) -> Result<f64, ParamError> {
        if !v.is_finite() {
            return Err(self.type_error(&v.to_string()));
        }
        if self.ty != ParamType::Float && v.fract() != 0.0 {
            return Err(self.type_error(&v.to_string()));
        }
        let below = self.min.is_some_and(|m| v < m);
        let above = self.max.is_some_and(|m| v > m);
        // Subnormal values are too small to compute with, whatever the range says.
        if below || above || v.is_subnormal() {
            return Err(ParamError::OutOfRange {
                name: self.name.to_string(),
                value: v,
                min: self.min,
                max: self.max,
            });
        }
        Ok(v)
    }

    fn type_error(&self, got: &str) -> ParamError {
        ParamError::WrongType {
            name: self.name.to_string(),
            expected: self.ty,
            got: got.to_string(),
        }
    }

    /// Parses a command-line string (`--param fast_period=12`, `--param trail=true`, `--param ma=ema`).
    pub fn parse_str(&self, s: &str) -> Result<f64, ParamError> {
        let t = s.trim();
        let v = match self.ty {
            ParamType::Int => t.parse::<i64>().map(|i| i as f64).ok(),
            ParamType::Float => t.parse::<f64>().ok(),
            ParamType::Bool => match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Some(1.0),
                "false" | "no" | "off" | "0" => Some(0.0),
                _ => None,
            },
            ParamType::Choice => {
                let i = self.choices.iter().position(|c| c.eq_ignore_ascii_case(t));
                return i.map(|i| i as f64).ok_or_else(|| self.choice_error(t));
            }
        };
        self.check(v.ok_or_else(|| self.type_error(s))?)
    }

    /// Accepts a JSON number (an integral float like `20.0` counts as an int), a boolean for bools, an
    /// option's name for choices, or null for optional params.
    pub fn parse_json(&self, v: &serde_json::Value) -> Result<Option<f64>, ParamError> {
        match (self.ty, v) {
            (ParamType::Bool, serde_json::Value::Bool(b)) => return Ok(Some(if *b { 1.0 } else { 0.0 })),
            (ParamType::Bool, serde_json::Value::String(s)) => return self.parse_str(s).map(Some),
            (ParamType::Choice, serde_json::Value::String(s)) => return self.parse_str(s).map(Some),
            (ParamType::Bool | ParamType::Choice, serde_json::Value::Null) if self.default.is_none() => {
                return Ok(None)
            }
            (ParamType::Choice, other) => return Err(self.choice_error(&other.to_string())),
            (ParamType::Bool, other) => return Err(self.type_error(&other.to_string())),
            _ => {}
        }
        match v {
            serde_json::Value::Null if self.default.is_none() => Ok(None),
            serde_json::Value::Number(n) => n
                .as_f64()
                .map(|x| self.check(x).map(Some))
                .unwrap_or_else(|| Err(self.type_error(&n.to_string()))),
            other => Err(self.type_error(&other.to_string())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    #[error("unknown parameter '{name}'; accepted: {}", accepted.join(", "))]
    Unknown { name: String, accepted: Vec<String> },
    #[error("parameter '{name}' must be {} (got {got})", type_phrase(*expected))]
    WrongType {
        name: String,
        expected: ParamType,
        got: String,
    },
    #[error("parameter '{name}' = {} is out of range; accepted: {}", show_num(*value), range_phrase(*min, *max))]
    OutOfRange {
        name: String,
        value: f64,
        min: Option<f64>,
        max: Option<f64>,
    },
    #[error("{0}")]
    Invalid(String),
}

/// A number for a message or a table: as written (`0.95`, `10000`), but in scientific notation when
/// tiny or huge, so `1e-320` is not echoed as three hundred digits and a bound fits in 8 columns.
pub fn show_num(x: f64) -> String {
    if x.abs() >= 1e7 || (x != 0.0 && x.abs() < 1e-4) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

fn type_phrase(t: ParamType) -> &'static str {
    match t {
        ParamType::Int => "a whole number",
        ParamType::Float => "a number",
        ParamType::Bool => "true or false",
        ParamType::Choice => "one of its options",
    }
}

fn range_phrase(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{} to {}", show_num(a), show_num(b)),
        (Some(a), None) => format!(">= {}", show_num(a)),
        (None, Some(b)) => format!("<= {}", show_num(b)),
        (None, None) => "any".into(),
    }
}

/// Resolved parameter values: every spec's default filled in, then the given values on top.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Params {
    values: BTreeMap<String, f64>,
}

impl Params {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }
    /// A parameter every schema gives a default for; 0 only if a strategy asks for one it never declared.
    pub fn f(&self, name: &str) -> f64 {
        self.get(name).unwrap_or(0.0)
    }
    pub fn usize(&self, name: &str) -> usize {
        self.f(name).max(0.0) as usize
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.values.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Resolves raw values against `specs`; `parse` turns one raw value into `Some(v)` or `None` (unset).
    pub fn resolve<'v, V: 'v>(
        specs: &[&ParamSpec],
        given: impl IntoIterator<Item = (&'v str, &'v V)>,
        parse: impl Fn(&ParamSpec, &V) -> Result<Option<f64>, ParamError>,
    ) -> Result<Params, ParamError> {
        let mut values: BTreeMap<String, f64> = specs
            .iter()
            .filter_map(|s| s.default.map(|d| (s.name.to_string(), d)))
            .collect();
        for (name, raw) in given {
            let spec = specs
                .iter()
                .find(|s| s.name.as_ref() == name)
                .ok_or_else(|| ParamError::Unknown {
                    name: name.to_string(),
                    accepted: specs.iter().map(|s| s.name.to_string()).collect(),
                })?;
            match parse(spec, raw)? {
                Some(v) => values.insert(name.to_string(), v),
                None => values.remove(name),
            };
        }
        Ok(Params { values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shown_short() {
        for v in [1e-12, 1e15, 0.0001, 0.95, 10_000.0, 0.0, 1e-320, -1e300] {
            assert!(show_num(v).len() <= 8, "{v} -> {}", show_num(v));
        }
        assert_eq!(show_num(1e-12), "1e-12");
        assert_eq!(show_num(1e-320), "1e-320");
        assert_eq!(show_num(0.95), "0.95");
        assert_eq!(show_num(10_000.0), "10000");
    }

    static SPECS: [ParamSpec; 2] = [
        ParamSpec::int("period", Some(20.0), 2.0, 500.0, "window"),
        ParamSpec::float("threshold", None, 0.0, 1.0, "band"),
    ];

    fn specs() -> Vec<&'static ParamSpec> {
        SPECS.iter().collect()
    }

    #[test]
    fn defaults_then_overrides() {
        let given = [("threshold", "0.02")];
        let p = Params::resolve(&specs(), given.iter().map(|(k, v)| (*k, v)), |s, v| {
            s.parse_str(v).map(Some)
        })
        .unwrap();
        assert_eq!(p.get("period"), Some(20.0));
        assert_eq!(p.get("threshold"), Some(0.02));
    }

    #[test]
    fn errors_name_what_is_accepted() {
        let bad = [("perod", "3")];
        let e = Params::resolve(&specs(), bad.iter().map(|(k, v)| (*k, v)), |s, v| {
            s.parse_str(v).map(Some)
        })
        .unwrap_err();
        assert!(
            e.to_string().contains("perod") && e.to_string().contains("period, threshold"),
            "{e}"
        );
        let e = SPECS[0].parse_str("2.5").unwrap_err();
        assert!(e.to_string().contains("whole number"), "{e}");
        let e = SPECS[0].parse_str("1").unwrap_err();
        assert!(e.to_string().contains("2 to 500"), "{e}");
        assert!(SPECS[1].parse_str("abc").is_err());
        assert!(SPECS[1].parse_str("NaN").is_err());
    }

    #[test]
    fn json_values() {
        use serde_json::json;
        assert_eq!(SPECS[0].parse_json(&json!(20)).unwrap(), Some(20.0));
        assert_eq!(SPECS[0].parse_json(&json!(20.0)).unwrap(), Some(20.0));
        assert!(SPECS[0].parse_json(&json!("20")).is_err());
        assert!(
            SPECS[0].parse_json(&json!(null)).is_err(),
            "required-with-default param cannot be nulled"
        );
        assert_eq!(SPECS[1].parse_json(&json!(null)).unwrap(), None);
    }
}

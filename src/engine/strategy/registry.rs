//! The strategy registry. Adding a strategy: one file with a `SPEC`, one line in `REGISTRY`.

use super::params::{ParamError, ParamSpec, Params};
use super::{Sizing, Strategy};

/// Cross-parameter check; the message says what is wrong and what is accepted.
pub type Validate = fn(&Params) -> Result<(), String>;

pub struct StrategySpec {
    pub name: &'static str,
    pub description: &'static str,
    /// Strategy-specific parameters; the sizing parameters in `COMMON` are added to every strategy.
    pub params: &'static [ParamSpec],
    /// Cross-parameter checks (e.g. fast < slow), run after each value passed its own checks.
    pub validate: Option<Validate>,
    pub build: fn(&Params) -> Box<dyn Strategy>,
}

static REGISTRY: &[StrategySpec] = &[
    super::ma_cross::SPEC,
    super::test_strategy::SPEC,
    super::rsi_mean_reversion::SPEC,
    super::breakout::SPEC,
    super::buy_and_hold::SPEC,
];

const COMMON: [ParamSpec; 4] = [
    ParamSpec::float(
        "size",
        None,
        1e-12,
        1e15,
        "Fixed base-asset amount per entry (overrides stake_pct)",
    ),
    ParamSpec::float(
        "stake_pct",
        Some(0.95),
        0.0001,
        1.0,
        "Fraction of available cash per entry",
    ),
    ParamSpec::float(
        "stop_loss",
        None,
        0.0001,
        0.9999,
        "Stop-loss below the entry price, as a fraction",
    ),
    ParamSpec::float(
        "take_profit",
        None,
        0.0001,
        100.0,
        "Take-profit above the entry price, as a fraction",
    ),
];

pub fn registry() -> &'static [StrategySpec] {
    REGISTRY
}

/// Case-insensitive lookup, so `movingaveragecross` finds `MovingAverageCross`.
pub fn find(name: &str) -> Option<&'static StrategySpec> {
    REGISTRY.iter().find(|s| s.name.eq_ignore_ascii_case(name.trim()))
}

pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.name).collect()
}

impl StrategySpec {
    /// Every parameter this strategy accepts, its own first.
    pub fn all_params(&self) -> Vec<&'static ParamSpec> {
        self.params.iter().chain(COMMON.iter()).collect()
    }

    /// Validates raw values and returns the resolved parameters.
    pub fn resolve<'v, V: 'v>(
        &self,
        given: impl IntoIterator<Item = (&'v str, &'v V)>,
        parse: impl Fn(&ParamSpec, &V) -> Result<Option<f64>, ParamError>,
    ) -> Result<Params, ParamError> {
        let p = Params::resolve(&self.all_params(), given, parse)?;
        if let Some(check) = self.validate {
            check(&p).map_err(ParamError::Invalid)?;
        }
        Ok(p)
    }

    pub fn resolve_strs<'a>(
        &self,
        given: impl IntoIterator<Item = (&'a str, &'a String)>,
    ) -> Result<Params, ParamError> {
        self.resolve(given, |spec, v: &String| spec.parse_str(v).map(Some))
    }

    pub fn resolve_json(&self, given: &serde_json::Map<String, serde_json::Value>) -> Result<Params, ParamError> {
        self.resolve(given.iter().map(|(k, v)| (k.as_str(), v)), |spec, v| spec.parse_json(v))
    }

    pub fn sizing(params: &Params) -> Sizing {
        Sizing {
            size: params.get("size"),
            stake_pct: params.get("stake_pct").unwrap_or(0.95),
            stop_loss: params.get("stop_loss"),
            take_profit: params.get("take_profit"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seed_api_examples_are_accepted() {
        let t = find("TestStrategy").unwrap();
        let a = json!({"period": 20, "threshold": 0.02});
        let p = t.resolve_json(a.as_object().unwrap()).unwrap();
        assert_eq!(
            (p.get("period"), p.get("threshold"), p.get("slow")),
            (Some(20.0), Some(0.02), None)
        );
        let b = json!({"period": 10, "slow": 30});
        let p = t.resolve_json(b.as_object().unwrap()).unwrap();
        assert_eq!(p.get("slow"), Some(30.0));
    }

    #[test]
    fn cross_checks_and_names() {
        let ma = find("movingaveragecross").unwrap();
        let bad = json!({"fast_period": 30, "slow_period": 10});
        let e = ma.resolve_json(bad.as_object().unwrap()).unwrap_err();
        assert!(e.to_string().contains("fast_period"), "{e}");
        let unknown = json!({"fast": 3});
        let e = ma.resolve_json(unknown.as_object().unwrap()).unwrap_err().to_string();
        assert!(e.contains("fast_period") && e.contains("stake_pct"), "{e}");
        assert_eq!(names().len(), 5);
        let mut seen = std::collections::HashSet::new();
        for s in registry() {
            assert!(seen.insert(s.name), "duplicate strategy {}", s.name);
            // Every strategy builds with its defaults.
            let p = s.resolve_json(&serde_json::Map::new()).unwrap();
            let _ = (s.build)(&p);
        }
    }
}

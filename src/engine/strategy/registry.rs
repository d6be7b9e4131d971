//! Strategy definitions: the compiled-in ones (adding one: a file with a `SPEC`, one line in
//! `REGISTRY`) and any other source (user scripts) behind the same `StrategyDef`, so the CLI, the API,
//! the dashboard and the engine treat them alike.

use super::params::{ParamError, ParamSpec, Params};
use super::signals::{SeriesKey, Signal};
use super::{Sizing, Strategy};
use serde::Serialize;
use std::sync::{Arc, OnceLock};

/// Cross-parameter check; the message says what is wrong and what is accepted.
pub type Validate = fn(&Params) -> Result<(), String>;

/// How a definition makes strategy instances (one per symbol) and checks a parameter set as a whole.
pub trait Maker: Send + Sync {
    fn build(&self, params: &Params) -> Result<Box<dyn Strategy>, String>;
    /// Cross-parameter checks (e.g. fast < slow), after each value passed its own.
    fn check(&self, _params: &Params) -> Result<(), String> {
        Ok(())
    }
    /// For a strategy whose decisions depend only on indicator series of the candles: those series
    /// and the signal deciding on their values (see `signals`); `None` for any other.
    fn signals(&self, _params: &Params) -> Option<Signals> {
        None
    }
}

/// The series a strategy's signal reads (in the order it reads them), and the signal.
pub type Signals = (Vec<SeriesKey>, Box<dyn Signal>);

/// Where a strategy comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum Source {
    Builtin,
    /// A Luau script: its file name (never the full path) and the SHA-256 of its content.
    Script {
        file: String,
        sha256: String,
    },
}

/// A strategy as everything outside the engine sees it.
pub struct StrategyDef {
    pub name: String,
    pub description: String,
    /// Its own parameters; the sizing parameters in `COMMON` are added to every strategy.
    pub params: Vec<ParamSpec>,
    pub source: Source,
    maker: Arc<dyn Maker>,
}

impl std::fmt::Debug for StrategyDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StrategyDef({}, {:?})", self.name, self.source)
    }
}

impl StrategyDef {
    pub fn new(
        name: String,
        description: String,
        params: Vec<ParamSpec>,
        source: Source,
        maker: Arc<dyn Maker>,
    ) -> Self {
        StrategyDef {
            name,
            description,
            params,
            source,
            maker,
        }
    }

    /// Every parameter this strategy accepts, its own first.
    pub fn all_params(&self) -> Vec<&ParamSpec> {
        self.params.iter().chain(COMMON.iter()).collect()
    }

    /// Validates raw values and returns the resolved parameters.
    pub fn resolve<'v, V: 'v>(
        &self,
        given: impl IntoIterator<Item = (&'v str, &'v V)>,
        parse: impl Fn(&ParamSpec, &V) -> Result<Option<f64>, ParamError>,
    ) -> Result<Params, ParamError> {
        let p = Params::resolve(&self.all_params(), given, parse)?;
        self.maker.check(&p).map_err(ParamError::Invalid)?;
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

    /// One strategy instance for these (already resolved) parameters.
    pub fn build(&self, params: &Params) -> Result<Box<dyn Strategy>, String> {
        self.maker.build(params)
    }

    /// See `Maker::signals`.
    pub fn signals(&self, params: &Params) -> Option<Signals> {
        self.maker.signals(params)
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

/// A compiled-in strategy.
pub struct StrategySpec {
    pub name: &'static str,
    pub description: &'static str,
    /// Strategy-specific parameters; the sizing parameters in `COMMON` are added to every strategy.
    pub params: &'static [ParamSpec],
    /// Cross-parameter checks (e.g. fast < slow), run after each value passed its own checks.
    pub validate: Option<Validate>,
    pub build: fn(&Params) -> Box<dyn Strategy>,
    /// See `Maker::signals`.
    pub signals: Option<fn(&Params) -> Signals>,
}

static REGISTRY: &[StrategySpec] = &[
    super::ma_cross::SPEC,
    super::test_strategy::SPEC,
    super::rsi_mean_reversion::SPEC,
    super::breakout::SPEC,
    super::buy_and_hold::SPEC,
];

static COMMON: [ParamSpec; 4] = [
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

impl Maker for &'static StrategySpec {
    fn build(&self, params: &Params) -> Result<Box<dyn Strategy>, String> {
        Ok((self.build)(params))
    }
    fn check(&self, params: &Params) -> Result<(), String> {
        self.validate.map_or(Ok(()), |v| v(params))
    }
    fn signals(&self, params: &Params) -> Option<Signals> {
        self.signals.map(|f| f(params))
    }
}

/// The compiled-in strategies, in the order the catalogue lists them.
pub fn builtins() -> &'static [Arc<StrategyDef>] {
    static DEFS: OnceLock<Vec<Arc<StrategyDef>>> = OnceLock::new();
    DEFS.get_or_init(|| {
        REGISTRY
            .iter()
            .map(|s| {
                Arc::new(StrategyDef::new(
                    s.name.to_string(),
                    s.description.to_string(),
                    s.params.to_vec(),
                    Source::Builtin,
                    Arc::new(s),
                ))
            })
            .collect()
    })
}

/// Case-insensitive lookup among the compiled-in strategies, so `movingaveragecross` finds
/// `MovingAverageCross`.
pub fn find_builtin(name: &str) -> Option<&'static Arc<StrategyDef>> {
    builtins().iter().find(|s| s.name.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seed_api_examples_are_accepted() {
        let t = find_builtin("TestStrategy").unwrap();
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
        let ma = find_builtin("movingaveragecross").unwrap();
        let bad = json!({"fast_period": 30, "slow_period": 10});
        let e = ma.resolve_json(bad.as_object().unwrap()).unwrap_err();
        assert!(e.to_string().contains("fast_period"), "{e}");
        let unknown = json!({"fast": 3});
        let e = ma.resolve_json(unknown.as_object().unwrap()).unwrap_err().to_string();
        assert!(e.contains("fast_period") && e.contains("stake_pct"), "{e}");
        assert_eq!(builtins().len(), 5);
        let mut seen = std::collections::HashSet::new();
        for s in builtins() {
            assert!(seen.insert(s.name.clone()), "duplicate strategy {}", s.name);
            assert_eq!(s.source, Source::Builtin);
            // Every strategy builds with its defaults.
            let p = s.resolve_json(&serde_json::Map::new()).unwrap();
            assert!(s.build(&p).is_ok());
        }
    }
}

//! A run request as users give it (CLI flags, API JSON, dashboard form) and its validated form.

use super::error::{ErrorCode, RunError};
use crate::data::source::{normalise_exchange, normalise_symbol, parse_date};
use crate::data::validate::fmt_ts;
use crate::engine::risk::RiskLimits;
use crate::engine::strategy::params::show_num;
use crate::engine::strategy::{Params, Sizing, Source, StrategyDef};
use crate::engine::Timeframe;
use crate::script::catalog;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Backtest,
    Paper,
    Live,
    /// A parameter sweep (`POST /run/optimize`): many backtests, one run.
    Optimize,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Backtest, Mode::Paper, Mode::Live, Mode::Optimize];

    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Backtest => "backtest",
            Mode::Paper => "paper",
            Mode::Live => "live",
            Mode::Optimize => "optimize",
        }
    }
}

pub const DEFAULT_CASH: f64 = 10_000.0;
/// Binance's spot taker fee.
pub const DEFAULT_COMMISSION: f64 = 0.001;
const MAX_SYMBOLS: usize = 20;
/// Paper and live runs pause after this many consecutive rejected orders unless told otherwise.
pub const DEFAULT_MAX_REJECTIONS: u32 = 3;

/// What a user asks for, unvalidated.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    pub strategy_name: String,
    pub strategy_params: Map<String, Value>,
    pub symbols: Vec<String>,
    pub timeframe: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub initial_cash: f64,
    pub exchange: String,
    pub commission: Option<f64>,
    pub slippage_bps: Option<f64>,
    pub mode: Mode,
    pub data_file: Option<PathBuf>,
    /// Paper/live settings and credentials (`speed`, `sandbox`, `apiKey`/`api_key`, `secret`, ...).
    pub exchange_config: Map<String, Value>,
    /// Risk limits as given (`max_drawdown`, `max_daily_loss`, ...); see `RISK_KEYS`.
    pub risk: Map<String, Value>,
}

impl RunRequest {
    /// A backtest on `sim` with default cash and costs and no parameters; adjust fields as needed.
    pub fn backtest(strategy: &str, symbols: &[&str], timeframe: &str) -> RunRequest {
        RunRequest {
            strategy_name: strategy.into(),
            strategy_params: Map::new(),
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            timeframe: timeframe.into(),
            start_date: None,
            end_date: None,
            initial_cash: DEFAULT_CASH,
            exchange: "sim".into(),
            commission: None,
            slippage_bps: None,
            mode: Mode::Backtest,
            data_file: None,
            exchange_config: Map::new(),
            risk: Map::new(),
        }
    }

    /// Limits the run to candles opening in `[start, end)` (ISO 8601).
    pub fn between(mut self, start: &str, end: &str) -> RunRequest {
        self.start_date = Some(start.into());
        self.end_date = Some(end.into());
        self
    }
}

/// A validated run configuration; this is the `config` object of results.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunConfig {
    pub strategy_name: String,
    /// Every parameter with its effective value (defaults filled in); whole numbers for int params.
    /// Written from `params` at validation for display and storage; the engine reads `params` only.
    #[schema(value_type = Object)]
    pub strategy_params: Map<String, Value>,
    pub symbols: Vec<String>,
    #[schema(value_type = String, example = "1h")]
    pub timeframe: Timeframe,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub initial_cash: f64,
    pub exchange: String,
    pub commission: f64,
    pub slippage_bps: f64,
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_file: Option<String>,
    /// The request's `exchange_config` with every secret replaced by `"***"`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub exchange_config: Map<String, Value>,
    /// The risk limits in force (see `/api/v1/meta` for the keys).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub risk: RiskLimits,
    /// Paper/live connection settings, parsed once from `exchange_config` (credentials never kept).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub live: LiveSettings,
    /// For a script strategy: its file and the SHA-256 of the exact version this run used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub script: Option<ScriptVersion>,
    /// The strategy, resolved once at validation (a run keeps that version even if the script changes).
    #[serde(skip)]
    pub strategy: Option<Arc<StrategyDef>>,
    #[serde(skip)]
    pub start_ms: Option<i64>,
    #[serde(skip)]
    pub end_ms: Option<i64>,
    #[serde(skip)]
    pub params: Params,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptVersion {
    pub file: String,
    pub sha256: String,
}

impl RunConfig {
    /// The strategy this run was validated with. A config read back from the history has none: it
    /// describes a run, it does not start one.
    pub fn strategy(&self) -> Result<&Arc<StrategyDef>, RunError> {
        self.strategy.as_ref().ok_or_else(|| {
            RunError::new(
                ErrorCode::Internal,
                format!("strategy '{}' was not resolved for this run", self.strategy_name),
            )
        })
    }
    pub fn sizing(&self) -> Sizing {
        StrategyDef::sizing(&self.params)
    }
}

/// API credentials. `Debug` never shows them, so they cannot leak through a log line.
#[derive(Clone, PartialEq)]
pub struct Credentials {
    pub api_key: String,
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(***)")
    }
}

/// How a paper or live run connects; unused by backtests. Stored with the run (recovery after a crash
/// reads it), except the credentials, which never leave memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LiveSettings {
    /// `sim` only: simulated seconds per wall-clock second (60 = one minute per second).
    pub speed: f64,
    pub sandbox: bool,
    /// Origins overriding the exchange's (`exchange_config.urls`: a testnet mirror, a local fake).
    pub urls: Urls,
    #[serde(skip)]
    pub credentials: Option<Credentials>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Urls {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ws: Option<String>,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings {
            speed: 1.0,
            sandbox: false,
            urls: Urls::default(),
            credentials: None,
        }
    }
}

/// The `exchange_config` settings that are not secret and may be stored and shown as given (an
/// allow-list: anything else, at any depth, is `"***"`). Inside `urls` only `rest` and `ws` are kept.
const SHOWN_SETTINGS: &[&str] = &["sandbox", "speed", "urls"];
const SHOWN_URLS: &[&str] = &["rest", "ws"];

/// A copy of `exchange_config` safe to store and return: allow-listed settings as given, every other
/// value replaced by `"***"`.
pub fn redact(v: &Map<String, Value>) -> Map<String, Value> {
    let masked = || Value::String("***".into());
    v.iter()
        .map(|(k, val)| {
            let out = match (k.as_str(), val) {
                ("urls", Value::Object(m)) => Value::Object(
                    m.iter()
                        .map(|(u, x)| {
                            let keep = SHOWN_URLS.contains(&u.as_str()) && x.is_string();
                            (u.clone(), if keep { x.clone() } else { masked() })
                        })
                        .collect(),
                ),
                (k, Value::Bool(_) | Value::Number(_)) if SHOWN_SETTINGS.contains(&k) => val.clone(),
                _ => masked(),
            };
            (k.clone(), out)
        })
        .collect()
}

/// `exchange_config.urls.<key>`: an http(s) or ws(s) origin.
fn url_field(cfg: &Map<String, Value>, key: &str) -> Result<Option<String>, RunError> {
    let Some(urls) = cfg.get("urls").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let field = format!("exchange_config.urls.{key}");
    let Some(urls) = urls.as_object() else {
        return Err(RunError::field(
            "exchange_config.urls",
            "urls must be an object like {\"rest\": \"https://...\", \"ws\": \"wss://...\"}",
        ));
    };
    match urls.get(key) {
        None | Some(Value::Null) => Ok(None),
        // user:password@host would be stored and shown with the URL; keys go in apiKey/secret.
        Some(Value::String(u)) if u.split("://").nth(1).is_some_and(|rest| rest.split('/').next().unwrap_or("").contains('@')) => {
            Err(RunError::field(
                &field,
                format!("{field} must not carry credentials (user:password@); give them as exchange_config.apiKey and secret"),
            ))
        }
        Some(Value::String(u))
            if ["http://", "https://", "ws://", "wss://"]
                .iter()
                .any(|p| u.starts_with(p))
                && u.len() <= 200 =>
        {
            Ok(Some(u.trim_end_matches('/').to_string()))
        }
        Some(_) => Err(RunError::field(
            &field,
            format!("{field} must be an http(s):// or ws(s):// origin of at most 200 characters"),
        )),
    }
}

fn string_field(m: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        m.get(*n)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(String::from)
    })
}

/// Reads paper/live settings from `exchange_config` (credentials fall back to `<EXCHANGE>_API_KEY` and
/// `<EXCHANGE>_SECRET` in the environment).
fn live_settings(exchange: &str, mode: Mode, cfg: &Map<String, Value>) -> Result<LiveSettings, RunError> {
    let speed = match cfg.get("speed") {
        None | Some(Value::Null) => 1.0,
        Some(v) => check_speed(v.as_f64().unwrap_or(f64::NAN))?,
    };
    let sandbox = match cfg.get("sandbox") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(RunError::field(
                "exchange_config.sandbox",
                "sandbox must be true or false",
            ))
        }
    };
    let env = |suffix: &str| {
        std::env::var(format!("{}_{suffix}", exchange.to_ascii_uppercase()))
            .ok()
            .filter(|s| !s.is_empty())
    };
    let api_key = string_field(cfg, &["apiKey", "api_key", "key"]).or_else(|| env("API_KEY"));
    let secret = string_field(cfg, &["secret", "api_secret", "secretKey", "secret_key"]).or_else(|| env("SECRET"));
    let urls = Urls {
        rest: url_field(cfg, "rest")?,
        ws: url_field(cfg, "ws")?,
    };
    let credentials = match (api_key, secret) {
        (Some(api_key), Some(secret)) => Some(Credentials { api_key, secret }),
        _ if mode == Mode::Live => {
            return Err(RunError::new(
                ErrorCode::MissingCredentials,
                format!(
                    "live trading on {exchange} needs exchange_config.apiKey and exchange_config.secret (or {0}_API_KEY and {0}_SECRET in the environment)",
                    exchange.to_ascii_uppercase()
                ),
            ))
        }
        _ => None,
    };
    Ok(LiveSettings {
        speed,
        sandbox,
        urls,
        credentials,
    })
}

/// A risk limit key, what it means and the values it accepts (served by `/meta`, checked by `validate`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RiskKey {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub min: f64,
    pub max: f64,
    pub description: &'static str,
}

pub const RISK_KEYS: &[RiskKey] = &[
    RiskKey {
        name: "max_drawdown",
        ty: "float",
        min: 0.0001,
        max: 1.0,
        description: "fraction below the equity peak at which working orders are cancelled, positions closed at market and the run stopped (RISK_MAX_DRAWDOWN)",
    },
    RiskKey {
        name: "max_daily_loss",
        ty: "float",
        min: 0.0001,
        max: 1.0,
        description: "fraction of the UTC day's opening equity the run may lose before it closes everything and stops (RISK_DAILY_LOSS)",
    },
    RiskKey {
        name: "max_position_value",
        ty: "float",
        min: 0.000001,
        max: 1e15,
        description: "largest position per symbol, in the quote asset; a larger entry is cut to the limit",
    },
    RiskKey {
        name: "max_open_orders",
        ty: "int",
        min: 1.0,
        max: 1000.0,
        description: "working orders across all symbols; further strategy orders are not placed",
    },
    RiskKey {
        name: "cooldown_bars",
        ty: "int",
        min: 0.0,
        max: 1_000_000.0,
        description: "bars without a new entry on a symbol after a stop-loss exit there",
    },
    RiskKey {
        name: "max_consecutive_rejections",
        ty: "int",
        min: 0.0,
        max: 1000.0,
        description: "paper/live: consecutive rejected orders after which trading pauses until resumed (default 3; 0 never pauses)",
    },
];

/// Parses the `risk` object into limits; an unknown key or a value out of range names the field and
/// what it accepts. Real-time runs pause after `DEFAULT_MAX_REJECTIONS` rejections unless told otherwise.
pub fn parse_risk(risk: &Map<String, Value>, mode: Mode) -> Result<RiskLimits, RunError> {
    let mut limits = RiskLimits {
        max_consecutive_rejections: if mode == Mode::Backtest {
            0
        } else {
            DEFAULT_MAX_REJECTIONS
        },
        ..RiskLimits::default()
    };
    for (k, v) in risk {
        let Some(key) = RISK_KEYS.iter().find(|r| r.name == k) else {
            let names: Vec<&str> = RISK_KEYS.iter().map(|r| r.name).collect();
            return Err(RunError::field(
                &format!("risk.{k}"),
                format!("unknown risk limit '{k}'; accepted: {}", names.join(", ")),
            ));
        };
        if v.is_null() {
            continue;
        }
        let range = || {
            let kind = if key.ty == "int" { "a whole number" } else { "a number" };
            RunError::field(
                &format!("risk.{k}"),
                format!("risk.{k} must be {kind} from {} to {}, got {v}", key.min, key.max),
            )
            .with_details(json!({"field": format!("risk.{k}"), "min": key.min, "max": key.max}))
        };
        let x = v
            .as_f64()
            .filter(|x| x.is_finite() && *x >= key.min && *x <= key.max)
            .filter(|x| key.ty != "int" || x.fract() == 0.0)
            .ok_or_else(range)?;
        match key.name {
            "max_drawdown" => limits.max_drawdown = Some(x),
            "max_daily_loss" => limits.max_daily_loss = Some(x),
            "max_position_value" => limits.max_position_value = Some(x),
            "max_open_orders" => limits.max_open_orders = Some(x as u32),
            "cooldown_bars" => limits.cooldown_bars = Some(x as u32),
            _ => limits.max_consecutive_rejections = x as u32,
        }
    }
    Ok(limits)
}

/// Cash a run may start with: positive, not a denormal, at most 1e15.
pub const CASH_RANGE: std::ops::RangeInclusive<f64> = 1e-6..=1e15;
/// Replay speed of simulated paper runs (1 = real time).
pub const SPEED_RANGE: std::ops::RangeInclusive<f64> = 1e-3..=1e6;

/// The one check of `initial_cash`, for the API, the command line and the dashboard's form.
pub fn check_cash(cash: f64) -> Result<f64, RunError> {
    if CASH_RANGE.contains(&cash) {
        return Ok(cash);
    }
    Err(RunError::field(
        "initial_cash",
        format!(
            "initial_cash must be from {:e} to {:e}, got {}",
            CASH_RANGE.start(),
            CASH_RANGE.end(),
            show_num(cash)
        ),
    ))
}

/// The one check of a paper run's `speed`.
pub fn check_speed(speed: f64) -> Result<f64, RunError> {
    if SPEED_RANGE.contains(&speed) {
        return Ok(speed);
    }
    Err(RunError::field(
        "exchange_config.speed",
        format!(
            "speed must be a number from {} to {}",
            SPEED_RANGE.start(),
            SPEED_RANGE.end()
        ),
    ))
}

/// A parameter typed as text (`10`, `0.5`, `ema`) as JSON: integers, then floats, else a string.
pub fn param_value(v: &str) -> Value {
    let v = v.trim();
    v.parse::<i64>()
        .map(Value::from)
        .ok()
        .or_else(|| {
            v.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
        })
        .unwrap_or_else(|| Value::String(v.to_string()))
}

/// Parses `KEY=VALUE` strings from the command line into JSON values (numbers where they parse).
pub fn params_from_pairs(pairs: &[String]) -> Result<Map<String, Value>, RunError> {
    let mut m = Map::new();
    for p in pairs {
        let (k, v) = p.split_once('=').ok_or_else(|| {
            RunError::new(
                ErrorCode::InvalidParams,
                format!("parameter '{p}' must be KEY=VALUE, e.g. fast_period=10"),
            )
        })?;
        let key = k.trim().to_string();
        if m.contains_key(&key) {
            return Err(RunError::new(
                ErrorCode::InvalidParams,
                format!("parameter '{key}' is given twice; give each parameter once"),
            ));
        }
        m.insert(key, param_value(v));
    }
    Ok(m)
}

/// Resolved parameters as JSON as users give them: ints as integers, bools as booleans, choices by name.
fn params_json(spec: &StrategyDef, params: &Params) -> Map<String, Value> {
    let specs = spec.all_params();
    params
        .iter()
        .map(|(k, v)| {
            let value = match specs.iter().find(|p| p.name == k) {
                Some(p) => p.display_json(v),
                None => json!(v),
            };
            (k.to_string(), value)
        })
        .collect()
}

fn param_schema(spec: &StrategyDef) -> Value {
    Value::Array(
        spec.all_params()
            .iter()
            .map(|p| json!({"name": p.name, "type": p.ty, "default": p.default, "min": p.min, "max": p.max, "choices": p.choices}))
            .collect(),
    )
}

/// Validates a request. `known_exchanges` is every exchange id a run may use here.
pub fn validate(req: &RunRequest, known_exchanges: &[String]) -> Result<RunConfig, RunError> {
    let spec = catalog::find(&req.strategy_name).ok_or_else(|| {
        let names = catalog::names();
        RunError::new(
            ErrorCode::UnknownStrategy,
            format!(
                "unknown strategy '{}'; available: {}",
                req.strategy_name,
                names.join(", ")
            ),
        )
        .with_details(json!({ "available_strategies": names }))
    })?;
    let params = spec.resolve_json(&req.strategy_params).map_err(|e| {
        RunError::new(ErrorCode::InvalidParams, format!("{}: {e}", spec.name))
            .with_details(json!({ "accepted_params": param_schema(&spec) }))
    })?;

    let exchange = normalise_exchange(&req.exchange)?;
    if !known_exchanges.iter().any(|e| e == &exchange) {
        return Err(RunError::new(
            ErrorCode::UnknownExchange,
            format!(
                "unknown exchange '{}'; available: {}",
                req.exchange,
                known_exchanges.join(", ")
            ),
        )
        .with_details(json!({ "available_exchanges": known_exchanges })));
    }

    if req.symbols.is_empty() {
        return Err(RunError::new(
            ErrorCode::InvalidSymbol,
            "at least one symbol is required, e.g. BTC/USDT",
        )
        .with_details(json!({ "supported_symbols": ["any BASE/QUOTE pair, e.g. BTC/USDT"] })));
    }
    if req.symbols.len() > MAX_SYMBOLS {
        return Err(RunError::field(
            "symbols",
            format!("at most {MAX_SYMBOLS} symbols per run; {} given", req.symbols.len()),
        ));
    }
    let mut symbols = Vec::with_capacity(req.symbols.len());
    for s in &req.symbols {
        let n = normalise_symbol(s)?;
        if symbols.contains(&n) {
            return Err(RunError::new(
                ErrorCode::InvalidSymbol,
                format!("symbol {n} is listed twice"),
            ));
        }
        symbols.push(n);
    }

    let timeframe: Timeframe = req
        .timeframe
        .parse()
        .map_err(|e: crate::engine::timeframe::TimeframeError| {
            RunError::new(ErrorCode::InvalidTimeframe, e.to_string())
                .with_details(json!({ "accepted": Timeframe::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>() }))
        })?;

    let date = |s: &Option<String>| -> Result<Option<i64>, RunError> {
        s.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_date(s).map_err(RunError::from))
            .transpose()
    };
    let (start_ms, end_ms) = (date(&req.start_date)?, date(&req.end_date)?);
    if let (Some(s), Some(e)) = (start_ms, end_ms) {
        if e <= s {
            return Err(RunError::new(
                ErrorCode::InvalidDateRange,
                format!("end_date {} must be after start_date {}", fmt_ts(e), fmt_ts(s)),
            ));
        }
    }

    check_cash(req.initial_cash)?;
    let commission = req.commission.unwrap_or(DEFAULT_COMMISSION);
    // A subnormal rate is a typo or an attack, never a fee: refused like any other bad value.
    if !(0.0..=0.1).contains(&commission) || commission.is_subnormal() {
        return Err(RunError::field(
            "commission",
            format!(
                "commission is a fee rate from 0 to 0.1 (0.001 = 0.1%), got {}",
                show_num(commission)
            ),
        ));
    }
    let slippage_bps = req.slippage_bps.unwrap_or(0.0);
    if !(0.0..=1000.0).contains(&slippage_bps) || slippage_bps.is_subnormal() {
        return Err(RunError::field(
            "slippage_bps",
            format!("slippage_bps must be from 0 to 1000, got {}", show_num(slippage_bps)),
        ));
    }
    if req.data_file.is_some() && symbols.len() != 1 {
        return Err(RunError::field(
            "symbols",
            "a backtest from a data file takes exactly one symbol",
        ));
    }
    if req.mode == Mode::Live && exchange == "sim" {
        return Err(RunError::field(
            "mode",
            "the sim exchange is simulated: it runs backtests and paper trading, not live trading",
        ));
    }
    let risk = parse_risk(&req.risk, req.mode)?;
    let live = if req.mode == Mode::Backtest {
        LiveSettings::default()
    } else {
        live_settings(&exchange, req.mode, &req.exchange_config)?
    };

    let script = match &spec.source {
        Source::Script { file, sha256 } => Some(ScriptVersion {
            file: file.clone(),
            sha256: sha256.clone(),
        }),
        Source::Builtin => None,
    };
    Ok(RunConfig {
        strategy_name: spec.name.to_string(),
        strategy_params: params_json(&spec, &params),
        script,
        symbols,
        timeframe,
        start_date: start_ms.map(fmt_ts),
        end_date: end_ms.map(fmt_ts),
        initial_cash: req.initial_cash,
        exchange,
        commission,
        slippage_bps,
        mode: req.mode,
        data_file: req.data_file.as_ref().map(|p| p.display().to_string()),
        exchange_config: redact(&req.exchange_config),
        risk,
        live,
        strategy: Some(spec),
        start_ms,
        end_ms,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> RunRequest {
        // Lower case on purpose: symbols are normalised.
        RunRequest::backtest("MovingAverageCross", &["btc/usdt"], "1h")
    }

    fn known() -> Vec<String> {
        vec!["sim".into(), "binance".into()]
    }

    #[test]
    fn defaults_and_normalisation() {
        let c = validate(&req(), &known()).unwrap();
        assert_eq!(c.symbols, vec!["BTC/USDT"]);
        assert_eq!(c.commission, 0.001);
        assert_eq!(c.strategy_params["fast_period"], json!(10));
        assert_eq!(c.strategy_params["stake_pct"], json!(0.95));
        assert_eq!(c.sizing().stake_pct, 0.95);
    }

    #[test]
    fn each_problem_has_its_code() {
        let k = known();
        let check = |f: &dyn Fn(&mut RunRequest), code: ErrorCode| {
            let mut r = req();
            f(&mut r);
            let e = validate(&r, &k).unwrap_err();
            assert_eq!(e.code, code, "{e}");
            e
        };
        let e = check(&|r| r.strategy_name = "Nope".into(), ErrorCode::UnknownStrategy);
        assert!(e.message.contains("MovingAverageCross"));
        let e = check(
            &|r| r.strategy_params = params_from_pairs(&["fast=3".into()]).unwrap(),
            ErrorCode::InvalidParams,
        );
        assert!(e.details["accepted_params"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "fast_period"));
        check(
            &|r| r.strategy_params = params_from_pairs(&["fast_period=abc".into()]).unwrap(),
            ErrorCode::InvalidParams,
        );
        let e = check(&|r| r.symbols = vec!["BTCUSDT".into()], ErrorCode::InvalidSymbol);
        assert!(e.details["supported_symbols"].is_array());
        check(&|r| r.symbols = vec![], ErrorCode::InvalidSymbol);
        check(&|r| r.timeframe = "7m".into(), ErrorCode::InvalidTimeframe);
        check(&|r| r.exchange = "kraken".into(), ErrorCode::UnknownExchange);
        check(
            &|r| r.start_date = Some("yesterday".into()),
            ErrorCode::InvalidDateRange,
        );
        check(
            &|r| {
                r.start_date = Some("2024-02-01".into());
                r.end_date = Some("2024-01-01".into());
            },
            ErrorCode::InvalidDateRange,
        );
        let e = check(&|r| r.initial_cash = -5.0, ErrorCode::ValidationError);
        assert_eq!(e.details["field"], "initial_cash");
        // Denormal and absurd amounts are refused like negative ones.
        for cash in [1e-320, 0.0, f64::NAN, f64::INFINITY, 2e15] {
            let e = check(&|r| r.initial_cash = cash, ErrorCode::ValidationError);
            assert!(e.message.contains("from 1e-6 to 1e15"), "{}", e.message);
            assert!(e.message.len() < 120, "the value is shown short: {}", e.message);
        }
        check(&|r| r.commission = Some(0.5), ErrorCode::ValidationError);
        check(&|r| r.slippage_bps = Some(-1.0), ErrorCode::ValidationError);
        // Subnormal rates are refused too, and huge or tiny values are echoed in scientific notation.
        let e = check(&|r| r.commission = Some(1e-320), ErrorCode::ValidationError);
        assert!(e.message.ends_with("got 1e-320"), "{}", e.message);
        let e = check(&|r| r.slippage_bps = Some(1e300), ErrorCode::ValidationError);
        assert!(e.message.ends_with("got 1e300"), "{}", e.message);
        for (k, v) in [("size", json!(1e-320)), ("stake_pct", json!(1e300))] {
            let e = check(
                &|r| r.strategy_params = json!({ k: v.clone() }).as_object().unwrap().clone(),
                ErrorCode::InvalidParams,
            );
            assert!(e.message.len() < 150, "{}", e.message);
        }
    }

    #[test]
    fn live_settings_and_secrets() {
        let mut r = req();
        r.mode = Mode::Paper;
        r.exchange = "binance".into();
        r.exchange_config = json!({"apiKey": "K-123", "secret": "S-456", "sandbox": true, "nested": {"password": "p"},
            "uid": "U-1", "login": "L-1", "twofa": "T-1", "walletAddress": "W-1",
            "urls": {"rest": "http://127.0.0.1:9", "headers": {"Authorization": "Bearer Z-1"}}})
        .as_object()
        .unwrap()
        .clone();
        let c = validate(&r, &known()).unwrap();
        assert!(c.live.sandbox);
        assert_eq!(c.live.credentials.as_ref().unwrap().api_key, "K-123");
        let shown = serde_json::to_string(&c).unwrap() + &format!("{c:?}");
        for secret in ["K-123", "S-456", "\"p\"", "U-1", "L-1", "T-1", "W-1", "Z-1"] {
            assert!(!shown.contains(secret), "{secret} shown: {shown}");
        }
        assert_eq!(c.exchange_config["apiKey"], "***");
        assert_eq!(c.exchange_config["nested"], "***");
        assert_eq!(c.exchange_config["sandbox"], true);
        assert_eq!(c.exchange_config["urls"]["rest"], "http://127.0.0.1:9");
        assert_eq!(c.live.urls.rest.as_deref(), Some("http://127.0.0.1:9"));
        // Credentials inside a URL are refused, and the error does not repeat them.
        let mut with_userinfo = r.clone();
        with_userinfo.exchange_config["urls"] = json!({"ws": "wss://me:PW-9@example.com/ws"});
        let e = validate(&with_userinfo, &known()).unwrap_err();
        assert!(
            e.message.contains("exchange_config.urls.ws") && !e.message.contains("PW-9"),
            "{}",
            e.message
        );
        // The stored config says how to reconnect, never with what.
        let back: RunConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(
            (back.live.sandbox, back.live.urls.clone(), back.live.credentials),
            (true, c.live.urls.clone(), None)
        );
        r.mode = Mode::Live;
        r.exchange_config = Map::new();
        std::env::remove_var("BINANCE_API_KEY");
        assert_eq!(validate(&r, &known()).unwrap_err().code, ErrorCode::MissingCredentials);
        r.exchange = "sim".into();
        assert_eq!(validate(&r, &known()).unwrap_err().details["field"], "mode");
        r.mode = Mode::Paper;
        r.exchange_config = json!({"speed": -1}).as_object().unwrap().clone();
        assert_eq!(
            validate(&r, &known()).unwrap_err().details["field"],
            "exchange_config.speed"
        );
        r.exchange_config = json!({"speed": 600}).as_object().unwrap().clone();
        assert_eq!(validate(&r, &known()).unwrap().live.speed, 600.0);
        r.exchange_config = json!({"urls": {"rest": "file:///etc/passwd"}})
            .as_object()
            .unwrap()
            .clone();
        let e = validate(&r, &known()).unwrap_err();
        assert_eq!(e.details["field"], "exchange_config.urls.rest");
        assert!(!e.message.contains("passwd"), "the value is not echoed: {e}");
    }

    #[test]
    fn risk_limits_are_checked_and_named() {
        let mut r = req();
        r.risk = params_from_pairs(&["max_drawdown=0.2".into(), "max_open_orders=4".into()]).unwrap();
        let c = validate(&r, &known()).unwrap();
        assert_eq!(c.risk.max_drawdown, Some(0.2));
        assert_eq!(c.risk.max_open_orders, Some(4));
        assert_eq!(c.risk.max_consecutive_rejections, 0, "backtests never pause");
        let bad = |pairs: &[&str], field: &str| {
            let mut r = req();
            let pairs: Vec<String> = pairs.iter().map(|s| s.to_string()).collect();
            r.risk = params_from_pairs(&pairs).unwrap();
            let e = validate(&r, &known()).unwrap_err();
            assert_eq!(e.code, ErrorCode::ValidationError);
            assert_eq!(e.details["field"], field, "{e}");
            e.message
        };
        assert!(bad(&["max_drawdown=1.5"], "risk.max_drawdown").contains("from 0.0001 to 1"));
        assert!(bad(&["max_open_orders=2.5"], "risk.max_open_orders").contains("whole number"));
        assert!(bad(&["max_open_orders=0"], "risk.max_open_orders").contains("from 1"));
        assert!(bad(&["drawdown=0.1"], "risk.drawdown").contains("max_drawdown"));
        assert!(bad(&["max_daily_loss=x"], "risk.max_daily_loss").contains("got \"x\""));
        let mut r = req();
        r.mode = Mode::Paper;
        assert_eq!(validate(&r, &known()).unwrap().risk.max_consecutive_rejections, 3);
    }

    #[test]
    fn pairs_parse_as_numbers() {
        let m = params_from_pairs(&["a=1".into(), "b=0.5".into(), "c=x".into()]).unwrap();
        assert_eq!(m["a"], json!(1));
        assert_eq!(m["b"], json!(0.5));
        assert_eq!(m["c"], json!("x"));
        assert!(params_from_pairs(&["novalue".into()]).is_err());
    }
}

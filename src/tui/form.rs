//! The run form: fields generated from the strategy's parameter schema, validated as they are edited,
//! turned into a `RunRequest` on launch. Credentials are masked, never shown again and never saved.

use crate::data::source::{normalise_symbol, parse_date};
use crate::engine::strategy::{ParamSpec, ParamType};
use crate::engine::Timeframe;
use crate::run::config::{
    check_cash, check_speed, param_value, params_from_pairs, parse_risk, Mode, RunRequest, DEFAULT_CASH,
};
use crate::run::RunError;
use crate::script::catalog;

/// A parameter's text in optimize mode as the API's grid value when it sweeps: `5..50:5` ->
/// `{"start": 5, "end": 50, "step": 5}`, `5,10,20` -> `[5, 10, 20]`; `None` for a single value.
pub fn grid_value(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Some((start, rest)) = t.split_once("..") {
        let (end, step) = rest.split_once(':').map_or((rest, None), |(e, s)| (e, Some(s)));
        let mut m = Map::new();
        m.insert("start".into(), param_value(start.trim()));
        m.insert("end".into(), param_value(end.trim()));
        if let Some(step) = step {
            m.insert("step".into(), param_value(step.trim()));
        }
        return Some(Value::Object(m));
    }
    t.contains(',')
        .then(|| Value::Array(t.split(',').map(|v| param_value(v.trim())).collect()))
}

/// `max_drawdown=0.2, max_open_orders=5` as the risk object (parsed by the same code as `--risk`).
fn risk_pairs(v: &str) -> Result<Map<String, Value>, RunError> {
    let pairs: Vec<String> = v
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    params_from_pairs(&pairs)
}
use serde_json::{Map, Value};
use tui_input::Input;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKey {
    Strategy,
    Param(String),
    Symbols,
    Timeframe,
    Start,
    End,
    Cash,
    Risk,
    Exchange,
    Mode,
    /// What an optimize run ranks by.
    Objective,
    Speed,
    Sandbox,
    ApiKey,
    Secret,
}

#[derive(Debug, Clone)]
pub enum FieldKind {
    Select { options: Vec<String>, index: usize },
    Text(Input),
    Secret(Input),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub key: FieldKey,
    pub label: String,
    pub kind: FieldKind,
    pub error: Option<String>,
    /// Help shown under the form when the field is selected.
    pub hint: String,
}

impl Field {
    fn select(key: FieldKey, label: &str, options: Vec<String>, index: usize, hint: &str) -> Field {
        Field {
            key,
            label: label.into(),
            kind: FieldKind::Select { options, index },
            error: None,
            hint: hint.into(),
        }
    }
    fn text(key: FieldKey, label: &str, value: &str, hint: &str) -> Field {
        Field {
            key,
            label: label.into(),
            kind: FieldKind::Text(Input::new(value.into())),
            error: None,
            hint: hint.into(),
        }
    }
    fn secret(key: FieldKey, label: &str, hint: &str) -> Field {
        Field {
            key,
            label: label.into(),
            kind: FieldKind::Secret(Input::default()),
            error: None,
            hint: hint.into(),
        }
    }

    pub fn value(&self) -> String {
        match &self.kind {
            FieldKind::Select { options, index } => options.get(*index).cloned().unwrap_or_default(),
            FieldKind::Text(i) | FieldKind::Secret(i) => i.value().to_string(),
        }
    }

    /// What the screen shows: secrets as bullets, never their characters.
    pub fn display(&self) -> String {
        match &self.kind {
            FieldKind::Select { .. } => format!("‹ {} ›", self.value()),
            FieldKind::Text(i) => i.value().to_string(),
            FieldKind::Secret(i) => "•".repeat(i.value().chars().count().min(24)),
        }
    }

    pub fn is_text(&self) -> bool {
        !matches!(self.kind, FieldKind::Select { .. })
    }
}

#[derive(Debug, Clone)]
pub struct RunForm {
    pub fields: Vec<Field>,
    pub selected: usize,
    /// Typing goes into the selected text field while this is on.
    pub editing: bool,
    /// The strategies on offer and their parameters: this process's catalogue, or the server's
    /// when the console is connected to one (its scripts are not on this machine).
    strategies: Vec<FormStrategy>,
}

/// A strategy as the form offers it: its name and every parameter it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct FormStrategy {
    pub name: String,
    pub params: Vec<ParamSpec>,
}

impl FormStrategy {
    /// The strategies this process has (built-ins and loaded scripts).
    pub fn local() -> Vec<FormStrategy> {
        catalog::list()
            .iter()
            .map(|d| FormStrategy {
                name: d.name.clone(),
                params: d.all_params().into_iter().cloned().collect(),
            })
            .collect()
    }
}

fn param_hint(p: &ParamSpec) -> String {
    let ty = if p.ty == ParamType::Int {
        "whole number"
    } else {
        "number"
    };
    let range = match (p.min, p.max) {
        (Some(a), Some(b)) => format!(" from {a} to {b}"),
        _ => String::new(),
    };
    let default = p
        .default
        .map(|d| format!(", default {d}"))
        .unwrap_or_else(|| ", optional".into());
    format!("{}: {ty}{range}{default}", p.description)
}

impl Default for RunForm {
    fn default() -> Self {
        RunForm::new()
    }
}

impl RunForm {
    /// A sensible run ready to launch: moving-average cross on BTC/USDT hourly over the offline `sim`
    /// market's last 2000 candles, the same default window as the API and the CLI.
    pub fn new() -> RunForm {
        let strategies = FormStrategy::local();
        let names: Vec<String> = strategies.iter().map(|s| s.name.clone()).collect();
        let mut f = RunForm {
            fields: Vec::new(),
            selected: 0,
            editing: false,
            strategies,
        };
        f.fields.push(Field::select(
            FieldKey::Strategy,
            "Strategy",
            names,
            0,
            "Left/Right to choose; its parameters follow",
        ));
        f.fields.push(Field::text(
            FieldKey::Symbols,
            "Symbols",
            "BTC/USDT",
            "BASE/QUOTE, comma-separated for several",
        ));
        let tfs: Vec<String> = Timeframe::ALL.iter().map(|t| t.to_string()).collect();
        let h1 = tfs.iter().position(|t| t == "1h").unwrap_or(0);
        f.fields.push(Field::select(
            FieldKey::Timeframe,
            "Timeframe",
            tfs,
            h1,
            "Candle interval",
        ));
        f.fields.push(Field::text(
            FieldKey::Start,
            "Start",
            "",
            "ISO 8601 date (backtests); empty = the last 2000 candles",
        ));
        f.fields.push(Field::text(
            FieldKey::End,
            "End",
            "",
            "ISO 8601 date, exclusive (backtests); empty = up to now",
        ));
        f.fields.push(Field::text(
            FieldKey::Cash,
            "Cash",
            &DEFAULT_CASH.to_string(),
            "Starting cash in the quote currency",
        ));
        f.fields.push(Field::text(
            FieldKey::Risk,
            "Risk",
            "",
            "Risk limits, e.g. max_drawdown=0.2, max_open_orders=5 (max_daily_loss, max_position_value, cooldown_bars); empty = none",
        ));
        f.fields.push(Field::select(
            FieldKey::Exchange,
            "Exchange",
            crate::data::source::EXCHANGES.iter().map(|s| s.to_string()).collect(),
            0,
            "sim is offline and synthetic",
        ));
        f.fields.push(Field::select(
            FieldKey::Mode,
            "Mode",
            Mode::ALL.iter().map(|m| m.as_str().to_string()).collect(),
            0,
            "b launches a backtest (or the sweep on optimize: type 5..50:5 or 5,10,20 in parameters), p paper trading",
        ));
        f.fields.push(Field::select(
            FieldKey::Objective,
            "Objective",
            crate::run::sweep::Objective::ALL
                .iter()
                .map(|o| o.as_str().to_string())
                .collect(),
            0,
            "optimize: what ranks the combinations",
        ));
        f.fields.push(Field::text(
            FieldKey::Speed,
            "Speed",
            "auto",
            "sim paper: simulated seconds per second (60 = a minute a second); auto = a bar every 2 s",
        ));
        f.fields.push(Field::select(
            FieldKey::Sandbox,
            "Sandbox",
            vec!["yes".into(), "no".into()],
            0,
            "yes = the exchange's testnet; no = real money (asks you to type LIVE)",
        ));
        f.fields.push(Field::secret(
            FieldKey::ApiKey,
            "API key",
            "Exchange API key: masked, kept in memory only",
        ));
        f.fields.push(Field::secret(
            FieldKey::Secret,
            "Secret",
            "Exchange API secret: masked, kept in memory only",
        ));
        f.rebuild_params(&Map::new());
        f
    }

    pub fn get(&self, key: &FieldKey) -> Option<&Field> {
        self.fields.iter().find(|f| &f.key == key)
    }

    pub fn value(&self, key: &FieldKey) -> String {
        self.get(key).map(|f| f.value()).unwrap_or_default()
    }

    pub fn mode(&self) -> Mode {
        match self.value(&FieldKey::Mode).as_str() {
            "paper" => Mode::Paper,
            "live" => Mode::Live,
            "optimize" => Mode::Optimize,
            _ => Mode::Backtest,
        }
    }

    /// Fields shown for the current mode and exchange.
    pub fn visible(&self) -> Vec<usize> {
        let mode = self.mode();
        let sim = self.value(&FieldKey::Exchange) == "sim";
        (0..self.fields.len())
            .filter(|&i| match self.fields[i].key {
                FieldKey::Start | FieldKey::End => matches!(mode, Mode::Backtest | Mode::Optimize),
                FieldKey::Objective => mode == Mode::Optimize,
                FieldKey::Speed => mode == Mode::Paper && sim,
                FieldKey::ApiKey | FieldKey::Secret => mode != Mode::Backtest && !sim,
                FieldKey::Sandbox => mode == Mode::Live && !sim,
                _ => true,
            })
            .collect()
    }

    /// Replaces the parameter fields with the selected strategy's, keeping values by name.
    fn rebuild_params(&mut self, keep: &Map<String, Value>) {
        let name = self.value(&FieldKey::Strategy);
        let Some(spec) = self.strategies.iter().find(|s| s.name == name) else {
            return;
        };
        let params: Vec<ParamSpec> = spec.params.clone();
        self.fields.retain(|f| !matches!(f.key, FieldKey::Param(_)));
        let at = self
            .fields
            .iter()
            .position(|f| f.key == FieldKey::Strategy)
            .map_or(0, |i| i + 1);
        let params: Vec<Field> = params
            .iter()
            .map(|p| {
                let v = keep
                    .get(p.name.as_ref())
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| p.default.map(|d| d.to_string()).unwrap_or_default());
                let key = FieldKey::Param(p.name.to_string());
                match p.ty {
                    // Bools and choices are picked, not typed.
                    ParamType::Bool | ParamType::Choice => {
                        let options: Vec<String> = if p.ty == ParamType::Bool {
                            vec!["false".into(), "true".into()]
                        } else {
                            p.choices.clone()
                        };
                        let current = keep
                            .get(p.name.as_ref())
                            .map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string()))
                            .or_else(|| {
                                p.default
                                    .map(|d| p.display_json(d).to_string().trim_matches('"').to_string())
                            })
                            .unwrap_or_default();
                        let index = options.iter().position(|o| *o == current).unwrap_or(0);
                        Field::select(key, &p.name, options, index, &param_hint(p))
                    }
                    _ => Field::text(key, &p.name, &v, &param_hint(p)),
                }
            })
            .collect();
        for (k, f) in params.into_iter().enumerate() {
            self.fields.insert(at + k, f);
        }
    }

    pub fn selected_field(&self) -> Option<&Field> {
        self.fields.get(self.selected)
    }

    /// Moves the selection among visible fields.
    pub fn move_by(&mut self, delta: i32) {
        let vis = self.visible();
        if vis.is_empty() {
            return;
        }
        let pos = vis.iter().position(|&i| i == self.selected).unwrap_or(0) as i32;
        let next = (pos + delta).clamp(0, vis.len() as i32 - 1) as usize;
        self.selected = vis[next];
    }

    /// Left/Right on a select field.
    pub fn cycle(&mut self, delta: i32) {
        let Some(f) = self.fields.get_mut(self.selected) else {
            return;
        };
        let key = f.key.clone();
        if let FieldKind::Select { options, index } = &mut f.kind {
            let n = options.len() as i32;
            *index = ((*index as i32 + delta).rem_euclid(n)) as usize;
        } else {
            return;
        }
        if key == FieldKey::Strategy {
            self.rebuild_params(&Map::new());
        }
        // The selection must stay on a visible field when mode/exchange hide some.
        if !self.visible().contains(&self.selected) {
            self.move_by(0);
        }
    }

    pub fn input_mut(&mut self) -> Option<&mut Input> {
        match &mut self.fields.get_mut(self.selected)?.kind {
            FieldKind::Text(i) | FieldKind::Secret(i) => Some(i),
            FieldKind::Select { .. } => None,
        }
    }

    /// Checks one field; the message says what is wrong and what is accepted.
    fn check(&self, f: &Field) -> Option<String> {
        let v = f.value();
        let v = v.trim();
        match &f.key {
            FieldKey::Param(name) => {
                let strategy = self.value(&FieldKey::Strategy);
                let def = self.strategies.iter().find(|s| s.name == strategy)?;
                let spec = def.params.iter().find(|p| p.name == *name)?;
                if v.is_empty() {
                    return spec.default.map(|_| format!("{name} needs a value"));
                }
                if self.mode() == Mode::Optimize {
                    if let Some(grid) = grid_value(v) {
                        // Checked here when the strategy is this machine's; a server's own is
                        // checked by the server.
                        let local = crate::engine::strategy::find_builtin(&strategy).is_some()
                            || catalog::find(&strategy).is_some();
                        return local
                            .then(|| crate::run::optimize::axis_from_json(&strategy, name, &grid).err())
                            .flatten()
                            .map(|e| e.message);
                    }
                }
                spec.parse_str(v).err().map(|e| e.to_string())
            }
            FieldKey::Symbols => {
                if v.is_empty() {
                    return Some("at least one symbol, e.g. BTC/USDT".into());
                }
                v.split(',')
                    .find_map(|s| normalise_symbol(s).err().map(|e| e.to_string()))
            }
            FieldKey::Start | FieldKey::End if !v.is_empty() => parse_date(v).err().map(|e| e.to_string()),
            FieldKey::Cash => match v.parse::<f64>() {
                Ok(c) => check_cash(c).err().map(|e| e.message),
                Err(_) => Some(format!("cash must be a number, got '{v}'")),
            },
            FieldKey::Risk => risk_pairs(v)
                .and_then(|m| parse_risk(&m, self.mode()).map(|_| ()))
                .err()
                .map(|e| e.message),
            FieldKey::Speed if v.trim() == "auto" => None,
            FieldKey::Speed => check_speed(v.parse::<f64>().unwrap_or(f64::NAN))
                .err()
                .map(|e| format!("{} (or auto)", e.message)),
            _ => None,
        }
    }

    /// Re-validates every visible field; true when all are fine.
    pub fn validate(&mut self) -> bool {
        let vis = self.visible();
        let errors: Vec<Option<String>> = self.fields.iter().map(|f| self.check(f)).collect();
        let mut ok = true;
        for (i, (f, e)) in self.fields.iter_mut().zip(errors).enumerate() {
            f.error = if vis.contains(&i) { e } else { None };
            ok &= f.error.is_none();
        }
        ok
    }

    pub fn validate_selected(&mut self) {
        if let Some(f) = self.fields.get(self.selected) {
            let e = self.check(f);
            self.fields[self.selected].error = e;
        }
    }

    /// The sim paper speed: as typed, or for `auto` one bar every two seconds at the form's timeframe
    /// (so a paper run shows activity at once whatever its timeframe).
    fn speed(&self) -> Option<f64> {
        let v = self.value(&FieldKey::Speed);
        if v.trim() == "auto" {
            let tf: crate::engine::Timeframe = self.value(&FieldKey::Timeframe).parse().ok()?;
            return Some((tf.millis() as f64 / 2000.0).clamp(1.0, 1e6));
        }
        v.trim().parse::<f64>().ok()
    }

    /// The request this form describes, launched as `mode`.
    pub fn request(&self, mode: Mode) -> RunRequest {
        let mut params = Map::new();
        for f in &self.fields {
            if let FieldKey::Param(name) = &f.key {
                let v = f.value();
                let v = v.trim();
                if v.is_empty() {
                    continue;
                }
                params.insert(name.to_string(), param_value(v));
            }
        }
        let opt = |k: &FieldKey| Some(self.value(k)).filter(|s| !s.trim().is_empty());
        let mut exchange_config = Map::new();
        if mode != Mode::Backtest {
            if let Some(speed) = self.speed() {
                if self.value(&FieldKey::Exchange) == "sim" {
                    exchange_config.insert("speed".into(), Value::from(speed));
                }
            }
            if self.value(&FieldKey::Exchange) != "sim" {
                exchange_config.insert(
                    "sandbox".into(),
                    Value::Bool(mode != Mode::Live || self.value(&FieldKey::Sandbox) != "no"),
                );
            }
            if let (Some(k), Some(s)) = (opt(&FieldKey::ApiKey), opt(&FieldKey::Secret)) {
                exchange_config.insert("apiKey".into(), Value::String(k));
                exchange_config.insert("secret".into(), Value::String(s));
            }
        }
        RunRequest {
            strategy_name: self.value(&FieldKey::Strategy),
            strategy_params: params,
            symbols: self
                .value(&FieldKey::Symbols)
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            timeframe: self.value(&FieldKey::Timeframe),
            start_date: if mode == Mode::Backtest {
                opt(&FieldKey::Start)
            } else {
                None
            },
            end_date: if mode == Mode::Backtest {
                opt(&FieldKey::End)
            } else {
                None
            },
            initial_cash: self.value(&FieldKey::Cash).trim().parse().unwrap_or(0.0),
            exchange: self.value(&FieldKey::Exchange),
            commission: None,
            slippage_bps: None,
            mode,
            data_file: None,
            exchange_config,
            risk: risk_pairs(&self.value(&FieldKey::Risk)).unwrap_or_default(),
        }
    }

    /// The sweep this form describes (mode optimize): parameters typed as a range or a list are the
    /// grid, the rest are fixed for every combination.
    pub fn optimize_request(&self) -> crate::run::request::OptimizeRequest {
        let base = self.request(Mode::Backtest);
        let mut grid = Map::new();
        let mut fixed = Map::new();
        for f in &self.fields {
            if let FieldKey::Param(name) = &f.key {
                let v = f.value();
                match grid_value(&v) {
                    Some(g) => {
                        grid.insert(name.clone(), g);
                    }
                    None if !v.trim().is_empty() => {
                        fixed.insert(name.clone(), param_value(v.trim()));
                    }
                    None => {}
                }
            }
        }
        let objective = crate::run::sweep::Objective::parse(&self.value(&FieldKey::Objective)).ok();
        crate::run::request::OptimizeRequest {
            strategy_name: base.strategy_name,
            strategy_params: fixed,
            symbols: base.symbols,
            timeframe: base.timeframe,
            start_date: base.start_date,
            end_date: base.end_date,
            initial_cash: base.initial_cash,
            exchange: base.exchange,
            commission: None,
            slippage_bps: None,
            risk: base.risk,
            grid,
            objective,
            min_trades: 0,
            walk_forward: None,
        }
    }

    /// Sets the strategy parameter fields to these values (a sweep's combination, to run it alone).
    pub fn set_params(&mut self, params: &Map<String, Value>) {
        for f in &mut self.fields {
            if let (FieldKey::Param(name), FieldKind::Text(input)) = (&f.key, &mut f.kind) {
                if let Some(v) = params.get(name) {
                    let text = v.as_str().map_or_else(|| v.to_string(), String::from);
                    *input = Input::new(text);
                    f.error = None;
                }
            }
        }
    }

    /// A live run on a real exchange with the sandbox off: real money.
    pub fn real_money(&self) -> bool {
        self.mode() == Mode::Live && self.value(&FieldKey::Exchange) != "sim" && self.value(&FieldKey::Sandbox) == "no"
    }

    /// Replaces the strategy choices (the catalogue changed, or the server's came in), keeping the
    /// selected one if it is still there, and its parameter values.
    pub fn set_strategies(&mut self, strategies: Vec<FormStrategy>) {
        if strategies == self.strategies {
            return;
        }
        self.strategies = strategies;
        let names: Vec<String> = self.strategies.iter().map(|s| s.name.clone()).collect();
        let current = self.value(&FieldKey::Strategy);
        let Some(f) = self.fields.iter_mut().find(|f| f.key == FieldKey::Strategy) else {
            return;
        };
        let FieldKind::Select { options, index } = &mut f.kind else {
            return;
        };
        *index = names.iter().position(|n| *n == current).unwrap_or(0);
        *options = names;
        let changed = self.value(&FieldKey::Strategy) != current;
        let keep = if changed {
            Map::new()
        } else {
            self.request(Mode::Backtest).strategy_params
        };
        self.rebuild_params(&keep);
        if !self.visible().contains(&self.selected) {
            self.move_by(0);
        }
    }

    /// Switches the mode select to `mode` (the b/p keys launch the form as that mode).
    pub fn set_mode(&mut self, mode: Mode) {
        if let Some(f) = self.fields.iter_mut().find(|f| f.key == FieldKey::Mode) {
            if let FieldKind::Select { options, index } = &mut f.kind {
                if let Some(i) = options.iter().position(|o| o == mode.as_str()) {
                    *index = i;
                }
            }
        }
    }
}

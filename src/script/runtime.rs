//! A running script: one sandboxed Luau VM per symbol, called once per closed bar. Indicators are
//! computed here in Rust (declared once by the script, read per bar from `ind`); the bar, the context
//! and the indicator table are created once and updated in place, so a bar allocates nothing on the
//! Rust side. Every call runs under a budget: an endless loop fails the run within a second.

use super::vm::{open, reset_budget, ScriptError};
use crate::engine::indicators::{
    Atr, Cross, CrossOver, Ema, Extreme, Macd, Roc, Rsi, Sma, StdDev, Stochastic, Vwap, Wma,
};
use crate::engine::strategy::{Ctx, ParamSpec, ParamType, Params, Strategy};
use crate::engine::types::{Candle, Fill, OrderKind, Side};
use mlua::{Function, IntoLua, Lua, Table, Value};
/// Indicator outputs handed to the per-bar call as arguments (the rest are set on `ind` from Rust).
const ARG_SLOTS: usize = 7;
/// Log lines a script may write per call, and their length.
const LOGS_PER_CALL: usize = 20;
const LOG_CHARS: usize = 500;

/// What a call asked for, applied through the engine's context once it returns.
#[derive(Default)]
struct Pending {
    requests: Vec<Req>,
    logs: Vec<String>,
    dropped_logs: usize,
}

#[derive(Debug, Clone, Copy)]
enum Req {
    Submit(Side, OrderKind, f64),
    EnterLong,
    ExitLong,
    CancelAll,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Src {
    Open,
    High,
    Low,
    Close,
    Volume,
    Typical,
}

impl Src {
    fn parse(s: &str) -> Option<Src> {
        Some(match s {
            "open" => Src::Open,
            "high" => Src::High,
            "low" => Src::Low,
            "close" => Src::Close,
            "volume" => Src::Volume,
            "typical" | "hlc3" => Src::Typical,
            _ => return None,
        })
    }

    #[inline]
    fn of(self, b: &Candle) -> f64 {
        match self {
            Src::Open => b.open,
            Src::High => b.high,
            Src::Low => b.low,
            Src::Close => b.close,
            Src::Volume => b.volume,
            Src::Typical => (b.high + b.low + b.close) / 3.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Operand {
    Slot(usize),
    Const(f64),
}

enum Calc {
    Sma(Sma, Src),
    Ema(Ema, Src),
    Wma(Wma, Src),
    Rsi(Rsi, Src),
    Macd(Macd, Src),
    Bollinger(StdDev, f64, Src),
    Atr(Atr),
    Stochastic(Stochastic),
    Highest(Extreme, Src),
    Lowest(Extreme, Src),
    Roc(Roc, Src),
    Vwap(Vwap),
    Cross {
        a: Operand,
        b: Operand,
        state: CrossOver,
        under: bool,
    },
}

/// One declared indicator and the output slots it writes.
struct Indicator {
    calc: Calc,
    slot: usize,
}

/// The declared indicators, as native state plus one value slot per output.
struct Indicators {
    list: Vec<Indicator>,
    values: Vec<Option<f64>>,
    names: Vec<String>,
    /// Closed bars each value slot needs before it has a value.
    needs: Vec<usize>,
}

impl Indicators {
    fn parse(file: &str, decl: Option<Table>) -> Result<Indicators, ScriptError> {
        let mut out = Indicators {
            list: Vec::new(),
            values: Vec::new(),
            names: Vec::new(),
            needs: Vec::new(),
        };
        let Some(decl) = decl else { return Ok(out) };
        let mut entries: Vec<(String, Table)> = Vec::new();
        for pair in decl.pairs::<String, Table>() {
            let (name, t) = pair.map_err(|_| {
                ScriptError::new(
                    file,
                    "indicators must map names to sma(...), ema(...), ... declarations",
                )
            })?;
            entries.push((name, t));
        }
        // Declaration order is not kept by Lua tables: crosses go last, everything else by name.
        entries.sort_by_key(|(name, t)| {
            let kind: String = t.get("kind").unwrap_or_default();
            (kind.starts_with("cross"), name.clone())
        });
        for (name, t) in entries {
            if name.is_empty() || name.len() > 40 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(ScriptError::new(
                    file,
                    format!("indicator name '{name}' must be 1-40 letters, digits or _"),
                ));
            }
            out.add(file, &name, &t)?;
        }
        Ok(out)
    }

    fn slot(&mut self, name: String) -> usize {
        self.names.push(name);
        self.values.push(None);
        self.needs.push(0);
        self.values.len() - 1
    }

    /// Closed bars before every declared indicator has a value.
    fn warmup(&self) -> usize {
        self.needs.iter().copied().max().unwrap_or(0)
    }

    fn add(&mut self, file: &str, name: &str, t: &Table) -> Result<(), ScriptError> {
        let bad = |m: String| ScriptError::new(file, format!("indicator '{name}': {m}"));
        let kind: String = t.get("kind").map_err(|_| bad("not an indicator declaration".into()))?;
        let period = |key: &str| -> Result<usize, ScriptError> {
            let p: f64 = t
                .get::<Option<f64>>(key)
                .ok()
                .flatten()
                .ok_or_else(|| bad(format!("{key} must be a whole number from 1 to 100000")))?;
            if p.fract() != 0.0 || !(1.0..=100_000.0).contains(&p) {
                return Err(bad(format!("{key} must be a whole number from 1 to 100000, got {p}")));
            }
            Ok(p as usize)
        };
        let source = || -> Result<Src, ScriptError> {
            let s: String = t
                .get::<Option<String>>("source")
                .ok()
                .flatten()
                .unwrap_or_else(|| "close".into());
            Src::parse(&s).ok_or_else(|| {
                bad(format!(
                    "source '{s}' is not one of open, high, low, close, volume, typical"
                ))
            })
        };
        let calc = match kind.as_str() {
            "sma" => Calc::Sma(Sma::new(period("period")?), source()?),
            "ema" => Calc::Ema(Ema::new(period("period")?), source()?),
            "wma" => Calc::Wma(Wma::new(period("period")?), source()?),
            "rsi" => Calc::Rsi(Rsi::new(period("period")?), source()?),
            "macd" => Calc::Macd(
                Macd::new(period("fast")?, period("slow")?, period("signal")?),
                source()?,
            ),
            "bollinger" => {
                let k: f64 = t.get::<Option<f64>>("k").ok().flatten().unwrap_or(2.0);
                if !(k.is_finite() && k > 0.0 && k <= 10.0) {
                    return Err(bad(format!("k must be above 0 and at most 10, got {k}")));
                }
                Calc::Bollinger(StdDev::new(period("period")?), k, source()?)
            }
            "atr" => Calc::Atr(Atr::new(period("period")?)),
            "stochastic" => Calc::Stochastic(Stochastic::new(period("period")?, period("d")?)),
            "highest" => Calc::Highest(Extreme::highest(period("period")?), source()?),
            "lowest" => Calc::Lowest(Extreme::lowest(period("period")?), source()?),
            "roc" => Calc::Roc(Roc::new(period("period")?), source()?),
            "vwap" => Calc::Vwap(Vwap::default()),
            "crossover" | "crossunder" => {
                let operand = |key: &str| -> Result<Operand, ScriptError> {
                    match t.get::<Value>(key) {
                        Ok(Value::Number(n)) => Ok(Operand::Const(n)),
                        Ok(Value::Integer(n)) => Ok(Operand::Const(n as f64)),
                        Ok(Value::String(s)) => {
                            let s = s.to_string_lossy();
                            self.names
                                .iter()
                                .position(|n| *n == s)
                                .map(Operand::Slot)
                                .ok_or_else(|| bad(format!("{key} = '{s}' is not a declared indicator (crosses compare two indicators, or one and a number)")))
                        }
                        _ => Err(bad(format!("{key} must name another indicator or be a number"))),
                    }
                };
                let (a, b) = (operand("a")?, operand("b")?);
                Calc::Cross {
                    a,
                    b,
                    state: CrossOver::default(),
                    under: kind == "crossunder",
                }
            }
            other => return Err(bad(format!("unknown kind '{other}'"))),
        };
        let need = match (&calc, kind.as_str()) {
            (Calc::Cross { a, b, .. }, _) => {
                let of = |o: &Operand| match o {
                    Operand::Slot(i) => self.needs.get(*i).copied().unwrap_or(0),
                    Operand::Const(_) => 0,
                };
                of(a).max(of(b)) + 1
            }
            (_, "rsi" | "roc") => period("period")? + 1,
            (_, "macd") => period("slow")? + period("signal")? - 1,
            (_, "stochastic") => period("period")? + period("d")? - 1,
            (_, "vwap") => 1,
            _ => period("period")?,
        };
        let slot = self.slot(name.to_string());
        match calc {
            Calc::Macd(..) => {
                self.slot(format!("{name}_signal"));
                self.slot(format!("{name}_hist"));
            }
            Calc::Bollinger(..) => {
                self.slot(format!("{name}_upper"));
                self.slot(format!("{name}_lower"));
            }
            Calc::Stochastic(..) => {
                self.slot(format!("{name}_d"));
            }
            _ => {}
        }
        for n in &mut self.needs[slot..] {
            *n = need;
        }
        self.list.push(Indicator { calc, slot });
        Ok(())
    }

    #[inline]
    fn update(&mut self, b: &Candle) {
        let values = &mut self.values;
        for ind in &mut self.list {
            let s = ind.slot;
            match &mut ind.calc {
                Calc::Sma(x, src) => values[s] = x.update(src.of(b)),
                Calc::Ema(x, src) => values[s] = x.update(src.of(b)),
                Calc::Wma(x, src) => values[s] = x.update(src.of(b)),
                Calc::Rsi(x, src) => values[s] = x.update(src.of(b)),
                Calc::Macd(x, src) => {
                    let (l, sig, h) = x.update(src.of(b));
                    values[s] = l;
                    values[s + 1] = sig;
                    values[s + 2] = h;
                }
                Calc::Bollinger(x, k, src) => {
                    let out = x.update(src.of(b));
                    values[s] = out.map(|o| o.0);
                    values[s + 1] = out.map(|(m, sd)| m + *k * sd);
                    values[s + 2] = out.map(|(m, sd)| m - *k * sd);
                }
                Calc::Atr(x) => values[s] = x.update(b.high, b.low, b.close),
                Calc::Stochastic(x) => {
                    let (k, d) = x.update(b.high, b.low, b.close);
                    values[s] = k;
                    values[s + 1] = d;
                }
                Calc::Highest(x, src) | Calc::Lowest(x, src) => values[s] = x.update(src.of(b)),
                Calc::Roc(x, src) => values[s] = x.update(src.of(b)),
                Calc::Vwap(x) => values[s] = x.update(b.high, b.low, b.close, b.volume),
                Calc::Cross {
                    a,
                    b: other,
                    state,
                    under,
                } => {
                    let get = |o: &Operand| match *o {
                        Operand::Slot(i) => values[i],
                        Operand::Const(c) => Some(c),
                    };
                    values[s] = match (get(a), get(other)) {
                        (Some(x), Some(y)) => Some(match (state.update(x, y), *under) {
                            (Cross::Up, false) | (Cross::Down, true) => 1.0,
                            (Cross::Down, false) => -1.0,
                            _ => 0.0,
                        }),
                        _ => None,
                    };
                }
            }
        }
    }
}

/// The script's view of its parameters: ints as integers, bools as booleans, choices by name.
pub(crate) fn params_table(lua: &Lua, specs: &[ParamSpec], params: &Params) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    for (name, v) in params.iter() {
        let value = match specs.iter().find(|s| s.name == name).map(|s| (s.ty, s)) {
            Some((ParamType::Int, _)) => Value::Integer(v as i64 as _),
            Some((ParamType::Bool, _)) => Value::Boolean(v != 0.0),
            Some((ParamType::Choice, s)) => match s.choices.get(v as usize) {
                Some(c) => Value::String(lua.create_string(c)?),
                None => Value::Nil,
            },
            _ => Value::Number(v),
        };
        t.raw_set(name, value)?;
    }
    Ok(t)
}

/// Reads `ctx:buy(amount[, {limit = p, stop = s}])`.
fn order(side: Side, amount: Value, opts: Option<Table>) -> mlua::Result<Req> {
    let amount = match amount {
        Value::Number(n) => n,
        Value::Integer(n) => n as f64,
        _ => {
            return Err(mlua::Error::runtime(
                "ctx:buy/sell(amount[, {limit = price, stop = price}]): amount must be a number",
            ))
        }
    };
    let (limit, stop) = match opts {
        Some(o) => (o.get::<Option<f64>>("limit")?, o.get::<Option<f64>>("stop")?),
        None => (None, None),
    };
    let kind = match (limit, stop) {
        (None, None) => OrderKind::Market,
        (Some(price), None) => OrderKind::Limit { price },
        (None, Some(stop)) => OrderKind::Stop { stop },
        (Some(limit), Some(stop)) => OrderKind::StopLimit { stop, limit },
    };
    Ok(Req::Submit(side, kind, amount))
}

thread_local! {
    /// What the call running on this thread asked for; drained after every call.
    static PENDING: std::cell::RefCell<Pending> = std::cell::RefCell::new(Pending::default());
    /// Set when `PENDING` has something, so a quiet bar skips it entirely.
    static DIRTY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn push(_lua: &Lua, r: Req) {
    PENDING.with(|p| p.borrow_mut().requests.push(r));
    DIRTY.with(|d| d.set(true));
}

/// The `ctx` table: the run's state (updated per bar) and the order methods.
fn context(lua: &Lua, params: Table) -> mlua::Result<Table> {
    let ctx = lua.create_table()?;
    ctx.raw_set("params", params)?;
    ctx.raw_set(
        "buy",
        lua.create_function(|lua, (_, amount, opts): (Value, Value, Option<Table>)| {
            push(lua, order(Side::Buy, amount, opts)?);
            Ok(())
        })?,
    )?;
    ctx.raw_set(
        "sell",
        lua.create_function(|lua, (_, amount, opts): (Value, Value, Option<Table>)| {
            push(lua, order(Side::Sell, amount, opts)?);
            Ok(())
        })?,
    )?;
    for (name, req) in [
        ("enter_long", Req::EnterLong),
        ("exit_long", Req::ExitLong),
        ("cancel_all", Req::CancelAll),
    ] {
        ctx.raw_set(
            name,
            lua.create_function(move |lua, _: mlua::MultiValue| {
                push(lua, req);
                Ok(())
            })?,
        )?;
    }
    ctx.raw_set(
        "log",
        lua.create_function(|_, args: mlua::MultiValue| {
            let mut line = String::new();
            for (i, v) in args.iter().skip(1).enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                line.push_str(&v.to_string().unwrap_or_else(|_| format!("<{}>", v.type_name())));
                if line.len() > LOG_CHARS {
                    break;
                }
            }
            if line.len() > LOG_CHARS {
                let mut cut = LOG_CHARS;
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                line.truncate(cut);
                line.push('…');
            }
            PENDING.with(|p| {
                let mut p = p.borrow_mut();
                if p.logs.len() < LOGS_PER_CALL {
                    p.logs.push(line);
                } else {
                    p.dropped_logs += 1;
                }
            });
            DIRTY.with(|d| d.set(true));
            Ok(())
        })?,
    )?;
    Ok(ctx)
}

/// A script strategy instance (one symbol).
pub struct ScriptStrategy {
    file: String,
    lua: Lua,
    /// `step(time, open, high, low, close, volume, position, cash, open_orders)`: fills `bar` and `ctx`
    /// in place and calls the script's `on_bar(bar, ctx, ind)`.
    step: Function,
    def: Table,
    ctx: Table,
    ind: Table,
    keys: Vec<mlua::LuaString>,
    indicators: Indicators,
    started: bool,
    last_close: f64,
}

impl ScriptStrategy {
    pub fn new(file: &str, code: &str, specs: &[ParamSpec], params: &Params) -> Result<ScriptStrategy, ScriptError> {
        let (lua, def) = open(file, code)?;
        let err = |e: mlua::Error| ScriptError::from_lua(file, &e);
        let p = params_table(&lua, specs, params).map_err(err)?;
        let decl = match def.get::<Value>("indicators").map_err(err)? {
            Value::Function(f) => {
                reset_budget(&lua);
                Some(f.call::<Table>(p.clone()).map_err(err)?)
            }
            Value::Table(t) => Some(t),
            Value::Nil => None,
            _ => {
                return Err(ScriptError::new(
                    file,
                    "indicators must be a table or a function(params) returning one",
                ))
            }
        };
        let indicators = Indicators::parse(file, decl)?;
        let ctx = context(&lua, p).map_err(err)?;
        let ind = lua.create_table().map_err(err)?;
        let bar = lua.create_table().map_err(err)?;
        let keys = indicators
            .names
            .iter()
            .map(|n| lua.create_string(n))
            .collect::<mlua::Result<Vec<_>>>()
            .map_err(err)?;
        let on_bar: Function = def.get("on_bar").map_err(err)?;
        // The first `ARG_SLOTS` indicator values travel as arguments and are stored by Lua itself:
        // setting table fields from Rust goes through a protected call each (the VM has a memory limit).
        let passed = indicators.names.len().min(ARG_SLOTS);
        let params: String = (1..=passed).map(|i| format!(", a{i}")).collect();
        let stores: String = indicators.names[..passed]
            .iter()
            .enumerate()
            .map(|(i, n)| format!(" ind[\"{n}\"] = a{}", i + 1))
            .collect();
        let code = format!(
            "local on_bar, bar, ctx, ind = ...
            return function(t, o, h, l, c, v, pos, cash, oo{params})
                bar.time = t bar.open = o bar.high = h bar.low = l bar.close = c bar.volume = v
                ctx.position = pos ctx.cash = cash ctx.open_orders = oo{stores}
                on_bar(bar, ctx, ind)
            end"
        );
        let step: Function = lua
            .load(code)
            .set_name("=step")
            .call((on_bar, bar, ctx.clone(), ind.clone()))
            .map_err(err)?;
        Ok(ScriptStrategy {
            file: file.to_string(),
            lua,
            step,
            def,
            ctx,
            ind,
            keys,
            indicators,
            started: false,
            last_close: 0.0,
        })
    }

    /// Applies what the call asked for; a script error fails the run with the script's file:line.
    fn settle(&mut self, result: mlua::Result<()>, ctx: &mut Ctx<'_>) {
        if result.is_ok() && !DIRTY.with(|d| d.replace(false)) {
            return; // a quiet bar: nothing asked, nothing logged
        }
        let (requests, logs, dropped) = PENDING.with(|p| {
            let mut p = p.borrow_mut();
            (
                std::mem::take(&mut p.requests),
                std::mem::take(&mut p.logs),
                std::mem::replace(&mut p.dropped_logs, 0),
            )
        });
        for line in logs {
            ctx.log(line);
        }
        if dropped > 0 {
            ctx.log(format!(
                "({dropped} more log lines from this call dropped: at most {LOGS_PER_CALL} per call)"
            ));
        }
        if let Err(e) = result {
            ctx.fail(ScriptError::from_lua(&self.file, &e).message);
            return;
        }
        for r in requests.iter().copied() {
            match r {
                Req::Submit(side, kind, amount) => ctx.submit(side, kind, amount),
                Req::EnterLong => ctx.enter_long(self.last_close),
                Req::ExitLong => ctx.exit_long(),
                Req::CancelAll => ctx.cancel_all(),
            }
        }
        // Keep the capacity for the next call.
        PENDING.with(|p| {
            let mut p = p.borrow_mut();
            if p.requests.is_empty() {
                p.requests = requests;
                p.requests.clear();
            }
        });
    }

    fn set_state(&self, ctx: &Ctx<'_>) -> mlua::Result<()> {
        self.ctx.raw_set("position", ctx.position)?;
        self.ctx.raw_set("cash", ctx.cash)?;
        self.ctx.raw_set("open_orders", ctx.open_orders as f64)
    }

    /// Calls an optional hook `name(arg, ctx)`.
    fn hook(&mut self, name: &str, arg: Option<Table>, ctx: &mut Ctx<'_>) {
        let f = match self.def.get::<Option<Function>>(name) {
            Ok(Some(f)) => f,
            Ok(None) => return,
            Err(e) => return ctx.fail(ScriptError::from_lua(&self.file, &e).message),
        };
        let result = self.set_state(ctx).and_then(|_| {
            reset_budget(&self.lua);
            match arg {
                Some(a) => f.call::<()>((a, self.ctx.clone())),
                None => f.call::<()>(self.ctx.clone()),
            }
        });
        self.settle(result, ctx);
    }
}

/// A number pushed straight onto the Lua stack: mlua pushes an `f64` through a `Value` it builds and
/// drops, which for the dozen numbers of every bar was a sixth of a script run.
#[derive(Clone, Copy)]
struct Num(f64);

impl IntoLua for Num {
    fn into_lua(self, _: &Lua) -> mlua::Result<Value> {
        Ok(Value::Number(self.0))
    }

    #[inline]
    unsafe fn push_into_stack(self, lua: &mlua::state::RawLua) -> mlua::Result<()> {
        // SAFETY: the caller (mlua's argument tuple) has checked the stack has room for each value.
        unsafe { mlua::ffi::lua_pushnumber(lua.state(), self.0) };
        Ok(())
    }
}

impl Strategy for ScriptStrategy {
    fn warmup(&self) -> usize {
        self.indicators.warmup()
    }

    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        if !self.started {
            self.started = true;
            self.hook("on_start", None, ctx);
        }
        self.last_close = bar.close;
        self.indicators.update(bar);
        let mut result = Ok(());
        let values = &self.indicators.values;
        for (key, v) in self.keys.iter().zip(values).skip(ARG_SLOTS) {
            if let Err(e) = self.ind.raw_set(key, *v) {
                result = Err(e);
                break;
            }
        }
        if result.is_ok() {
            reset_budget(&self.lua);
            let b = (
                Num(bar.ts as f64),
                Num(bar.open),
                Num(bar.high),
                Num(bar.low),
                Num(bar.close),
                Num(bar.volume),
                Num(ctx.position),
                Num(ctx.cash),
                Num(ctx.open_orders as f64),
            );
            let v = |i: usize| values.get(i).copied().flatten().map(Num);
            let f = &self.step;
            // One call with the bar, the account and up to ARG_SLOTS indicator values as plain
            // arguments: no table is built per bar.
            macro_rules! step {
                ($($i:literal),*) => {
                    f.call::<()>((b.0, b.1, b.2, b.3, b.4, b.5, b.6, b.7, b.8, $(v($i)),*))
                };
            }
            result = match values.len().min(ARG_SLOTS) {
                0 => f.call::<()>(b),
                1 => step!(0),
                2 => step!(0, 1),
                3 => step!(0, 1, 2),
                4 => step!(0, 1, 2, 3),
                5 => step!(0, 1, 2, 3, 4),
                6 => step!(0, 1, 2, 3, 4, 5),
                _ => step!(0, 1, 2, 3, 4, 5, 6),
            };
        }
        self.settle(result, ctx);
    }

    fn wants_fills(&self) -> bool {
        matches!(self.def.get::<Value>("on_fill"), Ok(Value::Function(_)))
    }

    fn on_fill(&mut self, fill: &Fill, ctx: &mut Ctx<'_>) {
        let t = (|| {
            let t = self.lua.create_table()?;
            t.raw_set("side", fill.side.as_str())?;
            t.raw_set("size", fill.size)?;
            t.raw_set("price", fill.price)?;
            t.raw_set("fee", fill.commission)?;
            t.raw_set("time", fill.ts as f64)?;
            t.raw_set("order_id", fill.order_id as f64)?;
            Ok::<Table, mlua::Error>(t)
        })();
        match t {
            Ok(t) => self.hook("on_fill", Some(t), ctx),
            Err(e) => ctx.fail(ScriptError::from_lua(&self.file, &e).message),
        }
    }

    fn on_stop(&mut self, ctx: &mut Ctx<'_>) {
        self.hook("on_stop", None, ctx);
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::strategy::find_builtin;
    use crate::script::catalog;

    fn warmup(name: &str, given: serde_json::Value) -> usize {
        let def = catalog::find(name).or_else(|| find_builtin(name).cloned()).expect(name);
        let params = def.resolve_json(given.as_object().unwrap()).unwrap();
        def.build(&params).unwrap().warmup()
    }

    /// The warm-up shown for paper runs: the longest window, plus one bar where a cross or a change is
    /// needed; the script twin of MovingAverageCross needs exactly what the built-in does.
    #[test]
    fn warm_up_is_the_longest_window_and_scripts_match_their_builtin_twins() {
        let p = serde_json::json!({"fast_period": 7, "slow_period": 25});
        assert_eq!(warmup("MovingAverageCross", p.clone()), 26);
        assert_eq!(warmup("MaCrossScript", p), 26);
        assert_eq!(warmup("RsiMeanReversion", serde_json::json!({"period": 14})), 15);
        assert_eq!(warmup("Breakout", serde_json::json!({"lookback": 20})), 21);
        assert_eq!(warmup("BuyAndHold", serde_json::json!({})), 0);
    }
}

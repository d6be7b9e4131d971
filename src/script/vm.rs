//! One sandboxed Luau VM: no files, processes, network or clock, a seeded `math.random`, bounded
//! memory, a budget per call, and the indicator constructors scripts declare with.

use mlua::{Lua, Table, Value, VmState};
use std::cell::Cell;
use std::time::{Duration, Instant};

/// Memory one script VM may use.
pub const MEMORY_LIMIT: usize = 64 * 1024 * 1024;
/// Most work one call may do, in VM interrupts (loop iterations and calls), and at most this long.
const CALL_BUDGET: u64 = 50_000_000;
const CALL_DEADLINE: Duration = Duration::from_secs(1);

/// Why a script cannot be used: `file:line: message` where the script says where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ScriptError {
    pub message: String,
}

impl ScriptError {
    pub fn new(file: &str, message: impl std::fmt::Display) -> ScriptError {
        let m = message.to_string();
        // Luau's messages already start with the chunk name and line; others get the file name.
        let m = if m.starts_with(file) { m } else { format!("{file}: {m}") };
        ScriptError { message: m }
    }

    /// An mlua error as one readable line, with the script's file:line.
    pub fn from_lua(file: &str, e: &mlua::Error) -> ScriptError {
        let text = match e {
            mlua::Error::CallbackError { cause, .. } => cause.to_string(),
            other => other.to_string(),
        };
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("error")
            .trim()
            .trim_start_matches("runtime error: ")
            .trim_start_matches("syntax error: ")
            .to_string();
        let first = first
            .strip_prefix("[string \"")
            .map_or(first.clone(), |r| r.replacen("\"]", "", 1));
        ScriptError::new(file, first)
    }
}

/// A fresh sandboxed VM with the indicator constructors, and the script's definition table.
pub fn open(file: &str, code: &str) -> Result<(Lua, Table), ScriptError> {
    let lua = Lua::new();
    // Full optimisation (inlining, loop unrolling); native code where the CPU allows it.
    lua.set_compiler(mlua::chunk::Compiler::new().set_optimization_level(2));
    let err = |e: mlua::Error| ScriptError::from_lua(file, &e);
    lua.set_memory_limit(MEMORY_LIMIT).map_err(err)?;
    {
        let g = lua.globals();
        // Deterministic: no clock, no OS; `math.random` is seeded the same for every run.
        g.raw_set("os", Value::Nil).map_err(err)?;
        lua.load("math.randomseed(20180110)").exec().map_err(err)?;
        install_constructors(&lua).map_err(err)?;
    }
    lua.sandbox(true).map_err(err)?;
    install_budget(&lua);
    let def: Value = lua.load(code).set_name(format!("={file}")).eval().map_err(err)?;
    reset_budget(&lua);
    let Value::Table(def) = def else {
        return Err(ScriptError::new(
            file,
            "the script must end with `return { name = ..., on_bar = function(bar, ctx, ind) ... end }`",
        ));
    };
    Ok((lua, def))
}

thread_local! {
    /// Work done by the current call on this thread (a VM only ever runs on the thread that called
    /// it, and calls do not nest), and when it passed the first checkpoint.
    static WORK: Cell<u64> = const { Cell::new(0) };
    static STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Installs the interrupt that enforces the budget.
pub fn install_budget(lua: &Lua) {
    lua.set_interrupt(|_| {
        let n = WORK.with(|w| {
            let n = w.get() + 1;
            w.set(n);
            n
        });
        if n.is_multiple_of(4096) {
            let started = STARTED.with(|s| *s.get().get_or_insert_with(Instant::now));
            STARTED.with(|s| s.set(Some(started)));
            if started.elapsed() > CALL_DEADLINE || n > CALL_BUDGET {
                return Err(mlua::Error::runtime(
                    "the script ran too long in one call (an endless loop?): each call may take at most 1 second",
                ));
            }
        }
        Ok(VmState::Continue)
    });
}

/// Starts the budget of a new call.
#[inline]
pub fn reset_budget(_lua: &Lua) {
    WORK.with(|w| w.set(0));
    STARTED.with(|s| s.set(None));
}

/// `sma(20)`, `rsi(14, "close")`, `crossover("fast", "slow")`...: constructors returning descriptor
/// tables the runtime turns into native indicators.
pub fn install_constructors(lua: &Lua) -> mlua::Result<()> {
    let g = lua.globals();
    lua.load(
        r#"
        local function src(s) return s or "close" end
        function sma(n, s) return { kind = "sma", period = n, source = src(s) } end
        function ema(n, s) return { kind = "ema", period = n, source = src(s) } end
        function wma(n, s) return { kind = "wma", period = n, source = src(s) } end
        function rsi(n, s) return { kind = "rsi", period = n or 14, source = src(s) } end
        function macd(fast, slow, signal, s) return { kind = "macd", fast = fast or 12, slow = slow or 26, signal = signal or 9, source = src(s) } end
        function bollinger(n, k, s) return { kind = "bollinger", period = n or 20, k = k or 2, source = src(s) } end
        function atr(n) return { kind = "atr", period = n or 14 } end
        function stochastic(n, d) return { kind = "stochastic", period = n or 14, d = d or 3 } end
        function highest(n, s) return { kind = "highest", period = n, source = s or "high" } end
        function lowest(n, s) return { kind = "lowest", period = n, source = s or "low" } end
        function roc(n, s) return { kind = "roc", period = n, source = src(s) } end
        function vwap() return { kind = "vwap" } end
        function crossover(a, b) return { kind = "crossover", a = a, b = b } end
        function crossunder(a, b) return { kind = "crossunder", a = a, b = b } end
        "#,
    )
    .set_name("=indicators")
    .exec()?;
    let _ = g;
    Ok(())
}

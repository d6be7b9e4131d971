//! The strategies a run can use: the compiled-in ones, the example scripts shipped in the binary, and
//! the user's scripts folder (kept up to date by a watcher). One process-wide catalogue, so the CLI,
//! the API, the dashboard and validation all see the same list.

use super::load;
use super::vm::ScriptError;
use crate::engine::strategy::{builtins, StrategyDef};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, RwLock};

/// Example scripts, embedded like the themes; a user file of the same name replaces one.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("ma_cross.luau", include_str!("../../strategies/ma_cross.luau")),
    (
        "rsi_bollinger.luau",
        include_str!("../../strategies/rsi_bollinger.luau"),
    ),
    (
        "macd_atr_trail.luau",
        include_str!("../../strategies/macd_atr_trail.luau"),
    ),
];

/// The largest script file read (a strategy is code, not data).
pub const MAX_SCRIPT_BYTES: u64 = 256 * 1024;

/// A script that does not load, with where and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Broken {
    pub file: String,
    pub error: String,
}

#[derive(Default)]
struct State {
    scripts: Vec<Arc<StrategyDef>>,
    broken: Vec<Broken>,
    dir: Option<PathBuf>,
    /// Bumped on every reload, so watchers of the list know it changed.
    generation: u64,
    /// Scripts are read on first need, not at start-up: a backtest of a built-in never pays for them.
    loaded: bool,
}

static STATE: LazyLock<RwLock<State>> = LazyLock::new(|| RwLock::new(State::default()));

fn write_state() -> std::sync::RwLockWriteGuard<'static, State> {
    STATE.write().unwrap_or_else(|p| p.into_inner())
}

/// Reads the catalogue, loading the scripts first if nothing asked for them yet.
fn read_state<T>(f: impl FnOnce(&State) -> T) -> T {
    {
        let s = STATE.read().unwrap_or_else(|p| p.into_inner());
        if s.loaded {
            return f(&s);
        }
    }
    {
        let mut s = write_state();
        if !s.loaded {
            rebuild(&mut s);
        }
    }
    f(&STATE.read().unwrap_or_else(|p| p.into_inner()))
}

/// Reads the examples and the folder's `*.luau` files into `s`.
fn rebuild(s: &mut State) {
    let mut sources: Vec<(String, String)> = EXAMPLES.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect();
    let mut broken = Vec::new();
    if let Some(dir) = &s.dir {
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                let mut files: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "luau"))
                    .collect();
                files.sort();
                for path in files {
                    let file = path
                        .file_name()
                        .map(|f| f.to_string_lossy().to_string())
                        .unwrap_or_default();
                    match read_script(&path) {
                        Ok(code) => {
                            sources.retain(|(f, _)| *f != file);
                            sources.push((file, code));
                        }
                        Err(error) => broken.push(Broken { file, error }),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => broken.push(Broken {
                file: dir.display().to_string(),
                error: format!("cannot read the strategies folder: {e}"),
            }),
        }
    }
    let mut scripts: Vec<Arc<StrategyDef>> = Vec::new();
    for (file, code) in sources {
        match load::define(&file, &code) {
            Ok(def) if builtins().iter().any(|b| b.name.eq_ignore_ascii_case(&def.name)) => broken.push(Broken {
                error: format!(
                    "{file}: the name '{}' belongs to a built-in strategy; pick another",
                    def.name
                ),
                file,
            }),
            Ok(def) if scripts.iter().any(|s| s.name.eq_ignore_ascii_case(&def.name)) => broken.push(Broken {
                error: format!("{file}: another script already declares the name '{}'", def.name),
                file,
            }),
            Ok(def) => scripts.push(Arc::new(def)),
            Err(ScriptError { message, .. }) => broken.push(Broken { file, error: message }),
        }
    }
    scripts.sort_by(|a, b| a.name.cmp(&b.name));
    s.scripts = scripts;
    s.broken = broken;
    s.generation += 1;
    s.loaded = true;
}

fn read_script(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > MAX_SCRIPT_BYTES {
        return Err(format!(
            "{} is {} bytes; scripts are at most {MAX_SCRIPT_BYTES} bytes",
            path.display(),
            meta.len()
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
}

/// Uses `dir` as the scripts folder; it is read when a script is first asked for.
pub fn use_dir(dir: &Path) {
    let mut s = write_state();
    s.dir = Some(dir.to_path_buf());
    s.loaded = false;
}

/// Re-reads the scripts folder.
pub fn reload() {
    rebuild(&mut write_state());
}

/// The scripts folder (does not load the scripts).
pub fn dir() -> Option<PathBuf> {
    STATE.read().unwrap_or_else(|p| p.into_inner()).dir.clone()
}

pub fn generation() -> u64 {
    read_state(|s| s.generation)
}

/// A strategy by name (case-insensitive): built-ins first, then scripts.
pub fn find(name: &str) -> Option<Arc<StrategyDef>> {
    let name = name.trim();
    if let Some(b) = crate::engine::strategy::find_builtin(name) {
        return Some(b.clone());
    }
    read_state(|s| s.scripts.iter().find(|d| d.name.eq_ignore_ascii_case(name)).cloned())
}

/// Every usable strategy: built-ins, then scripts by name.
pub fn list() -> Vec<Arc<StrategyDef>> {
    let mut all: Vec<Arc<StrategyDef>> = builtins().to_vec();
    read_state(|s| all.extend(s.scripts.iter().cloned()));
    all
}

pub fn names() -> Vec<String> {
    list().iter().map(|d| d.name.clone()).collect()
}

/// Scripts that do not load.
pub fn broken() -> Vec<Broken> {
    read_state(|s| s.broken.clone())
}

//! Hot reload: the scripts folder is watched, and a change re-reads it (the list the API and the
//! dashboard show follows within a fraction of a second). Runs in progress keep the version they
//! started with: a definition, once resolved for a run, is never swapped under it.

use super::catalog;
use notify::{RecursiveMode, Watcher};
use std::path::Path;
use std::time::Duration;

/// Coalesces an editor's burst of writes into one reload.
const SETTLE: Duration = Duration::from_millis(150);

/// Keeps the folder watched while it lives.
pub struct FolderWatch {
    _watcher: notify::RecommendedWatcher,
}

/// Watches `dir` (created if missing) and reloads the catalogue on every change.
pub fn start(dir: &Path) -> Result<FolderWatch, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the scripts folder {}: {e}", dir.display()))?;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if ev.is_ok() {
            let _ = tx.send(());
        }
    })
    .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    watcher
        .watch(dir, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    std::thread::Builder::new()
        .name("strategy-watch".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                std::thread::sleep(SETTLE);
                while rx.try_recv().is_ok() {}
                catalog::reload();
                tracing::info!(
                    "strategies folder changed: {} scripts, {} broken",
                    catalog::list().len(),
                    catalog::broken().len()
                );
            }
        })
        .map_err(|e| format!("cannot start the folder watcher: {e}"))?;
    Ok(FolderWatch { _watcher: watcher })
}

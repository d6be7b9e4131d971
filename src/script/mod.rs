//! User strategies as Luau scripts: loading and checking a script (`load`), running it against the
//! engine with native indicators (`runtime`), and the catalogue of every strategy a run can use,
//! kept current by a folder watcher (`catalog`, `watch`).

pub mod catalog;
pub mod load;
pub mod runtime;
pub mod vm;
pub mod watch;

//! The dashboard: one owner of the terminal; input becomes `Action`s, `App::update` changes state,
//! `ui::render` draws it. The engine and the network are only ever awaited on other tasks, so the
//! screen never waits for them; it redraws when something changed, plus once a second.

pub mod action;
pub mod app;
pub(crate) mod backend;
pub mod config;
mod dialogs;
pub mod equity;
mod filter;
mod filter_input;
pub mod form;
mod http;
pub mod keys;
pub mod layout;
mod mouse;
mod news;
mod palette;
mod palette_input;
pub mod theme;
pub mod ui;

use crate::api::host::{Host, HostError};
use crate::api::ApiSettings;
use crate::api::ServeError;
use crate::runner::StartPolicy;
use action::{Action, Connection};
use anyhow::Context;
use app::{ApiInfo, App, Effect};
use backend::Backend;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use theme::ThemeSet;

pub struct Options {
    pub data_dir: PathBuf,
    /// Serve the API here too (None with `--no-api`).
    pub api: Option<(SocketAddr, ApiSettings)>,
    pub theme: Option<String>,
    pub config: Option<PathBuf>,
    /// `--connect URL` with an optional API key: drive a server elsewhere.
    pub connect: Option<(String, Option<String>)>,
    /// Capture the mouse (clicks and wheel); `--no-mouse` leaves it to the terminal.
    pub mouse: bool,
    /// The API port was not asked for: when it is busy, serve on a free one and say so.
    pub port_fallback: bool,
    /// What runs started here may do (`--allow-live`); a remote server applies its own.
    pub policy: StartPolicy,
}

/// Sends tracing output to `<data dir>/logs/cracktrader.log`: the terminal belongs to the UI.
fn log_to_file(data_dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("cracktrader.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
    Ok(path)
}

pub fn run(opts: Options) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the dashboard needs a terminal; for the API alone use `cracktrader-tui serve`, for one run `cracktrader-tui backtest` (see --help)"
        );
    }
    let log = log_to_file(&opts.data_dir)?;
    let cfg = config::load(opts.config.as_deref()).map_err(|e| anyhow::anyhow!(e))?;
    let keys = keys::KeyMap::new(&cfg.keys).map_err(|e| anyhow::anyhow!("config: {e}"))?;
    let themes = ThemeSet::load(config::config_dir().map(|d| d.join("themes")).as_deref());
    let wanted = opts
        .theme
        .clone()
        .or(cfg.theme.clone())
        .unwrap_or_else(|| "default".into());
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let _watch = crate::api::host::watch_scripts();
    rt.block_on(async move {
        // Everything that can fail with a plain message happens before the terminal is taken over.
        let mut moved = None;
        let (backend, api_info, connection) = match &opts.connect {
            Some((url, key)) => {
                let client = http::Client::new(url, key.clone())?;
                let base = client.base.clone();
                (
                    Backend::Remote(client),
                    ApiInfo::default(),
                    Connection::Connecting(base),
                )
            }
            None => {
                let host = match Host::start(
                    opts.data_dir.clone(),
                    opts.policy,
                    opts.api.clone(),
                    std::future::pending(),
                )
                .await
                {
                    Err(HostError::Serve(ServeError::PortInUse { addr })) if opts.port_fallback => {
                        let mut api = opts.api.clone();
                        if let Some((a, _)) = api.as_mut() {
                            a.set_port(0);
                        }
                        let host = Host::start(opts.data_dir.clone(), opts.policy, api, std::future::pending()).await?;
                        if let Some(a) = host.address {
                            moved = Some(format!(
                                "port {} is in use; the API is on http://{a} instead",
                                addr.port()
                            ));
                        }
                        host
                    }
                    other => other?,
                };
                let info = ApiInfo {
                    address: host.address.map(|a| format!("http://{a}")),
                    auth: host.auth,
                };
                (Backend::Local(host.runner.clone()), info, Connection::Local)
            }
        };
        let mut names = themes.names();
        let (mut theme, problem) = themes.pick(&wanted, no_color);
        if no_color {
            names = vec![theme.name.clone()];
        }
        let start_idx = names.iter().position(|n| *n == theme.name).unwrap_or(0);
        let mut app = App::new(chrono::Utc::now(), keys, names, start_idx, api_info, connection);
        for p in themes.problems.iter().map(|p| p.to_string()).chain(problem) {
            tracing::warn!("{p}");
            app.update(Action::Error(p));
        }
        if let Some(m) = moved {
            tracing::warn!("{m}");
            app.update(Action::Notice(m));
        }
        let mouse = opts.mouse && cfg.mouse != Some(false);
        let mut terminal = ratatui::try_init().context("cannot take over the terminal")?;
        if mouse {
            capture_mouse(true);
        }
        let size = terminal.size().unwrap_or_default();
        app.update(Action::Resize(size.width, size.height));
        let result = event_loop(&mut terminal, &mut app, &mut theme, &themes, no_color, mouse, backend).await;
        if mouse {
            capture_mouse(false);
        }
        ratatui::restore();
        tracing::info!("dashboard closed; log at {}", log.display());
        result
    })
}

/// Turns crossterm's mouse capture on or off (best effort: a terminal without it just sends no clicks).
fn capture_mouse(on: bool) {
    use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
    let mut out = std::io::stdout();
    let _ = if on {
        crossterm::execute!(out, EnableMouseCapture)
    } else {
        crossterm::execute!(out, DisableMouseCapture)
    };
}

/// The catalogue as the strategy list shows it: usable strategies, then scripts that do not load.
fn catalog_entries() -> Vec<action::StrategyEntry> {
    use crate::engine::strategy::Source;
    use crate::script::catalog;
    let mut out: Vec<action::StrategyEntry> = catalog::list()
        .iter()
        .map(|d| action::StrategyEntry {
            name: d.name.clone(),
            from: match &d.source {
                Source::Builtin => "built-in".into(),
                Source::Script { file, .. } => file.clone(),
            },
            error: None,
            params: d.all_params().into_iter().cloned().collect(),
        })
        .collect();
    out.extend(catalog::broken().into_iter().map(|b| action::StrategyEntry {
        name: b.file.trim_end_matches(".luau").to_string(),
        from: b.file,
        error: Some(b.error),
        params: Vec::new(),
    }));
    out
}

/// Where the script of strategy `name` lives in the user's folder; an embedded example is copied
/// there first, so the edit has a file to go to (and then replaces the example).
fn script_path(name: &str) -> Result<PathBuf, String> {
    use crate::engine::strategy::Source;
    use crate::script::catalog;
    let dir = catalog::dir().ok_or("no strategies folder is set")?;
    let file = match catalog::find(name).map(|d| d.source.clone()) {
        Some(Source::Script { file, .. }) => file,
        Some(Source::Builtin) => {
            return Err(
                "built-in strategies are compiled in; `cracktrader-tui strategies new NAME` writes a script".into(),
            )
        }
        // A broken script is listed by its file name.
        None => format!("{}.luau", name.trim_end_matches(".luau")),
    };
    let path = dir.join(&file);
    if !path.exists() {
        let (_, code) = catalog::EXAMPLES
            .iter()
            .find(|(f, _)| *f == file)
            .ok_or_else(|| format!("{} does not exist", path.display()))?;
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        std::fs::write(&path, code).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(path)
}

/// Runs `$VISUAL`/`$EDITOR` (else `vi`) on `path` and waits for it.
fn edit(path: &std::path::Path) -> Result<(), String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(words)
        .arg(path)
        .status()
        .map_err(|e| format!("cannot run the editor '{editor}': {e} (set $EDITOR)"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the editor '{editor}' exited with {status}"))
    }
}

/// Resolves on SIGTERM (Ctrl-C is a key press inside the dashboard).
async fn terminate_signal() {
    #[cfg(unix)]
    if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        s.recv().await;
        return;
    }
    std::future::pending::<()>().await
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    theme: &mut theme::Theme,
    themes: &ThemeSet,
    no_color: bool,
    mouse: bool,
    backend: Backend,
) -> anyhow::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Action>();
    tokio::spawn(backend.clone().feed(tx.clone()));
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut dirty = true;
    let mut catalog_seen = 0u64;
    let mut terminated = std::pin::pin!(terminate_signal());
    loop {
        if dirty {
            terminal.draw(|f| ui::render(f, app, theme)).context("drawing failed")?;
            dirty = false;
        }
        let mut effects = Vec::new();
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => {
                    if let Some(a) = app.keys.action(k, app.editing()) {
                        effects = app.update(a);
                        dirty = true;
                    }
                }
                Some(Ok(TermEvent::Mouse(m))) => {
                    if let Some(a) = keys::mouse(m) {
                        effects = app.update(a);
                        dirty = true;
                    }
                }
                Some(Ok(TermEvent::Resize(w, h))) => {
                    app.update(Action::Resize(w, h));
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("reading the terminal failed"),
                None => return Ok(()),
            },
            Some(a) = rx.recv() => {
                effects = app.update(a);
                // Drain what else arrived, then draw once.
                while let Ok(a) = rx.try_recv() {
                    effects.extend(app.update(a));
                }
                dirty = true;
            }
            _ = tick.tick() => {
                app.update(Action::Tick(chrono::Utc::now()));
                // The scripts folder is watched; the form and the list follow it. Connected to a
                // server, its catalogue comes with the news instead.
                let generation = crate::script::catalog::generation();
                if matches!(backend, Backend::Local(_)) && generation != catalog_seen {
                    catalog_seen = generation;
                    app.update(Action::Catalog(catalog_entries()));
                }
                dirty = true;
            }
            _ = &mut terminated => {
                // SIGTERM: stop the run cleanly, then leave (the terminal is restored by the caller).
                app.quitting = true;
                effects = vec![Effect::Quit];
            }
        }
        if !no_color && theme.name != app.theme_name() {
            if let Ok(t) = themes.resolve(app.theme_name()) {
                *theme = t;
            }
        }
        for e in effects {
            let (b, tx) = (backend.clone(), tx.clone());
            match e {
                Effect::LoadHistory => {
                    tokio::spawn(async move {
                        let _ = tx.send(Action::HistoryLoaded(b.history().await.map_err(|e| e.to_string())));
                    });
                }
                Effect::OpenRun(id) => {
                    tokio::spawn(async move {
                        let _ = tx.send(Action::RunOpened(b.open_run(id).await.map_err(|e| e.to_string())));
                    });
                }
                Effect::Start(req) => {
                    tokio::spawn(async move {
                        let _ = tx.send(Action::CommandDone(b.start(*req).await.map_err(|e| e.to_string())));
                    });
                }
                Effect::Optimize(req) => {
                    tokio::spawn(async move {
                        let _ = tx.send(Action::CommandDone(
                            b.start_optimize(*req).await.map_err(|e| e.to_string()),
                        ));
                    });
                }
                Effect::Stop => {
                    tokio::spawn(async move {
                        let _ = tx.send(Action::CommandDone(b.stop().await.map_err(|e| e.to_string())));
                    });
                }
                Effect::Resume => {
                    tokio::spawn(async move {
                        let _ = tx.send(Action::CommandDone(b.resume().await.map_err(|e| e.to_string())));
                    });
                }
                Effect::Reset => {
                    tokio::spawn(async move {
                        let _ = tx.send(Action::CommandDone(b.reset().await.map_err(|e| e.to_string())));
                    });
                }
                Effect::Edit(name) => {
                    let msg = match script_path(&name) {
                        Ok(path) => {
                            if mouse {
                                capture_mouse(false);
                            }
                            ratatui::restore();
                            let outcome = edit(&path);
                            *terminal = ratatui::try_init().context("cannot take the terminal back")?;
                            if mouse {
                                capture_mouse(true);
                            }
                            terminal.clear().ok();
                            crate::script::catalog::reload();
                            outcome.map(|_| format!("edited {}; the strategy list is reloaded", path.display()))
                        }
                        Err(e) => Err(e),
                    };
                    app.update(Action::CommandDone(msg));
                }
                Effect::Quit => {
                    // Stop an active local run cleanly so its results are kept.
                    if let Backend::Local(r) = &backend {
                        if r.snapshot().status.is_active() {
                            terminal.draw(|f| ui::render(f, app, theme)).ok();
                            let _ = tokio::time::timeout(Duration::from_secs(10), r.stop()).await;
                        }
                    }
                    return Ok(());
                }
            }
        }
    }
}

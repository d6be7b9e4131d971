//! Starting the engine with its API, the one way `serve` and the dashboard both use: bind first (a
//! busy port fails before anything else), open the run history with the start policy, serve in the
//! background, and at the end stop the active run so its results are kept.

use super::{bind, serve, ApiSettings, ApiState, ServeError};
use crate::runner::{RunnerHandle, StartPolicy};
use crate::store::StoreError;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long shutting down waits for an active run to wind down.
const STOP_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error("cannot open the run history: {0}")]
    Store(#[from] StoreError),
    #[error("cannot read the bound address: {0}")]
    Address(std::io::Error),
}

pub struct Host {
    pub runner: RunnerHandle,
    /// Where the API listens (None when it is off).
    pub address: Option<SocketAddr>,
    /// Whether the API asks for keys.
    pub auth: bool,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl Host {
    /// Opens the runner over `data_dir` and, with `api`, serves it until `shutdown` resolves.
    pub async fn start(
        data_dir: PathBuf,
        policy: StartPolicy,
        api: Option<(SocketAddr, ApiSettings)>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Host, HostError> {
        let listener = match &api {
            Some((addr, settings)) => Some(bind(*addr, settings).await?),
            None => None,
        };
        let address = match &listener {
            Some(l) => Some(l.local_addr().map_err(HostError::Address)?),
            None => None,
        };
        let runner = RunnerHandle::open(data_dir.clone())?.with_policy(policy);
        let mut host = Host {
            runner: runner.clone(),
            address,
            auth: false,
            server: None,
        };
        if let (Some(listener), Some((_, settings))) = (listener, api) {
            host.auth = !settings.keys.is_empty();
            tracing::info!(
                "API on http://{}/api/v1 (auth {}, data dir {})",
                address.map(|a| a.to_string()).unwrap_or_default(),
                if host.auth { "on" } else { "off" },
                data_dir.display()
            );
            let state = ApiState::new(runner, settings);
            host.server = Some(tokio::spawn(serve(listener, state, shutdown)));
        }
        Ok(host)
    }

    /// Waits until the server has shut down (returns at once when the API is off).
    pub async fn served(&mut self) -> std::io::Result<()> {
        match self.server.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }

    /// Stops the active run, if any, so its results are kept.
    pub async fn stop_run(&self) {
        if self.runner.snapshot().status.is_active() {
            let _ = tokio::time::timeout(STOP_WAIT, self.runner.stop()).await;
        }
    }
}

/// Watches the scripts folder so edits are picked up while the process runs (a broken script is
/// listed, never fatal); `None` when there is no folder.
pub fn watch_scripts() -> Option<crate::script::watch::FolderWatch> {
    let dir = crate::script::catalog::dir()?;
    match crate::script::watch::start(&dir) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!("{e}; scripts are read at start only");
            None
        }
    }
}

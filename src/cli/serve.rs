//! `cracktrader-tui serve`: the engine and the Web API, without the dashboard.

use anyhow::Context;
use clap::Args;
use cracktrader::api::host::{self, Host};
use cracktrader::api::{auth::ApiKey, ApiSettings};
use cracktrader::runner::StartPolicy;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to bind; anything but loopback requires API keys
    #[arg(long, env = "CRACKTRADER_API_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind; 0 picks a free one
    #[arg(long, env = "CRACKTRADER_API_PORT", default_value_t = 8000)]
    pub port: u16,
    /// API key, repeatable; `KEY:read` for read-only. Turns authentication on
    #[arg(
        long = "api-key",
        value_name = "KEY[:read]",
        env = "CRACKTRADER_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub api_keys: Vec<String>,
    /// Requests per minute per API key (per client address without auth); 0 turns the limit off
    #[arg(long, default_value_t = 100)]
    pub rate_limit: u32,
    /// Allow cross-origin requests from this origin (repeatable); CORS is off otherwise
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// Allow real-money live trading (sandbox=false)
    #[arg(long)]
    pub allow_live: bool,
}

impl ServeArgs {
    pub fn settings(&self) -> anyhow::Result<ApiSettings> {
        let keys = self
            .api_keys
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| ApiKey::parse(k))
            .collect::<Result<Vec<_>, _>>();
        Ok(ApiSettings {
            keys: keys.map_err(|e| anyhow::anyhow!(e))?,
            rate_limit: self.rate_limit,
            cors_origins: self.cors_origins.clone(),
            ..ApiSettings::default()
        })
    }

    pub fn addr(&self) -> anyhow::Result<SocketAddr> {
        let host = self.host.trim().trim_start_matches('[').trim_end_matches(']');
        let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
            IpAddr::from([127, 0, 0, 1])
        } else {
            host.parse().with_context(|| {
                format!(
                    "invalid --host '{}': expected an IP address such as 127.0.0.1 or ::1",
                    self.host
                )
            })?
        };
        Ok(SocketAddr::new(ip, self.port))
    }
}

/// Resolves when the process gets Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

pub fn run(data_dir: &Path, args: ServeArgs) -> anyhow::Result<()> {
    let _watch = host::watch_scripts();
    let settings = args.settings()?;
    let addr = args.addr()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let policy = StartPolicy {
        allow_live: args.allow_live,
    };
    rt.block_on(async move {
        let mut host = Host::start(
            data_dir.to_path_buf(),
            policy,
            Some((addr, settings)),
            shutdown_signal(),
        )
        .await?;
        if let Some(local) = host.address {
            println!("listening on http://{local}");
            let _ = std::io::stdout().flush();
        }
        host.served().await.context("server error")?;
        host.stop_run().await;
        Ok(())
    })
}

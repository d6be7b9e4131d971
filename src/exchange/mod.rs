//! Exchange connectors. The engine never sees them: they fill the candle cache, and (for paper and
//! live runs) plug a market feed and an execution into the same engine loop.

pub mod binance;

/// Makes rustls use the `ring` provider (one process-wide choice; later calls are no-ops).
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

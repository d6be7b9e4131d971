//! After a crash: a live run's orders that were not final are looked up on Binance by their client
//! order id and their real state is recorded. Nothing is placed or cancelled; whatever differs from
//! the run's records is listed as needing attention.

use super::origins;
use super::rest::Rest;
use super::trade::{client_order_id, SignedClient, TradeError};
use crate::run::attention::Attention;
use crate::run::config::{Credentials, Mode};
use crate::store::Store;
use std::time::Duration;

fn credentials() -> Option<Credentials> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    Some(Credentials {
        api_key: get("BINANCE_API_KEY")?,
        secret: get("BINANCE_SECRET")?,
    })
}

fn ours(status: &str) -> &'static str {
    match status {
        "NEW" => "accepted",
        "PARTIALLY_FILLED" => "partially_filled",
        "FILLED" => "filled",
        "CANCELED" => "cancelled",
        _ => "rejected",
    }
}

/// Checks the unfinished orders of `interrupted` live Binance runs; returns what needs attention.
pub fn reconcile(store: &mut Store, interrupted: &[String]) -> Vec<Attention> {
    let mut out = Vec::new();
    for run_id in interrupted {
        let Ok(Some(cfg)) = store.config(run_id) else { continue };
        if cfg.mode != Mode::Live || cfg.exchange != "binance" {
            continue;
        }
        let Ok(orders) = store.unfinished_orders(run_id) else {
            continue;
        };
        if orders.is_empty() {
            continue;
        }
        let item = |o: &crate::run::results::OrderRecord,
                    exchange_status: Option<String>,
                    filled: Option<f64>,
                    detail: String| Attention {
            kind: "order".into(),
            run_id: run_id.clone(),
            order_id: o.id.clone(),
            client_order_id: client_order_id(run_id, o.id.parse().unwrap_or(0)),
            symbol: o.symbol.clone(),
            side: o.side.clone(),
            amount: o.amount,
            recorded_status: o.status.clone(),
            exchange_status,
            filled,
            detail,
        };
        let (rest_origin, _) = origins(&cfg.live);
        let client = credentials().and_then(|c| SignedClient::new(&rest_origin, c, Duration::from_secs(5)).ok());
        let rest = Rest::new(&rest_origin).ok();
        let (Some(client), Some(rest)) = (client, rest) else {
            for o in &orders {
                out.push(item(o, None, None, "state unknown: set BINANCE_API_KEY and BINANCE_SECRET and restart to check it on Binance; nothing was placed or cancelled".into()));
            }
            continue;
        };
        let _ = client.sync_time(&rest);
        for o in &orders {
            let id: u64 = o.id.parse().unwrap_or(0);
            let cid = client_order_id(run_id, id);
            let symbol = match rest.resolve(&o.symbol) {
                Ok(r) => r.id,
                Err(e) => {
                    out.push(item(o, None, None, format!("cannot check it: {}", e.message)));
                    continue;
                }
            };
            let answer = client.signed(
                &rest,
                reqwest::Method::GET,
                "/api/v3/order",
                &[("symbol", symbol), ("origClientOrderId", cid.clone())],
            );
            match answer {
                Ok(v) => {
                    let status = v["status"].as_str().unwrap_or("UNKNOWN").to_string();
                    let filled = v["executedQty"].as_str().and_then(|x| x.parse().ok()).unwrap_or(0.0);
                    let note = format!("after restart, Binance says {status} ({filled} filled)");
                    let _ = store.reconcile_order(run_id, &o.id, ours(&status), filled, &note);
                    let detail = match status.as_str() {
                        "NEW" | "PARTIALLY_FILLED" => {
                            "still working on Binance; cancel it there or let it run".to_string()
                        }
                        _ if filled > 0.0 => {
                            format!("{filled} filled on Binance after the last record; check the account's balances")
                        }
                        _ => format!("{status} on Binance; nothing filled"),
                    };
                    out.push(item(o, Some(status), Some(filled), detail));
                }
                Err(TradeError::Api { code: -2013, .. }) => {
                    let _ = store.reconcile_order(
                        run_id,
                        &o.id,
                        "rejected",
                        0.0,
                        "after restart: not found on Binance, it was never placed",
                    );
                    out.push(item(
                        o,
                        Some("NOT_FOUND".into()),
                        Some(0.0),
                        "never reached Binance".into(),
                    ));
                }
                Err(e) => out.push(item(o, None, None, format!("cannot check it: {e}"))),
            }
        }
    }
    out
}

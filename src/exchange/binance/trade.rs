//! Signed trading: HMAC-signed REST with the server clock offset and `recvWindow`, and the order task
//! that turns engine orders into Binance orders. Every order carries a `newClientOrderId` derived from
//! the run id and the order's sequence number; after an ambiguous failure (timeout, connection error,
//! 5xx) the order is looked up by that id before any retry, so a retry can never create a second one.

use super::filters::SymbolRules;
use super::rest::{Rest, RestError};
use super::sign::signed_query;
use crate::engine::types::{Order, OrderKind, Side};
use crate::run::config::Credentials;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

const RECV_WINDOW: u64 = 5000;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TradeError {
    /// The request may or may not have reached the exchange.
    #[error("{0}")]
    Ambiguous(String),
    /// Binance said no: its code and message.
    #[error("Binance {code}: {msg}")]
    Api { code: i64, msg: String },
    /// 429/418: not executed; retry after this many seconds.
    #[error("Binance rate limit; retry after {0} s")]
    RateLimited(u64),
}

pub struct SignedClient {
    http: reqwest::blocking::Client,
    origin: String,
    creds: Credentials,
    /// Server time minus local time, ms.
    offset: AtomicI64,
}

impl SignedClient {
    pub fn new(origin: &str, creds: Credentials, timeout: Duration) -> Result<SignedClient, RestError> {
        crate::exchange::init_tls();
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| RestError::Setup(e.to_string()))?;
        Ok(SignedClient {
            http,
            origin: origin.trim_end_matches('/').to_string(),
            creds,
            offset: AtomicI64::new(0),
        })
    }

    pub fn sync_time(&self, rest: &Rest) -> Result<(), RestError> {
        let server = rest.server_time()?;
        self.offset
            .store(server - chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
        Ok(())
    }

    fn send(&self, method: reqwest::Method, path: &str, params: &[(&str, String)]) -> Result<Value, TradeError> {
        let ts = chrono::Utc::now().timestamp_millis() + self.offset.load(Ordering::Relaxed);
        let mut query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        query.push(format!("recvWindow={RECV_WINDOW}"));
        query.push(format!("timestamp={ts}"));
        let q = signed_query(&self.creds.secret, &query.join("&"));
        let url = format!("{}{path}?{q}", self.origin);
        let res = self
            .http
            .request(method, &url)
            .header("X-MBX-APIKEY", &self.creds.api_key)
            .send()
            .map_err(|e| {
                TradeError::Ambiguous(if e.is_timeout() {
                    "the exchange did not answer in time".into()
                } else {
                    format!("request failed: {}", e.without_url())
                })
            })?;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let body = res
            .text()
            .map_err(|e| TradeError::Ambiguous(format!("reading the answer failed: {e}")))?;
        if status >= 500 {
            return Err(TradeError::Ambiguous(format!("exchange error HTTP {status}")));
        }
        let v: Value = serde_json::from_str(&body)
            .map_err(|_| TradeError::Ambiguous(format!("unreadable answer (HTTP {status})")))?;
        if status == 429 || status == 418 {
            return Err(TradeError::RateLimited(retry_after.unwrap_or(1)));
        }
        if status != 200 {
            return Err(TradeError::Api {
                code: v["code"].as_i64().unwrap_or(0),
                msg: v["msg"].as_str().unwrap_or("").to_string(),
            });
        }
        Ok(v)
    }

    /// A signed request. `-1021` (timestamp outside the window) re-syncs the clock and retries once;
    /// 429/418 (not executed) wait out `Retry-After` (up to a minute) and retry, twice at most.
    pub fn signed(
        &self,
        rest: &Rest,
        method: reqwest::Method,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Value, TradeError> {
        let mut resynced = false;
        let mut waits = 0;
        loop {
            match self.send(method.clone(), path, params) {
                Err(TradeError::Api { code: -1021, .. }) if !resynced => {
                    resynced = true;
                    self.sync_time(rest).map_err(|e| TradeError::Ambiguous(e.to_string()))?;
                }
                Err(TradeError::RateLimited(s)) if waits < 2 && s <= 60 => {
                    waits += 1;
                    tracing::warn!("Binance rate limit; waiting {s} s before retrying");
                    std::thread::sleep(Duration::from_secs(s));
                }
                other => return other,
            }
        }
    }
}

/// `run-20261126-181136-41f7` + 12 -> `ct2026112618113641f7-12` (Binance allows 36 characters).
pub fn client_order_id(run_id: &str, seq: u64) -> String {
    let tag: String = run_id
        .trim_start_matches("run-")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(24)
        .collect();
    format!("ct{tag}-{seq}")
}

fn fmt_num(v: f64) -> String {
    let s = format!("{v:.8}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Execution on Binance for the engine: orders go to the order task; answers come back as reports.
pub struct LiveExecution {
    pub tx: std::sync::mpsc::Sender<ExecCommand>,
}

impl crate::engine::execution::Execution for LiveExecution {
    fn submit(&mut self, order: &Order) -> crate::engine::execution::Submitted {
        let _ = self.tx.send(ExecCommand::Place(Box::new(order.clone())));
        crate::engine::execution::Submitted::Pending
    }
    fn cancel(&mut self, order: &Order) -> bool {
        let _ = self.tx.send(ExecCommand::Cancel(order.id));
        false
    }
    fn on_candle(
        &mut self,
        _: usize,
        _: &crate::engine::Candle,
        _: &mut [Order],
        _: &mut Vec<crate::engine::execution::Match>,
    ) {
    }
}

/// What the order task reports back to the engine loop.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecReport {
    /// Working on the exchange, for this (step-rounded) quantity.
    Accepted(u64, f64),
    Rejected(u64, String),
    Cancelled(u64),
    /// Not sent, and not an error: what is left to sell is dust (below the lot step or minimum order).
    Dust(u64, String),
    /// One trade of an order, exactly as the exchange booked it; each trade id is reported once.
    Trade(TradeReport),
    /// The account's balances, consistent with every trade reported before them.
    Balances(Vec<Balance>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TradeReport {
    pub order_id: u64,
    pub trade_id: u64,
    pub price: f64,
    pub qty: f64,
    pub commission: f64,
    pub commission_asset: String,
    /// The commission valued in the symbol's quote asset (a third asset at its last known price).
    pub commission_value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Balance {
    pub asset: String,
    pub free: f64,
    pub locked: f64,
}

/// Finds `asset` in a balance list (zero when the account has none).
pub fn balance_of(balances: &[Balance], asset: &str) -> (f64, f64) {
    balances
        .iter()
        .find(|b| b.asset == asset)
        .map_or((0.0, 0.0), |b| (b.free, b.locked))
}

pub enum ExecCommand {
    Place(Box<Order>),
    Cancel(u64),
    /// Check working orders for fills.
    Poll,
    /// The last close of symbol index `.0`, so market orders can be checked against the minimum notional.
    Price(usize, f64),
    /// Report balances consistent with the trades reported so far (start, reconnects).
    Reconcile,
}

struct Working {
    /// Our symbol index and the exchange's symbol name.
    sym: usize,
    symbol: String,
    client_id: String,
    /// The exchange's order id, once known (needed to list its trades).
    exchange_id: Option<i64>,
    accepted: bool,
    /// Quantity the exchange says executed, and the sum of the trades booked.
    executed: f64,
    booked: f64,
    trades: HashSet<u64>,
    /// The final status has been reported; kept only until every trade is booked.
    closed: bool,
}

/// How long a third asset's price (for valuing fees paid in it) is reused.
const FEE_PRICE_TTL: Duration = Duration::from_secs(60);

/// The order task: runs on its own thread, one request at a time, in the order the engine sent them.
pub struct OrderTask {
    pub run_id: String,
    pub client: SignedClient,
    pub rest: std::sync::Arc<Rest>,
    /// Rules by our symbol index.
    pub rules: Vec<SymbolRules>,
    pub report: tokio::sync::mpsc::UnboundedSender<ExecReport>,
    working: HashMap<u64, Working>,
    last_price: HashMap<usize, f64>,
    fee_prices: HashMap<String, (f64, std::time::Instant)>,
    trades_reported: u64,
}

impl OrderTask {
    pub fn new(
        run_id: String,
        client: SignedClient,
        rest: std::sync::Arc<Rest>,
        rules: Vec<SymbolRules>,
        report: tokio::sync::mpsc::UnboundedSender<ExecReport>,
    ) -> Self {
        OrderTask {
            run_id,
            client,
            rest,
            rules,
            report,
            working: HashMap::new(),
            last_price: HashMap::new(),
            fee_prices: HashMap::new(),
            trades_reported: 0,
        }
    }

    fn tell(&self, r: ExecReport) {
        let _ = self.report.send(r);
    }

    pub fn run(mut self, rx: std::sync::mpsc::Receiver<ExecCommand>) {
        while let Ok(cmd) = rx.recv() {
            match cmd {
                ExecCommand::Place(o) => self.place(&o),
                ExecCommand::Cancel(id) => self.cancel(id),
                ExecCommand::Poll => self.poll(),
                ExecCommand::Price(i, p) => {
                    self.last_price.insert(i, p);
                }
                ExecCommand::Reconcile => self.reconcile(),
            }
        }
    }

    /// The quantity a sell may really send: never more than the free balance of the base asset, as the
    /// exchange holds it (a fee charged in the base asset leaves less than was bought).
    fn sellable(&self, o: &Order, rules: &SymbolRules) -> Result<f64, (String, Vec<Balance>)> {
        let base = rules.symbol.split('/').next().unwrap_or("");
        let balances = match self.balances() {
            Ok(b) => b,
            // Unknown: send what the engine holds; the exchange refuses it if it is not there.
            Err(e) => {
                tracing::warn!("cannot read the balance before selling: {e}");
                return Ok(o.amount);
            }
        };
        let (free, _) = balance_of(&balances, base);
        if free >= o.amount {
            return Ok(o.amount);
        }
        let q = super::filters::round_down(free, rules.step);
        let price = self.last_price.get(&o.symbol).copied().unwrap_or(0.0);
        let reference = o.kind.display_price().unwrap_or(price);
        if q <= 0.0 || q < rules.min_qty || (reference > 0.0 && q * reference < rules.min_notional) {
            return Err((
                format!(
                    "dust: only {free} {base} free, below the lot step/minimum order of {}; kept, not sold",
                    rules.symbol
                ),
                balances,
            ));
        }
        tracing::info!(
            "selling {q} {base}: the engine held {} but {free} is free on the account",
            o.amount
        );
        Ok(q)
    }

    fn place(&mut self, o: &Order) {
        let Some(rules) = self.rules.get(o.symbol).cloned() else {
            return self.tell(ExecReport::Rejected(o.id, "unknown symbol".into()));
        };
        let amount = if o.side == Side::Sell {
            match self.sellable(o, &rules) {
                Ok(q) => q,
                Err((why, balances)) => {
                    self.tell(ExecReport::Dust(o.id, why));
                    return self.tell(ExecReport::Balances(balances));
                }
            }
        } else {
            o.amount
        };
        // Selling less than the engine holds: its books are off, so they are corrected once this is done.
        let short = amount < o.amount;
        let reference = o.kind.display_price().unwrap_or(0.0);
        let (qty, price) = match o.kind {
            // Market orders are checked at the last close; with no price yet only the lot step applies.
            OrderKind::Market => match self.last_price.get(&o.symbol) {
                Some(&last) => match rules.fit(amount, last) {
                    Ok((q, _)) => (q, 0.0),
                    Err(e) => return self.tell(ExecReport::Rejected(o.id, e.to_string())),
                },
                None => (super::filters::round_down(amount, rules.step), 0.0),
            },
            _ => match rules.fit(amount, reference) {
                Ok(x) => x,
                Err(e) => return self.tell(ExecReport::Rejected(o.id, e.to_string())),
            },
        };
        let client_id = client_order_id(&self.run_id, o.id);
        let side = if o.side == Side::Buy { "BUY" } else { "SELL" };
        let mut params: Vec<(&str, String)> = vec![
            ("symbol", rules.id.clone()),
            ("side", side.into()),
            ("quantity", fmt_num(qty)),
        ];
        let tick = |p: f64| fmt_num(super::filters::round_down(p, rules.tick));
        match o.kind {
            OrderKind::Market => params.push(("type", "MARKET".into())),
            OrderKind::Limit { .. } => params.extend([
                ("type", "LIMIT".into()),
                ("timeInForce", "GTC".into()),
                ("price", fmt_num(price)),
            ]),
            // Binance spot stops are stop-limits: a stop gets a limit 0.5% beyond it so it fills on a gap.
            OrderKind::Stop { stop } => {
                let limit = if o.side == Side::Sell {
                    stop * 0.995
                } else {
                    stop * 1.005
                };
                params.extend([
                    ("type", "STOP_LOSS_LIMIT".into()),
                    ("timeInForce", "GTC".into()),
                    ("stopPrice", tick(stop)),
                    ("price", tick(limit)),
                ]);
            }
            OrderKind::StopLimit { stop, limit } => {
                params.extend([
                    ("type", "STOP_LOSS_LIMIT".into()),
                    ("timeInForce", "GTC".into()),
                    ("stopPrice", tick(stop)),
                    ("price", tick(limit)),
                ]);
            }
        }
        params.extend([
            ("newClientOrderId", client_id.clone()),
            ("newOrderRespType", "FULL".into()),
        ]);
        self.working.insert(
            o.id,
            Working {
                sym: o.symbol,
                symbol: rules.id.clone(),
                client_id: client_id.clone(),
                exchange_id: None,
                accepted: false,
                executed: 0.0,
                booked: 0.0,
                trades: HashSet::new(),
                closed: false,
            },
        );
        let answer = match self
            .client
            .signed(&self.rest, reqwest::Method::POST, "/api/v3/order", &params)
        {
            Err(TradeError::Ambiguous(e)) => {
                // It may exist: ask by our id before anything else. Only a definite "unknown order" allows a retry.
                tracing::warn!("order {client_id}: {e}; checking whether it was placed");
                match self.lookup(o.id) {
                    Ok(Some(v)) => Ok(v),
                    Ok(None) => self
                        .client
                        .signed(&self.rest, reqwest::Method::POST, "/api/v3/order", &params),
                    Err(e2) => Err(e2),
                }
            }
            other => other,
        };
        match answer {
            Ok(v) => {
                self.apply(o.id, &v);
                if short {
                    self.reconcile();
                }
            }
            Err(e @ (TradeError::Api { .. } | TradeError::RateLimited(_))) => {
                self.working.remove(&o.id);
                let balance = matches!(&e, TradeError::Api { code: -2010, msg } if msg.to_ascii_lowercase().contains("insufficient balance"));
                self.tell(ExecReport::Rejected(o.id, e.to_string()));
                if balance {
                    // Our books and the exchange's disagree: read the account so the exchange's win.
                    self.reconcile();
                }
            }
            Err(TradeError::Ambiguous(e)) => {
                // Still unknown: keep it as working; polling will find it if it exists.
                tracing::warn!("order {client_id} unconfirmed: {e}");
            }
        }
    }

    fn lookup(&self, id: u64) -> Result<Option<Value>, TradeError> {
        let Some(w) = self.working.get(&id) else {
            return Ok(None);
        };
        match self.client.signed(
            &self.rest,
            reqwest::Method::GET,
            "/api/v3/order",
            &[("symbol", w.symbol.clone()), ("origClientOrderId", w.client_id.clone())],
        ) {
            Ok(v) => Ok(Some(v)),
            Err(TradeError::Api { code: -2013, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The price of `asset` in `quote` (for fees paid in a third asset), cached for a minute.
    fn fee_price(&mut self, asset: &str, quote: &str) -> f64 {
        let key = format!("{asset}{quote}");
        if let Some((p, at)) = self.fee_prices.get(&key) {
            if at.elapsed() < FEE_PRICE_TTL {
                return *p;
            }
        }
        match self.rest.get(&format!("/api/v3/ticker/price?symbol={key}")) {
            Ok(v) => {
                let p = super::number(&v["price"]).unwrap_or(0.0);
                self.fee_prices.insert(key, (p, std::time::Instant::now()));
                p
            }
            Err(e) => {
                tracing::warn!("cannot price the {asset} fee in {quote}: {e}; kept at its last known value");
                self.fee_prices.get(&key).map_or(0.0, |x| x.0)
            }
        }
    }

    /// Reports one trade unless it was reported before.
    fn book_trade(&mut self, id: u64, t: &Value, trade_id_field: &str) {
        let num = |x: &Value| super::number(x).unwrap_or(0.0);
        let Some(trade_id) = t[trade_id_field].as_u64() else {
            return tracing::warn!("a trade of order {id} has no {trade_id_field}; not booked");
        };
        let Some(sym) = self.working.get(&id).map(|w| w.sym) else {
            return;
        };
        if !self.working.get_mut(&id).is_some_and(|w| w.trades.insert(trade_id)) {
            return;
        }
        let (price, qty, commission) = (num(&t["price"]), num(&t["qty"]), num(&t["commission"]));
        let asset = t["commissionAsset"].as_str().unwrap_or("").to_string();
        let (base, quote) = self
            .rules
            .get(sym)
            .and_then(|r| r.symbol.split_once('/'))
            .map(|(b, q)| (b.to_string(), q.to_string()))
            .unwrap_or_default();
        let commission_value = if commission == 0.0 || asset == quote {
            commission
        } else if asset == base {
            commission * price
        } else {
            commission * self.fee_price(&asset, &quote)
        };
        if let Some(w) = self.working.get_mut(&id) {
            w.booked += qty;
        }
        self.trades_reported += 1;
        self.tell(ExecReport::Trade(TradeReport {
            order_id: id,
            trade_id,
            price,
            qty,
            commission,
            commission_asset: asset,
            commission_value,
        }));
    }

    /// The trades of an order the exchange has executed beyond what was booked (`myTrades`).
    fn fetch_trades(&mut self, id: u64) {
        let Some((symbol, Some(oid))) = self.working.get(&id).map(|w| (w.symbol.clone(), w.exchange_id)) else {
            return;
        };
        match self.client.signed(
            &self.rest,
            reqwest::Method::GET,
            "/api/v3/myTrades",
            &[("symbol", symbol), ("orderId", oid.to_string())],
        ) {
            Ok(Value::Array(trades)) => {
                for t in &trades {
                    self.book_trade(id, t, "id");
                }
            }
            Ok(_) => tracing::warn!("unexpected myTrades answer for order {id}"),
            Err(e) => tracing::warn!("reading the trades of order {id} failed: {e}; trying again at the next poll"),
        }
    }

    /// Reports what an order answer says beyond what was already reported: acceptance, every trade
    /// (from the answer's `fills`, else from `myTrades`), and its end.
    fn apply(&mut self, id: u64, v: &Value) {
        let num = |x: &Value| super::number(x).unwrap_or(0.0);
        let status = v["status"].as_str().unwrap_or("");
        let Some(w) = self.working.get_mut(&id) else { return };
        if let Some(oid) = v["orderId"].as_i64() {
            w.exchange_id = Some(oid);
        }
        w.executed = w.executed.max(num(&v["executedQty"]));
        let accept = !w.accepted && !matches!(status, "REJECTED" | "EXPIRED");
        w.accepted |= accept;
        if accept {
            self.tell(ExecReport::Accepted(id, num(&v["origQty"])));
        }
        if let Some(fills) = v["fills"].as_array() {
            for f in fills {
                self.book_trade(id, f, "tradeId");
            }
        }
        let Some(w) = self.working.get(&id) else { return };
        if w.executed > w.booked + 1e-12 {
            self.fetch_trades(id);
        }
        let Some(w) = self.working.get_mut(&id) else { return };
        let done = matches!(
            status,
            "FILLED" | "CANCELED" | "REJECTED" | "EXPIRED" | "EXPIRED_IN_MATCH"
        );
        if done && !w.closed {
            w.closed = true;
            match status {
                "CANCELED" => self.tell(ExecReport::Cancelled(id)),
                "REJECTED" | "EXPIRED" | "EXPIRED_IN_MATCH" => {
                    self.tell(ExecReport::Rejected(id, format!("Binance: order {status}")))
                }
                _ => {}
            }
        }
        if self
            .working
            .get(&id)
            .is_some_and(|w| w.closed && w.booked >= w.executed - 1e-12)
        {
            self.working.remove(&id);
        }
    }

    fn cancel(&mut self, id: u64) {
        let Some(w) = self.working.get(&id).filter(|w| !w.closed) else {
            return;
        };
        let params = [("symbol", w.symbol.clone()), ("origClientOrderId", w.client_id.clone())];
        match self
            .client
            .signed(&self.rest, reqwest::Method::DELETE, "/api/v3/order", &params)
        {
            Ok(v) => self.apply(id, &v),
            // Already gone (filled or cancelled): the next poll tells which.
            Err(e) => tracing::warn!("cancel of order {id} failed: {e}"),
        }
    }

    /// One `openOrders` call per symbol: open orders report their progress from the list; an order no
    /// longer open is looked up once for its final state and last fills.
    fn poll(&mut self) {
        let mut symbols: Vec<String> = self.working.values().map(|w| w.symbol.clone()).collect();
        symbols.sort();
        symbols.dedup();
        for symbol in symbols {
            let open = match self.client.signed(
                &self.rest,
                reqwest::Method::GET,
                "/api/v3/openOrders",
                &[("symbol", symbol.clone())],
            ) {
                Ok(Value::Array(list)) => list,
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!("polling open orders of {symbol} failed: {e}");
                    continue;
                }
            };
            let ids: Vec<(u64, String)> = self
                .working
                .iter()
                .filter(|(_, w)| w.symbol == symbol)
                .map(|(id, w)| (*id, w.client_id.clone()))
                .collect();
            for (id, client_id) in ids {
                match open
                    .iter()
                    .find(|o| o["clientOrderId"].as_str() == Some(client_id.as_str()))
                {
                    Some(o) => self.apply(id, &o.clone()),
                    None => {
                        if let Ok(Some(v)) = self.lookup(id) {
                            self.apply(id, &v);
                        }
                    }
                }
            }
        }
    }

    /// The account's balances.
    pub fn balances(&self) -> Result<Vec<Balance>, TradeError> {
        let v = self
            .client
            .signed(&self.rest, reqwest::Method::GET, "/api/v3/account", &[])?;
        let num = |x: &Value| super::number(x).unwrap_or(0.0);
        Ok(v["balances"]
            .as_array()
            .map(|a| a.as_slice())
            .unwrap_or(&[])
            .iter()
            .filter_map(|b| {
                Some(Balance {
                    asset: b["asset"].as_str()?.to_string(),
                    free: num(&b["free"]),
                    locked: num(&b["locked"]),
                })
            })
            .collect())
    }

    /// Reports balances consistent with the trades reported: trades are brought up to date before and
    /// after reading the account, and the read is repeated (up to 3 times) if a trade came in between.
    fn reconcile(&mut self) {
        for _ in 0..3 {
            self.poll();
            let before = self.trades_reported;
            let balances = match self.balances() {
                Ok(b) => b,
                Err(e) => return tracing::warn!("cannot read the account to reconcile: {e}"),
            };
            self.poll();
            if self.trades_reported == before {
                return self.tell(ExecReport::Balances(balances));
            }
        }
        tracing::warn!("trades kept arriving while reading the account; reconciling at the next chance");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_short_unique_and_valid() {
        let a = client_order_id("run-20261126-181136-41f7", 12);
        assert_eq!(a, "ct2026112618113641f7-12");
        assert!(a.len() <= 36 && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        assert_ne!(a, client_order_id("run-20261126-181136-41f7", 13));
        assert_eq!(fmt_num(0.123450000), "0.12345");
        assert_eq!(fmt_num(43210.0), "43210");
    }
}

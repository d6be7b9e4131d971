//! A fake Binance for tests: REST (`/api/v3/time`, `/api/v3/exchangeInfo`, `/api/v3/klines`) and the
//! combined market stream (`/stream?streams=...`) in Binance's exact JSON shapes, candles from the sim
//! market, with switches for rate limits, dropped connections and server shutdowns.

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use cracktrader::data::sim;
use cracktrader::engine::Timeframe;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
pub struct Fake {
    pub klines_requests: AtomicU64,
    /// Answer this many klines requests with 429 first.
    pub rate_limit_next: AtomicU64,
    pub retry_after: AtomicU64,
    /// Market stream: the next candle to send (shared by all connections, so an outage loses candles).
    pub cursor: AtomicI64,
    /// Close each connection after this many closed candles (0 = never).
    pub drop_after: AtomicU64,
    /// Candles that "close while disconnected" after a drop.
    pub gap_on_reconnect: AtomicU64,
    /// Send `serverShutdown` once after this many closed candles in a session (0 = never).
    pub shutdown_after: AtomicU64,
    /// Stop streaming at this candle open time.
    pub stream_until: AtomicI64,
    pub connections: AtomicU64,
    /// Wall time between candles on the stream, ms (0 = 10).
    pub candle_ms: AtomicU64,
    /// Signed trading: orders placed, POSTs received per client order id, raw signed queries seen.
    pub orders: std::sync::Mutex<Vec<FakeOrder>>,
    pub posts: std::sync::Mutex<HashMap<String, u32>>,
    pub queries: std::sync::Mutex<Vec<String>>,
    /// Delay (ms) before answering the next order POST; the order is placed anyway.
    pub slow_next_order_ms: AtomicU64,
    /// Answer the next signed request with -1021 (timestamp outside recvWindow).
    pub skew_once: AtomicU64,
    /// Fill the next market order only half at first; the rest when it is next asked about.
    pub partial_next: AtomicU64,
    /// Account balances: asset -> (free, locked). Orders move them as Binance does.
    pub balances: std::sync::Mutex<std::collections::BTreeMap<String, (f64, f64)>>,
    /// Every trade, as `myTrades` lists them.
    pub trades: std::sync::Mutex<Vec<FakeTrade>>,
    /// Pay fees in BNB (at a 25% discount) while the account holds enough of it, as Binance's
    /// "use BNB for fees" switch does.
    pub bnb_fees: std::sync::atomic::AtomicBool,
}

/// Binance's standard spot fee, and the BNB-discounted one.
pub const FEE_RATE: f64 = 0.001;
pub const BNB_FEE_RATE: f64 = 0.00075;
/// What BNB costs in USDT on the fake (`/api/v3/ticker/price`).
pub const BNB_PRICE: f64 = 600.0;

#[derive(Debug, Clone)]
pub struct FakeTrade {
    pub id: u64,
    pub order_id: i64,
    pub symbol: String,
    pub buyer: bool,
    pub price: f64,
    pub qty: f64,
    pub commission: f64,
    pub commission_asset: String,
}

/// Rounds to Binance's 8 decimals, as every amount on the wire is.
pub fn r8(v: f64) -> f64 {
    (v * 1e8).round() / 1e8
}

impl Fake {
    pub fn set_balance(&self, asset: &str, free: f64) {
        self.balances.lock().unwrap().insert(asset.to_string(), (free, 0.0));
    }

    /// Free plus locked.
    pub fn total(&self, asset: &str) -> f64 {
        self.balances.lock().unwrap().get(asset).map_or(0.0, |(f, l)| f + l)
    }
}

pub const API_KEY: &str = "fake-api-key-123";
pub const SECRET: &str = "fake-secret-456";

#[derive(Debug, Clone)]
pub struct FakeOrder {
    pub order_id: i64,
    pub client_id: String,
    pub symbol: String,
    pub side: String,
    pub kind: String,
    pub qty: String,
    pub price: Option<String>,
    pub stop: Option<String>,
    pub status: String,
    pub executed: f64,
    pub quote: f64,
    /// What the order holds locked: the base asset for sells, the quote asset for buys.
    pub locked: f64,
}

fn tf_of(interval: &str) -> Option<Timeframe> {
    interval.parse().ok()
}

/// Kline rows exactly as Binance sends them: numbers as strings, 12 fields.
pub fn rows(symbol: &str, tf: Timeframe, start: i64, end_inclusive: i64, limit: usize) -> Vec<Value> {
    let pair = match symbol {
        "BTCUSDT" => "BTC/USDT",
        "ETHBTC" => "ETH/BTC",
        _ => return Vec::new(),
    };
    let first = tf.floor(start) + if tf.floor(start) < start { tf.millis() } else { 0 };
    let end = (end_inclusive + 1).min(first + limit as i64 * tf.millis());
    sim::candles(pair, tf, first, end)
        .unwrap()
        .into_iter()
        .map(|c| {
            json!([
                c.ts,
                format!("{:.8}", c.open),
                format!("{:.8}", c.high),
                format!("{:.8}", c.low),
                format!("{:.8}", c.close),
                format!("{:.8}", c.volume),
                c.ts + tf.millis() - 1,
                "0.0",
                100,
                "0.0",
                "0.0",
                "0"
            ])
        })
        .collect()
}

async fn klines(State(f): State<Arc<Fake>>, Query(q): Query<HashMap<String, String>>) -> Response {
    f.klines_requests.fetch_add(1, Ordering::SeqCst);
    if f.rate_limit_next.load(Ordering::SeqCst) > 0 {
        f.rate_limit_next.fetch_sub(1, Ordering::SeqCst);
        let wait = f.retry_after.load(Ordering::SeqCst).to_string();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", wait)],
            Json(json!({"code": -1003, "msg": "Too many requests."})),
        )
            .into_response();
    }
    let Some(tf) = q.get("interval").and_then(|i| tf_of(i)) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": -1120, "msg": "Invalid interval."})),
        )
            .into_response();
    };
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    let limit = num("limit").unwrap_or(500).clamp(1, 1000) as usize;
    let (start, mut end) = (num("startTime").unwrap_or(0), num("endTime").unwrap_or(i64::MAX / 2));
    // While the market stream runs, "now" is its cursor: only candles before it have closed.
    let now = f.cursor.load(Ordering::SeqCst);
    if now > 0 {
        end = end.min(now - 1);
    }
    Json(Value::Array(rows(
        q.get("symbol").map(|s| s.as_str()).unwrap_or(""),
        tf,
        start,
        end,
        limit,
    )))
    .into_response()
}

fn info() -> Value {
    let sym = |s: &str, b: &str, qa: &str| {
        json!({"symbol": s, "status": "TRADING", "baseAsset": b, "quoteAsset": qa, "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00", "tickSize": "0.01"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"},
            {"filterType": "NOTIONAL", "minNotional": "5.0"}]})
    };
    json!({"timezone": "UTC", "serverTime": 0, "symbols": [sym("BTCUSDT", "BTC", "USDT"), sym("ETHBTC", "ETH", "BTC")]})
}

/// Starts the fake on its own runtime; returns its origin and state.
pub fn fake() -> (String, Arc<Fake>) {
    let state = Arc::new(Fake::default());
    state.set_balance("USDT", 1_000_000.0);
    state.set_balance("BTC", 1.0);
    let s2 = state.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route(
                    "/api/v3/time",
                    get(|| async { Json(json!({"serverTime": chrono::Utc::now().timestamp_millis()})) }),
                )
                .route("/api/v3/exchangeInfo", get(|| async { Json(info()) }))
                .route("/api/v3/klines", get(klines))
                .route("/stream", get(stream))
                .route(
                    "/api/v3/order",
                    axum::routing::post(order_post).get(order_get).delete(order_delete),
                )
                .route("/api/v3/openOrders", get(open_orders))
                .route("/api/v3/account", get(account))
                .route("/api/v3/myTrades", get(my_trades))
                .route("/api/v3/ticker/price", get(ticker_price))
                .with_state(s2);
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    (format!("http://{}", rx.recv().unwrap()), state)
}

/// Binance's combined-stream kline message.
fn kline_msg(id: &str, tf: Timeframe, c: &cracktrader::engine::Candle, closed: bool) -> String {
    let stream = format!("{}@kline_{tf}", id.to_lowercase());
    json!({"stream": stream, "data": {"e": "kline", "E": c.ts, "s": id, "k": {
        "t": c.ts, "T": c.ts + tf.millis() - 1, "s": id, "i": tf.as_str(),
        "o": format!("{:.8}", c.open), "c": format!("{:.8}", if closed { c.close } else { c.open }),
        "h": format!("{:.8}", c.high), "l": format!("{:.8}", c.low), "v": format!("{:.8}", c.volume), "x": closed}}})
    .to_string()
}

async fn stream(
    State(f): State<Arc<Fake>>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let streams: Vec<(String, Timeframe)> = q
        .get("streams")
        .map(|s| {
            s.split('/')
                .filter_map(|x| {
                    let (sym, iv) = x.split_once("@kline_")?;
                    Some((sym.to_uppercase(), iv.parse().ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    ws.on_upgrade(move |socket| session(socket, f, streams))
}

async fn session(mut socket: WebSocket, f: Arc<Fake>, streams: Vec<(String, Timeframe)>) {
    let n = f.connections.fetch_add(1, Ordering::SeqCst);
    if n > 0 {
        // Candles closed while the client was away.
        let gap = f.gap_on_reconnect.load(Ordering::SeqCst) as i64;
        let tf = streams.first().map(|s| s.1).unwrap_or(Timeframe::M1);
        f.cursor.fetch_add(gap * tf.millis(), Ordering::SeqCst);
    }
    let mut sent = 0u64;
    loop {
        let Some(tf) = streams.first().map(|s| s.1) else { return };
        let ts = f.cursor.load(Ordering::SeqCst);
        if ts >= f.stream_until.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if socket.send(WsMessage::Ping(Default::default())).await.is_err() {
                return;
            }
            continue;
        }
        for (id, tf) in &streams {
            let pair = if id == "BTCUSDT" { "BTC/USDT" } else { "ETH/BTC" };
            let c = sim::candles(pair, *tf, ts, ts + tf.millis()).unwrap()[0];
            if socket
                .send(WsMessage::Text(kline_msg(id, *tf, &c, false).into()))
                .await
                .is_err()
            {
                return;
            }
            if socket
                .send(WsMessage::Text(kline_msg(id, *tf, &c, true).into()))
                .await
                .is_err()
            {
                return;
            }
        }
        f.cursor.store(ts + tf.millis(), Ordering::SeqCst);
        sent += 1;
        if sent.is_multiple_of(7) && socket.send(WsMessage::Ping(Default::default())).await.is_err() {
            return;
        }
        let shutdown = f.shutdown_after.load(Ordering::SeqCst);
        if shutdown > 0 && sent == shutdown {
            f.shutdown_after.store(0, Ordering::SeqCst);
            let _ = socket
                .send(WsMessage::Text(
                    json!({"stream": "x", "data": {"e": "serverShutdown", "E": ts}})
                        .to_string()
                        .into(),
                ))
                .await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            return;
        }
        let drop_after = f.drop_after.load(Ordering::SeqCst);
        if drop_after > 0 && sent == drop_after {
            f.drop_after.store(0, Ordering::SeqCst);
            return; // dropped without a close frame
        }
        let pace = match f.candle_ms.load(Ordering::SeqCst) {
            0 => 10,
            ms => ms,
        };
        tokio::time::sleep(Duration::from_millis(pace)).await;
    }
}

fn api_error(status: StatusCode, code: i64, msg: &str) -> Response {
    (status, Json(json!({"code": code, "msg": msg}))).into_response()
}

/// Checks key, signature and timestamp window like Binance; returns the parameters.
fn verify(f: &Fake, headers: &axum::http::HeaderMap, raw: &str) -> Result<HashMap<String, String>, Box<Response>> {
    f.queries.lock().unwrap().push(raw.to_string());
    if headers.get("x-mbx-apikey").and_then(|v| v.to_str().ok()) != Some(API_KEY) {
        return Err(Box::new(api_error(
            StatusCode::UNAUTHORIZED,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        )));
    }
    let Some((payload, sig)) = raw.rsplit_once("&signature=") else {
        return Err(Box::new(api_error(
            StatusCode::BAD_REQUEST,
            -1102,
            "Mandatory parameter 'signature' was not sent.",
        )));
    };
    if cracktrader::exchange::binance::sign::signature(SECRET, payload) != sig {
        return Err(Box::new(api_error(
            StatusCode::BAD_REQUEST,
            -1022,
            "Signature for this request is not valid.",
        )));
    }
    let params: HashMap<String, String> = payload
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let ts: i64 = params.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
    let window: i64 = params.get("recvWindow").and_then(|t| t.parse().ok()).unwrap_or(5000);
    let now = chrono::Utc::now().timestamp_millis();
    if f.skew_once.swap(0, Ordering::SeqCst) > 0 || ts > now + 1000 || now - ts > window {
        return Err(Box::new(api_error(
            StatusCode::BAD_REQUEST,
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        )));
    }
    Ok(params)
}

fn assets(symbol: &str) -> (&'static str, &'static str) {
    if symbol == "BTCUSDT" {
        ("BTC", "USDT")
    } else {
        ("ETH", "BTC")
    }
}

fn order_json(f: &Fake, o: &FakeOrder) -> Value {
    let fills: Vec<Value> = f
        .trades
        .lock()
        .unwrap()
        .iter()
        .filter(|t| t.order_id == o.order_id)
        .map(|t| json!({"price": format!("{:.8}", t.price), "qty": format!("{:.8}", t.qty), "commission": format!("{:.8}", t.commission), "commissionAsset": t.commission_asset, "tradeId": t.id}))
        .collect();
    json!({"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_id, "transactTime": chrono::Utc::now().timestamp_millis(),
        "price": o.price.clone().unwrap_or_else(|| "0.00000000".into()), "origQty": o.qty, "executedQty": format!("{:.8}", o.executed),
        "cummulativeQuoteQty": format!("{:.8}", o.quote), "status": o.status, "timeInForce": "GTC", "type": o.kind, "side": o.side,
        "stopPrice": o.stop.clone().unwrap_or_else(|| "0.00000000".into()), "fills": fills})
}

/// Executes `qty` of `o` at `price`: moves the balances and charges the commission as Binance does
/// (the received asset, or BNB at a discount when that is switched on and the account has it).
fn execute(f: &Fake, o: &mut FakeOrder, qty: f64, price: f64) {
    let (base, quote) = assets(&o.symbol);
    let buyer = o.side == "BUY";
    let notional = r8(qty * price);
    let mut bal = f.balances.lock().unwrap();
    let bnb_fee = r8(notional * BNB_FEE_RATE / BNB_PRICE);
    let (commission, asset) = if f.bnb_fees.load(Ordering::SeqCst) && bal.get("BNB").is_some_and(|b| b.0 >= bnb_fee) {
        (bnb_fee, "BNB")
    } else if buyer {
        (r8(qty * FEE_RATE), base)
    } else {
        (r8(notional * FEE_RATE), quote)
    };
    let (pay, get, paid, got) = if buyer {
        (quote, base, notional, qty)
    } else {
        (base, quote, qty, notional)
    };
    {
        let e = bal.entry(pay.to_string()).or_default();
        // A resting order pays from what it locked; a market order from the free balance.
        let from_locked = paid.min(o.locked);
        e.1 = r8(e.1 - from_locked);
        o.locked = r8(o.locked - from_locked);
        e.0 = r8(e.0 - (paid - from_locked));
    }
    bal.entry(get.to_string()).or_default().0 += got;
    let e = bal.entry(asset.to_string()).or_default();
    e.0 = r8(e.0 - commission);
    let g = bal.entry(get.to_string()).or_default();
    g.0 = r8(g.0);
    drop(bal);
    o.executed = r8(o.executed + qty);
    o.quote = r8(o.quote + notional);
    let mut trades = f.trades.lock().unwrap();
    let id = 1000 + trades.len() as u64;
    trades.push(FakeTrade {
        id,
        order_id: o.order_id,
        symbol: o.symbol.clone(),
        buyer,
        price,
        qty,
        commission,
        commission_asset: asset.to_string(),
    });
}

/// A half-filled market order completes when it is next asked about (the market moved on).
fn complete_partials(f: &Fake) {
    let mut orders = f.orders.lock().unwrap();
    for o in orders.iter_mut().filter(|o| o.status == "PARTIALLY_FILLED") {
        let qty: f64 = o.qty.parse().unwrap_or(0.0);
        let price = (last_price(f, &o.symbol) * 1.001 * 100.0).round() / 100.0;
        let rest = r8(qty - o.executed);
        execute(f, o, rest, price);
        o.status = "FILLED".into();
    }
}

/// The market price: the close of the last candle the stream sent, on the 0.01 tick.
fn last_price(f: &Fake, symbol: &str) -> f64 {
    let pair = if symbol == "BTCUSDT" { "BTC/USDT" } else { "ETH/BTC" };
    let ts = f.cursor.load(Ordering::SeqCst) - 60_000;
    let close = sim::candles(pair, Timeframe::M1, ts, ts + 60_000).unwrap()[0].close;
    (close * 100.0).round() / 100.0
}

fn insufficient() -> Response {
    api_error(
        StatusCode::BAD_REQUEST,
        -2010,
        "Account has insufficient balance for requested action.",
    )
}

async fn order_post(
    State(f): State<Arc<Fake>>,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let p = match verify(&f, &headers, q.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let client_id = p.get("newClientOrderId").cloned().unwrap_or_default();
    *f.posts.lock().unwrap().entry(client_id.clone()).or_default() += 1;
    if f.orders.lock().unwrap().iter().any(|o| o.client_id == client_id) {
        return api_error(StatusCode::BAD_REQUEST, -2010, "Duplicate order sent.");
    }
    let symbol = p.get("symbol").cloned().unwrap_or_default();
    let kind = p.get("type").cloned().unwrap_or_default();
    let side = p.get("side").cloned().unwrap_or_default();
    let qty: f64 = p.get("quantity").and_then(|q| q.parse().ok()).unwrap_or(0.0);
    let limit: Option<f64> = p.get("price").and_then(|q| q.parse().ok());
    let price = last_price(&f, &symbol);
    let (base, quote) = assets(&symbol);
    // What the order needs free: the base asset to sell, the quote asset to buy.
    let (asset, need) = if side == "BUY" {
        (quote, qty * limit.unwrap_or(price))
    } else {
        (base, qty)
    };
    let free = f.balances.lock().unwrap().get(asset).map_or(0.0, |b| b.0);
    if need > free + 1e-12 {
        return insufficient();
    }
    let answer = {
        let mut orders = f.orders.lock().unwrap();
        let order_id = orders.len() as i64 + 1;
        let mut o = FakeOrder {
            order_id,
            client_id,
            symbol,
            side,
            kind: kind.clone(),
            qty: p.get("quantity").cloned().unwrap_or_default(),
            price: p.get("price").cloned(),
            stop: p.get("stopPrice").cloned(),
            status: "NEW".into(),
            executed: 0.0,
            quote: 0.0,
            locked: 0.0,
        };
        if kind == "MARKET" {
            let half = f.partial_next.swap(0, Ordering::SeqCst) > 0;
            let now = if half { (qty / 2.0 * 1e5).floor() / 1e5 } else { qty };
            execute(&f, &mut o, now, price);
            o.status = if half { "PARTIALLY_FILLED" } else { "FILLED" }.into();
        } else {
            // A resting order locks what it may spend.
            let mut bal = f.balances.lock().unwrap();
            let e = bal.entry(asset.to_string()).or_default();
            e.0 = r8(e.0 - need);
            e.1 = r8(e.1 + need);
            o.locked = r8(need);
        }
        let answer = order_json(&f, &o);
        orders.push(o);
        answer
    };
    let delay = f.slow_next_order_ms.swap(0, Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    Json(answer).into_response()
}

async fn order_get(
    State(f): State<Arc<Fake>>,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let p = match verify(&f, &headers, q.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let cid = p.get("origClientOrderId").cloned().unwrap_or_default();
    complete_partials(&f);
    let found = f.orders.lock().unwrap().iter().find(|o| o.client_id == cid).cloned();
    match found {
        Some(o) => Json(order_json(&f, &o)).into_response(),
        None => api_error(StatusCode::BAD_REQUEST, -2013, "Order does not exist."),
    }
}

async fn order_delete(
    State(f): State<Arc<Fake>>,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let p = match verify(&f, &headers, q.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let cid = p.get("origClientOrderId").cloned().unwrap_or_default();
    let cancelled = {
        let mut orders = f.orders.lock().unwrap();
        let Some(o) = orders.iter_mut().find(|o| o.client_id == cid && o.status == "NEW") else {
            return api_error(StatusCode::BAD_REQUEST, -2011, "Unknown order sent.");
        };
        o.status = "CANCELED".into();
        let (base, quote) = assets(&o.symbol);
        let asset = if o.side == "BUY" { quote } else { base };
        let mut bal = f.balances.lock().unwrap();
        let e = bal.entry(asset.to_string()).or_default();
        e.0 = r8(e.0 + o.locked);
        e.1 = r8(e.1 - o.locked);
        o.locked = 0.0;
        o.clone()
    };
    Json(order_json(&f, &cancelled)).into_response()
}

async fn open_orders(
    State(f): State<Arc<Fake>>,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    if let Err(r) = verify(&f, &headers, q.as_deref().unwrap_or("")) {
        return *r;
    }
    let open: Vec<FakeOrder> = f
        .orders
        .lock()
        .unwrap()
        .iter()
        .filter(|o| o.status == "NEW" || o.status == "PARTIALLY_FILLED")
        .cloned()
        .collect();
    let open: Vec<Value> = open.iter().map(|o| order_json(&f, o)).collect();
    complete_partials(&f);
    Json(Value::Array(open)).into_response()
}

async fn my_trades(
    State(f): State<Arc<Fake>>,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let p = match verify(&f, &headers, q.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let symbol = p.get("symbol").cloned().unwrap_or_default();
    let order: Option<i64> = p.get("orderId").and_then(|o| o.parse().ok());
    let list: Vec<Value> = f
        .trades
        .lock()
        .unwrap()
        .iter()
        .filter(|t| t.symbol == symbol && order.is_none_or(|o| o == t.order_id))
        .map(|t| json!({"symbol": t.symbol, "id": t.id, "orderId": t.order_id, "price": format!("{:.8}", t.price),
            "qty": format!("{:.8}", t.qty), "quoteQty": format!("{:.8}", t.qty * t.price), "commission": format!("{:.8}", t.commission),
            "commissionAsset": t.commission_asset, "time": 0, "isBuyer": t.buyer, "isMaker": false, "isBestMatch": true}))
        .collect();
    Json(Value::Array(list)).into_response()
}

async fn ticker_price(Query(q): Query<HashMap<String, String>>) -> Response {
    match q.get("symbol").map(|s| s.as_str()) {
        Some("BNBUSDT") => Json(json!({"symbol": "BNBUSDT", "price": format!("{BNB_PRICE:.8}")})).into_response(),
        _ => api_error(StatusCode::BAD_REQUEST, -1121, "Invalid symbol."),
    }
}

async fn account(
    State(f): State<Arc<Fake>>,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    if let Err(r) = verify(&f, &headers, q.as_deref().unwrap_or("")) {
        return *r;
    }
    let balances: Vec<Value> = f
        .balances
        .lock()
        .unwrap()
        .iter()
        .map(|(a, (free, locked))| json!({"asset": a, "free": format!("{free:.8}"), "locked": format!("{locked:.8}")}))
        .collect();
    Json(json!({"canTrade": true, "balances": balances})).into_response()
}

//! Every route and every error code of the Web API, through `router()` with `oneshot`.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use cracktrader::api::{auth::ApiKey, router, ApiSettings, ApiState};
use cracktrader::runner::RunnerHandle;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

struct Api {
    app: Router,
    _dir: tempfile::TempDir,
}

fn api_with(settings: ApiSettings) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let runner = RunnerHandle::spawn(dir.path().to_path_buf());
    Api {
        app: router(ApiState::new(runner, settings)),
        _dir: dir,
    }
}

/// An API over a runner that stores its runs (the history routes need one).
fn api_with_history() -> Api {
    let dir = tempfile::tempdir().unwrap();
    let runner = RunnerHandle::open(dir.path().to_path_buf()).unwrap();
    Api {
        app: router(ApiState::new(
            runner,
            ApiSettings {
                rate_limit: 0,
                ..ApiSettings::default()
            },
        )),
        _dir: dir,
    }
}

fn api() -> Api {
    api_with(ApiSettings {
        rate_limit: 0,
        ..ApiSettings::default()
    })
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

impl Api {
    async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body }
    }
    async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }
    async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }
    async fn delete(&self, path: &str) -> Reply {
        self.send(Request::delete(path).body(Body::empty()).unwrap()).await
    }
    /// Polls /status until the run is no longer active.
    async fn wait_finished(&self) -> Value {
        for _ in 0..400 {
            let s = self.get("/api/v1/status").await.body;
            if !["starting", "running"].contains(&s["status"].as_str().unwrap()) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("run did not finish");
    }
}

fn assert_error(r: &Reply, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["error"]["code"], code, "{}", r.body);
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(r.body["error"]["details"].is_object());
    assert_eq!(r.headers["x-cracktrader-api-version"], "v1");
}

fn backtest_body() -> Value {
    json!({
        "strategy_name": "MovingAverageCross",
        "strategy_params": {"fast_period": 5, "slow_period": 20},
        "symbols": ["BTC/USDT"],
        "timeframe": "1h",
        "start_date": "2024-01-01",
        "end_date": "2024-03-01",
        "initial_cash": 10000.0,
        "exchange": "sim"
    })
}

#[tokio::test]
async fn idle_status_health_catalog_meta() {
    let a = api();
    let s = a.get("/api/v1/status").await;
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(s.headers["x-cracktrader-api-version"], "v1");
    assert_eq!(s.body["status"], "idle");
    for k in [
        "run_id",
        "mode",
        "start_time",
        "end_time",
        "runtime_seconds",
        "cash",
        "value",
        "pnl",
        "error",
    ] {
        assert!(s.body[k].is_null(), "{k} should be null when idle: {}", s.body);
    }
    assert_eq!(s.body["trade_count"], 0);

    let h = a.get("/api/v1/health").await.body;
    assert_eq!(h["status"], "healthy");
    for c in ["engine", "storage", "exchange"] {
        assert_eq!(h["checks"][c]["status"], "ok", "{h}");
    }
    for m in ["uptime_seconds", "requests_total", "ws_connections", "runs_started"] {
        assert!(h["metrics"][m].is_number(), "{m}");
    }
    assert!(chrono::DateTime::parse_from_rfc3339(h["timestamp"].as_str().unwrap()).is_ok());

    let st = a.get("/api/v1/strategies").await.body;
    let names: Vec<&str> = st["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "MovingAverageCross",
            "TestStrategy",
            "RsiMeanReversion",
            "Breakout",
            "BuyAndHold",
            "MaCrossScript",
            "MacdAtrTrail",
            "RsiBollingerReversion"
        ],
        "built-ins, then the example scripts"
    );
    let sources: Vec<(&str, Option<&str>)> = st["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["source"].as_str().unwrap(), s["file"].as_str()))
        .collect();
    assert_eq!(sources[0], ("builtin", None));
    assert_eq!(sources[5], ("script", Some("ma_cross.luau")));
    let p = &st["strategies"][0]["params"][0];
    assert_eq!(
        (p["name"].as_str(), p["type"].as_str(), p["default"].as_f64()),
        (Some("fast_period"), Some("int"), Some(10.0))
    );
    for k in ["min", "max", "description"] {
        assert!(!p[k].is_null(), "{k}");
    }

    let ex = a.get("/api/v1/exchanges").await.body;
    let sim = &ex["exchanges"][0];
    assert_eq!(sim["id"], "sim");
    for k in [
        "name",
        "modes",
        "timeframes",
        "sandbox",
        "sandbox_notes",
        "requires_credentials",
    ] {
        assert!(!sim[k].is_null(), "{k}");
    }
    assert_eq!(sim["timeframes"].as_array().unwrap().len(), 14);

    let m = a.get("/api/v1/meta").await.body;
    assert_eq!(
        (m["api_version"].as_str(), m["deprecations"].as_array().map(|d| d.len())),
        (Some("v1"), Some(0))
    );
    assert_eq!(m["server_version"], env!("CARGO_PKG_VERSION"));

    let b = a.get("/api/v1/balance").await.body;
    assert!(b["cash"].is_null() && b["holdings"].as_array().unwrap().is_empty());
    assert_error(&a.get("/api/v1/results").await, StatusCode::NOT_FOUND, "NO_RESULTS");
}

#[tokio::test]
async fn openapi_lists_every_route_and_schema() {
    let a = api();
    let doc = a.get("/api/v1/openapi.json").await.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/health",
        "/status",
        "/status/detailed",
        "/run/backtest",
        "/run/live",
        "/run/stop",
        "/run/reset",
        "/results",
        "/strategies",
        "/exchanges",
        "/balance",
        "/meta",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(&format!("/api/v1{p}")), "missing {p}");
    }
    assert!(paths["/api/v1/run/reset"].get("delete").is_some());
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in [
        "ErrorResponse",
        "BacktestRequest",
        "LiveTradingRequest",
        "RunResponse",
        "StatusResponse",
        "DetailedStatusResponse",
        "HealthResponse",
        "ResultsResponse",
        "PerformanceMetrics",
        "StrategiesResponse",
        "ExchangesResponse",
        "BalanceResponse",
        "MetaResponse",
    ] {
        assert!(schemas.contains_key(s), "missing schema {s}");
    }
    let bt = &schemas["BacktestRequest"]["required"];
    assert!(bt.as_array().unwrap().iter().any(|r| r == "symbols"));
    // Parameters are declared where they are read: the run list's filters in the query, optional;
    // every `{run_id}` route declares its path parameter.
    for p in paths["/api/v1/runs"]["get"]["parameters"].as_array().unwrap() {
        assert_eq!(
            (p["in"].as_str(), p["required"].as_bool()),
            (Some("query"), Some(false)),
            "{p}"
        );
    }
    for (path, ops) in paths.iter().filter(|(p, _)| p.contains("{run_id}")) {
        for (method, op) in ops.as_object().unwrap() {
            let declared = op["parameters"].as_array().into_iter().flatten();
            assert!(
                declared
                    .clone()
                    .any(|p| p["name"] == "run_id" && p["in"] == "path" && p["required"] == true),
                "{method} {path} does not declare run_id"
            );
        }
    }
    // What the layers around the handlers answer is documented on every operation, with the envelope.
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let codes = op["responses"].as_object().unwrap();
            let mut expected = vec!["429"];
            if !path.ends_with("/health") {
                expected.push("401");
            }
            if method != "get" {
                expected.push("403");
            }
            if op.get("requestBody").is_some() {
                expected.extend(["413", "415"]);
            }
            for code in expected {
                let r = &codes
                    .get(code)
                    .unwrap_or_else(|| panic!("{method} {path} lacks {code}"));
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorResponse",
                    "{method} {path} {code}"
                );
            }
        }
    }
}

#[tokio::test]
async fn backtest_lifecycle_results_detailed_balance_reset() {
    let a = api();
    let r = a.post("/api/v1/run/backtest", backtest_body()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let run_id = r.body["run_id"].as_str().unwrap().to_string();
    assert!(["starting", "running"].contains(&r.body["status"].as_str().unwrap()));
    assert!(r.body["message"].is_string());
    let s = a.wait_finished().await;
    assert_eq!(s["status"], "completed", "{s}");
    assert_eq!(s["run_id"], run_id.as_str());
    assert_eq!(s["mode"], "backtest");
    assert!(s["end_time"].is_string() && s["runtime_seconds"].as_f64().unwrap() >= 0.0);

    let res = a.get("/api/v1/results").await.body;
    assert_eq!(res["run_id"], run_id.as_str());
    assert_eq!(res["status"], "completed");
    assert_eq!(res["config"]["strategy_params"]["fast_period"], 5);
    let trades = res["trades"].as_array().unwrap();
    assert!(!trades.is_empty());
    assert_eq!(s["trade_count"].as_u64().unwrap() as usize, trades.len());
    assert!((s["value"].as_f64().unwrap() - res["final_value"].as_f64().unwrap()).abs() < 1e-9);
    assert!((s["pnl"].as_f64().unwrap() - (res["final_value"].as_f64().unwrap() - 10000.0)).abs() < 1e-9);
    assert_eq!(res["equity_points_total"], 60 * 24);

    let d = a.get("/api/v1/status/detailed").await.body;
    assert_eq!(d["status"], "completed");
    assert_eq!(d["recent_trades"][0], trades[trades.len() - 1], "newest first");
    assert!(d["performance_metrics"]["sharpe_ratio"].is_number());
    assert!(d["equity_curve"].as_array().unwrap().len() <= 500);
    assert_eq!(d["health"]["status"], "healthy");
    assert!(!d["recent_orders"].as_array().unwrap().is_empty());

    let b = a.get("/api/v1/balance").await.body;
    assert_eq!(b["run_id"], run_id.as_str());
    let held: f64 = b["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["value"].as_f64().unwrap())
        .sum();
    assert!((b["cash"].as_f64().unwrap() + held - b["total_value"].as_f64().unwrap()).abs() < 1e-6);

    let reset = a.delete("/api/v1/run/reset").await;
    assert_eq!(
        (reset.status, reset.body["status"].as_str()),
        (StatusCode::OK, Some("idle"))
    );
    assert_eq!(a.get("/api/v1/status").await.body["status"], "idle");
    assert_eq!(
        a.get("/api/v1/results").await.body["run_id"],
        run_id.as_str(),
        "results survive a reset"
    );
    let h = a.get("/api/v1/health").await.body;
    assert_eq!(
        (
            h["metrics"]["runs_started"].as_u64(),
            h["metrics"]["runs_completed"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn framework_rejections_use_the_envelope() {
    let a = api();
    let bad_json = a
        .send(
            Request::post("/api/v1/run/backtest")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_error(&bad_json, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    let no_type = a
        .send(
            Request::post("/api/v1/run/backtest")
                .body(Body::from(backtest_body().to_string()))
                .unwrap(),
        )
        .await;
    assert_error(&no_type, StatusCode::UNSUPPORTED_MEDIA_TYPE, "INVALID_REQUEST");
    assert_error(&a.get("/api/v1/nothing-here").await, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_error(&a.get("/elsewhere").await, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_error(
        &a.get("/api/v1/run/backtest").await,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    );
    assert_error(
        &a.post("/api/v1/run/reset", json!({})).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    );
    let big = json!({"strategy_name": "x".repeat(300_000)});
    assert_error(
        &a.post("/api/v1/run/backtest", big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    );
}

#[tokio::test]
async fn validation_errors_have_their_codes_and_details() {
    let a = api();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = backtest_body();
        f(&mut b);
        b
    };
    let r = a
        .post(
            "/api/v1/run/backtest",
            with(&|b| {
                b.as_object_mut().unwrap().remove("symbols");
            }),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(r.body["error"]["details"]["field"], "symbols");
    let r = a
        .post("/api/v1/run/backtest", with(&|b| b["initial_cash"] = json!("lots")))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(r.body["error"]["details"]["field"], "initial_cash");
    let r = a
        .post("/api/v1/run/backtest", with(&|b| b["symbol"] = json!("BTC/USDT")))
        .await;
    assert_eq!(
        r.body["error"]["details"]["field"], "symbol",
        "unknown fields are named"
    );
    let r = a
        .post("/api/v1/run/backtest", with(&|b| b["initial_cash"] = json!(-1)))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(r.body["error"]["details"]["field"], "initial_cash");

    let r = a
        .post("/api/v1/run/backtest", with(&|b| b["strategy_name"] = json!("Nope")))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "UNKNOWN_STRATEGY");
    assert!(r.body["error"]["details"]["available_strategies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "BuyAndHold"));
    let r = a
        .post(
            "/api/v1/run/backtest",
            with(&|b| b["strategy_params"] = json!({"fast": 3})),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "INVALID_PARAMS");
    assert!(r.body["error"]["details"]["accepted_params"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "fast_period"));
    let r = a
        .post(
            "/api/v1/run/backtest",
            with(&|b| b["strategy_params"] = json!({"fast_period": "ten"})),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "INVALID_PARAMS");
    let r = a
        .post("/api/v1/run/backtest", with(&|b| b["symbols"] = json!(["BTCUSDT"])))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "INVALID_SYMBOL");
    assert!(r.body["error"]["details"]["supported_symbols"].is_array());
    let r = a
        .post("/api/v1/run/backtest", with(&|b| b["timeframe"] = json!("7m")))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "INVALID_TIMEFRAME");
    let r = a
        .post("/api/v1/run/backtest", with(&|b| b["exchange"] = json!("kraken")))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "UNKNOWN_EXCHANGE");
    let r = a
        .post("/api/v1/run/backtest", with(&|b| b["end_date"] = json!("2023-01-01")))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "INVALID_DATE_RANGE");
    let r = a
        .post(
            "/api/v1/run/backtest",
            with(&|b| b["start_date"] = json!("first of may")),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "INVALID_DATE_RANGE");

    let live = json!({"strategy_name": "TestStrategy", "symbols": ["BTC/USDT"], "timeframe": "5m", "exchange": "binance", "mode": "live", "exchange_config": {"sandbox": true}});
    assert_error(
        &a.post("/api/v1/run/live", live).await,
        StatusCode::BAD_REQUEST,
        "MISSING_CREDENTIALS",
    );
    let real = json!({"strategy_name": "TestStrategy", "symbols": ["BTC/USDT"], "timeframe": "5m", "exchange": "binance", "mode": "live", "exchange_config": {"apiKey": "k-123456", "secret": "s-123456"}});
    assert_error(
        &a.post("/api/v1/run/live", real).await,
        StatusCode::FORBIDDEN,
        "LIVE_TRADING_DISABLED",
    );
    let bad_mode = json!({"strategy_name": "TestStrategy", "symbols": ["BTC/USDT"], "timeframe": "5m", "mode": "yolo"});
    assert_error(
        &a.post("/api/v1/run/live", bad_mode).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    );
    // Nothing above started a run.
    assert_eq!(a.get("/api/v1/status").await.body["status"], "idle");
}

#[tokio::test]
async fn conflicts_paper_run_on_sim_stop_keeps_results() {
    let a = api();
    assert_error(
        &a.post("/api/v1/run/stop", json!({})).await,
        StatusCode::CONFLICT,
        "NO_ACTIVE_RUN",
    );
    let paper = json!({
        "strategy_name": "TestStrategy",
        "strategy_params": {"period": 2, "slow": 3},
        "symbols": ["BTC/USDT", "ETH/USDT"],
        "timeframe": "1m",
        "exchange": "sim",
        "exchange_config": {"speed": 6000},
        "mode": "paper"
    });
    let r = a.post("/api/v1/run/live", paper.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_error(
        &a.post("/api/v1/run/live", paper).await,
        StatusCode::CONFLICT,
        "RUN_ALREADY_ACTIVE",
    );
    assert_error(
        &a.post("/api/v1/run/backtest", backtest_body()).await,
        StatusCode::CONFLICT,
        "RUN_ALREADY_ACTIVE",
    );
    assert_error(&a.delete("/api/v1/run/reset").await, StatusCode::CONFLICT, "RUN_ACTIVE");
    // 100 simulated candles a second: wait for trades to happen.
    let mut trades = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let s = a.get("/api/v1/status").await.body;
        assert_eq!(s["status"], "running");
        assert_eq!(s["mode"], "paper");
        trades = s["trade_count"].as_u64().unwrap();
        if trades >= 4 {
            break;
        }
    }
    assert!(trades >= 4, "paper run should trade within seconds");
    let stop = a.post("/api/v1/run/stop", json!({})).await;
    assert_eq!(
        (stop.status, stop.body["status"].as_str()),
        (StatusCode::OK, Some("stopped")),
        "{}",
        stop.body
    );
    let s = a.get("/api/v1/status").await.body;
    assert_eq!(s["status"], "stopped");
    let res = a.get("/api/v1/results").await.body;
    assert_eq!(res["status"], "stopped");
    assert!(
        res["trades"].as_array().unwrap().len() as u64 >= trades,
        "trades are kept"
    );
    assert!(!res["equity_curve"].as_array().unwrap().is_empty(), "equity is kept");
    assert!(
        res["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] != "accepted"),
        "no working orders are left behind"
    );
    assert_eq!(res["config"]["exchange_config"]["speed"], 6000);
    assert_eq!(a.delete("/api/v1/run/reset").await.status, StatusCode::OK);
}

#[tokio::test]
async fn seed_examples_are_accepted_and_fail_clearly_without_exchange_data() {
    let a = api();
    let backtest = json!({
        "strategy_name": "TestStrategy",
        "strategy_params": {"period": 20, "threshold": 0.02},
        "symbols": ["BTC/USDT"],
        "timeframe": "1h",
        "start_date": "2024-01-01T00:00:00Z",
        "end_date": "2024-03-01T23:59:59Z",
        "initial_cash": 10000.0,
        "exchange": "binance"
    });
    let r = a.post("/api/v1/run/backtest", backtest).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = a.wait_finished().await;
    assert_eq!(s["status"], "failed");
    assert!(s["error"].as_str().unwrap().contains("binance BTC/USDT"), "{s}");
    assert_eq!(a.get("/api/v1/results").await.body["status"], "failed");

    let paper = json!({
        "strategy_name": "TestStrategy",
        "strategy_params": {"period": 10, "slow": 30},
        "symbols": ["BTC/USDT"],
        "timeframe": "5m",
        "exchange": "binance",
        "exchange_config": {"apiKey": "AKIA-SEED-KEY-777", "secret": "VERY-SECRET-888", "sandbox": true},
        "mode": "paper"
    });
    let r = a.post("/api/v1/run/live", paper).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = a.wait_finished().await;
    assert_eq!(s["status"], "failed");
    // sandbox: true means the testnet; offline, the run fails saying it cannot reach it.
    assert!(s["error"].as_str().unwrap().contains("testnet.binance.vision"), "{s}");
    // The credentials never come back.
    for path in [
        "/api/v1/status",
        "/api/v1/status/detailed",
        "/api/v1/results",
        "/api/v1/balance",
        "/api/v1/health",
    ] {
        let body = a.get(path).await.body.to_string();
        assert!(
            !body.contains("AKIA-SEED-KEY-777") && !body.contains("VERY-SECRET-888"),
            "{path} leaks a secret"
        );
    }
    let res = a.get("/api/v1/results").await.body;
    assert_eq!(res["config"]["exchange_config"]["apiKey"], "***");
    assert_eq!(res["config"]["exchange_config"]["sandbox"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_of_100_racing_starts_wins() {
    let a = api();
    // Long enough (three months of 1m candles) that the winner is still running when the last request
    // arrives: a run that ended may of course be followed by another.
    let mut body = backtest_body();
    body["timeframe"] = json!("1m");
    body["start_date"] = json!("2023-10-01");
    body["end_date"] = json!("2024-01-01");
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let app = a.app.clone();
        let body = body.to_string();
        tasks.push(tokio::spawn(async move {
            let req = Request::post("/api/v1/run/backtest")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap();
            app.oneshot(req).await.unwrap().status()
        }));
    }
    let mut ok = 0;
    let mut conflict = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => conflict += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, conflict), (1, 99));
    a.wait_finished().await;
    assert_eq!(a.get("/api/v1/health").await.body["metrics"]["runs_started"], 1);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_and_spares_health() {
    let a = api_with(ApiSettings {
        rate_limit: 3,
        ..ApiSettings::default()
    });
    for _ in 0..3 {
        assert_eq!(a.get("/api/v1/status").await.status, StatusCode::OK);
    }
    let r = a.get("/api/v1/status").await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
    let retry: u64 = r.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "retry after {retry}");
    for _ in 0..5 {
        assert_eq!(a.get("/api/v1/health").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn auth_matrix() {
    let keys = vec![
        ApiKey::parse("full-key-123").unwrap(),
        ApiKey::parse("read-key-123:read").unwrap(),
    ];
    let a = api_with(ApiSettings {
        keys,
        rate_limit: 0,
        ..ApiSettings::default()
    });
    let req = |method: &str, path: &str, key: Option<(&str, String)>| {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some((h, v)) = key {
            b = b.header(h, v);
        }
        b.body(Body::from(if method == "POST" {
            backtest_body().to_string()
        } else {
            String::new()
        }))
        .unwrap()
    };
    let xkey = |k: &str| Some(("x-api-key", k.to_string()));
    let bearer = |k: &str| Some(("authorization", format!("Bearer {k}")));
    assert_error(
        &a.send(req("GET", "/api/v1/status", None)).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    );
    assert_error(
        &a.send(req("GET", "/api/v1/status", xkey("wrong-key-000"))).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    );
    assert_eq!(
        a.send(req("GET", "/api/v1/health", None)).await.status,
        StatusCode::OK,
        "health is public"
    );
    assert_eq!(
        a.send(req("GET", "/api/v1/status", xkey("read-key-123"))).await.status,
        StatusCode::OK
    );
    assert_eq!(
        a.send(req("GET", "/api/v1/results", bearer("read-key-123")))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_error(
        &a.send(req("POST", "/api/v1/run/backtest", xkey("read-key-123"))).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    assert_error(
        &a.send(req("DELETE", "/api/v1/run/reset", bearer("read-key-123"))).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    assert_error(
        &a.send(req("POST", "/api/v1/run/stop", xkey("read-key-123"))).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    assert_eq!(
        a.send(req("POST", "/api/v1/run/backtest", bearer("full-key-123")))
            .await
            .status,
        StatusCode::OK
    );
    assert_error(
        &a.send(req("GET", "/api/v1/ws", None)).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    );
}

#[test]
fn a_dead_engine_is_a_500_without_internals_and_unhealthy() {
    let dir = tempfile::tempdir().unwrap();
    // The runner task lives on a runtime that is then shut down: its command channel closes.
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let runner = first.block_on(async { RunnerHandle::spawn(dir.path().to_path_buf()) });
    drop(first);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let a = Api {
            app: router(ApiState::new(
                runner,
                ApiSettings {
                    rate_limit: 0,
                    ..ApiSettings::default()
                },
            )),
            _dir: dir,
        };
        let r = a.post("/api/v1/run/backtest", backtest_body()).await;
        assert_error(&r, StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR");
        assert_eq!(r.body["error"]["message"], "internal server error");
        assert_eq!(a.get("/api/v1/health").await.body["status"], "unhealthy");
    });
}

#[tokio::test]
async fn cors_is_off_unless_an_origin_is_configured() {
    let preflight = || {
        Request::builder()
            .method("OPTIONS")
            .uri("/api/v1/status")
            .header("origin", "http://localhost:3000")
            .header("access-control-request-method", "GET")
            .body(Body::empty())
            .unwrap()
    };
    let off = api();
    let r = off.send(preflight()).await;
    assert!(r.headers.get("access-control-allow-origin").is_none());
    let on = api_with(ApiSettings {
        cors_origins: vec!["http://localhost:3000".into()],
        rate_limit: 0,
        ..ApiSettings::default()
    });
    let r = on.send(preflight()).await;
    assert_eq!(r.headers["access-control-allow-origin"], "http://localhost:3000");
    let other = on
        .send(
            Request::get("/api/v1/status")
                .header("origin", "http://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn run_history_routes() {
    let a = api_with_history();
    assert_eq!(a.get("/api/v1/runs").await.body["runs"].as_array().unwrap().len(), 0);
    let r = a.post("/api/v1/run/backtest", backtest_body()).await;
    let id = r.body["run_id"].as_str().unwrap().to_string();
    a.wait_finished().await;
    let list = a.get("/api/v1/runs?limit=5&status=completed&mode=backtest").await.body;
    assert_eq!(list["runs"][0]["run_id"], id.as_str());
    assert_eq!((list["limit"].as_u64(), list["offset"].as_u64()), (Some(5), Some(0)));
    let one = a.get(&format!("/api/v1/runs/{id}")).await.body;
    let results = a.get("/api/v1/results").await.body;
    assert_eq!(one["trades"], results["trades"]);
    assert_eq!(one["equity_curve"], results["equity_curve"]);
    assert_eq!(one["performance_metrics"], results["performance_metrics"]);
    assert_error(
        &a.get("/api/v1/runs?limit=0").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    );
    let bad = a.get("/api/v1/runs?status=sleeping").await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(bad.body["error"]["details"]["field"], "status");
    assert_error(
        &a.get("/api/v1/runs?mode=yolo").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    );
    assert_error(
        &a.get("/api/v1/runs/run-nope").await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert_error(
        &a.get("/api/v1/runs/run-nope/trades.csv").await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    let csv = a
        .send(
            Request::get(format!("/api/v1/runs/{id}/trades.csv"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    // The active run cannot be deleted; a finished one can, once.
    a.delete("/api/v1/run/reset").await;
    let paper = json!({"strategy_name": "BuyAndHold", "symbols": ["BTC/USDT"], "timeframe": "1m", "exchange": "sim", "exchange_config": {"speed": 60}, "mode": "paper"});
    let live_id = a.post("/api/v1/run/live", paper).await.body["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_error(
        &a.delete(&format!("/api/v1/runs/{live_id}")).await,
        StatusCode::CONFLICT,
        "RUN_ACTIVE",
    );
    a.post("/api/v1/run/stop", json!({})).await;
    let gone = a.delete(&format!("/api/v1/runs/{id}")).await;
    assert_eq!(
        (gone.status, gone.body["deleted"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_error(
        &a.delete(&format!("/api/v1/runs/{id}")).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    let h = a.get("/api/v1/health").await.body;
    assert_eq!(h["checks"]["history"]["status"], "ok", "{h}");
    assert!(h["metrics"]["store_committed"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn history_routes_without_persistence() {
    let a = api();
    assert!(a.get("/api/v1/runs").await.body["runs"].as_array().unwrap().is_empty());
    assert_error(&a.get("/api/v1/runs/run-x").await, StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn old_runs_are_pruned_and_bad_requests_say_why() {
    let a = api_with_history();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let r = a.post("/api/v1/run/backtest", backtest_body()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        ids.push(r.body["run_id"].as_str().unwrap().to_string());
        a.wait_finished().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let listed = a.get("/api/v1/runs").await.body;
    assert!(listed["runs"][0]["stored_bytes"].as_u64().unwrap() > 0);
    assert_error(
        &a.delete("/api/v1/runs").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    );
    assert_error(
        &a.delete("/api/v1/runs?older_than=-1").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    );
    let r = a.delete("/api/v1/runs?keep=1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["deleted"], 2);
    assert_eq!(r.body["run_ids"], json!([ids[1], ids[0]]));
    let left = a.get("/api/v1/runs").await.body;
    assert_eq!(left["runs"].as_array().unwrap().len(), 1);
    assert_eq!(left["runs"][0]["run_id"], ids[2].as_str());
}

#[tokio::test]
async fn cross_site_requests_foreign_hosts_and_key_guessing_are_refused() {
    let a = api();
    // A page elsewhere posting text/plain (no preflight) to stop a run: refused before it acts.
    let forged = Request::post("/api/v1/run/stop")
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from("{}"))
        .unwrap();
    let r = a.send(forged).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("FORBIDDEN")),
        "{}",
        r.body
    );
    let ws = Request::get("/api/v1/ws")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::UPGRADE, "websocket")
        .body(Body::empty())
        .unwrap();
    assert_eq!(a.send(ws).await.status, StatusCode::FORBIDDEN);
    // Same-origin and origin-less requests pass.
    let same = Request::post("/api/v1/run/stop")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::ORIGIN, "http://127.0.0.1:8000")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(a.send(same).await.body["error"]["code"], "NO_ACTIVE_RUN");
    // DNS rebinding: without keys, only loopback names.
    let rebound = Request::get("/api/v1/status")
        .header(header::HOST, "evil.com")
        .body(Body::empty())
        .unwrap();
    let r = a.send(rebound).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("loopback"));
    for host in ["localhost:8000", "127.0.0.1", "[::1]:9"] {
        let ok = Request::get("/api/v1/status")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap();
        assert_eq!(a.send(ok).await.status, StatusCode::OK, "{host}");
    }

    // With keys: 401 says how to authenticate, and guessing runs into the address's rate limit.
    let keyed = api_with(ApiSettings {
        keys: vec![ApiKey::parse("right-key-123").unwrap()],
        rate_limit: 3,
        ..ApiSettings::default()
    });
    let guess = || {
        Request::get("/api/v1/status")
            .header("x-api-key", "wrong-key-999")
            .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [10, 0, 0, 7],
                5555,
            ))))
            .body(Body::empty())
            .unwrap()
    };
    let first = keyed.send(guess()).await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    assert!(first.headers.get(header::WWW_AUTHENTICATE).is_some());
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(keyed.send(guess()).await.status);
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

#[tokio::test]
async fn health_is_open_but_its_details_need_a_key() {
    let a = api_with(ApiSettings {
        keys: vec![ApiKey::parse("right-key-123").unwrap()],
        rate_limit: 0,
        ..ApiSettings::default()
    });
    let open = a.get("/api/v1/health").await;
    assert_eq!(open.status, StatusCode::OK);
    assert_eq!(open.body["status"], "healthy");
    assert!(
        open.body.get("checks").is_none() && open.body.get("metrics").is_none(),
        "{}",
        open.body
    );
    assert!(!open.body.to_string().contains('/'), "no server paths: {}", open.body);
    let keyed = a
        .send(
            Request::get("/api/v1/health")
                .header("x-api-key", "right-key-123")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(keyed.body["checks"]["storage"]["detail"].is_string(), "{}", keyed.body);
    let wrong = a
        .send(
            Request::get("/api/v1/health")
                .header("x-api-key", "nope-nope-nope")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert!(wrong.body.get("checks").is_none());
}

#[tokio::test]
async fn a_runs_orders_trades_and_equity_are_paged_and_exports_stream() {
    let a = api_with_history();
    let r = a.post("/api/v1/run/backtest", backtest_body()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.body["run_id"].as_str().unwrap().to_string();
    assert_eq!(a.wait_finished().await["status"], "completed");
    let full = a.get(&format!("/api/v1/runs/{id}")).await.body;
    let trades = full["trades"].as_array().unwrap().clone();
    assert!(trades.len() > 7, "the test needs a few pages");
    assert_eq!(full["trades_total"], trades.len());
    assert_eq!(full["orders_total"], full["orders"].as_array().unwrap().len());
    // Following next_cursor gives every fill once, in order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let p = a.get(&format!("/api/v1/runs/{id}/trades?limit=7{q}")).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert_eq!(p.body["total"], trades.len());
        let items = p.body["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        paged.extend(items.iter().cloned());
        match p.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, trades);
    let orders = a.get(&format!("/api/v1/runs/{id}/orders?limit=10000")).await.body;
    assert_eq!(orders["items"], full["orders"]);
    assert!(orders["next_cursor"].is_null());
    let equity = a.get(&format!("/api/v1/runs/{id}/equity?limit=3")).await.body;
    assert_eq!(equity["items"].as_array().unwrap().len(), 3);
    assert_eq!(equity["next_cursor"], "3");
    // Bad pages are refused with the field named; unknown runs are 404.
    for bad in ["limit=0", "limit=10001", "cursor=abc"] {
        let p = a.get(&format!("/api/v1/runs/{id}/trades?{bad}")).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(p.body["error"]["code"], "VALIDATION_ERROR", "{bad}");
    }
    assert_eq!(
        a.get("/api/v1/runs/run-nope/orders").await.status,
        StatusCode::NOT_FOUND
    );
    // The streamed export has a header and one line per fill.
    let csv = a.get(&format!("/api/v1/runs/{id}/trades.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.body.as_str().unwrap().to_string();
    assert_eq!(text.lines().count(), trades.len() + 1);
    assert!(text.starts_with("id,order_id,timestamp"));
}

/// A paper run shows how far its strategy is from trading (warm-up) and when the next candle comes.
#[tokio::test]
async fn a_paper_run_reports_its_warm_up_and_the_next_bar() {
    let a = api();
    // One simulated minute per 0.5 s: the next bar is always under a second away.
    let paper = json!({
        "strategy_name": "MovingAverageCross",
        "strategy_params": {"fast_period": 5, "slow_period": 20},
        "symbols": ["BTC/USDT"],
        "timeframe": "1m",
        "exchange": "sim",
        "exchange_config": {"speed": 120},
        "mode": "paper"
    });
    let r = a.post("/api/v1/run/live", paper).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut seen = Vec::new();
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let s = a.get("/api/v1/status").await.body;
        if let Some(n) = s["bars_seen"].as_u64() {
            assert_eq!(s["warmup_bars"], 21, "slow window plus the bar that can cross: {s}");
            let next = chrono::DateTime::parse_from_rfc3339(s["next_bar_at"].as_str().unwrap()).unwrap();
            let ahead = next.with_timezone(&chrono::Utc) - chrono::Utc::now();
            assert!(ahead.num_milliseconds() <= 600, "{s}");
            seen.push(n);
        }
        if seen.last().is_some_and(|&n| n >= 3) {
            break;
        }
    }
    assert!(seen.last().is_some_and(|&n| n >= 3), "bars counted: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(a.post("/api/v1/run/stop", json!({})).await.status, StatusCode::OK);
    let s = a.get("/api/v1/status").await.body;
    assert!(s["next_bar_at"].is_null(), "no next bar once stopped: {s}");
    // Backtests have no warm-up countdown.
    assert_eq!(a.delete("/api/v1/run/reset").await.status, StatusCode::OK);
    assert!(a.get("/api/v1/status").await.body["warmup_bars"].is_null());
}

fn optimize_body(grid: Value) -> Value {
    json!({
        "strategy_name": "MovingAverageCross",
        "symbols": ["BTC/USDT"],
        "timeframe": "1h",
        "start_date": "2024-01-01",
        "end_date": "2024-04-01",
        "exchange": "sim",
        "grid": grid,
        "objective": "total_return"
    })
}

/// `POST /run/optimize`: one run of mode optimize; its combinations equal plain backtests bit for bit,
/// ranked best first; progress in /status; the sweep in /results and in the history.
#[tokio::test]
async fn an_optimize_run_sweeps_the_grid_and_matches_plain_backtests() {
    let a = api_with_history();
    let grid = json!({"fast_period": [5, 10, 20], "slow_period": {"start": 10, "end": 40, "step": 10}});
    let r = a.post("/api/v1/run/optimize", optimize_body(grid)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.body["run_id"].as_str().unwrap().to_string();
    let s = a.wait_finished().await;
    assert_eq!(
        (s["status"].as_str(), s["mode"].as_str()),
        (Some("completed"), Some("optimize"))
    );
    assert_eq!(
        (
            s["optimize"]["completed"].as_u64(),
            s["optimize"]["combinations"].as_u64()
        ),
        (Some(9), Some(12))
    );
    let res = a.get("/api/v1/results").await.body;
    let o = &res["optimization"];
    assert_eq!(
        (
            o["combinations"].as_u64(),
            o["completed"].as_u64(),
            o["skipped"].as_u64()
        ),
        (Some(12), Some(9), Some(3)),
        "fast >= slow is skipped"
    );
    let results = o["results"].as_array().unwrap();
    let scores: Vec<f64> = results.iter().map(|c| c["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
    assert_eq!(o["best"]["params"], results[0]["params"]);
    assert_eq!(
        s["optimize"]["best"]["params"], results[0]["params"],
        "/status knew the best"
    );
    assert_eq!(
        res["performance_metrics"], o["best"]["metrics"],
        "the run's numbers are the best's"
    );
    // Two combinations against plain backtests of the same parameters.
    for c in [&results[0], &results[results.len() - 1]] {
        let mut body = backtest_body();
        body["start_date"] = json!("2024-01-01");
        body["end_date"] = json!("2024-04-01");
        body["strategy_params"] = c["params"].clone();
        assert_eq!(a.post("/api/v1/run/backtest", body).await.status, StatusCode::OK);
        a.wait_finished().await;
        let plain = a.get("/api/v1/results").await.body;
        assert_eq!(plain["performance_metrics"], c["metrics"], "{}", c["params"]);
        assert_eq!(plain["final_value"], c["final_value"]);
    }
    // Kept in the history with its table.
    let stored = a.get(&format!("/api/v1/runs/{id}")).await.body;
    assert_eq!(stored["config"]["mode"], "optimize");
    assert_eq!(stored["optimization"]["results"], o["results"]);
    let listed = a.get("/api/v1/runs?mode=optimize").await.body;
    assert_eq!(listed["runs"][0]["run_id"], id.as_str());
}

#[tokio::test]
async fn an_optimize_run_is_one_run_stops_keeping_what_finished_and_explains_bad_grids() {
    let a = api();
    for (grid, code) in [
        (json!({"nope": [1, 2]}), "INVALID_PARAMS"),
        (json!({"fast_period": {"start": 50, "end": 5}}), "VALIDATION_ERROR"),
        (json!({}), "VALIDATION_ERROR"),
        (
            json!({"fast_period": {"start": 1, "end": 1000}, "slow_period": {"start": 2, "end": 1000}}),
            "VALIDATION_ERROR",
        ),
    ] {
        assert_error(
            &a.post("/api/v1/run/optimize", optimize_body(grid.clone())).await,
            StatusCode::BAD_REQUEST,
            code,
        );
    }
    // The other sweep fields are checked against their documented ranges too.
    for (key, value) in [
        ("min_trades", json!(1_000_001)),
        ("walk_forward", json!({"folds": 0})),
        ("walk_forward", json!({"folds": 3, "train_pct": 1.0})),
        ("objective", json!("luck")),
    ] {
        let mut body = optimize_body(json!({"fast_period": [5, 10]}));
        body[key] = value;
        let r = a.post("/api/v1/run/optimize", body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{key}: {}", r.body);
    }
    let mut body =
        optimize_body(json!({"fast_period": {"start": 2, "end": 60}, "slow_period": {"start": 61, "end": 160}}));
    body["start_date"] = json!("2020-01-01");
    body["end_date"] = json!("2024-01-01");
    assert_eq!(
        a.post("/api/v1/run/optimize", body.clone()).await.status,
        StatusCode::OK
    );
    assert_error(
        &a.post("/api/v1/run/optimize", body).await,
        StatusCode::CONFLICT,
        "RUN_ALREADY_ACTIVE",
    );
    assert_error(
        &a.post("/api/v1/run/backtest", backtest_body()).await,
        StatusCode::CONFLICT,
        "RUN_ALREADY_ACTIVE",
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stop = a.post("/api/v1/run/stop", json!({})).await;
    assert_eq!(stop.status, StatusCode::OK, "{}", stop.body);
    let s = a.wait_finished().await;
    assert_eq!(s["status"], "stopped");
    let o = a.get("/api/v1/results").await.body["optimization"].clone();
    assert_eq!(o["stopped"], true);
    let done = o["completed"].as_u64().unwrap();
    assert!(done < 5_900, "stopped early: {done}");
    assert_eq!(
        o["results"].as_array().unwrap().len() as u64,
        done,
        "what finished is kept"
    );
}

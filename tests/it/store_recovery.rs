//! Crash and restart with the real binary: `serve` on port 0 with a temp data dir, a paper run on sim
//! at high speed, then `kill -9` (or SIGTERM) mid-run and a restart on the same data dir.

use crate::common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

fn start(dir: &std::path::Path) -> Server {
    let mut child = common::bin()
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("first line: {line:?}"));
    Server { child, port }
}

fn http(port: u16, method: &str, path: &str, body: &Value) -> (u16, String) {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    common::http(&format!("127.0.0.1:{port}"), method, path, &body)
}

fn get(port: u16, path: &str) -> Value {
    let (code, body) = http(port, "GET", path, &Value::Null);
    assert!(code == 200 || code == 404, "{path}: {code} {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

fn paper(port: u16) -> String {
    let body = json!({
        "strategy_name": "TestStrategy",
        "strategy_params": {"period": 2, "slow": 3},
        "symbols": ["BTC/USDT"],
        "timeframe": "1m",
        "exchange": "sim",
        "exchange_config": {"speed": 3000, "apiKey": "NEVER-STORE-ME-123", "secret": "NEVER-STORE-ME-456"},
        "mode": "paper"
    });
    let (code, r) = http(port, "POST", "/api/v1/run/live", &body);
    assert_eq!(code, 200, "{r}");
    serde_json::from_str::<Value>(&r).unwrap()["run_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn completed_backtest(port: u16) -> String {
    let body = json!({"strategy_name": "MovingAverageCross", "symbols": ["ETH/USDT"], "timeframe": "1h", "start_date": "2024-01-01", "end_date": "2024-03-01", "initial_cash": 10000, "exchange": "sim"});
    let (code, r) = http(port, "POST", "/api/v1/run/backtest", &body);
    assert_eq!(code, 200, "{r}");
    let id = serde_json::from_str::<Value>(&r).unwrap()["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let t = Instant::now();
    while get(port, "/api/v1/status")["status"] != "completed" {
        assert!(t.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    http(port, "DELETE", "/api/v1/run/reset", &Value::Null);
    id
}

/// Waits until the paper run has made at least `n` fills; returns /status/detailed.
fn trading(port: u16, n: u64) -> Value {
    let t = Instant::now();
    loop {
        let d = get(port, "/api/v1/status/detailed");
        if d["trade_count"].as_u64().unwrap_or(0) >= n {
            return d;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "no trades: {d}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn kill_9_mid_run_loses_nothing_that_was_acknowledged() {
    let d = tempfile::tempdir().unwrap();
    let mut s = start(d.path());
    let earlier = completed_backtest(s.port);
    let earlier_results = get(s.port, "/api/v1/results");
    let run = paper(s.port);
    trading(s.port, 6);
    // Everything the API has acknowledged at this instant...
    let seen = get(s.port, "/api/v1/status/detailed");
    s.child.kill().unwrap(); // SIGKILL
    s.child.wait().unwrap();
    let acked_fills: Vec<Value> = seen["recent_trades"].as_array().unwrap().clone();
    let acked_orders: Vec<Value> = seen["recent_orders"].as_array().unwrap().clone();
    assert!(acked_fills.len() >= 6);

    let s2 = start(d.path());
    let r = get(s2.port, &format!("/api/v1/runs/{run}"));
    assert_eq!(
        (r["status"].as_str(), r["error"].as_str()),
        (Some("failed"), Some("interrupted")),
        "{}",
        r["status"]
    );
    assert!(r["end_time"].is_string(), "ended at the time of its last record");
    // ...is in the history after the restart.
    let stored_fills = r["trades"].as_array().unwrap();
    for f in &acked_fills {
        let s = stored_fills
            .iter()
            .find(|x| x["id"] == f["id"])
            .unwrap_or_else(|| panic!("fill {} lost", f["id"]));
        assert_eq!(
            (&s["price"], &s["size"], &s["side"]),
            (&f["price"], &f["size"], &f["side"])
        );
    }
    let stored_orders = r["orders"].as_array().unwrap();
    for o in &acked_orders {
        assert!(
            stored_orders.iter().any(|x| x["id"] == o["id"]),
            "order {} lost",
            o["id"]
        );
    }
    assert!(
        !r["equity_curve"].as_array().unwrap().is_empty(),
        "paper equity points are kept"
    );
    // Secrets were never stored.
    let raw = std::fs::read(d.path().join("cracktrader.db")).unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(!text.contains("NEVER-STORE-ME"), "a secret reached the database");
    assert_eq!(r["config"]["exchange_config"]["apiKey"], "***");
    // Earlier history and /results are intact.
    let list = get(s2.port, "/api/v1/runs");
    let ids: Vec<&str> = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![run.as_str(), earlier.as_str()]);
    let res = get(s2.port, "/api/v1/results");
    assert_eq!(
        res["run_id"],
        run.as_str(),
        "the interrupted run is the last finished one"
    );
    let old = get(s2.port, &format!("/api/v1/runs/{earlier}"));
    assert_eq!(old["trades"], earlier_results["trades"]);
    assert_eq!(old["final_value"], earlier_results["final_value"]);
    let mut s2 = s2;
    s2.child.kill().ok();
}

#[test]
fn sigterm_stops_the_run_and_keeps_everything() {
    let d = tempfile::tempdir().unwrap();
    let mut s = start(d.path());
    let run = paper(s.port);
    trading(s.port, 4);
    let pid = s.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(wait_exit(&mut s.child).success());
    let mut s2 = start(d.path());
    let r = get(s2.port, &format!("/api/v1/runs/{run}"));
    assert_eq!(r["status"], "stopped");
    assert!(r["error"].is_null());
    let res = get(s2.port, "/api/v1/results");
    assert_eq!(res["run_id"], run.as_str());
    assert_eq!(res["trades"], r["trades"]);
    // Every fill is there: the stored ones match the count the engine reported at the end.
    let fills = r["trades"].as_array().unwrap().len();
    assert!(fills >= 4);
    let summary = get(s2.port, "/api/v1/runs?status=stopped&mode=paper");
    assert_eq!(summary["runs"][0]["trade_count"].as_u64().unwrap() as usize, fills);
    let (code, csv) = http(s2.port, "GET", &format!("/api/v1/runs/{run}/trades.csv"), &Value::Null);
    assert_eq!(code, 200);
    assert_eq!(csv.lines().count(), fills + 1);
    assert!(csv.starts_with("id,order_id,timestamp,symbol,side,size,price,value,commission,pnl"));
    let (code, eq) = http(s2.port, "GET", &format!("/api/v1/runs/{run}/equity.csv"), &Value::Null);
    assert_eq!(code, 200);
    assert!(eq.lines().count() > 1);
    s2.child.kill().ok();
}

#[test]
fn bad_databases_fail_at_start_with_a_clear_message() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("cracktrader.db"), vec![b'x'; 4096]).unwrap();
    let out = common::bin()
        .arg("--data-dir")
        .arg(d.path())
        .args(["serve", "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cracktrader.db") && err.contains("move it aside"), "{err}");
    let file = d.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = common::bin()
        .arg("--data-dir")
        .arg(&file)
        .args(["serve", "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot create the data directory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cli_runs_list_show_export() {
    let d = tempfile::tempdir().unwrap();
    let dd = d.path().to_str().unwrap();
    let bt = common::run(
        d.path(),
        &[
            "backtest",
            "--strategy",
            "BuyAndHold",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1d",
            "--start",
            "2024-01-01",
            "--end",
            "2024-06-01",
            "--json",
        ],
    );
    assert!(bt.ok, "{}", bt.stderr);
    let id = serde_json::from_str::<Value>(&bt.stdout).unwrap()["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let list = common::run(d.path(), &["runs", "list"]);
    assert!(
        list.ok && list.stdout.contains(&id) && list.stdout.contains("BuyAndHold"),
        "{}{}",
        list.stdout,
        list.stderr
    );
    let show = common::run(d.path(), &["runs", "show", &id]);
    assert!(
        show.ok && show.stdout.contains("final value") && show.stdout.contains("starting at"),
        "{}",
        show.stdout
    );
    let json = common::run(d.path(), &["runs", "export", &id, "--format", "json"]);
    let exported: Value = serde_json::from_str(&json.stdout).unwrap();
    let original: Value = serde_json::from_str(&bt.stdout).unwrap();
    assert_eq!(exported["trades"], original["trades"]);
    assert_eq!(exported["equity_curve"], original["equity_curve"]);
    let csv = common::run(d.path(), &["runs", "export", &id, "--format", "csv"]);
    assert_eq!(csv.stdout.lines().count(), 2, "header + one fill");
    let eq = common::run(d.path(), &["runs", "export", &id, "--format", "csv", "--equity"]);
    assert!(eq.stdout.starts_with("timestamp,value,cash,pnl,benchmark"));
    let missing = common::run(d.path(), &["runs", "show", "run-nope"]);
    assert!(!missing.ok && missing.stderr.contains("no run 'run-nope'"));
    let empty = tempfile::tempdir().unwrap();
    let none = common::run(empty.path(), &["runs", "list"]);
    assert!(
        !none.ok && none.stderr.contains("no runs stored yet"),
        "{} {dd}",
        none.stderr
    );
}

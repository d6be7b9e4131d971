//! Strategies as Luau scripts, through the real binary: the MaCrossScript example equals the
//! compiled MovingAverageCross fill for fill on every fixture, every example runs, a user's folder is
//! read, broken scripts are listed with file:line, a script error fails its run with file:line, an
//! endless loop or an allocation bomb fails within a second, and the template loads.

use crate::common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

const FILES: [(&str, &str, &str); 4] = [
    ("ETH_BTC-5m.binance.csv", "ETH/BTC", "5m"),
    ("LTC_BTC-5m.ccxt.json", "LTC/BTC", "5m"),
    ("ADA_BTC-5m.ohlcv.csv", "ADA/BTC", "5m"),
    ("XRP_ETH-1m.ccxt.json", "XRP/ETH", "1m"),
];

fn fills(r: &Value) -> Vec<(String, String, f64, f64)> {
    r["trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["timestamp"].as_str().unwrap().to_string(),
                t["side"].as_str().unwrap().to_string(),
                t["size"].as_f64().unwrap(),
                t["price"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn ma_cross_script_equals_the_builtin_fill_for_fill_on_every_file() {
    let d = tempfile::tempdir().unwrap();
    for (file, sym, tf) in FILES {
        for (fast, slow) in [(10, 30), (3, 8)] {
            let run = |strategy: &str| {
                Backtest::new(strategy, sym, tf)
                    .param(&format!("fast_period={fast}"))
                    .param(&format!("slow_period={slow}"))
                    .data(file)
                    .json(d.path())
            };
            let (script, builtin) = (run("MaCrossScript"), run("MovingAverageCross"));
            let (a, b) = (fills(&script), fills(&builtin));
            assert!(b.len() > 20, "{file}: too few fills to compare");
            assert_eq!(a, b, "{file} {fast}/{slow}");
            assert_eq!(script["final_value"], builtin["final_value"], "{file}");
            assert_eq!(script["config"]["script"]["file"], "ma_cross.luau");
            assert_eq!(script["config"]["script"]["sha256"].as_str().unwrap().len(), 64);
        }
    }
    // The script's own check, with the built-in's message.
    let bad = Backtest::new("MaCrossScript", "BTC/USDT", "1h")
        .param("fast_period=30")
        .param("slow_period=10")
        .run(d.path());
    assert!(
        !bad.ok && bad.stderr.contains("must be smaller than slow_period"),
        "{}",
        bad.stderr
    );
}

#[test]
fn every_example_trades_on_real_candles() {
    let d = tempfile::tempdir().unwrap();
    for strategy in ["RsiBollingerReversion", "MacdAtrTrail"] {
        let mut trades = 0;
        for (file, sym, tf) in FILES {
            let r = Backtest::new(strategy, sym, tf).data(file).json(d.path());
            assert_eq!(r["status"], "completed", "{strategy} {file}: {}", r["error"]);
            trades += r["trades"].as_array().unwrap().len();
        }
        assert!(trades >= 4, "{strategy}: only {trades} fills on all files");
    }
    // Parameters of every type, given on the command line.
    let r = Backtest::new("MacdAtrTrail", "XRP/ETH", "1m")
        .param("log_trades=true")
        .param("atr_mult=2.5")
        .data("XRP_ETH-1m.ccxt.json")
        .json(d.path());
    assert_eq!(r["config"]["strategy_params"]["log_trades"], true);
    assert_eq!(r["config"]["strategy_params"]["atr_mult"], 2.5);
    let bad = Backtest::new("MacdAtrTrail", "XRP/ETH", "1m")
        .param("log_trades=maybe")
        .run(d.path());
    assert!(!bad.ok && bad.stderr.contains("true or false"), "{}", bad.stderr);
}

fn write(dir: &std::path::Path, name: &str, code: &str) {
    std::fs::write(dir.join(name), code).unwrap();
}

fn with_scripts(scripts: &std::path::Path, data: &std::path::Path, args: &[&str]) -> Run {
    let mut all = vec!["--strategies", scripts.to_str().unwrap()];
    all.extend_from_slice(args);
    run(data, &all)
}

const BASE: &str = r#"
return {
    name = "NAME",
    params = { { name = "n", type = "int", default = 3, min = 1, max = 50 } },
    on_bar = function(bar, ctx, ind)
        BODY
    end,
}
"#;

fn script(name: &str, body: &str) -> String {
    BASE.replace("NAME", name).replace("BODY", body)
}

#[test]
fn a_users_folder_broken_scripts_and_runtime_errors() {
    let scripts = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(
        scripts.path(),
        "good.luau",
        &script("Good", "if ctx.position == 0 then ctx:enter_long() end"),
    );
    write(
        scripts.path(),
        "syntax.luau",
        "return { name = 'Oops', on_bar = function(bar) if then end }",
    );
    write(scripts.path(), "noname.luau", "return { on_bar = function() end }");
    write(
        scripts.path(),
        "boom.luau",
        &script(
            "Boom",
            "if bar.close > 0 then\n            error('price too high')\n        end",
        ),
    );
    let list = with_scripts(scripts.path(), data.path(), &["strategies"]);
    assert!(list.ok, "{}", list.stderr);
    assert!(list.stdout.contains("Good (script good.luau)"), "{}", list.stdout);
    assert!(
        list.stdout.contains("syntax.luau:1:"),
        "syntax error with file:line: {}",
        list.stdout
    );
    assert!(
        list.stdout.contains("noname.luau: the returned table needs a `name`"),
        "{}",
        list.stdout
    );
    // A broken script never takes the others down; a good one runs like a built-in.
    let ok = with_scripts(
        scripts.path(),
        data.path(),
        &[
            "backtest",
            "--strategy",
            "good",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
            "--json",
        ],
    );
    assert!(ok.ok, "{}", ok.stderr);
    let r: Value = serde_json::from_str(&ok.stdout).unwrap();
    assert_eq!(r["trades"].as_array().unwrap().len(), 1);
    // A runtime error fails the run with the script's file:line.
    let boom = with_scripts(
        scripts.path(),
        data.path(),
        &[
            "backtest",
            "--strategy",
            "Boom",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
            "--json",
        ],
    );
    let r: Value = serde_json::from_str(&boom.stdout).unwrap();
    assert_eq!(r["status"], "failed");
    let e = r["error"].as_str().unwrap();
    assert!(e.contains("boom.luau:7") && e.contains("price too high"), "{e}");
    // Unknown parameters name the script's own.
    let bad = with_scripts(
        scripts.path(),
        data.path(),
        &[
            "backtest",
            "--strategy",
            "Good",
            "--param",
            "m=3",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
        ],
    );
    assert!(!bad.ok && bad.stderr.contains("accepted: n, size"), "{}", bad.stderr);
}

#[test]
fn endless_loops_and_allocation_bombs_fail_within_a_second() {
    let scripts = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(scripts.path(), "spin.luau", &script("Spin", "while true do end"));
    write(
        scripts.path(),
        "hog.luau",
        &script(
            "Hog",
            "local t = {}\n        for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end",
        ),
    );
    for (name, needle) in [("Spin", "ran too long"), ("Hog", "memory")] {
        let t = Instant::now();
        let r = with_scripts(
            scripts.path(),
            data.path(),
            &[
                "backtest",
                "--strategy",
                name,
                "--symbol",
                "BTC/USDT",
                "--timeframe",
                "1h",
                "--json",
            ],
        );
        let elapsed = t.elapsed();
        let v: Value = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
        assert_eq!(v["status"], "failed", "{name}: {}", r.stderr);
        let e = v["error"].as_str().unwrap_or_default();
        assert!(e.contains(needle) && e.contains(".luau"), "{name}: {e}");
        assert!(elapsed < Duration::from_secs(5), "{name} took {elapsed:?}");
    }
}

#[test]
fn the_template_loads_and_runs() {
    let scripts = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let made = with_scripts(scripts.path(), data.path(), &["strategies", "new", "MyTrend"]);
    assert!(made.ok, "{}", made.stderr);
    assert!(scripts.path().join("MyTrend.luau").exists());
    let again = with_scripts(scripts.path(), data.path(), &["strategies", "new", "MyTrend"]);
    assert!(!again.ok && again.stderr.contains("exists already"), "{}", again.stderr);
    let r = with_scripts(
        scripts.path(),
        data.path(),
        &[
            "backtest",
            "--strategy",
            "MyTrend",
            "--param",
            "average=ema",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
            "--json",
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["config"]["strategy_params"]["average"], "ema");
    assert!(!v["trades"].as_array().unwrap().is_empty());
    let bad = with_scripts(scripts.path(), data.path(), &["strategies", "new", "bad name"]);
    assert!(!bad.ok && bad.stderr.contains("letters, digits or _"), "{}", bad.stderr);
}

/// Starts `serve` on a free port with a scripts folder; returns the child and its address.
fn serve(data: &std::path::Path, scripts: &std::path::Path) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = bin()
        .arg("--data-dir")
        .arg(data)
        .arg("--strategies")
        .arg(scripts)
        .args(["serve", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (
        child,
        line.trim().trim_start_matches("listening on http://").to_string(),
    )
}

fn strategies(addr: &str) -> Vec<Value> {
    let (_, body) = http(addr, "GET", "/api/v1/strategies", "");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["strategies"].as_array().unwrap().clone()
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(5), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
    t.elapsed()
}

#[test]
fn scripts_reload_while_the_server_runs_and_runs_keep_their_version() {
    let scripts = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let (mut child, addr) = serve(data.path(), scripts.path());
    let find = |name: &str| strategies(&addr).into_iter().find(|s| s["name"] == name);
    assert!(find("Hot").is_none());
    write(scripts.path(), "hot.luau", &script("Hot", "ctx:enter_long()"));
    let took = wait_until("the new script is listed", || find("Hot").is_some());
    assert!(took < Duration::from_secs(2), "listed after {took:?}");
    let hot = find("Hot").unwrap();
    assert_eq!(
        (hot["source"].as_str(), hot["file"].as_str(), hot["status"].as_str()),
        (Some("script"), Some("hot.luau"), Some("ok"))
    );
    // A run records the version it used.
    let body = r#"{"strategy_name":"Hot","symbols":["BTC/USDT"],"timeframe":"1h"}"#;
    let (code, started) = http(&addr, "POST", "/api/v1/run/backtest", body);
    assert_eq!(code, 200, "{started}");
    wait_until("the backtest ends", || {
        let (_, s) = http(&addr, "GET", "/api/v1/status", "");
        s.contains("\"completed\"")
    });
    let (_, res) = http(&addr, "GET", "/api/v1/results", "");
    let res: Value = serde_json::from_str(&res).unwrap();
    let first_hash = res["config"]["script"]["sha256"].as_str().unwrap().to_string();
    // Edited: the list follows; broken: listed with file:line, and the server carries on.
    write(
        scripts.path(),
        "hot.luau",
        &script("Hot", "if ctx.position == 0 then ctx:enter_long() end"),
    );
    std::thread::sleep(Duration::from_millis(600));
    let (_, _) = http(&addr, "POST", "/api/v1/run/backtest", body);
    wait_until("the second backtest ends", || {
        let (_, r) = http(&addr, "GET", "/api/v1/results", "");
        serde_json::from_str::<Value>(&r).is_ok_and(|r| {
            r["config"]["script"]["sha256"]
                .as_str()
                .is_some_and(|h| h != first_hash)
        })
    });
    write(
        scripts.path(),
        "hot.luau",
        "return { name = 'Hot', on_bar = function(bar) if then end }",
    );
    wait_until("the broken script is listed", || {
        strategies(&addr).iter().any(|s| {
            s["file"] == "hot.luau"
                && s["status"] == "error"
                && s["error"].as_str().is_some_and(|e| e.contains("hot.luau:1"))
        })
    });
    let (code, _) = http(&addr, "GET", "/api/v1/health", "");
    assert_eq!(code, 200);
    // An endless loop fails its run within about a second; the server answers meanwhile.
    write(scripts.path(), "spin.luau", &script("Spin", "while true do end"));
    wait_until("the looping script is listed", || {
        strategies(&addr).iter().any(|s| s["name"] == "Spin")
    });
    let t = Instant::now();
    let (code, _) = http(&addr, "POST", "/api/v1/run/backtest", &body.replace("Hot", "Spin"));
    assert_eq!(code, 200);
    let (code, _) = http(&addr, "GET", "/api/v1/status", "");
    assert_eq!(code, 200);
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "the server stalled: {:?}",
        t.elapsed()
    );
    wait_until("the looping run fails", || {
        let (_, s) = http(&addr, "GET", "/api/v1/status", "");
        s.contains("\"failed\"") && s.contains("ran too long")
    });
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    child.kill().ok();
    child.wait().ok();
}

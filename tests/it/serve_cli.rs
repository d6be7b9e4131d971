//! The `serve` command as a user runs it: the real binary on port 0.

use crate::common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn spawn(dir: &std::path::Path, args: &[&str]) -> Child {
    common::bin()
        .arg("--data-dir")
        .arg(dir)
        .arg("serve")
        .args(args)
        .env_remove("CRACKTRADER_API_KEYS")
        .env_remove("CRACKTRADER_API_PORT")
        .env_remove("CRACKTRADER_API_HOST")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts")
}

fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    common::http(addr, method, path, body)
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(t.elapsed() < limit, "process did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn port_zero_prints_the_address_first_and_sigterm_stops_the_run() {
    let d = tempfile::tempdir().unwrap();
    let mut child = spawn(d.path(), &["--port", "0"]);
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    let (code, body) = http(&addr, "GET", "/api/v1/health", "");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"healthy\""));
    let paper = r#"{"strategy_name":"BuyAndHold","symbols":["BTC/USDT"],"timeframe":"1m","exchange":"sim","exchange_config":{"speed":600},"mode":"paper"}"#;
    let (code, body) = http(&addr, "POST", "/api/v1/run/live", paper);
    assert_eq!(code, 200, "{body}");
    std::thread::sleep(Duration::from_millis(300));
    // SIGTERM: the active run is stopped cleanly and the process exits 0.
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = wait_exit(&mut child, Duration::from_secs(15));
    assert!(status.success(), "exit status {status:?}");
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("stopped"), "the run should end stopped: {err}");
}

#[test]
fn busy_port_bad_host_and_open_bind_fail_at_once() {
    let d = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for (args, needle) in [
        (vec!["--port", port.as_str()], "is in use (127.0.0.1"),
        (vec!["--host", "not-an-ip", "--port", "0"], "invalid --host"),
        (vec!["--host", "0.0.0.0", "--port", "0"], "without API keys"),
        (vec!["--port", "0", "--api-key", "short"], "at least 8 characters"),
    ] {
        let mut child = spawn(d.path(), &args);
        let status = wait_exit(&mut child, Duration::from_secs(10));
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert!(!status.success(), "{args:?} should fail");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

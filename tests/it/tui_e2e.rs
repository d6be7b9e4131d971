//! The real binary in tmux (120x40): keys typed with send-keys, the screen read with capture-pane,
//! and the API asked whether it saw the same run. Needs tmux (`.ci/run` installs it); without it the
//! tests say so and pass only outside CI.

use crate::common;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required in CI (.ci/run installs it)"
        );
        eprintln!("tmux not installed: skipping the end-to-end dashboard test");
    }
    ok
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Session(String);

impl Session {
    fn start(cmd: &str) -> Session {
        let name = format!("ct-e2e-{}-{}", std::process::id(), free_port());
        // A new session can race the tmux server shutting down after another test's last session
        // ended; a second try starts a fresh server.
        let mut ok = false;
        for _ in 0..5 {
            ok = Command::new("tmux")
                .args(["new-session", "-d", "-s", &name, "-x", "120", "-y", "40", cmd])
                .env_remove("NO_COLOR")
                .status()
                .unwrap()
                .success();
            if ok {
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        assert!(ok, "tmux new-session failed");
        Session(name)
    }
    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn keys(&self, k: &str) {
        Command::new("tmux")
            .args(["send-keys", "-t", &self.0, k])
            .status()
            .unwrap();
    }
    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.0])
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
    /// Waits until `pred` holds for the screen; returns it.
    fn wait(&self, what: &str, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
        let t = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(t.elapsed() < limit, "timed out waiting for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .stderr(Stdio::null())
            .status();
    }
}

fn http(port: u16, method: &str, path: &str, body: &str) -> serde_json::Value {
    let (_, body) = common::http(&format!("127.0.0.1:{port}"), method, path, body);
    serde_json::from_str(&body).unwrap_or(serde_json::Value::Null)
}

fn run_id_on(screen: &str) -> String {
    let line = screen.lines().next().unwrap_or("");
    line.split(" │ ")
        .find(|p| p.starts_with("run-"))
        .unwrap_or_else(|| panic!("no run id in header: {line}"))
        .trim()
        .to_string()
}

/// The fill count the status panel shows.
fn trades_on(screen: &str) -> u64 {
    let after = screen
        .split("fills ")
        .nth(1)
        .unwrap_or_else(|| panic!("no fill count on screen:\n{screen}"));
    after
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('│')
        .parse()
        .unwrap()
}

#[test]
fn keyboard_launch_shows_on_screen_and_over_rest() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bin = env!("CARGO_BIN_EXE_cracktrader-tui");
    let s = Session::start(&format!(
        "{bin} --data-dir {} --port {port} --theme nord",
        dir.path().display()
    ));
    let idle = s.wait("the idle dashboard", Duration::from_secs(15), |x| {
        x.contains("IDLE") && x.contains("Run form")
    });
    assert!(idle.contains(&format!("API 127.0.0.1:{port} auth off")), "{idle}");
    // b launches the ready-made form as a backtest on sim.
    s.keys("b");
    let done = s.wait("the backtest to complete", Duration::from_secs(30), |x| {
        x.contains("COMPLETED")
    });
    let id = run_id_on(&done);
    let status = http(port, "GET", "/api/v1/status", "");
    assert_eq!(
        status["run_id"],
        id.as_str(),
        "the API reports the run the keyboard started"
    );
    assert_eq!(status["status"], "completed");
    assert_eq!(status["trade_count"].as_u64().unwrap(), trades_on(&done));
    assert!(done.contains("Trades 1/"), "the trade log is filled:\n{done}");
    // r resets from the keyboard; what REST starts then shows on screen.
    s.keys("r");
    s.wait("the reset", Duration::from_secs(10), |x| x.contains("IDLE"));
    let r = http(
        port,
        "POST",
        "/api/v1/run/backtest",
        r#"{"strategy_name":"BuyAndHold","symbols":["ETH/USDT"],"timeframe":"4h","start_date":"2024-01-01","end_date":"2024-02-01","initial_cash":5000,"exchange":"sim"}"#,
    );
    let rest_id = r["run_id"].as_str().unwrap().to_string();
    let shown = s.wait("the REST run on screen", Duration::from_secs(15), |x| {
        x.contains(&rest_id) && x.contains("COMPLETED")
    });
    assert!(shown.contains("ETH/USDT"), "{shown}");
    // H lists the stored runs; the keyboard's first run is the second line, and Enter opens it.
    s.keys("H");
    s.wait("the run history", Duration::from_secs(10), |x| {
        x.contains("Run history") && x.contains(&id) && x.contains(&rest_id)
    });
    s.keys("Down");
    s.keys("Enter");
    s.wait("the stored run opened", Duration::from_secs(10), |x| {
        run_id_on(x) == id && x.contains("showing stored run")
    });
    s.keys("?");
    s.wait("help", Duration::from_secs(5), |x| x.contains("Keys"));
    s.keys("Escape");
    s.keys("q");
    let t = Instant::now();
    while s.alive() {
        assert!(t.elapsed() < Duration::from_secs(10), "q did not quit:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn serve(dir: &std::path::Path, port: u16) -> Child {
    let mut c = common::bin()
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = [0u8; 9];
    c.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    assert_eq!(&first, b"listening");
    c
}

#[test]
fn remote_console_drives_a_server_and_survives_losing_it() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(dir.path(), port);
    let bin = env!("CARGO_BIN_EXE_cracktrader-tui");
    let ui_dir = tempfile::tempdir().unwrap();
    let s = Session::start(&format!(
        "{bin} --data-dir {} --connect http://127.0.0.1:{port}",
        ui_dir.path().display()
    ));
    s.wait("the remote dashboard", Duration::from_secs(15), |x| {
        x.contains(&format!("remote http://127.0.0.1:{port}")) && x.contains("IDLE")
    });
    s.keys("b");
    let done = s.wait("the remote backtest", Duration::from_secs(30), |x| {
        x.contains("COMPLETED")
    });
    let status = http(port, "GET", "/api/v1/status", "");
    assert_eq!(
        status["run_id"],
        run_id_on(&done).as_str(),
        "the server ran what the remote keyboard launched"
    );
    s.wait("the remote trade log", Duration::from_secs(10), |x| {
        x.contains("Trades 1/")
    });
    // Lose the server: the screen says so and stays responsive.
    server.kill().unwrap();
    server.wait().unwrap();
    s.wait("the lost connection", Duration::from_secs(15), |x| x.contains("LOST"));
    s.keys("?");
    s.wait("help while disconnected", Duration::from_secs(5), |x| {
        x.contains("Keys")
    });
    s.keys("Escape");
    // Bring it back on the same port: the console reconnects by itself.
    let mut again = serve(dir.path(), port);
    s.wait("the reconnection", Duration::from_secs(20), |x| {
        !x.contains("LOST") && x.contains(&format!("remote http://127.0.0.1:{port}"))
    });
    s.keys("q");
    let t = Instant::now();
    while s.alive() {
        assert!(t.elapsed() < Duration::from_secs(10), "q did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }
    again.kill().ok();
    again.wait().ok();
}

impl Session {
    /// A tmux format variable of the pane, e.g. whether the program asked for mouse events.
    fn format(&self, var: &str) -> String {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.0, var])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// Port 8000 taken and no `--port` asked for: the dashboard serves on a free port and says where.
/// It also captures the mouse unless `--no-mouse`.
#[test]
fn a_busy_default_port_moves_the_api_and_the_mouse_is_captured() {
    if !have_tmux() {
        return;
    }
    // Whoever holds 8000 (this test, or something else on the machine), it is busy.
    let _hold = std::net::TcpListener::bind("127.0.0.1:8000");
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_cracktrader-tui");
    let s = Session::start(&format!(
        "env -u CRACKTRADER_API_PORT {bin} --data-dir {} --theme nord",
        dir.path().display()
    ));
    // (Waiting for both: a capture can catch a frame half written.)
    let screen = s.wait("the moved API", Duration::from_secs(15), |x| {
        x.contains("IDLE") && x.contains("port 8000 is in use")
    });
    let header = screen.lines().next().unwrap_or("");
    let port: u16 = header
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|p| p.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no API address in the header: {header}"));
    assert_ne!(port, 8000);
    assert_eq!(http(port, "GET", "/api/v1/health", "")["status"], "healthy");
    assert_eq!(
        s.format("#{mouse_any_flag}"),
        "1",
        "the dashboard asked for mouse events"
    );
    s.keys("q");
    let t = Instant::now();
    while s.alive() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!s.alive(), "q quits");
    // --no-mouse leaves the mouse to the terminal; an explicit busy port is an error, not a move.
    let s = Session::start(&format!(
        "{bin} --data-dir {} --no-api --no-mouse --theme nord",
        dir.path().display()
    ));
    s.wait("the dashboard", Duration::from_secs(15), |x| x.contains("IDLE"));
    assert_eq!(s.format("#{mouse_any_flag}"), "0");
    s.keys("q");
    let s = Session::start(&format!(
        "sh -c '{bin} --data-dir {} --port 8000 --theme nord; echo EXIT=$?; sleep 30'",
        dir.path().display()
    ));
    let screen = s.wait("the refusal", Duration::from_secs(15), |x| x.contains("EXIT="));
    assert!(screen.contains("EXIT=1"), "{screen}");
    assert!(
        screen.contains("port 8000 is in use") && screen.contains("--port 0"),
        "{screen}"
    );
}

//! Dashboard benchmarks (`cargo bench --bench tui`):
//! - one frame of the full dashboard (and of the full-screen chart) with 100,000 trades in the log and
//!   a 1,000,000-point equity curve, at 120x40 into ratatui's TestBackend (goal: under 1 ms);
//! - preparing that curve for drawing (done once when data arrives, not per frame);
//! - start to first frame: themes, config, app state and the first render, in process; and the real
//!   binary in tmux when tmux is installed (time until the form is on screen).

use cracktrader::run::results::{EquityRecord, TradeRecord};
use cracktrader::run::RunStatus;
use cracktrader::runner::status::StatusResponse;
use cracktrader::tui::action::{Action, Connection, RunView};
use cracktrader::tui::app::{ApiInfo, App};
use cracktrader::tui::keys::KeyMap;
use cracktrader::tui::theme::ThemeSet;
use cracktrader::tui::ui::render;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let t0 = Instant::now();
    let themes = ThemeSet::load(None);
    let theme = themes.resolve("default").expect("default theme");
    let now = chrono::Utc::now();
    let mut app = App::new(
        now,
        KeyMap::default(),
        themes.names(),
        0,
        ApiInfo::default(),
        Connection::Local,
    );
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    term.draw(|f| render(f, &app, &theme)).expect("draw");
    let first_frame = t0.elapsed();

    let base = 1_600_000_000_000i64;
    let equity: Vec<EquityRecord> = (0..1_000_000i64)
        .map(|i| {
            let v = 10_000.0 + (i as f64 / 5000.0).sin() * 500.0 + i as f64 * 0.001;
            EquityRecord {
                timestamp: cracktrader::data::validate::fmt_ts(base + i * 60_000),
                value: v,
                cash: v,
                pnl: v - 10_000.0,
                benchmark: Some(10_000.0 + i as f64 * 0.0005),
            }
        })
        .collect();
    let view = RunView {
        status: StatusResponse {
            run_id: Some("bench".into()),
            status: RunStatus::Running,
            trade_count: 100_000,
            ..Default::default()
        },
        equity_curve: equity,
        ..Default::default()
    };
    let t = Instant::now();
    app.update(Action::View(Box::new(view)));
    let prepare = t.elapsed();
    for i in 1..=100_000u64 {
        app.update(Action::Trade(TradeRecord {
            id: i.to_string(),
            order_id: i.to_string(),
            timestamp: cracktrader::data::validate::fmt_ts(base + i as i64 * 600_000),
            symbol: "BTC/USDT".into(),
            side: if i % 2 == 1 { "buy" } else { "sell" }.into(),
            size: 0.1,
            price: 40_000.0,
            value: 4_000.0,
            commission: 4.0,
            fee: 4.0,
            fee_asset: "USDT".into(),
            pnl: (i % 2 == 0).then_some(12.5),
        }));
    }
    assert_eq!(app.trades.len(), 100_000);

    let frames = |app: &App, term: &mut Terminal<TestBackend>| {
        let mut times = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            term.draw(|f| render(f, app, &theme)).expect("draw");
            times.push(t.elapsed());
        }
        median(times)
    };
    let dash = frames(&app, &mut term);
    app.trade_scroll = 50_000;
    let scrolled = frames(&app, &mut term);
    app.update(Action::ToggleChart);
    let chart = frames(&app, &mut term);
    let ok = |d: Duration| if d < Duration::from_millis(1) { "ok" } else { "MISSED" };
    println!("Dashboard at 120x40 with 100,000 trades and 1,000,000 equity points (median of 200 frames):");
    println!("  dashboard frame        {dash:>10.2?}   goal < 1 ms  [{}]", ok(dash));
    println!(
        "  scrolled to fill 50000 {scrolled:>10.2?}   goal < 1 ms  [{}]",
        ok(scrolled)
    );
    println!("  full equity chart      {chart:>10.2?}   goal < 1 ms  [{}]", ok(chart));
    println!("  preparing the 1,000,000-point curve when it arrives: {prepare:.2?} (once per update, not per frame)");
    println!("start to first frame, in process (themes, app state, first render): {first_frame:.2?}");

    // The real binary: time until the form is on a tmux screen.
    let tmux = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if tmux {
        let dir = tempfile::tempdir().expect("tempdir");
        let name = format!("ct-bench-{}", std::process::id());
        let bin = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent()?.parent().map(|d| d.join("cracktrader-tui")))
            .filter(|p| p.exists());
        if let Some(bin) = bin {
            let mut times = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                std::process::Command::new("tmux")
                    .args(["new-session", "-d", "-s", &name, "-x", "120", "-y", "40"])
                    .arg(format!(
                        "{} --data-dir {} --no-api",
                        bin.display(),
                        dir.path().display()
                    ))
                    .status()
                    .expect("tmux");
                loop {
                    let out = std::process::Command::new("tmux")
                        .args(["capture-pane", "-p", "-t", &name])
                        .output()
                        .expect("capture");
                    if String::from_utf8_lossy(&out.stdout).contains("Run form")
                        || t.elapsed() > Duration::from_secs(10)
                    {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                times.push(t.elapsed());
                let _ = std::process::Command::new("tmux")
                    .args(["kill-session", "-t", &name])
                    .status();
            }
            println!(
                "start to first frame, real binary in tmux (includes tmux start-up and 2 ms polling): {:.1?}",
                median(times)
            );
        } else {
            println!("(build the binary with `cargo build --release` to time its start-up in tmux)");
        }
    }
}

//! The whole screen rendered with ratatui's TestBackend, as insta snapshots, plus colour checks.

use chrono::{DateTime, Utc};
use cracktrader::engine::metrics::PerformanceMetrics;
use cracktrader::run::config::Mode;
use cracktrader::run::results::{EquityRecord, OrderRecord, PositionRecord, TradeRecord};
use cracktrader::run::RunStatus;
use cracktrader::runner::events::OrderEvent;
use cracktrader::runner::status::StatusResponse;
use cracktrader::tui::action::{Action, Connection, RunView};
use cracktrader::tui::app::{ApiInfo, App};
use cracktrader::tui::keys::KeyMap;
use cracktrader::tui::theme::{Role, Theme, ThemeSet};
use cracktrader::tui::ui::render;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-15T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn app() -> App {
    let mut a = App::new(
        t0(),
        KeyMap::default(),
        vec!["default".into()],
        0,
        ApiInfo {
            address: Some("http://127.0.0.1:8000".into()),
            auth: false,
        },
        Connection::Local,
    );
    a.update(Action::Tick(t0() + chrono::Duration::seconds(3725)));
    a
}

fn theme() -> Theme {
    ThemeSet::load(None).resolve("default").unwrap()
}

fn ts(i: i64) -> String {
    cracktrader::data::validate::fmt_ts(1_736_000_000_000 + i * 3_600_000)
}

fn trades(n: u64) -> Vec<TradeRecord> {
    (1..=n)
        .map(|i| TradeRecord {
            id: i.to_string(),
            order_id: i.to_string(),
            timestamp: ts(i as i64 * 5),
            symbol: "BTC/USDT".into(),
            side: if i % 2 == 1 { "buy" } else { "sell" }.into(),
            size: 0.25,
            price: 40_000.0 + i as f64 * 10.0,
            value: 10_000.0 + i as f64 * 2.5,
            commission: 10.0,
            fee: 10.0,
            fee_asset: "USDT".into(),
            pnl: (i % 2 == 0).then_some(if i % 4 == 0 { 125.5 } else { -80.25 }),
        })
        .collect()
}

fn run_view(status: RunStatus, value: f64, error: Option<&str>) -> RunView {
    let equity: Vec<EquityRecord> = (0..300)
        .map(|i| {
            let v = 10_000.0 + (value - 10_000.0) * i as f64 / 299.0 + ((i * 37) % 11) as f64 * 15.0;
            EquityRecord {
                timestamp: ts(i),
                value: v,
                cash: v,
                pnl: v - 10_000.0,
                benchmark: Some(10_000.0 + i as f64 * 2.0),
            }
        })
        .collect();
    let active = status.is_active();
    RunView {
        status: StatusResponse {
            run_id: Some("run-20260115-110000-beef".into()),
            status,
            mode: Some(Mode::Backtest),
            start_time: Some("2026-01-15T11:00:00.000Z".into()),
            end_time: (!active).then(|| "2026-01-15T11:00:04.000Z".into()),
            runtime_seconds: Some(4.25),
            cash: Some(value - 2_500.0),
            value: Some(value),
            pnl: Some(value - 10_000.0),
            trade_count: 30,
            error: error.map(String::from),
            progress: active.then_some(0.42),
            ..Default::default()
        },
        positions: vec![PositionRecord {
            symbol: "BTC/USDT".into(),
            size: 0.0625,
            avg_price: 40_000.0,
            last_price: 40_100.0,
            value: 2_506.25,
            unrealized_pnl: 6.25,
        }],
        equity_curve: equity,
        performance_metrics: (!active).then(|| PerformanceMetrics {
            total_return: value / 10_000.0 - 1.0,
            max_drawdown: 0.0832,
            sharpe_ratio: Some(1.234),
            win_rate: Some(0.5),
            total_trades: 14,
            buy_and_hold_return: Some(0.06),
            ..Default::default()
        }),
        recent_trades: trades(30).into_iter().rev().collect(),
        recent_orders: vec![],
        attention: vec![],
        risk_events: vec![],
    }
}

fn with_run(mut a: App, v: RunView) -> App {
    a.update(Action::View(Box::new(v)));
    for t in trades(30) {
        a.update(Action::Trade(t));
    }
    for i in 1..=12 {
        let rec = OrderRecord {
            id: i.to_string(),
            symbol: "BTC/USDT".into(),
            side: if i % 2 == 1 { "buy" } else { "sell" }.into(),
            order_type: "market".into(),
            amount: 0.25,
            price: None,
            stop_price: None,
            status: if i == 12 { "rejected" } else { "filled" }.into(),
            filled: 0.25,
            average_price: Some(40_000.0),
            reason: (i == 12).then(|| "insufficient cash".into()),
            fee: 10.0,
            fee_asset: Some("USDT".into()),
            created_at: String::new(),
            updated_at: String::new(),
        };
        a.update(Action::Order(OrderEvent::from_record(
            &rec,
            1_736_000_000_000 + i * 3_600_000,
        )));
    }
    a
}

fn draw(a: &App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render(f, a, &theme())).unwrap();
    term.backend().buffer().clone()
}

fn text(b: &Buffer) -> String {
    let w = b.area.width as usize;
    b.content
        .chunks(w)
        .map(|row| {
            row.iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Foreground colour of the first cell of `needle` on the screen.
fn colour_of(b: &Buffer, needle: &str) -> ratatui::style::Color {
    let w = b.area.width as usize;
    for (y, row) in b.content.chunks(w).enumerate() {
        let line: String = row.iter().map(|c| c.symbol()).collect();
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count();
            return b.content[y * w + x].fg;
        }
    }
    panic!("'{needle}' not on screen:\n{}", text(b));
}

#[test]
fn idle() {
    for (w, h) in [(120, 40), (80, 24)] {
        let b = draw(&app(), w, h);
        insta::assert_snapshot!(format!("idle_{w}x{h}"), text(&b));
        assert!(text(&b).contains("IDLE"));
    }
}

#[test]
fn running_with_profit_in_profit_colour() {
    let a = with_run(app(), run_view(RunStatus::Running, 10_750.0, None));
    for (w, h) in [(120, 40), (80, 24)] {
        let b = draw(&a, w, h);
        insta::assert_snapshot!(format!("running_{w}x{h}"), text(&b));
        assert_eq!(colour_of(&b, "+750.00"), theme().c(Role::Profit));
        assert_eq!(colour_of(&b, "RUNNING"), theme().c(Role::StatusRunning));
    }
}

#[test]
fn finished_with_loss_in_loss_colour() {
    let a = with_run(app(), run_view(RunStatus::Completed, 9_200.0, None));
    for (w, h) in [(120, 40), (80, 24)] {
        let b = draw(&a, w, h);
        insta::assert_snapshot!(format!("finished_{w}x{h}"), text(&b));
        assert_eq!(colour_of(&b, "-800.00"), theme().c(Role::Loss));
        assert!(text(&b).contains("Sharpe 1.23"));
    }
    // The trade log's realized pnl uses the same roles.
    let b = draw(&a, 120, 40);
    assert_eq!(colour_of(&b, "+125.50"), theme().c(Role::Profit));
    assert_eq!(colour_of(&b, "-80.25"), theme().c(Role::Loss));
}

#[test]
fn error_state_shows_the_banner() {
    let mut a = with_run(app(), run_view(RunStatus::Running, 10_000.0, None));
    a.update(Action::View(Box::new(run_view(
        RunStatus::Failed,
        10_000.0,
        Some("no 1h candles for BTC/USDT in the requested range"),
    ))));
    for (w, h) in [(120, 40), (80, 24)] {
        let b = draw(&a, w, h);
        insta::assert_snapshot!(format!("error_{w}x{h}"), text(&b));
        assert_eq!(
            colour_of(&b, "ERROR"),
            theme().c(Role::Background),
            "the banner tag is reversed on the error colour"
        );
        assert!(text(&b).contains("no 1h candles"));
    }
}

#[test]
fn help_chart_and_too_small() {
    let mut a = with_run(app(), run_view(RunStatus::Completed, 10_500.0, None));
    a.update(Action::ToggleHelp);
    insta::assert_snapshot!("help_120x40", text(&draw(&a, 120, 40)));
    a.update(Action::ToggleHelp);
    a.update(Action::ToggleChart);
    let b = draw(&a, 120, 40);
    insta::assert_snapshot!("chart_120x40", text(&b));
    assert!(text(&b).contains("buy & hold"));
    let small = text(&draw(&a, 79, 23));
    assert!(
        small.contains("Terminal too small") && small.contains("79x23"),
        "{small}"
    );
}

#[test]
fn history_overlay() {
    let mut a = app();
    a.update(Action::ToggleHistory);
    let runs = (1..=3)
        .map(|i| cracktrader::store::RunSummary {
            stored_bytes: 812_000,
            run_id: format!("run-20260115-11000{i}-beef"),
            mode: "backtest".into(),
            status: if i == 2 { "failed" } else { "completed" }.into(),
            strategy: "MovingAverageCross".into(),
            symbols: vec!["BTC/USDT".into()],
            exchange: "sim".into(),
            timeframe: "1h".into(),
            start_time: format!("2026-01-15T11:00:0{i}.000Z"),
            end_time: None,
            final_value: Some(10_000.0 + i as f64 * 100.0),
            initial_cash: Some(10_000.0),
            trade_count: i * 10,
            error: None,
        })
        .collect();
    a.update(Action::HistoryLoaded(Ok(runs)));
    a.update(Action::Down);
    let b = draw(&a, 120, 40);
    insta::assert_snapshot!("history_120x40", text(&b));
    assert_eq!(
        colour_of(&b, "run-20260115-110002-beef").to_owned(),
        theme().c(Role::SelectionFg)
    );
}

#[test]
fn no_color_theme_renders_without_colours() {
    let a = with_run(app(), run_view(RunStatus::Completed, 9_200.0, None));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| render(f, &a, &Theme::monochrome())).unwrap();
    let b = term.backend().buffer();
    assert!(b
        .content
        .iter()
        .all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset));
}

#[test]
fn help_fits_any_terminal_and_scrolls_when_short() {
    let mut a = app();
    a.update(Action::ToggleHelp);
    // Wide: every line whole, nothing cut at the box edge.
    let wide = text(&draw(&a, 200, 60));
    for whole in [
        "edit a text field (Enter again to finish); on a choice, next option",
        "finish editing, close this help or the chart, dismiss a message",
        "strategy list: built-ins and scripts, with broken scripts and why",
        "quit (asks while a paper/live run is active)",
    ] {
        assert!(wide.contains(whole), "cut: {whole}\n{wide}");
    }
    // 80x24: the help is taller than the screen; the last line comes into view by scrolling.
    a.update(Action::Resize(80, 24));
    assert!(!text(&draw(&a, 80, 24)).contains("quit (asks"));
    for _ in 0..30 {
        a.update(Action::Down);
    }
    let scrolled = text(&draw(&a, 80, 24));
    assert!(scrolled.contains("quit (asks"), "{scrolled}");
    assert_eq!(a.form.selected, 0, "arrows scroll the help, not the form behind it");
}

#[test]
fn the_header_drops_the_least_important_parts_first_and_never_cuts_the_api_address() {
    let a = with_run(app(), run_view(RunStatus::Completed, 10_500.0, None));
    for w in [80u16, 100, 120, 200] {
        let b = draw(&a, w, 40);
        let header = text(&b).lines().next().unwrap_or_default().to_string();
        assert!(header.contains("API 127.0.0.1:8000 auth off"), "{w}: {header}");
        assert!(header.contains("COMPLETED"), "{w}: {header}");
    }
    let wide = text(&draw(&a, 200, 40));
    assert!(wide.lines().next().unwrap().contains("cracktrader-tui"));
}

#[test]
fn a_lost_server_marks_the_status_as_stale() {
    let mut a = with_run(app(), run_view(RunStatus::Running, 10_500.0, None));
    a.update(Action::Connection(Connection::Connected("http://127.0.0.1:9".into())));
    a.update(Action::Connection(Connection::Lost {
        url: "http://127.0.0.1:9".into(),
        reason: "refused".into(),
    }));
    let lost = text(&draw(&a, 120, 40));
    assert!(lost.contains("stale since"), "{lost}");
    a.update(Action::Connection(Connection::Connected("http://127.0.0.1:9".into())));
    assert!(!text(&draw(&a, 120, 40)).contains("stale since"));
}

#[test]
fn the_log_view_shows_the_runs_lines_in_place_of_the_lists() {
    let mut a = with_run(app(), run_view(RunStatus::Running, 10_500.0, None));
    a.update(Action::Log(cracktrader::runner::events::LogEvent {
        level: "warning".into(),
        message: "BTC/USDT: an order for 0.000001 (worth 0.04) is below the exchange minimum".into(),
        timestamp: "2026-01-15T12:00:01.000Z".into(),
        risk_event: None,
    }));
    a.update(Action::ToggleLogs);
    let screen = text(&draw(&a, 120, 40));
    assert!(
        screen.contains("Log — L or Esc closes") && screen.contains("is below the"),
        "{screen}"
    );
    assert!(screen.contains("12:00:01 warning"));
}

#[test]
fn a_paper_run_between_bars_shows_its_last_candle_and_how_long_ago() {
    let mut v = run_view(RunStatus::Running, 10_500.0, None);
    v.status.mode = Some(Mode::Paper);
    let mut a = with_run(app(), v);
    let waiting = text(&draw(&a, 120, 40));
    assert!(waiting.contains("waiting for the first candle"), "{waiting}");
    a.update(Action::Ticker(cracktrader::runner::status::TickerEvent {
        symbol: "BTC/USDT".into(),
        timestamp: 1_768_478_400_000,
        open: 1.0,
        high: 1.0,
        low: 1.0,
        close: 41_234.5,
        volume: 1.0,
    }));
    let now = a.now;
    a.update(Action::Tick(now + chrono::Duration::seconds(7)));
    let live = text(&draw(&a, 120, 40));
    assert!(
        live.contains("Last BTC/USDT 41234.50") && live.contains("7s ago"),
        "{live}"
    );
}

#[test]
fn the_footer_follows_dialogs() {
    let mut a = app();
    let footer = |a: &App| text(&draw(a, 120, 40)).lines().last().unwrap_or_default().to_string();
    assert!(footer(&a).contains("b backtest"));
    a.update(Action::ToggleHelp);
    assert!(
        footer(&a).contains("scroll") && !footer(&a).contains("backtest"),
        "{}",
        footer(&a)
    );
    a.update(Action::ToggleHelp);
    a.update(Action::ToggleHistory);
    assert!(
        footer(&a).contains("open") && footer(&a).contains("filter"),
        "{}",
        footer(&a)
    );
}

#[test]
fn the_palette_and_the_filters_show_what_they_do() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let typed = |a: &mut App, s: &str| {
        for c in s.chars() {
            a.update(Action::Edit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
        }
    };
    let mut a = with_run(app(), run_view(RunStatus::Running, 10_750.0, None));
    a.update(Action::Palette);
    typed(&mut a, "hist");
    let screen = text(&draw(&a, 120, 40));
    assert!(screen.contains("Commands"), "{screen}");
    assert!(screen.contains(": hist"), "{screen}");
    let first_entry = screen
        .lines()
        .find(|l| l.contains("run history: open any stored run"))
        .unwrap();
    assert!(first_entry.contains('H'), "each command shows its key: {first_entry}");
    assert!(
        !screen.contains("next colour theme"),
        "non-matching commands are hidden"
    );
    a.update(Action::Esc);
    // A filtered trade log says so in its title, counts the matches, and shows only them.
    a.update(Action::Filter);
    typed(&mut a, "sell");
    let screen = text(&draw(&a, 120, 40));
    assert!(screen.contains("Trades 1/15 /sell▏"), "{screen}");
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("┃2025-")).collect();
    assert!(!rows.is_empty() && rows.iter().all(|l| l.contains("sell")), "{rows:?}");
    assert!(screen.lines().last().unwrap().contains("Esc clear"));
    typed(&mut a, " nope");
    let screen = text(&draw(&a, 120, 40));
    assert!(screen.contains("no fill matches /sell nope"), "{screen}");
}

#[test]
fn a_paper_run_in_warm_up_counts_bars_and_down_to_the_next_one() {
    let mut v = run_view(RunStatus::Running, 10_500.0, None);
    v.status.mode = Some(Mode::Paper);
    v.status.warmup_bars = Some(31);
    v.status.bars_seen = Some(3);
    let a = app();
    let next = a.now + chrono::Duration::seconds(42);
    v.status.next_bar_at = Some(next.to_rfc3339());
    let mut a = with_run(a, v.clone());
    let screen = text(&draw(&a, 120, 40));
    assert!(screen.contains("next in 42s"), "{screen}");
    assert!(screen.contains("warm-up 3 of 31 bars"), "{screen}");
    // A second later the countdown moved; once warm, the warm-up note goes.
    let now = a.now;
    a.update(Action::Tick(now + chrono::Duration::seconds(1)));
    assert!(text(&draw(&a, 120, 40)).contains("next in 41s"));
    v.status.bars_seen = Some(31);
    a.update(Action::View(Box::new(v)));
    let warm = text(&draw(&a, 120, 40));
    assert!(!warm.contains("warm-up"), "{warm}");
}

#[test]
fn an_optimize_run_shows_its_sweep_and_best_so_far() {
    let mut v = run_view(RunStatus::Running, 10_000.0, None);
    v.status.mode = Some(Mode::Optimize);
    v.status.progress = Some(0.75);
    let best: cracktrader::run::sweep::Combination = serde_json::from_value(serde_json::json!({
        "params": {"fast_period": 20, "slow_period": 30},
        "metrics": serde_json::to_value(PerformanceMetrics::default()).unwrap(),
        "final_value": 10_500.0,
        "trades": 12,
        "score": 1.25
    }))
    .unwrap();
    v.status.optimize = Some(cracktrader::runner::status::OptimizeStatus {
        completed: 9,
        combinations: 12,
        best: Some(Box::new(best)),
    });
    let a = with_run(app(), v);
    let screen = text(&draw(&a, 120, 40));
    assert!(
        screen.contains("Sweep 9/12 combinations · best fast_period=20 slow_period=30 (score 1.250)"),
        "{screen}"
    );
    assert!(screen.contains("swept 75%"), "{screen}");
}

#[test]
fn a_finished_sweep_shows_its_heatmap_with_the_best_cell_and_the_ranked_table() {
    use cracktrader::run::sweep::{Axis, Combination, Objective, SweepReport};
    let combo = |fast: i64, slow: i64, score: f64| Combination {
        params: serde_json::json!({"fast_period": fast, "slow_period": slow})
            .as_object()
            .unwrap()
            .clone(),
        metrics: PerformanceMetrics::default(),
        final_value: 10_000.0 + score * 100.0,
        trades: 4,
        score: Some(score),
    };
    let mut results = vec![
        combo(10, 30, 2.5),
        combo(5, 30, 1.0),
        combo(10, 20, 0.5),
        combo(5, 20, -1.0),
    ];
    results.sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap());
    let report = SweepReport {
        run_id: "run-20260115-110000-beef".into(),
        strategy: "MovingAverageCross".into(),
        objective: Objective::Sharpe,
        axes: vec![
            Axis {
                name: "fast_period".into(),
                values: vec![serde_json::json!(5), serde_json::json!(10)],
            },
            Axis {
                name: "slow_period".into(),
                values: vec![serde_json::json!(20), serde_json::json!(30)],
            },
        ],
        combinations: 4,
        completed: 4,
        skipped: 0,
        below_min_trades: 0,
        results,
        best: None,
        walk_forward: None,
        candles: 2000,
        elapsed_ms: 12,
        stopped: false,
    };
    let mut v = run_view(RunStatus::Completed, 10_250.0, None);
    v.status.mode = Some(Mode::Optimize);
    let mut a = app();
    a.update(Action::View(Box::new(v.clone())));
    let cfg = cracktrader::run::config::validate(
        &cracktrader::run::config::RunRequest::backtest("MovingAverageCross", &["BTC/USDT"], "1h"),
        &["sim".into()],
    )
    .unwrap();
    let info = cracktrader::run::results::RunInfo {
        run_id: v.status.run_id.clone().unwrap(),
        status: RunStatus::Completed,
        start_time: String::new(),
        end_time: None,
        error: None,
        warnings: vec![],
    };
    let mut r = cracktrader::run::results::empty(info, cfg);
    r.optimization = Some(Box::new(report));
    a.update(Action::Results(std::sync::Arc::new(r)));
    let screen = text(&draw(&a, 120, 40));
    assert!(screen.contains("Sweep: sharpe over 4 combinations"), "{screen}");
    assert!(screen.contains("[2.50]"), "the best cell is marked: {screen}");
    let row5 = screen
        .lines()
        .find(|l| l.contains("     5 ") && l.contains("-1.00"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(row5.contains("1.00"), "{row5}");
    assert!(
        screen.contains("#1 fast_period=10 slow_period=30 · sharpe 2.500"),
        "{screen}"
    );
    assert!(!screen.contains("no fills yet"), "the sweep replaces the lists");
}

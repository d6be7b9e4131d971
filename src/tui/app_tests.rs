//! `App::update`, action by action.

use super::*;
use crate::run::results::{OrderRecord, TradeRecord};
use crate::runner::status::StatusResponse;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn now() -> DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-01-15T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn app() -> App {
    App::new(
        now(),
        KeyMap::default(),
        vec!["default".into(), "nord".into()],
        0,
        ApiInfo::default(),
        Connection::Local,
    )
}

pub(super) fn view(id: &str, status: RunStatus, mode: Mode) -> Action {
    Action::View(Box::new(RunView {
        status: StatusResponse {
            run_id: Some(id.into()),
            status,
            mode: Some(mode),
            ..Default::default()
        },
        ..Default::default()
    }))
}

pub(crate) fn trade(id: u64) -> TradeRecord {
    TradeRecord {
        id: id.to_string(),
        order_id: id.to_string(),
        timestamp: "2026-01-15T11:00:00Z".into(),
        symbol: "BTC/USDT".into(),
        side: if id % 2 == 1 { "buy" } else { "sell" }.into(),
        size: 0.1,
        price: 40_000.0,
        value: 4_000.0,
        commission: 4.0,
        fee: 4.0,
        fee_asset: "USDT".into(),
        pnl: id
            .is_multiple_of(2)
            .then_some(if id.is_multiple_of(4) { 25.0 } else { -12.5 }),
    }
}

/// A stored run as the history lists it.
pub(super) fn summary(id: &str, strategy: &str) -> crate::store::RunSummary {
    crate::store::RunSummary {
        stored_bytes: 1000,
        run_id: id.into(),
        mode: "backtest".into(),
        status: "completed".into(),
        strategy: strategy.into(),
        symbols: vec!["BTC/USDT".into()],
        exchange: "sim".into(),
        timeframe: "1h".into(),
        start_time: "2026-01-15T11:00:00.000Z".into(),
        end_time: None,
        final_value: Some(11_000.0),
        initial_cash: Some(10_000.0),
        trade_count: 1,
        error: None,
    }
}

pub(super) fn select(a: &mut App, key: FieldKey) {
    a.form.selected = a.form.fields.iter().position(|f| f.key == key).unwrap();
}

pub(super) fn type_text(a: &mut App, s: &str) {
    for c in s.chars() {
        a.update(Action::Edit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
}

fn clear_field(a: &mut App) {
    for _ in 0..40 {
        a.update(Action::Edit(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)));
    }
}

#[test]
fn focus_cycles_and_leaves_editing() {
    let mut a = app();
    a.form.editing = true;
    a.update(Action::FocusNext);
    assert_eq!((a.focus, a.form.editing), (Focus::Trades, false));
    a.update(Action::FocusNext);
    a.update(Action::FocusNext);
    assert_eq!(a.focus, Focus::Form);
    a.update(Action::FocusPrev);
    assert_eq!(a.focus, Focus::Orders);
}

#[test]
fn up_down_move_in_the_form_and_scroll_lists() {
    let mut a = app();
    assert_eq!(a.selected_key(), Some(&FieldKey::Strategy));
    a.update(Action::Down);
    assert_eq!(a.selected_key(), Some(&FieldKey::Param("fast_period".into())));
    a.update(Action::Up);
    a.update(Action::Up);
    assert_eq!(a.selected_key(), Some(&FieldKey::Strategy), "clamped at the top");
    for i in 1..=50 {
        a.update(Action::Trade(trade(i)));
    }
    a.update(Action::FocusNext);
    a.update(Action::Down);
    assert_eq!(a.trade_scroll, 1);
    a.page = 20;
    a.update(Action::PageDown);
    assert_eq!(a.trade_scroll, 21);
    a.update(Action::PageDown);
    a.update(Action::PageDown);
    assert_eq!(a.trade_scroll, 49, "clamped at the oldest fill");
    a.update(Action::PageUp);
    assert_eq!(a.trade_scroll, 29);
    a.update(Action::Trade(trade(51)));
    assert_eq!(a.trade_scroll, 30, "rows being read stay in place as new fills arrive");
}

#[test]
fn left_right_choose_and_strategy_rebuilds_its_parameters() {
    let mut a = app();
    a.update(Action::Right);
    assert_eq!(a.form.get(&FieldKey::Strategy).unwrap().value(), "TestStrategy");
    assert!(a.form.get(&FieldKey::Param("period".into())).is_some());
    assert!(a.form.get(&FieldKey::Param("fast_period".into())).is_none());
    a.update(Action::Left);
    a.update(Action::Left);
    assert_eq!(
        Some(a.form.get(&FieldKey::Strategy).unwrap().value()),
        crate::script::catalog::names().last().cloned(),
        "wraps around to the last strategy (the scripts follow the built-ins)"
    );
    select(&mut a, FieldKey::Mode);
    a.update(Action::Right);
    assert_eq!(a.form.mode(), Mode::Paper);
    assert!(
        a.form
            .visible()
            .iter()
            .any(|&i| a.form.fields[i].key == FieldKey::Speed),
        "sim paper shows speed"
    );
    assert!(!a
        .form
        .visible()
        .iter()
        .any(|&i| a.form.fields[i].key == FieldKey::Start));
    select(&mut a, FieldKey::Exchange);
    a.update(Action::Right);
    assert!(
        a.form
            .visible()
            .iter()
            .any(|&i| a.form.fields[i].key == FieldKey::ApiKey),
        "a real exchange asks for credentials"
    );
}

#[test]
fn enter_edits_text_with_inline_validation_and_esc_finishes() {
    let mut a = app();
    select(&mut a, FieldKey::Param("fast_period".into()));
    a.update(Action::Enter);
    assert!(a.editing());
    clear_field(&mut a);
    type_text(&mut a, "2.5");
    let err = a.form.selected_field().unwrap().error.clone().unwrap();
    assert!(err.contains("whole number"), "{err}");
    clear_field(&mut a);
    type_text(&mut a, "12");
    assert!(a.form.selected_field().unwrap().error.is_none());
    a.update(Action::Esc);
    assert!(!a.editing());
    assert_eq!(
        a.form.get(&FieldKey::Param("fast_period".into())).unwrap().value(),
        "12"
    );
    select(&mut a, FieldKey::Symbols);
    a.update(Action::Enter);
    type_text(&mut a, ",ETHUSDT");
    a.update(Action::Enter);
    assert!(a
        .form
        .selected_field()
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("BASE/QUOTE"));
}

#[test]
fn launch_builds_the_request_or_explains_what_is_wrong() {
    let mut a = app();
    let fx = a.update(Action::Launch(Mode::Backtest));
    let Some(Effect::Start(req)) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(
        (req.strategy_name.as_str(), req.mode, req.symbols.clone()),
        ("MovingAverageCross", Mode::Backtest, vec!["BTC/USDT".to_string()])
    );
    assert_eq!(req.strategy_params["fast_period"], 10);
    // The default window is the API's and the CLI's: no dates, the last 2000 candles.
    assert_eq!((req.start_date.as_deref(), req.end_date.as_deref()), (None, None));
    assert_eq!(req.initial_cash, 10_000.0);
    let fx = a.update(Action::Launch(Mode::Paper));
    let Some(Effect::Start(req)) = fx.first() else { panic!() };
    assert_eq!(
        (req.mode, req.exchange_config["speed"].as_f64()),
        (Mode::Paper, Some(1800.0)),
    );
    assert!(req.start_date.is_none());
    // A bad field blocks the launch and says which.
    select(&mut a, FieldKey::Cash);
    a.update(Action::Enter);
    clear_field(&mut a);
    type_text(&mut a, "-5");
    a.update(Action::Enter);
    assert!(a.update(Action::Launch(Mode::Backtest)).is_empty());
    let b = a.banner.clone().unwrap();
    assert_eq!(b.level, Level::Error);
    assert!(b.text.contains("Cash"), "{}", b.text);
    // b launches a valid form.
    clear_field(&mut a);
    let mut a = app();
    assert!(matches!(
        a.update(Action::Launch(Mode::Backtest)).first(),
        Some(Effect::Start(_))
    ));
    // Never while a run is active.
    a.update(view("r1", RunStatus::Running, Mode::Backtest));
    assert!(a.update(Action::Launch(Mode::Backtest)).is_empty());
    assert!(a.banner.as_ref().unwrap().text.contains("already active"));
}

#[test]
fn credentials_are_masked_and_sent() {
    let mut a = app();
    select(&mut a, FieldKey::Mode);
    a.update(Action::Right);
    select(&mut a, FieldKey::Exchange);
    a.update(Action::Right);
    select(&mut a, FieldKey::ApiKey);
    a.update(Action::Enter);
    type_text(&mut a, "my-api-key");
    a.update(Action::Enter);
    let f = a.form.get(&FieldKey::ApiKey).unwrap();
    assert_eq!(f.display(), "•".repeat(10));
    assert!(!f.display().contains("my-api-key"));
    select(&mut a, FieldKey::Secret);
    a.update(Action::Enter);
    type_text(&mut a, "shh");
    a.update(Action::Enter);
    let Some(Effect::Start(req)) = a.update(Action::Launch(Mode::Paper)).into_iter().next() else {
        panic!()
    };
    assert_eq!(
        (
            req.exchange_config["apiKey"].as_str(),
            req.exchange_config["secret"].as_str()
        ),
        (Some("my-api-key"), Some("shh"))
    );
}

#[test]
fn stop_reset_and_their_guards() {
    let mut a = app();
    assert!(a.update(Action::Stop).is_empty());
    assert!(a.banner.as_ref().unwrap().text.contains("no run"));
    a.update(view("r1", RunStatus::Running, Mode::Backtest));
    assert_eq!(a.update(Action::Stop), vec![Effect::Stop]);
    assert!(a.update(Action::Reset).is_empty(), "no reset while running");
    a.update(view("r1", RunStatus::Stopped, Mode::Backtest));
    assert_eq!(a.update(Action::Reset), vec![Effect::Reset]);
    a.update(view("r2", RunStatus::Running, Mode::Live));
    assert!(a.update(Action::Stop).is_empty());
    assert_eq!(a.confirm, Some(Confirm::StopLive));
    assert!(
        a.update(Action::Launch(Mode::Paper)).is_empty(),
        "other keys wait for the answer"
    );
    assert_eq!(a.update(Action::Confirm(true)), vec![Effect::Stop]);
    a.update(Action::Stop);
    assert!(a.update(Action::Confirm(false)).is_empty());
    assert!(a.confirm.is_none());
}

#[test]
fn quit_asks_while_paper_or_live_runs() {
    let mut a = app();
    assert_eq!(a.update(Action::Quit), vec![Effect::Quit]);
    let mut a = app();
    a.update(view("r1", RunStatus::Running, Mode::Backtest));
    assert_eq!(a.update(Action::Quit), vec![Effect::Quit], "a backtest just stops");
    let mut a = app();
    a.update(view("r1", RunStatus::Running, Mode::Paper));
    assert!(a.update(Action::Quit).is_empty());
    assert_eq!(a.confirm, Some(Confirm::Quit));
    assert!(a.update(Action::Esc).is_empty());
    assert!(!a.quitting);
    a.update(Action::Quit);
    assert_eq!(a.update(Action::Confirm(true)), vec![Effect::Quit]);
    assert!(a.quitting);
    let mut a = app();
    a.update(view("r1", RunStatus::Running, Mode::Paper));
    a.update(Action::Quit);
    assert_eq!(a.update(Action::Quit), vec![Effect::Quit], "a second Ctrl-C means it");
}

#[test]
fn toggles_and_theme() {
    let mut a = app();
    a.update(Action::ToggleChart);
    a.update(Action::ToggleHelp);
    assert!(a.chart && a.help);
    a.update(Action::Esc);
    assert!(!a.chart && !a.help);
    a.update(Action::NextTheme);
    assert_eq!(a.theme_name(), "nord");
    a.update(Action::NextTheme);
    assert_eq!(a.theme_name(), "default");
    a.banner = Some(Banner {
        level: Level::Info,
        text: "x".into(),
    });
    a.update(Action::Esc);
    assert!(a.banner.is_none(), "Esc dismisses a message");
}

#[test]
fn views_trades_results_and_orders() {
    let mut a = app();
    a.update(view("r1", RunStatus::Running, Mode::Backtest));
    a.update(Action::Trade(trade(1)));
    a.update(Action::Trade(trade(2)));
    a.update(Action::Trade(trade(2)));
    a.update(Action::Trade(trade(1)));
    assert_eq!(a.trades.len(), 2, "repeats are dropped");
    let mut finished = RunView {
        status: StatusResponse {
            run_id: Some("r1".into()),
            status: RunStatus::Failed,
            error: Some("no data".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    a.update(Action::View(Box::new(finished.clone())));
    assert_eq!(a.banner.as_ref().map(|b| b.level), Some(Level::Error));
    assert!(a.banner.as_ref().unwrap().text.contains("no data"));
    let info = crate::run::results::RunInfo {
        run_id: "r1".into(),
        status: RunStatus::Completed,
        start_time: String::new(),
        end_time: None,
        error: None,
        warnings: vec![],
    };
    let mut cfg = crate::run::config::validate(&a.form.request(Mode::Backtest), &["sim".into()]).unwrap();
    cfg.initial_cash = 10_000.0;
    let mut r = crate::run::results::empty(info, cfg);
    r.trades = (1..=5).map(trade).collect();
    a.update(Action::Results(Arc::new(r)));
    assert_eq!(a.trades.len(), 5, "complete results replace what the events brought");
    a.update(Action::Trade(trade(9)));
    assert_eq!(a.trades.len(), 5, "late events add nothing once results are in");
    finished.status.run_id = Some("r2".into());
    finished.recent_trades = vec![trade(2), trade(1)];
    a.update(Action::View(Box::new(finished)));
    assert_eq!(
        a.trades.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        vec!["1", "2"],
        "a new run starts a new log"
    );
    for i in 0..(ORDER_STREAM as i64 + 5) {
        let rec = OrderRecord {
            id: i.to_string(),
            symbol: "BTC/USDT".into(),
            side: "buy".into(),
            order_type: "market".into(),
            amount: 1.0,
            price: None,
            stop_price: None,
            status: "filled".into(),
            filled: 1.0,
            average_price: Some(1.0),
            reason: None,
            fee: 0.001,
            fee_asset: Some("USDT".into()),
            created_at: String::new(),
            updated_at: String::new(),
        };
        a.update(Action::Order(OrderEvent::from_record(&rec, i)));
    }
    assert_eq!(a.orders.len(), ORDER_STREAM);
    assert_eq!(
        a.orders.front().unwrap().order_id,
        (ORDER_STREAM + 4).to_string(),
        "newest first"
    );
}

#[test]
fn news_connection_resize_tick_errors() {
    let mut a = app();
    a.update(Action::CommandDone(Err("RUN_ALREADY_ACTIVE: busy".into())));
    assert_eq!(
        a.banner.as_ref().map(|b| (b.level, b.text.as_str())),
        Some((Level::Error, "RUN_ALREADY_ACTIVE: busy"))
    );
    a.update(Action::CommandDone(Ok("started".into())));
    assert_eq!(a.banner.as_ref().unwrap().level, Level::Info);
    a.update(Action::Connection(Connection::Lost {
        url: "http://x:1".into(),
        reason: "refused".into(),
    }));
    assert!(a.banner.as_ref().unwrap().text.contains("lost"));
    a.update(Action::Connection(Connection::Connected("http://x:1".into())));
    assert!(a.banner.as_ref().unwrap().text.contains("reconnected"));
    a.update(Action::Resize(90, 30));
    assert_eq!(a.size, (90, 30));
    let later = now() + chrono::Duration::seconds(61);
    a.update(Action::Tick(later));
    assert_eq!(a.now, later);
    a.update(Action::Error("theme broken".into()));
    assert_eq!(a.banner.as_ref().unwrap().text, "theme broken");
    let t = TickerEvent {
        symbol: "BTC/USDT".into(),
        timestamp: 1,
        open: 1.0,
        high: 1.0,
        low: 1.0,
        close: 1.0,
        volume: 1.0,
    };
    a.update(Action::Ticker(t));
    assert!(a.tickers.contains_key("BTC/USDT"));
    a.update(Action::Left);
    a.update(Action::Confirm(true));
}

#[test]
fn history_lists_and_opens_stored_runs() {
    let mut a = app();
    assert_eq!(a.update(Action::ToggleHistory), vec![Effect::LoadHistory]);
    assert!(a.history.as_ref().unwrap().loading);
    a.update(Action::HistoryLoaded(Ok(vec![
        summary("r2", "BuyAndHold"),
        summary("r1", "BuyAndHold"),
    ])));
    assert!(!a.history.as_ref().unwrap().loading);
    assert!(
        a.update(Action::Launch(Mode::Backtest)).is_empty(),
        "the overlay has the keyboard"
    );
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(a.history.as_ref().unwrap().selected, 1, "clamped at the last run");
    assert_eq!(a.update(Action::Enter), vec![Effect::OpenRun("r1".into())]);
    let info = crate::run::results::RunInfo {
        run_id: "r1".into(),
        status: RunStatus::Completed,
        start_time: "2026-01-15T11:00:00.000Z".into(),
        end_time: Some("2026-01-15T11:00:02.000Z".into()),
        error: None,
        warnings: vec![],
    };
    let cfg = crate::run::config::validate(&a.form.request(Mode::Backtest), &["sim".into()]).unwrap();
    let mut r = crate::run::results::empty(info, cfg);
    r.trades = vec![trade(1), trade(2)];
    r.final_value = 10_500.0;
    a.update(Action::RunOpened(Ok(Arc::new(r))));
    assert!(a.history.is_none());
    assert_eq!(a.view.status.run_id.as_deref(), Some("r1"));
    assert_eq!(
        (a.view.status.pnl, a.view.status.runtime_seconds, a.trades.len()),
        (Some(500.0), Some(2.0), 2)
    );
    a.update(Action::ToggleHistory);
    a.update(Action::Esc);
    assert!(a.history.is_none());
    a.update(Action::ToggleHistory);
    a.update(Action::HistoryLoaded(Err("run history is off".into())));
    assert!(a.history.is_none() && a.banner.as_ref().unwrap().text.contains("history is off"));
}

#[test]
fn real_money_needs_live_typed_in_full() {
    let mut a = app();
    select(&mut a, FieldKey::Exchange);
    a.update(Action::Right);
    select(&mut a, FieldKey::Mode);
    a.update(Action::Right);
    a.update(Action::Right);
    assert_eq!(a.form.mode(), Mode::Live);
    // Testnet (the default) goes straight out, with sandbox on.
    let fx = a.update(Action::Launch(Mode::Live));
    let Some(Effect::Start(req)) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.exchange_config["sandbox"], serde_json::json!(true));
    // Real money asks first.
    select(&mut a, FieldKey::Sandbox);
    a.update(Action::Right);
    assert!(a.form.real_money());
    assert!(a.update(Action::Launch(Mode::Live)).is_empty());
    assert_eq!(a.confirm, Some(Confirm::RealMoney));
    assert!(a.editing(), "typed keys go to the confirmation, not to shortcuts");
    type_text(&mut a, "live");
    assert!(a.update(Action::Enter).is_empty(), "lower case is not LIVE");
    assert!(a.banner.as_ref().unwrap().text.contains("nothing was sent"));
    a.update(Action::Launch(Mode::Live));
    type_text(&mut a, "LIVX");
    a.update(Action::Edit(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)));
    type_text(&mut a, "E");
    let fx = a.update(Action::Enter);
    let Some(Effect::Start(req)) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(
        (req.mode, req.exchange_config["sandbox"].as_bool()),
        (Mode::Live, Some(false))
    );
    assert!(a.confirm.is_none());
    a.update(Action::Enter);
    a.update(Action::Esc);
    assert!(a.confirm.is_none() && a.typed.is_empty());
}

/// The dashboard's real-money launch, confirmed with LIVE, goes through the same start function as the
/// API: without `--allow-live` it is refused with the API's own error, and the screen says so.
#[tokio::test]
async fn real_money_from_the_dashboard_is_refused_without_allow_live() {
    use crate::runner::{RunnerHandle, StartPolicy};
    let mut a = app();
    select(&mut a, FieldKey::Exchange);
    a.update(Action::Right);
    select(&mut a, FieldKey::Mode);
    a.update(Action::Right);
    a.update(Action::Right);
    select(&mut a, FieldKey::Sandbox);
    a.update(Action::Right);
    for (key, value) in [(FieldKey::ApiKey, "k-1"), (FieldKey::Secret, "s-1")] {
        select(&mut a, key);
        a.update(Action::Enter);
        type_text(&mut a, value);
        a.update(Action::Enter);
    }
    a.update(Action::Launch(Mode::Live));
    type_text(&mut a, "LIVE");
    let fx = a.update(Action::Enter);
    let Some(Effect::Start(req)) = fx.first().cloned() else {
        panic!("{fx:?}")
    };
    let dir = tempfile::tempdir().unwrap();
    let backend = crate::tui::backend::Backend::Local(RunnerHandle::spawn(dir.path().to_path_buf()));
    let answer = backend.start(*req.clone()).await;
    let err = answer.unwrap_err().to_string();
    assert!(err.starts_with("LIVE_TRADING_DISABLED"), "{err}");
    a.update(Action::CommandDone(Err(err)));
    assert!(a.banner.as_ref().unwrap().text.contains("--allow-live"));
    assert_eq!(a.status(), RunStatus::Idle, "nothing started");
    // The same request passes the guard on a server that allows real money (it is then validated
    // and started like any other; here only the policy is asked, so nothing goes out).
    let cfg = crate::run::config::validate(&req, &["sim".into(), "binance".into()]).unwrap();
    assert!(StartPolicy { allow_live: true }.check(&cfg).is_ok());
    assert_eq!(
        StartPolicy::default().check(&cfg).unwrap_err().code,
        crate::run::ErrorCode::LiveTradingDisabled
    );
}

#[test]
fn resume_is_offered_only_while_trading_is_paused() {
    let mut a = app();
    assert!(a.update(Action::Resume).is_empty());
    assert!(a.banner.as_ref().unwrap().text.contains("not paused"));
    let mut v = RunView::default();
    v.status.status = RunStatus::Running;
    v.status.mode = Some(Mode::Paper);
    v.status.trading_paused = true;
    v.status.pause_reason = Some("trading paused after 3 consecutive rejected orders".into());
    a.update(Action::View(Box::new(v)));
    assert_eq!(a.update(Action::Resume), vec![Effect::Resume]);
    let key = KeyMap::default().action(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::NONE), false);
    assert!(matches!(key, Some(Action::Resume)), "{key:?}");
}

#[test]
fn a_resync_fills_the_holes_missed_events_left() {
    let mut a = app();
    a.update(view("run-1", RunStatus::Running, Mode::Paper));
    for i in [1, 2, 5] {
        a.update(Action::Trade(trade(i)));
    }
    let mut v = RunView::default();
    v.status.run_id = Some("run-1".into());
    v.status.status = RunStatus::Running;
    // The snapshot's recent fills (newest first) cover 2..=6; 3 and 4 were missed.
    v.recent_trades = (2..=6).rev().map(trade).collect();
    v.recent_orders = vec![OrderRecord {
        id: "9".into(),
        symbol: "BTC/USDT".into(),
        side: "buy".into(),
        order_type: "market".into(),
        amount: 1.0,
        price: None,
        stop_price: None,
        status: "filled".into(),
        filled: 1.0,
        average_price: Some(1.0),
        reason: None,
        fee: 0.0,
        fee_asset: None,
        created_at: "2026-01-15T11:00:00Z".into(),
        updated_at: "2026-01-15T11:00:00Z".into(),
    }];
    a.update(Action::Resync(Box::new(v)));
    let ids: Vec<&str> = a.trades.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, vec!["1", "2", "3", "4", "5", "6"]);
    assert_eq!(a.orders.len(), 1);
    assert_eq!(a.orders[0].timestamp, 1_768_474_800_000);
}

#[test]
fn the_strategy_list_follows_the_catalogue_and_opens_scripts() {
    use crate::tui::action::StrategyEntry;
    let mut a = app();
    let entry = |name: &str, from: &str, error: Option<&str>| StrategyEntry {
        name: name.into(),
        from: from.into(),
        error: error.map(String::from),
        params: Vec::new(),
    };
    a.update(Action::Catalog(vec![
        entry("MovingAverageCross", "built-in", None),
        entry("Mine", "mine.luau", None),
    ]));
    assert!(a.banner.is_none(), "nothing broken, nothing said");
    let names = match &a.form.get(&FieldKey::Strategy).unwrap().kind {
        crate::tui::form::FieldKind::Select { options, .. } => options.clone(),
        _ => unreachable!(),
    };
    assert_eq!(
        names,
        vec!["MovingAverageCross", "Mine"],
        "the form offers what the catalogue has"
    );
    // A script breaks: a banner says so once, with file:line.
    let broken = vec![
        entry("MovingAverageCross", "built-in", None),
        entry("bad", "bad.luau", Some("bad.luau:3: unexpected symbol")),
    ];
    a.update(Action::Catalog(broken.clone()));
    assert!(a.banner.as_ref().unwrap().text.contains("bad.luau:3"));
    a.banner = None;
    a.update(Action::Catalog(broken));
    assert!(a.banner.is_none(), "the same breakage is not repeated");
    // The list: built-ins cannot be edited; a script line opens its file.
    a.update(Action::ToggleStrategies);
    assert!(a.update(Action::Enter).is_empty());
    assert!(a.banner.as_ref().unwrap().text.contains("compiled in"));
    a.update(Action::Down);
    assert_eq!(a.update(Action::Enter), vec![Effect::Edit("bad".into())]);
    assert!(
        a.update(Action::Launch(Mode::Backtest)).is_empty(),
        "keys go to the list while it is open"
    );
    a.update(Action::Esc);
    assert!(a.strategies.is_none());
    let key = KeyMap::default().action(KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT), false);
    assert!(matches!(key, Some(Action::ToggleStrategies)), "{key:?}");
}

#[test]
fn a_connected_console_offers_the_servers_strategies_and_their_parameters() {
    // What a server's GET /strategies says about a script this machine does not have.
    let list = serde_json::json!({"strategies": [
        {"name": "RemoteOnly", "description": "", "source": "script", "file": "remote_only.luau", "status": "ok",
         "params": [
            {"name": "lookback", "type": "int", "default": 12, "min": 2, "max": 50, "description": "bars"},
            {"name": "side", "type": "choice", "default": "short", "choices": ["long", "short"], "description": "way"},
            {"name": "future", "type": "matrix", "default": null, "description": "a type this console does not know"}
         ]},
        {"name": "broken", "description": "", "source": "script", "file": "broken.luau", "status": "error",
         "error": "broken.luau:1: nope", "params": []}
    ]});
    let entries = crate::tui::backend::server_strategies(&list);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].error.as_deref(), Some("broken.luau:1: nope"));
    let mut a = app();
    a.update(Action::Catalog(entries));
    let options = match &a.form.get(&FieldKey::Strategy).unwrap().kind {
        crate::tui::form::FieldKind::Select { options, .. } => options.clone(),
        _ => unreachable!(),
    };
    assert_eq!(options, vec!["RemoteOnly"], "only what the server can run");
    let lookback = a
        .form
        .get(&FieldKey::Param("lookback".into()))
        .expect("its parameter is a field");
    assert_eq!(lookback.value(), "12");
    let side = a.form.get(&FieldKey::Param("side".into())).unwrap();
    assert_eq!(side.value(), "short", "a choice's default is picked by name");
    assert!(a.form.get(&FieldKey::Param("future".into())).is_none());
    // The server's range is what the form checks against.
    let req = a.form.request(Mode::Backtest);
    assert_eq!(req.strategy_name, "RemoteOnly");
    assert_eq!(req.strategy_params["lookback"], 12);
    let at = a
        .form
        .fields
        .iter()
        .position(|f| f.key == FieldKey::Param("lookback".into()))
        .unwrap();
    a.form.fields[at].kind = crate::tui::form::FieldKind::Text(tui_input::Input::new("99".into()));
    assert!(!a.form.validate());
    let error = a.form.fields[at].error.clone().unwrap_or_default();
    assert!(error.contains("lookback") && error.contains("50"), "{error}");
}

#[test]
fn enter_on_a_choice_picks_the_next_option_and_never_launches() {
    let mut a = app();
    select(&mut a, FieldKey::Mode);
    let before = a.form.value(&FieldKey::Mode);
    let fx = a.update(Action::Enter);
    assert!(fx.is_empty(), "Enter on Mode launched: {fx:?}");
    assert_ne!(a.form.value(&FieldKey::Mode), before, "Enter cycles the choice");
    // Launching stays on b/p.
    assert!(matches!(
        a.update(Action::Launch(Mode::Backtest)).as_slice(),
        [Effect::Start(_)]
    ));
}

#[test]
fn on_the_too_small_screen_only_quit_acts() {
    let mut a = app();
    a.update(Action::Resize(60, 20));
    assert!(
        a.update(Action::Launch(Mode::Backtest)).is_empty(),
        "b launched a run nobody could see"
    );
    assert!(a.update(Action::ToggleHelp).is_empty() && !a.help);
    assert!(a.update(Action::ToggleHistory).is_empty() && a.history.is_none());
    assert_eq!(a.update(Action::Quit), vec![Effect::Quit]);
    // Back at a usable size, keys work again.
    let mut a = app();
    a.update(Action::Resize(60, 20));
    a.update(Action::Resize(120, 40));
    assert!(matches!(
        a.update(Action::Launch(Mode::Backtest)).as_slice(),
        [Effect::Start(_)]
    ));
}

#[test]
fn a_refused_launch_changes_nothing_on_the_form() {
    let mut a = app();
    select(&mut a, FieldKey::Mode);
    a.update(Action::Right); // paper
    assert_eq!(a.form.mode(), Mode::Paper);
    a.update(view("r1", RunStatus::Running, Mode::Paper));
    let (fields, selected) = (a.form.fields.len(), a.form.selected);
    assert!(a.update(Action::Launch(Mode::Backtest)).is_empty());
    assert_eq!(
        a.form.mode(),
        Mode::Paper,
        "the refused b switched the form to backtest"
    );
    assert_eq!((a.form.fields.len(), a.form.selected), (fields, selected));
    assert!(a.banner.as_ref().unwrap().text.contains("already active"));
}

#[test]
fn switching_theme_says_which_theme_is_on() {
    let mut a = app();
    a.update(Action::NextTheme);
    assert!(a.banner.as_ref().unwrap().text.contains("nord"), "{:?}", a.banner);
}

#[test]
fn a_run_that_fails_at_once_is_announced_as_a_failure() {
    let mut a = app();
    a.update(view("r0", RunStatus::Completed, Mode::Backtest));
    assert!(matches!(
        a.update(Action::Launch(Mode::Paper)).as_slice(),
        [Effect::Start(_)]
    ));
    // The new run is never seen running: it fails while starting.
    a.update(Action::View(Box::new(RunView {
        status: StatusResponse {
            run_id: Some("r1".into()),
            status: RunStatus::Failed,
            mode: Some(Mode::Paper),
            error: Some("no candles for BTC/USDT; try `data import`".into()),
            ..Default::default()
        },
        ..Default::default()
    })));
    let b = a.banner.clone().unwrap();
    assert_eq!(b.level, Level::Error);
    assert!(b.text.contains("data import"), "{}", b.text);
    // The late answer to the start does not cover it up.
    a.update(Action::CommandDone(Ok("paper run started".into())));
    assert_eq!(a.banner.unwrap().level, Level::Error);
    // A finished run seen at start-up (nothing launched) is not announced.
    let mut quiet = app();
    quiet.update(view("r9", RunStatus::Completed, Mode::Backtest));
    assert!(quiet.banner.is_none());
}

#[test]
fn the_first_connection_is_a_connection_not_a_reconnection() {
    let connecting = || {
        App::new(
            now(),
            KeyMap::default(),
            vec!["default".into()],
            0,
            ApiInfo::default(),
            Connection::Connecting("http://x:1".into()),
        )
    };
    let mut a = connecting();
    a.update(Action::Connection(Connection::Connected("http://x:1".into())));
    let b = a.banner.clone().unwrap();
    assert!(
        b.text.starts_with("connected to") && !b.text.contains("reconnected"),
        "{}",
        b.text
    );
    // Not reachable at first: said plainly, not as a lost connection.
    let mut b2 = connecting();
    b2.update(Action::Connection(Connection::Lost {
        url: "http://x:1".into(),
        reason: "refused".into(),
    }));
    assert!(b2.banner.clone().unwrap().text.contains("cannot reach"));
    b2.update(Action::Connection(Connection::Connected("http://x:1".into())));
    assert!(b2.banner.unwrap().text.starts_with("connected to"));
}

#[test]
fn the_runtime_of_an_active_run_moves_every_second() {
    use crate::tui::ui::status_panel::runtime;
    let mut a = app();
    a.update(Action::View(Box::new(RunView {
        status: StatusResponse {
            run_id: Some("r1".into()),
            status: RunStatus::Running,
            mode: Some(Mode::Paper),
            start_time: Some("2026-01-15T11:59:30Z".into()),
            runtime_seconds: Some(0.0),
            ..Default::default()
        },
        ..Default::default()
    })));
    assert_eq!(runtime(&a), Some(30.0));
    a.update(Action::Tick(now() + chrono::Duration::seconds(5)));
    assert_eq!(runtime(&a), Some(35.0), "no new snapshot needed");
    // Once ended, the server's figure stands.
    a.update(view("r1", RunStatus::Stopped, Mode::Paper));
    assert_eq!(runtime(&a), None);
}

#[test]
fn the_log_view_keeps_the_runs_latest_lines() {
    use crate::runner::events::LogEvent;
    let line = |i: usize| LogEvent {
        level: if i.is_multiple_of(2) { "info" } else { "warning" }.into(),
        message: format!("line {i}"),
        timestamp: "2026-01-15T12:00:00.000Z".into(),
        risk_event: None,
    };
    let mut a = app();
    a.update(view("r1", RunStatus::Running, Mode::Paper));
    for i in 0..LOG_LINES + 20 {
        a.update(Action::Log(line(i)));
    }
    assert_eq!(a.logs.len(), LOG_LINES, "bounded");
    assert_eq!(a.logs.back().unwrap().message, format!("line {}", LOG_LINES + 19));
    let key = KeyMap::default().action(KeyEvent::new(KeyCode::Char('L'), KeyModifiers::SHIFT), false);
    assert!(matches!(key, Some(Action::ToggleLogs)), "{key:?}");
    a.update(Action::ToggleLogs);
    assert!(a.logs_open);
    a.update(Action::Esc);
    assert!(!a.logs_open);
    // A new run starts with an empty log.
    a.update(view("r2", RunStatus::Running, Mode::Paper));
    assert!(a.logs.is_empty());
}

#[test]
fn g_and_shift_g_jump_to_either_end() {
    let mut a = app();
    let km = KeyMap::default();
    let press = |c: char| km.action(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), false);
    assert!(matches!(press('g'), Some(Action::Top)) && matches!(press('G'), Some(Action::Bottom)));
    assert!(matches!(
        km.action(KeyEvent::new(KeyCode::End, KeyModifiers::NONE), false),
        Some(Action::Bottom)
    ));
    // While typing, g is a letter.
    assert!(matches!(
        km.action(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::NONE), true),
        Some(Action::Edit(_))
    ));
    a.update(Action::Bottom);
    let last = *a.form.visible().last().unwrap();
    assert_eq!(a.form.selected, last);
    a.update(Action::Top);
    assert_eq!(a.selected_key(), Some(&FieldKey::Strategy));
    for i in 1..=50 {
        a.update(Action::Trade(trade(i)));
    }
    a.update(Action::FocusNext);
    a.update(Action::Bottom);
    assert_eq!(a.trade_scroll, 49);
    a.update(Action::Top);
    assert_eq!(a.trade_scroll, 0);
}

//! The palette, the `/` filters and the mouse, through `App::update` alone.

use super::tests::{app, select, summary, trade, type_text, view};
use super::*;
use crate::runner::events::OrderEvent;
use crate::tui::action::RunView;
use crate::tui::filter;
use crate::tui::layout;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

fn order(id: u64, status: &str) -> OrderEvent {
    OrderEvent {
        order_id: id.to_string(),
        status: status.into(),
        symbol: if id.is_multiple_of(2) { "ETH/USDT" } else { "BTC/USDT" }.into(),
        side: "buy".into(),
        order_type: "market".into(),
        amount: 0.1,
        filled: 0.0,
        price: None,
        reason: None,
        fee: 0.0,
        fee_asset: None,
        timestamp: 1_768_474_800_000 + id as i64,
    }
}

fn key(code: KeyCode) -> Action {
    Action::Edit(KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn the_palette_finds_commands_by_fuzzy_name_and_runs_them_like_their_keys() {
    let mut a = app();
    assert!(a.update(Action::Palette).is_empty());
    assert!(a.editing(), "typed keys go to the palette's query");
    let all = a.palette_matches();
    for name in ["backtest", "paper", "live", "stop", "history", "filter", "quit"] {
        let e = all
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert!(!e.key.is_empty() && !e.what.is_empty());
    }
    assert_eq!(all.iter().find(|e| e.name == "history").unwrap().key, "H");
    type_text(&mut a, "hstry");
    assert_eq!(a.palette_matches()[0].name, "history");
    assert_eq!(a.update(Action::Enter), vec![Effect::LoadHistory]);
    assert!(a.palette.is_none() && a.history.is_some(), "ran as H would");
    a.update(Action::Esc);
    // Arrows move the selection; Esc closes without running anything.
    a.update(Action::Palette);
    type_text(&mut a, "t");
    let second = a.palette_matches()[1].name.clone();
    a.update(key(KeyCode::Down));
    assert_eq!(a.palette.as_ref().unwrap().selected, 1);
    a.update(key(KeyCode::Backspace));
    assert_eq!(a.palette.as_ref().unwrap().selected, 0, "a new query starts at the top");
    assert_ne!(second, "");
    assert!(a.update(Action::Esc).is_empty());
    assert!(a.palette.is_none());
    // Nothing matches: Enter does nothing.
    a.update(Action::Palette);
    type_text(&mut a, "zzzzqqq");
    assert!(a.palette_matches().is_empty());
    assert!(a.update(Action::Enter).is_empty());
    assert!(a.palette.is_none());
    // News passes while it is open.
    a.update(Action::Palette);
    a.update(Action::Trade(trade(1)));
    assert_eq!(a.trades.len(), 1);
    assert!(a.palette.is_some());
}

#[test]
fn slash_filters_the_trade_log_the_order_stream_and_the_history() {
    let mut a = app();
    a.update(view("r1", RunStatus::Running, Mode::Backtest));
    for i in 1..=6 {
        a.update(Action::Trade(trade(i)));
    }
    // From the form, `/` filters the trade log.
    a.update(Action::Filter);
    assert_eq!(
        (a.focus, a.filters.editing),
        (Focus::Trades, Some(filter::FilterTarget::Trades))
    );
    type_text(&mut a, "SELL");
    let hits = a.trade_hits().unwrap();
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|&i| a.trades[i].side == "sell"));
    assert!(hits.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(a.update(Action::Enter), vec![]);
    assert!(
        a.filters.editing.is_none() && a.filters.trades == "SELL",
        "Enter keeps it"
    );
    a.update(Action::Bottom);
    assert_eq!(a.trade_scroll, 2, "scrolling stays within the matches");
    a.update(Action::Filter);
    type_text(&mut a, " nothing");
    assert_eq!(a.trade_hits().unwrap().len(), 0);
    a.update(Action::Esc);
    assert!(a.trade_hits().is_none() && a.filters.trades.is_empty(), "Esc clears");
    // The order stream has its own.
    for (i, st) in [(1, "filled"), (2, "rejected"), (3, "rejected"), (4, "open")] {
        a.update(Action::Order(order(i, st)));
    }
    a.update(Action::FocusNext);
    assert_eq!(a.focus, Focus::Orders);
    a.update(Action::Filter);
    type_text(&mut a, "rej eth");
    let hits = a.order_hits().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(a.orders[hits[0]].order_id, "2");
    a.update(Action::Enter);
    assert!(
        a.trade_hits().is_none(),
        "the trade log is not filtered by the order query"
    );
    // The history.
    a.update(Action::ToggleHistory);
    a.update(Action::HistoryLoaded(Ok(vec![
        summary("r3", "BuyAndHold"),
        summary("r2", "MovingAverageCross"),
        summary("r1", "MovingAverageCross"),
    ])));
    a.update(Action::Filter);
    assert_eq!(a.filters.editing, Some(filter::FilterTarget::History));
    type_text(&mut a, "moving");
    assert_eq!(a.history_hits(), vec![1, 2]);
    a.update(Action::Enter);
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(a.history.as_ref().unwrap().selected, 1, "clamped at the last match");
    assert_eq!(a.update(Action::Enter), vec![Effect::OpenRun("r1".into())]);
}

#[test]
fn clicks_focus_panels_pick_fields_and_open_history_rows_and_the_wheel_scrolls() {
    let mut a = app();
    a.update(Action::Resize(120, 40));
    a.update(view("r1", RunStatus::Running, Mode::Backtest));
    for i in 1..=30 {
        a.update(Action::Trade(trade(i)));
    }
    for i in 1..=10 {
        a.update(Action::Order(order(i, "filled")));
    }
    let s = layout::screen(Rect::new(0, 0, 120, 40), false, false, a.banner.is_some(), false);
    let (t, o) = (s.trades.unwrap(), s.orders.unwrap());
    a.update(Action::Click {
        col: t.x + 2,
        row: t.y + 2,
    });
    assert_eq!(a.focus, Focus::Trades);
    a.update(Action::Click {
        col: o.x + 2,
        row: o.y + 2,
    });
    assert_eq!(a.focus, Focus::Orders);
    // The wheel scrolls the list under it, whichever has focus.
    a.update(Action::Wheel {
        col: t.x + 2,
        row: t.y + 3,
        lines: 3,
    });
    assert_eq!((a.trade_scroll, a.order_scroll), (3, 0));
    a.update(Action::Wheel {
        col: t.x + 2,
        row: t.y + 3,
        lines: -3,
    });
    a.update(Action::Wheel {
        col: t.x + 2,
        row: t.y + 3,
        lines: -3,
    });
    assert_eq!(a.trade_scroll, 0, "not above the top");
    // A form row picks that field; a second click on a text field edits it.
    let rows = layout::form_rows(s.form);
    let visible = a.form.visible();
    a.update(Action::Click {
        col: rows.x + 3,
        row: rows.y + 4,
    });
    assert_eq!((a.focus, a.form.selected), (Focus::Form, visible[4]));
    let text_pos = visible.iter().position(|&i| a.form.fields[i].is_text()).unwrap();
    let row = rows.y + text_pos as u16;
    a.update(Action::Click { col: rows.x + 3, row });
    assert!(!a.form.editing, "the first click selects");
    a.update(Action::Click { col: rows.x + 3, row });
    assert!(a.form.editing, "the second click edits");
    // The wheel over the form moves the selection.
    a.form.editing = false;
    let before = a.form.selected;
    a.update(Action::Wheel {
        col: rows.x + 3,
        row,
        lines: 3,
    });
    assert_ne!(a.form.selected, before);
    // A history row opens that run; the header line does nothing.
    a.update(Action::ToggleHistory);
    a.update(Action::HistoryLoaded(Ok(vec![summary("r2", "A"), summary("r1", "B")])));
    let inner = layout::inner(layout::list_overlay(Rect::new(0, 0, 120, 40)));
    assert!(a
        .update(Action::Click {
            col: inner.x + 3,
            row: inner.y
        })
        .is_empty());
    assert_eq!(
        a.update(Action::Click {
            col: inner.x + 3,
            row: inner.y + 2
        }),
        vec![Effect::OpenRun("r1".into())]
    );
    // A confirmation takes no clicks.
    a.history = None;
    a.confirm = Some(Confirm::Quit);
    a.focus = Focus::Form;
    a.update(Action::Click {
        col: t.x + 2,
        row: t.y + 2,
    });
    assert_eq!((a.focus, a.confirm), (Focus::Form, Some(Confirm::Quit)));
    // Nor does the too-small screen.
    a.confirm = None;
    a.update(Action::Resize(60, 20));
    a.update(Action::Click { col: 50, row: 15 });
    assert_eq!(a.focus, Focus::Form);
}

#[test]
fn a_click_on_a_palette_entry_runs_it() {
    let mut a = app();
    a.update(Action::Resize(120, 40));
    a.update(Action::Palette);
    type_text(&mut a, "chart");
    let rows = crate::tui::mouse::palette_rows(Rect::new(0, 0, 120, 40));
    a.update(Action::Click {
        col: rows.x + 2,
        row: rows.y,
    });
    assert!(a.chart && a.palette.is_none());
}

#[test]
fn p_on_a_form_set_to_live_launches_live() {
    let mut a = app();
    select(&mut a, crate::tui::form::FieldKey::Exchange);
    a.update(Action::Right);
    select(&mut a, crate::tui::form::FieldKey::Mode);
    while a.form.mode() != Mode::Live {
        a.update(Action::Right);
    }
    let fx = a.update(Action::Launch(Mode::Paper));
    let Some(Effect::Start(req)) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.mode, Mode::Live);
    assert_eq!(a.form.mode(), Mode::Live, "the form keeps its mode");
}

#[test]
fn after_reconnecting_the_console_says_what_happened_meanwhile() {
    let mut a = App::new(
        chrono::Utc::now(),
        KeyMap::default(),
        vec!["default".into()],
        0,
        ApiInfo::default(),
        Connection::Connecting("http://x:1".into()),
    );
    let status = |id: &str, st: RunStatus, fills: u64, value: f64| {
        Action::View(Box::new(RunView {
            status: crate::runner::status::StatusResponse {
                run_id: Some(id.into()),
                status: st,
                mode: Some(Mode::Paper),
                trade_count: fills,
                value: Some(value),
                ..Default::default()
            },
            ..Default::default()
        }))
    };
    let lost = || {
        Action::Connection(Connection::Lost {
            url: "http://x:1".into(),
            reason: "refused".into(),
        })
    };
    a.update(Action::Connection(Connection::Connected("http://x:1".into())));
    a.update(status("r1", RunStatus::Running, 2, 10_000.0));
    a.update(lost());
    a.update(lost());
    a.update(Action::Connection(Connection::Connected("http://x:1".into())));
    a.update(status("r1", RunStatus::Completed, 5, 10_250.0));
    let text = a.banner.clone().unwrap().text;
    assert!(
        text.contains("meanwhile r1 went running -> completed, 3 new fills, value 10000.00 -> 10250.00"),
        "{text}"
    );
    // The next view is news as usual, not another summary.
    a.update(status("r1", RunStatus::Completed, 5, 10_250.0));
    assert_eq!(a.banner.clone().unwrap().text, text);
    // Another run started while away.
    a.update(lost());
    a.update(Action::Connection(Connection::Connected("http://x:1".into())));
    a.update(status("r2", RunStatus::Running, 1, 10_000.0));
    let text = a.banner.clone().unwrap().text;
    assert!(
        text.contains("run r1 is no longer current; now r2 (running, 1 fills)"),
        "{text}"
    );
    // Nothing changed: said so.
    a.update(lost());
    a.update(Action::Connection(Connection::Connected("http://x:1".into())));
    a.update(status("r2", RunStatus::Running, 1, 10_000.0));
    assert!(a
        .banner
        .clone()
        .unwrap()
        .text
        .contains("r2 stayed running: 0 new fills"));
}

#[test]
fn the_default_paper_speed_shows_a_bar_every_two_seconds_at_any_timeframe() {
    let mut a = app();
    let speed = |a: &mut App| {
        let Some(Effect::Start(req)) = a.update(Action::Launch(Mode::Paper)).into_iter().next() else {
            panic!("no start")
        };
        a.view = RunView::default();
        req.exchange_config["speed"].as_f64()
    };
    assert_eq!(a.form.value(&crate::tui::form::FieldKey::Timeframe), "1h");
    assert_eq!(speed(&mut a), Some(1800.0), "an hour's bar every 2 s");
    select(&mut a, crate::tui::form::FieldKey::Speed);
    a.update(Action::Enter);
    for _ in 0..10 {
        a.update(key(KeyCode::Backspace));
    }
    type_text(&mut a, "fast");
    a.update(Action::Enter);
    assert!(a
        .form
        .selected_field()
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("or auto"));
    a.update(Action::Enter);
    for _ in 0..10 {
        a.update(key(KeyCode::Backspace));
    }
    type_text(&mut a, "60");
    a.update(Action::Enter);
    assert_eq!(speed(&mut a), Some(60.0), "a typed speed is kept");
}

/// A sweep from the form: ranges and lists in parameter fields become the grid; `b` starts it.
#[test]
fn the_form_on_optimize_sends_a_grid_and_a_finished_sweep_runs_a_combination() {
    use crate::tui::form::FieldKey;
    let mut a = app();
    select(&mut a, FieldKey::Mode);
    while a.form.mode() != Mode::Optimize {
        a.update(Action::Right);
    }
    assert!(a
        .form
        .visible()
        .iter()
        .any(|&i| a.form.fields[i].key == FieldKey::Objective));
    let set = |a: &mut App, key: FieldKey, text: &str| {
        select(a, key);
        a.update(Action::Enter);
        for _ in 0..20 {
            a.update(Action::Edit(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)));
        }
        type_text(a, text);
        a.update(Action::Enter);
    };
    // Nothing swept yet: said so, nothing sent.
    assert!(a.update(Action::Launch(Mode::Backtest)).is_empty());
    assert!(a.banner.as_ref().unwrap().text.contains("nothing to sweep"));
    set(&mut a, FieldKey::Param("fast_period".into()), "50..5");
    assert!(a
        .form
        .selected_field()
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("must go up"));
    set(&mut a, FieldKey::Param("fast_period".into()), "5..15:5");
    set(&mut a, FieldKey::Param("slow_period".into()), "20,30");
    assert!(a.form.selected_field().unwrap().error.is_none());
    let fx = a.update(Action::Launch(Mode::Backtest));
    let Some(Effect::Optimize(req)) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(
        req.grid["fast_period"],
        serde_json::json!({"start": 5, "end": 15, "step": 5})
    );
    assert_eq!(req.grid["slow_period"], serde_json::json!([20, 30]));
    assert!(
        !req.strategy_params.contains_key("fast_period"),
        "swept ones are not fixed"
    );
    assert_eq!(req.objective, Some(crate::run::sweep::Objective::Sharpe));
    // The sweep finishes: its table is on screen, the cursor moves, Enter runs that combination.
    let combo = |fast: i64, slow: i64, score: f64| crate::run::sweep::Combination {
        params: serde_json::json!({"fast_period": fast, "slow_period": slow})
            .as_object()
            .unwrap()
            .clone(),
        metrics: Default::default(),
        final_value: 10_000.0 + score,
        trades: 3,
        score: Some(score),
    };
    let report = crate::run::sweep::SweepReport {
        run_id: "r9".into(),
        strategy: "MovingAverageCross".into(),
        objective: crate::run::sweep::Objective::Sharpe,
        axes: vec![],
        combinations: 2,
        completed: 2,
        skipped: 0,
        below_min_trades: 0,
        results: vec![combo(10, 30, 2.0), combo(5, 20, 1.0)],
        best: None,
        walk_forward: None,
        candles: 100,
        elapsed_ms: 5,
        stopped: false,
    };
    a.update(view("r9", RunStatus::Completed, Mode::Optimize));
    let plain = crate::run::config::RunRequest::backtest("MovingAverageCross", &["BTC/USDT"], "1h");
    let cfg = crate::run::config::validate(&plain, &["sim".into()]).unwrap();
    let info = crate::run::results::RunInfo {
        run_id: "r9".into(),
        status: RunStatus::Completed,
        start_time: String::new(),
        end_time: None,
        error: None,
        warnings: vec![],
    };
    let mut r = crate::run::results::empty(info, cfg);
    r.optimization = Some(Box::new(report));
    a.update(Action::Results(std::sync::Arc::new(r)));
    assert!(a.sweep().is_some());
    a.update(Action::FocusNext);
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(a.sweep_sel, 1, "clamped at the last combination");
    let fx = a.update(Action::Enter);
    let Some(Effect::Start(req)) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.mode, Mode::Backtest);
    assert_eq!(
        (
            req.strategy_params["fast_period"].clone(),
            req.strategy_params["slow_period"].clone()
        ),
        (serde_json::json!(5), serde_json::json!(20))
    );
}

//! Scripted strategies driving the engine bar by bar, with every expected fill worked out by hand.

use super::*;
use crate::engine::clock::HistoricalClock;
use crate::engine::execution::SimulatedExecution;
use crate::engine::metrics;
use crate::engine::risk::{RiskAction, RiskLimits, RiskRule};
use crate::engine::timeframe::Timeframe;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Submits the scripted requests on the given bar indices.
struct Script {
    bar: usize,
    plan: Vec<(usize, Side, OrderKind, f64)>,
    enter_on: Vec<usize>,
}

impl Strategy for Script {
    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        for &(i, side, kind, amount) in &self.plan {
            if i == self.bar {
                ctx.submit(side, kind, amount);
            }
        }
        if self.enter_on.contains(&self.bar) {
            ctx.enter_long(bar.close);
        }
        self.bar += 1;
    }
}

fn engine(
    sizing: Sizing,
    commission: f64,
    plan: Vec<(usize, Side, OrderKind, f64)>,
    enter_on: Vec<usize>,
) -> Engine<HistoricalClock, SimulatedExecution, NoEvents> {
    let cfg = EngineConfig {
        initial_cash: 1000.0,
        commission,
        symbols: 1,
        sizing,
        max_orders_per_sec: 10,
        risk: Default::default(),
    };
    Engine::new(
        cfg,
        HistoricalClock::default(),
        SimulatedExecution::new(1, 0.0),
        NoEvents,
        vec![Box::new(Script { bar: 0, plan, enter_on })],
    )
}

fn bar(i: i64, o: f64, h: f64, l: f64, c: f64) -> Candle {
    Candle::new(i * 60_000, o, h, l, c, 1.0)
}

fn feed(e: &mut Engine<HistoricalClock, SimulatedExecution, NoEvents>, bars: &[Candle]) {
    for b in bars {
        e.on_candle(0, b);
        e.end_step(b.ts);
    }
}

#[test]
fn stop_loss_fires_and_cancels_take_profit() {
    let sizing = Sizing {
        size: Some(2.0),
        stake_pct: 0.95,
        stop_loss: Some(0.1),
        take_profit: Some(0.2),
    };
    let mut e = engine(sizing, 0.0, vec![], vec![0]);
    feed(
        &mut e,
        &[
            bar(0, 100.0, 101.0, 99.0, 100.0),
            bar(1, 100.0, 105.0, 95.0, 100.0),
            bar(2, 98.0, 99.0, 85.0, 88.0),
            bar(3, 88.0, 130.0, 88.0, 125.0),
        ],
    );
    let out = e.finish();
    // Entry at bar 1 open (100); stop at 90 placed then, filled on bar 2 (low 85 touches it) at 90.
    assert_eq!(out.fills.len(), 2);
    assert_eq!((out.fills[0].price, out.fills[0].ts), (100.0, 60_000));
    assert_eq!(
        (out.fills[1].price, out.fills[1].ts, out.fills[1].side),
        (90.0, 120_000, Side::Sell)
    );
    let tp = out
        .orders
        .iter()
        .find(|o| matches!(o.kind, OrderKind::Limit { .. }))
        .unwrap();
    assert_eq!(
        tp.status,
        OrderStatus::Cancelled,
        "take-profit must not fill on bar 3 after the stop closed the trade"
    );
    assert!((out.portfolio.cash - (1000.0 - 200.0 + 180.0)).abs() < 1e-9);
}

#[test]
fn take_profit_fires_when_reached() {
    let sizing = Sizing {
        size: Some(1.0),
        stake_pct: 0.95,
        stop_loss: Some(0.1),
        take_profit: Some(0.05),
    };
    let mut e = engine(sizing, 0.0, vec![], vec![0]);
    // Entry at 100; take-profit limit at 105: bar 2 gaps open at 107, so it fills at the open.
    feed(
        &mut e,
        &[
            bar(0, 100.0, 100.0, 100.0, 100.0),
            bar(1, 100.0, 102.0, 99.0, 101.0),
            bar(2, 107.0, 108.0, 106.0, 107.0),
        ],
    );
    let out = e.finish();
    assert_eq!(out.fills.len(), 2);
    assert_eq!(out.fills[1].price, 107.0);
    assert_eq!(out.round_trips.len(), 1);
    assert!((out.round_trips[0].pnl - 7.0).abs() < 1e-9);
}

#[test]
fn unaffordable_orders_are_rejected_not_shrunk() {
    let plan = vec![
        (0, Side::Buy, OrderKind::Market, 9.0),
        (1, Side::Buy, OrderKind::Market, 1.0),
    ];
    let mut e = engine(Sizing::default(), 0.001, plan, vec![]);
    // Bar 1 opens at 120: 9 x 120 = 1080 > 1000 cash. Bar 2: 1 x 100 + fee fits.
    feed(
        &mut e,
        &[
            bar(0, 100.0, 100.0, 100.0, 100.0),
            bar(1, 120.0, 121.0, 119.0, 120.0),
            bar(2, 100.0, 100.0, 100.0, 100.0),
        ],
    );
    let out = e.finish();
    assert_eq!(out.orders[0].status, OrderStatus::Rejected);
    assert!(out.orders[0].reason.as_deref().unwrap().contains("insufficient cash"));
    assert_eq!(out.orders[0].filled, 0.0);
    assert_eq!(out.orders[1].status, OrderStatus::Filled);
    assert_eq!(out.fills.len(), 1);
    assert!((out.portfolio.cash - (1000.0 - 100.0 - 0.1)).abs() < 1e-9);
}

#[test]
fn selling_more_than_held_is_rejected() {
    let plan = vec![
        (0, Side::Buy, OrderKind::Market, 1.0),
        (1, Side::Sell, OrderKind::Market, 2.0),
    ];
    let mut e = engine(Sizing::default(), 0.0, plan, vec![]);
    feed(
        &mut e,
        &[
            bar(0, 10.0, 10.0, 10.0, 10.0),
            bar(1, 10.0, 10.0, 10.0, 10.0),
            bar(2, 10.0, 10.0, 10.0, 10.0),
        ],
    );
    let out = e.finish();
    assert_eq!(out.orders[1].status, OrderStatus::Rejected);
    assert!(out.orders[1].reason.as_deref().unwrap().contains("long-only"));
}

#[test]
fn limit_and_stop_orders_wait_for_their_price() {
    let plan = vec![
        (0, Side::Buy, OrderKind::Limit { price: 95.0 }, 1.0),
        (0, Side::Buy, OrderKind::Stop { stop: 110.0 }, 1.0),
    ];
    let mut e = engine(Sizing::default(), 0.0, plan, vec![]);
    feed(
        &mut e,
        &[
            bar(0, 100.0, 101.0, 99.0, 100.0),
            bar(1, 100.0, 104.0, 96.0, 100.0),
            bar(2, 100.0, 112.0, 94.0, 100.0),
            bar(3, 100.0, 100.0, 100.0, 100.0),
        ],
    );
    let out = e.finish();
    // Neither fills on bar 1; both on bar 2: the limit at 95, the stop at 110.
    let prices: Vec<(f64, i64)> = out.fills.iter().map(|f| (f.price, f.ts)).collect();
    assert_eq!(prices, vec![(95.0, 120_000), (110.0, 120_000)]);
}

#[test]
fn rate_limit_rejects_excess_orders_with_reason() {
    let plan: Vec<_> = (0..12)
        .map(|_| (0, Side::Buy, OrderKind::Limit { price: 1.0 }, 1.0))
        .collect();
    let mut e = engine(Sizing::default(), 0.0, plan, vec![]);
    feed(&mut e, &[bar(0, 100.0, 100.0, 100.0, 100.0)]);
    let out = e.finish();
    let limited = out
        .orders
        .iter()
        .filter(|o| o.reason.as_deref() == Some("rate_limited"))
        .count();
    assert_eq!(limited, 2);
    assert!(out.orders[10..].iter().all(|o| o.status == OrderStatus::Rejected));
}

#[test]
fn strategy_exit_cancels_protection_and_sells_everything() {
    struct EnterThenExit(usize);
    impl Strategy for EnterThenExit {
        fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
            match self.0 {
                0 => ctx.enter_long(bar.close),
                2 => ctx.exit_long(),
                _ => {}
            }
            self.0 += 1;
        }
    }
    let sizing = Sizing {
        size: None,
        stake_pct: 0.5,
        stop_loss: Some(0.5),
        take_profit: None,
    };
    let cfg = EngineConfig {
        initial_cash: 1000.0,
        commission: 0.0,
        symbols: 1,
        sizing,
        max_orders_per_sec: 0,
        risk: Default::default(),
    };
    let mut e = Engine::new(
        cfg,
        HistoricalClock::default(),
        SimulatedExecution::new(1, 0.0),
        NoEvents,
        vec![Box::new(EnterThenExit(0))],
    );
    feed(
        &mut e,
        &[
            bar(0, 10.0, 10.0, 10.0, 10.0),
            bar(1, 10.0, 10.0, 10.0, 10.0),
            bar(2, 12.0, 12.0, 12.0, 12.0),
            bar(3, 11.0, 11.0, 11.0, 11.0),
        ],
    );
    let out = e.finish();
    assert_eq!(out.fills.len(), 2);
    assert_eq!(out.fills[0].size, 50.0, "0.5 x 1000 cash / close 10");
    assert_eq!((out.fills[1].size, out.fills[1].price), (50.0, 11.0));
    assert_eq!(
        out.orders[1].status,
        OrderStatus::Cancelled,
        "the stop-loss is cancelled by the exit"
    );
    assert!((out.portfolio.cash - 1050.0).abs() < 1e-9);
}

#[test]
fn metrics_by_hand() {
    // Equity path 1000 -> 1100 -> 990 -> 1089 with one winning and one losing round trip.
    let mut e = engine(Sizing::default(), 0.0, vec![], vec![]);
    feed(&mut e, &[bar(0, 1.0, 1.0, 1.0, 1.0), bar(1, 1.0, 1.0, 1.0, 2.0)]);
    let mut out = e.finish();
    out.curve = crate::engine::curve::CurveStats::new(1000.0);
    [1100.0, 990.0, 1089.0].iter().for_each(|&v| out.curve.push(v));
    out.portfolio.cash = 1089.0;
    out.portfolio.total_commission = 3.0;
    out.steps_in_market = 2;
    out.round_trips = vec![
        RoundTrip {
            symbol: 0,
            entry_ts: 0,
            exit_ts: 1,
            bars: 2,
            pnl: 100.0,
            ret: 0.1,
        },
        RoundTrip {
            symbol: 0,
            entry_ts: 1,
            exit_ts: 2,
            bars: 4,
            pnl: -50.0,
            ret: -0.05,
        },
    ];
    let m = metrics::compute(&out, Timeframe::D1);
    let r = [0.1, -0.1, 0.1];
    let mean = 0.1 / 3.0;
    let sd = (r.iter().map(|x: &f64| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
    let ann = 365f64.sqrt();
    let eq = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    assert!(eq(m.total_return, 0.089));
    assert!(eq(m.max_drawdown, 0.1), "peak 1100 -> 990");
    assert_eq!(m.max_drawdown_duration_bars, 2);
    assert!(eq(m.sharpe_ratio.unwrap(), mean / sd * ann));
    assert!(eq(m.sortino_ratio.unwrap(), mean / (0.01f64 / 3.0).sqrt() * ann));
    assert!(eq(m.volatility.unwrap(), sd * ann));
    assert!(eq(m.cagr.unwrap(), 1.089f64.powf(365.0 / 3.0) - 1.0));
    assert!(eq(m.calmar_ratio.unwrap(), m.cagr.unwrap() / 0.1));
    assert_eq!(m.total_trades, 2);
    assert!(eq(m.win_rate.unwrap(), 0.5));
    assert!(eq(m.profit_factor.unwrap(), 2.0));
    assert!(eq(m.expectancy.unwrap(), 25.0));
    assert!(eq(m.avg_trade_return.unwrap(), 0.025));
    assert_eq!((m.best_trade, m.worst_trade), (Some(0.1), Some(-0.05)));
    assert!(eq(m.avg_trade_duration_bars.unwrap(), 3.0));
    assert!(eq(m.exposure, 2.0 / 3.0));
    assert!(eq(m.total_commission, 3.0));
    assert!(eq(m.buy_and_hold_return.unwrap(), 1.0), "close 1 -> 2");
}

#[test]
fn metrics_of_a_flat_run_are_null_not_nan() {
    let mut e = engine(Sizing::default(), 0.0, vec![], vec![]);
    feed(&mut e, &[bar(0, 1.0, 1.0, 1.0, 1.0), bar(1, 1.0, 1.0, 1.0, 1.0)]);
    let m = metrics::compute(&e.finish(), Timeframe::H1);
    assert_eq!(
        (m.sharpe_ratio, m.sortino_ratio, m.profit_factor, m.win_rate),
        (None, None, None, None)
    );
    assert_eq!(m.max_drawdown, 0.0);
    let json = serde_json::to_string(&m).unwrap();
    assert!(!json.contains("NaN") && json.contains("\"sharpe_ratio\":null"));
}

/// Enters long whenever flat (like BuyAndHold, but re-entering after an exit).
struct AlwaysLong;

impl Strategy for AlwaysLong {
    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        ctx.enter_long(bar.close);
    }
}

/// Records what observers were told, so tests can check notices.
#[derive(Default)]
struct Notices(Vec<Notice>);

impl EventSink for Notices {
    fn notice(&mut self, n: &Notice) {
        self.0.push(n.clone());
    }
}

fn risk_engine(
    sizing: Sizing,
    risk: RiskLimits,
    strategy: Box<dyn Strategy>,
) -> Engine<HistoricalClock, SimulatedExecution, Notices> {
    let cfg = EngineConfig {
        initial_cash: 1000.0,
        commission: 0.0,
        symbols: 1,
        sizing,
        max_orders_per_sec: 0,
        risk,
    };
    Engine::new(
        cfg,
        HistoricalClock::default(),
        SimulatedExecution::new(1, 0.0),
        Notices::default(),
        vec![strategy],
    )
}

fn flat(i: i64, p: f64) -> Candle {
    bar(i, p, p, p, p)
}

#[test]
fn max_drawdown_closes_everything_and_ends_the_run() {
    use crate::engine::replay::{replay, ReplayEnd};
    let sizing = Sizing {
        size: Some(5.0),
        ..Sizing::default()
    };
    let limits = RiskLimits {
        max_drawdown: Some(0.1),
        ..RiskLimits::default()
    };
    let mut e = risk_engine(sizing, limits, Box::new(AlwaysLong));
    // Buy 5 at 100 (bar 1's open); rise to 120 (peak 1100); fall to 100: value 1000, 9.1% down; then
    // 96: value 980, 10.9% below the 1100 peak -> sell 5 at the next open (95); nothing after that.
    let prices = [100.0, 100.0, 120.0, 100.0, 96.0, 95.0, 90.0, 80.0];
    let bars: Vec<Candle> = prices.iter().enumerate().map(|(i, &p)| flat(i as i64, p)).collect();
    let end = replay(&mut e, &[&bars[..]], None, |_, _| {});
    assert_eq!(end, ReplayEnd::Halted);
    assert_eq!(e.halted(), Some(RiskRule::MaxDrawdown));
    let events = e.risk_events().to_vec();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].rule, events[0].action),
        (RiskRule::MaxDrawdown, RiskAction::Liquidate)
    );
    assert!((events[0].value - (1.0 - 980.0 / 1100.0)).abs() < 1e-12);
    assert_eq!(events[0].ts, 4 * 60_000);
    let out = e.finish();
    assert_eq!(out.fills.len(), 2);
    assert_eq!((out.fills[1].side, out.fills[1].price), (Side::Sell, 95.0));
    assert_eq!(out.portfolio.positions[0].size, 0.0);
    assert_eq!(out.equity.len(), 6, "the run ends on the bar the closing order filled");
    assert!((out.portfolio.cash - (1000.0 - 500.0 + 475.0)).abs() < 1e-9);
    assert_eq!(out.halted, Some(RiskRule::MaxDrawdown));
}

#[test]
fn max_daily_loss_is_measured_from_the_utc_days_opening_equity() {
    let sizing = Sizing {
        size: Some(5.0),
        ..Sizing::default()
    };
    let limits = RiskLimits {
        max_daily_loss: Some(0.05),
        ..RiskLimits::default()
    };
    let mut e = risk_engine(sizing, limits, Box::new(AlwaysLong));
    let day = crate::engine::risk::DAY_MS;
    let at = |ts: i64, p: f64| Candle::new(ts, p, p, p, p, 1.0);
    // Day 0: buy 5 at 100, drift down to 92 (value 960, -4% on the day: fine).
    // Day 1 opens at 960; 82 makes 910, -5.2% on the day -> liquidate at the next open.
    let bars = [
        at(0, 100.0),
        at(60_000, 100.0),
        at(120_000, 92.0),
        at(day, 92.0),
        at(day + 60_000, 90.0),
        at(day + 120_000, 82.0),
        at(day + 180_000, 81.0),
    ];
    for b in &bars[..5] {
        e.on_candle(0, b);
        e.end_step(b.ts);
        assert!(e.halted().is_none(), "{b:?}");
    }
    e.on_candle(0, &bars[5]);
    e.end_step(bars[5].ts);
    assert_eq!(e.halted(), Some(RiskRule::MaxDailyLoss));
    let ev = e.risk_events()[0];
    assert!((ev.value - (1.0 - 910.0 / 960.0)).abs() < 1e-12, "{ev:?}");
    e.on_candle(0, &bars[6]);
    e.end_step(bars[6].ts);
    assert!(e.wound_down());
    assert_eq!(e.portfolio().positions[0].size, 0.0);
}

#[test]
fn max_position_value_cuts_entries_and_blocks_when_full() {
    let limits = RiskLimits {
        max_position_value: Some(300.0),
        ..RiskLimits::default()
    };
    // stake 95% of 1000 at 100 would be 9.5 units (950): cut to 3 units (300).
    let mut e = risk_engine(Sizing::default(), limits, Box::new(AlwaysLong));
    feed_n(&mut e, &[flat(0, 100.0), flat(1, 100.0)]);
    assert_eq!(e.portfolio().positions[0].size, 3.0);
    let ev = e.risk_events()[0];
    assert_eq!((ev.rule, ev.action), (RiskRule::MaxPositionValue, RiskAction::Cut));
    assert!((ev.value - 950.0).abs() < 1e-9 && ev.limit == 300.0, "{ev:?}");
}

fn feed_n<S: EventSink>(e: &mut Engine<HistoricalClock, SimulatedExecution, S>, bars: &[Candle]) {
    for b in bars {
        e.on_candle(0, b);
        e.end_step(b.ts);
    }
}

/// Places a limit buy far below the market every bar: none fill.
struct LowBids;

impl Strategy for LowBids {
    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        ctx.submit(Side::Buy, OrderKind::Limit { price: bar.close / 2.0 }, 0.1);
    }
}

#[test]
fn max_open_orders_refuses_further_orders_and_says_so_once() {
    let limits = RiskLimits {
        max_open_orders: Some(2),
        ..RiskLimits::default()
    };
    let mut e = risk_engine(Sizing::default(), limits, Box::new(LowBids));
    feed_n(&mut e, &(0..6).map(|i| flat(i, 100.0)).collect::<Vec<_>>());
    assert_eq!(e.orders().len(), 2, "two working, the rest never placed");
    let blocked: Vec<_> = e
        .risk_events()
        .iter()
        .filter(|r| r.rule == RiskRule::MaxOpenOrders)
        .collect();
    assert_eq!(blocked.len(), 1, "reported once per episode: {blocked:?}");
    assert_eq!(blocked[0].action, RiskAction::Blocked);
}

#[test]
fn cooldown_holds_off_entries_after_a_stop_loss() {
    let sizing = Sizing {
        size: Some(1.0),
        stake_pct: 0.95,
        stop_loss: Some(0.05),
        take_profit: None,
    };
    let run = |cooldown: Option<u32>| {
        let limits = RiskLimits {
            cooldown_bars: cooldown,
            ..RiskLimits::default()
        };
        let mut e = risk_engine(sizing, limits, Box::new(AlwaysLong));
        // Buy at 100 (bar 1), stop at 95 hit on bar 2; then flat prices.
        let mut bars = vec![flat(0, 100.0), flat(1, 100.0), bar(2, 100.0, 100.0, 90.0, 92.0)];
        bars.extend((3..12).map(|i| flat(i, 92.0)));
        feed_n(&mut e, &bars);
        let buys: Vec<i64> = e
            .fills()
            .iter()
            .filter(|f| f.side == Side::Buy)
            .map(|f| f.ts / 60_000)
            .collect();
        (buys, e.risk_events().to_vec())
    };
    let (buys, events) = run(None);
    assert_eq!(buys, vec![1, 3], "without a cooldown the strategy re-enters at once");
    assert!(events.is_empty());
    let (buys, events) = run(Some(4));
    // The stop filled on bar 2 (the 3rd bar seen); entries wait 4 bars: signal on bar 6, fill on 7.
    assert_eq!(buys, vec![1, 7]);
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].rule, events[0].action),
        (RiskRule::CooldownBars, RiskAction::Cooldown)
    );
}

/// Buys far more than the cash allows every bar: every order is rejected.
struct Greedy;

impl Strategy for Greedy {
    fn on_bar(&mut self, _: &Candle, ctx: &mut Ctx<'_>) {
        ctx.submit(Side::Buy, OrderKind::Market, 1_000.0);
    }
}

#[test]
fn repeated_rejections_pause_trading_until_resumed() {
    let limits = RiskLimits {
        max_consecutive_rejections: 3,
        ..RiskLimits::default()
    };
    let mut e = risk_engine(Sizing::default(), limits, Box::new(Greedy));
    feed_n(&mut e, &(0..10).map(|i| flat(i, 100.0)).collect::<Vec<_>>());
    assert_eq!(e.orders().len(), 3, "no order after the third rejection");
    assert!(e.orders().iter().all(|o| o.status == OrderStatus::Rejected));
    let why = e.paused().unwrap().to_string();
    assert!(
        why.contains("3 consecutive rejected orders") && why.contains("insufficient cash"),
        "{why}"
    );
    assert!(e.sink_mut().0.iter().any(|n| matches!(n, Notice::Paused(_))));
    assert!(e.resume());
    assert!(!e.resume(), "nothing to resume twice");
    feed_n(&mut e, &(10..20).map(|i| flat(i, 100.0)).collect::<Vec<_>>());
    assert_eq!(e.orders().len(), 6, "three more tries, then paused again");
    assert!(e.sink_mut().0.contains(&Notice::Resumed));
}

#[test]
fn exchange_fills_book_fees_in_the_asset_charged() {
    use crate::engine::types::AssetCode;
    let mut e = risk_engine(
        Sizing {
            size: Some(1.0),
            ..Sizing::default()
        },
        RiskLimits::default(),
        Box::new(AlwaysLong),
    );
    e.set_min_tradable(0, 0.01);
    e.on_candle(0, &flat(0, 100.0));
    let id = e.orders()[0].id;
    // Two trades: the first charges 0.001 of the base asset, the second 0.0002 BNB worth 0.12.
    e.on_exchange_fill(
        id,
        &ExchangeFill {
            price: 100.0,
            size: 0.5,
            fee: 0.0005,
            fee_asset: FeeAsset::Base,
            fee_value: 0.05,
        },
    );
    e.on_exchange_fill(
        id,
        &ExchangeFill {
            price: 100.0,
            size: 0.5,
            fee: 0.0002,
            fee_asset: FeeAsset::Other(AssetCode::new("BNB")),
            fee_value: 0.12,
        },
    );
    let p = e.portfolio();
    assert!((p.positions[0].size - 0.9995).abs() < 1e-12);
    assert!((p.cash - 900.0).abs() < 1e-12);
    assert!((p.total_commission - 0.17).abs() < 1e-12);
    let o = &e.orders()[0];
    assert_eq!(o.status, OrderStatus::Filled);
    assert!((o.fee - 0.17).abs() < 1e-12);
    assert_eq!(e.fills()[1].fee_asset, FeeAsset::Other(AssetCode::new("BNB")));
    // The exchange holds less than the engine thought: the exchange wins.
    assert_eq!(e.reconcile_position(0, 0.9, 0.005), Some(0.9995));
    assert_eq!(e.reconcile_position(0, 0.9001, 0.005), None, "within tolerance");
    assert!(e
        .sink_mut()
        .0
        .iter()
        .any(|n| matches!(n, Notice::Reconciled { to, .. } if *to == 0.9)));
}

#[test]
fn orders_below_the_exchange_minimum_are_not_placed_and_reported_once_per_streak() {
    use crate::engine::OrderMinimum;
    let sized = |size| Sizing {
        size: Some(size),
        ..Sizing::default()
    };
    // 0.01 units at 100 is worth 1: below a minimum value of 5, asked for on every bar.
    let mut e = risk_engine(sized(0.01), RiskLimits::default(), Box::new(AlwaysLong));
    e.set_order_minimum(
        0,
        OrderMinimum {
            amount: 0.001,
            notional: 5.0,
        },
    );
    feed_n(&mut e, &(0..50).map(|i| flat(i, 100.0)).collect::<Vec<_>>());
    assert!(e.orders().is_empty(), "nothing below the minimum reaches the exchange");
    assert_eq!(e.below_minimum_skipped(), 50);
    let reported = e
        .sink_mut()
        .0
        .iter()
        .filter(|n| matches!(n, Notice::BelowMinimum { .. }))
        .count();
    assert_eq!(reported, 1, "one notice for the streak, not one per bar");
    // At a price where the same amount is worth enough, the order goes out.
    feed_n(&mut e, &(50..52).map(|i| flat(i, 1000.0)).collect::<Vec<_>>());
    assert_eq!(e.orders().len(), 1);
    // An amount below the minimum amount is refused whatever it is worth.
    let mut e = risk_engine(sized(0.0001), RiskLimits::default(), Box::new(AlwaysLong));
    e.set_order_minimum(
        0,
        OrderMinimum {
            amount: 0.001,
            notional: 0.0,
        },
    );
    feed_n(&mut e, &(0..5).map(|i| flat(i, 1e9)).collect::<Vec<_>>());
    assert!(e.orders().is_empty());
}

#[test]
fn a_capped_equity_curve_stays_bounded_and_ends_at_the_last_value() {
    let bars: Vec<Candle> = (0..1000).map(|i| flat(i, 100.0 + (i % 37) as f64)).collect();
    let run = |cap: Option<usize>| {
        let mut e = risk_engine(Sizing::default(), RiskLimits::default(), Box::new(AlwaysLong));
        if let Some(c) = cap {
            e.cap_equity(c);
        }
        feed_n(&mut e, &bars);
        e.finish()
    };
    let full = run(None);
    assert_eq!(
        (full.equity.len(), full.curve.steps(), full.equity_stride),
        (1000, 1000, 1)
    );
    // A cap above the run's length changes nothing, bit for bit.
    let roomy = run(Some(5000));
    let tf = Timeframe::H1;
    assert_eq!(metrics::compute(&full, tf), metrics::compute(&roomy, tf));
    // A small cap: never more than cap points (+ the final one), on a power-of-two stride.
    let capped = run(Some(64));
    assert!(capped.equity.len() <= 65, "{}", capped.equity.len());
    assert!(capped.equity_stride.is_power_of_two() && capped.equity_stride >= 16);
    assert_eq!(capped.curve.steps(), 1000);
    assert_eq!(capped.equity.last().unwrap().ts, full.equity.last().unwrap().ts);
    assert_eq!(capped.equity.last().unwrap().value, full.equity.last().unwrap().value);
    let steps: Vec<i64> = capped.equity.windows(2).map(|w| w[1].ts - w[0].ts).collect();
    let stride_ms = capped.equity_stride as i64 * (bars[1].ts - bars[0].ts);
    assert!(steps[..steps.len() - 1].iter().all(|&d| d == stride_ms), "{steps:?}");
    // Metrics see every step, whatever the stored curve kept: the same, bit for bit.
    assert_eq!(metrics::compute(&full, tf), metrics::compute(&capped, tf));
}

/// Hides a replayed strategy's promise of quiet bars, so the engine calls it on every bar; counts
/// the calls either way.
struct Calls<const LOUD: bool>(crate::engine::strategy::signals::Replayed, std::sync::Arc<AtomicUsize>);

impl<const LOUD: bool> Strategy for Calls<LOUD> {
    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        self.1.fetch_add(1, Ordering::Relaxed);
        self.0.on_bar(bar, ctx);
    }
    fn quiet_before(&self) -> Option<i64> {
        if LOUD {
            None
        } else {
            self.0.quiet_before()
        }
    }
}

/// Everything a sink hears, bar by bar.
#[derive(Default)]
struct Tape(Vec<String>);
impl EventSink for Tape {
    fn candle(&mut self, symbol: SymbolIdx, bar: &Candle) {
        self.0.push(format!("candle {symbol} {bar:?}"));
    }
    fn step(&mut self, point: &EquityPoint, portfolio: &Portfolio, kept: bool) {
        let last = portfolio.positions[0].last_price;
        self.0.push(format!("step {point:?} {last} {kept}"));
    }
    fn fill(&mut self, fill: &Fill) {
        self.0.push(format!("fill {fill:?}"));
    }
}

fn replayed_run<S: EventSink + Default, const LOUD: bool>(
    sink: S,
    sizing: Sizing,
    keep_curve: bool,
    bars: &[Candle],
    events: &[(i64, crate::engine::strategy::signals::Action)],
) -> (RunOutput, S, usize) {
    use crate::engine::strategy::signals::Replayed;
    let cfg = EngineConfig {
        initial_cash: 1000.0,
        commission: 0.001,
        symbols: 1,
        sizing,
        max_orders_per_sec: 0,
        risk: Default::default(),
    };
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let strategy = Calls::<LOUD>(Replayed::new(events.to_vec()), calls.clone());
    let execution = SimulatedExecution::new(1, 5.0);
    let mut e = Engine::new(
        cfg,
        HistoricalClock::default(),
        execution,
        sink,
        vec![Box::new(strategy)],
    );
    if !keep_curve {
        e.discard_equity_curve();
    }
    crate::engine::replay::replay(&mut e, &[bars], None, |_, _| {});
    let heard = std::mem::take(e.sink_mut());
    (e.finish(), heard, calls.load(Ordering::Relaxed))
}

/// A replayed strategy run over quiet stretches (the engine steps over bars on which nothing can
/// happen) produces exactly what calling it on every bar produces: orders, fills, the equity curve,
/// every figure of the run, and what a sink hears bar by bar. With and without protective orders
/// (which keep the engine from stepping over bars while they work), with and without a stored
/// curve, with a listening sink and a silent one.
#[test]
fn quiet_stretches_give_what_stepping_every_bar_gives() {
    use crate::engine::strategy::signals::Action;
    let mut price = 100.0f64;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let bars: Vec<Candle> = (0..6000)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let open = price;
            // Flat bars now and then: ties with the peak and zero returns.
            if !seed.is_multiple_of(5) {
                price *= 1.0 + ((seed >> 20) % 2001) as f64 / 100_000.0 - 0.01;
            }
            bar(i, open, open.max(price) * 1.002, open.min(price) * 0.998, price)
        })
        .collect();
    // The last 200 bars are one quiet stretch: what it leaves behind is what the run ends with.
    let events: Vec<(i64, Action)> = (0..5800i64)
        .filter(|i| i % 37 == 5 || i % 53 == 11)
        .enumerate()
        .map(|(k, i)| {
            (
                i * 60_000,
                if k % 3 == 2 {
                    Action::ExitLong
                } else {
                    Action::EnterLong
                },
            )
        })
        .collect();
    let protected = Sizing {
        stop_loss: Some(0.01),
        take_profit: Some(0.015),
        ..Sizing::default()
    };
    for sizing in [Sizing::default(), protected] {
        for keep in [true, false] {
            let (quiet, heard, calls) = replayed_run::<Tape, false>(Tape::default(), sizing, keep, &bars, &events);
            let (loud, loud_heard, loud_calls) =
                replayed_run::<Tape, true>(Tape::default(), sizing, keep, &bars, &events);
            assert_eq!(
                format!("{quiet:?}"),
                format!("{loud:?}"),
                "{sizing:?}, curve kept: {keep}"
            );
            assert_eq!(heard.0, loud_heard.0, "{sizing:?}, curve kept: {keep}");
            assert_eq!(loud_calls, bars.len());
            assert!(
                calls < bars.len() / 2,
                "{calls} calls: the engine stepped over quiet bars"
            );
            let (silent, _, _) = replayed_run::<NoEvents, false>(NoEvents, sizing, keep, &bars, &events);
            assert_eq!(format!("{silent:?}"), format!("{loud:?}"));
            assert!(
                quiet.fills.len() > 100 && quiet.round_trips.len() > 50,
                "{} fills",
                quiet.fills.len()
            );
        }
    }
}

//! Property tests over many generated runs: the accounting identities must hold for any strategy,
//! parameters, market, costs and symbol count. Inputs come from the sim market and a seeded generator,
//! so a failure names the case that broke and reproduces exactly.

use cracktrader::data::sim;
use cracktrader::engine::core::NoEvents;
use cracktrader::engine::replay::replay;
use cracktrader::engine::types::{Candle, Side};
use cracktrader::engine::Timeframe;
use cracktrader::run::backtest;
use cracktrader::run::config::{self, Mode, RunRequest};
use serde_json::{json, Map, Value};

struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn random_params(g: &mut Gen, strategy: &str) -> Map<String, Value> {
    let mut p = match strategy {
        "MovingAverageCross" => {
            let f = g.range(2, 15);
            json!({"fast_period": f, "slow_period": f + g.range(1, 30)})
        }
        "TestStrategy" => {
            json!({"period": g.range(2, 40), "threshold": g.range(0, 20) as f64 / 1000.0})
        }
        "RsiMeanReversion" => {
            json!({"period": g.range(2, 20), "lower": g.range(10, 45), "upper": g.range(55, 90)})
        }
        "Breakout" => json!({"lookback": g.range(2, 40)}),
        _ => json!({}),
    };
    let m = p.as_object_mut().unwrap();
    match g.range(0, 3) {
        0 => {
            m.insert("stop_loss".into(), json!(g.range(5, 80) as f64 / 1000.0));
        }
        1 => {
            m.insert("take_profit".into(), json!(g.range(5, 80) as f64 / 1000.0));
        }
        2 => {
            m.insert("stop_loss".into(), json!(g.range(5, 50) as f64 / 1000.0));
            m.insert("take_profit".into(), json!(g.range(5, 50) as f64 / 1000.0));
        }
        _ => {}
    }
    // Occasionally stake everything, so cash rejections at fill time happen too.
    if g.range(0, 4) == 0 {
        m.insert("stake_pct".into(), json!(1.0));
    }
    p.as_object().unwrap().clone()
}

#[test]
fn accounting_identities_hold_across_random_runs() {
    let mut g = Gen(42);
    let strategies = [
        "MovingAverageCross",
        "TestStrategy",
        "RsiMeanReversion",
        "Breakout",
        "BuyAndHold",
    ];
    let symbols = ["BTC/USDT", "ETH/USDT", "SOL/BTC", "DOGE/USDT", "XYZ/EUR"];
    let tfs = [Timeframe::M5, Timeframe::M15, Timeframe::H1];
    let mut total_fills = 0;
    let mut rejected = 0;
    for case in 0..60 {
        let strategy = *g.pick(&strategies);
        let tf = *g.pick(&tfs);
        let nsym = g.range(1, 3) as usize;
        let syms: Vec<String> = (0..nsym)
            .map(|i| symbols[(case + i) % symbols.len()].to_string())
            .collect();
        let start = 1_577_836_800_000 + g.range(0, 1000) as i64 * 86_400_000;
        let end = start + g.range(300, 1500) as i64 * tf.millis();
        let req = RunRequest {
            strategy_name: strategy.into(),
            strategy_params: random_params(&mut g, strategy),
            symbols: syms.clone(),
            timeframe: tf.as_str().into(),
            start_date: None,
            end_date: None,
            initial_cash: g.range(100, 100_000) as f64,
            exchange: "sim".into(),
            commission: Some(g.range(0, 30) as f64 / 10_000.0),
            slippage_bps: Some(g.range(0, 50) as f64),
            mode: Mode::Backtest,
            data_file: None,
            exchange_config: Map::new(),
            risk: Map::new(),
        };
        let cfg = config::validate(&req, &["sim".to_string()]).unwrap_or_else(|e| panic!("case {case}: {e}"));
        let series: Vec<Vec<Candle>> = syms.iter().map(|s| sim::candles(s, tf, start, end).unwrap()).collect();
        let mut eng = backtest::engine(&cfg, NoEvents).unwrap();
        let slices: Vec<&[Candle]> = series.iter().map(|s| s.as_slice()).collect();
        replay(&mut eng, &slices, None, |_, _| {});
        let out = eng.finish();
        let ctx = format!("case {case}: {strategy} {:?} {syms:?} {tf}", cfg.strategy_params);

        // Rebuild cash and positions from the fills alone, then check every equity point against
        // cash + positions marked at the closes of the candles seen up to that point.
        let (mut cash, mut pos) = (cfg.initial_cash, vec![0.0f64; nsym]);
        let mut last_close = vec![f64::NAN; nsym];
        let mut fi = 0;
        let mut idx = vec![0usize; nsym];
        let mut peak = cfg.initial_cash;
        for p in &out.equity {
            for s in 0..nsym {
                if let Some(c) = series[s].get(idx[s]).filter(|c| c.ts == p.ts) {
                    last_close[s] = c.close;
                    idx[s] += 1;
                }
            }
            while let Some(f) = out.fills.get(fi).filter(|f| f.ts <= p.ts) {
                let notional = f.size * f.price;
                assert!(
                    (f.commission - notional * cfg.commission).abs() <= 1e-9 * notional.max(1.0),
                    "{ctx}: fee"
                );
                match f.side {
                    Side::Buy => {
                        cash -= notional + f.commission;
                        pos[f.symbol] += f.size;
                    }
                    Side::Sell => {
                        cash += notional - f.commission;
                        pos[f.symbol] -= f.size;
                    }
                }
                assert!(pos[f.symbol] >= -1e-9 * f.size, "{ctx}: position went negative");
                fi += 1;
            }
            assert!(cash >= -1e-6 * cfg.initial_cash, "{ctx}: cash went negative ({cash})");
            let marked: f64 = (0..nsym)
                .filter(|&s| pos[s] != 0.0)
                .map(|s| pos[s] * last_close[s])
                .sum();
            let value = cash + marked;
            assert!(
                (p.value - value).abs() <= 1e-7 * value.abs().max(1.0),
                "{ctx}: equity {} != cash + marked positions {value}",
                p.value
            );
            assert!((p.cash - cash).abs() <= 1e-7 * cash.abs().max(1.0), "{ctx}: cash");
            peak = peak.max(p.value);
        }
        assert_eq!(fi, out.fills.len(), "{ctx}: fills after the last equity point");

        // Orders: fills never exceed the order, filled amounts add up, statuses agree.
        for o in &out.orders {
            let filled: f64 = out.fills.iter().filter(|f| f.order_id == o.id).map(|f| f.size).sum();
            assert!(filled <= o.amount * (1.0 + 1e-9), "{ctx}: order {} overfilled", o.id);
            assert!(
                (filled - o.filled).abs() <= 1e-9 * o.amount,
                "{ctx}: order {} filled mismatch",
                o.id
            );
            if o.status == cracktrader::engine::OrderStatus::Rejected {
                assert!(o.reason.is_some(), "{ctx}: rejection without reason");
                rejected += 1;
            }
        }
        // Metrics stay in their domains.
        let m = cracktrader::engine::metrics::compute(&out, tf);
        assert!(
            (0.0..=1.0).contains(&m.max_drawdown),
            "{ctx}: drawdown {}",
            m.max_drawdown
        );
        assert!((0.0..=1.0).contains(&m.exposure), "{ctx}: exposure");
        if let Some(w) = m.win_rate {
            assert!((0.0..=1.0).contains(&w));
        }
        let pnl_sum: f64 = out.round_trips.iter().map(|r| r.pnl).sum();
        let realized: f64 = out.fills.iter().filter_map(|f| f.pnl).sum();
        if out.portfolio.positions.iter().all(|p| p.size == 0.0) {
            assert!(
                (pnl_sum - realized).abs() <= 1e-6 * cfg.initial_cash,
                "{ctx}: trip pnl vs fill pnl"
            );
            assert!(
                ((cfg.initial_cash + realized) - out.portfolio.cash).abs() <= 1e-6 * cfg.initial_cash,
                "{ctx}: realized pnl vs cash"
            );
        }
        total_fills += out.fills.len();
    }
    assert!(
        total_fills > 500,
        "the generated cases should trade a lot, got {total_fills} fills"
    );
    assert!(rejected > 0, "some cases should exercise rejections");
}

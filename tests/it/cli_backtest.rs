//! The CLI run on the real Binance candles in tests/fixtures, checked against an independent
//! reference simulation in tests/common (not values read back from the engine).

use crate::common::*;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn ma_cross_on_binance_kline_csv_matches_reference() {
    let d = tmp();
    let r = Backtest::new("MovingAverageCross", "ETH/BTC", "5m")
        .data("ETH_BTC-5m.binance.csv")
        .json(d.path());
    let bars = read_bars("ETH_BTC-5m.binance.csv");
    let (fills, final_value) = reference(&bars, 10_000.0, 0.001, 0.95, 0.0, &mut ma_cross_signal(10, 30));
    assert!(
        fills.len() > 50,
        "the data should produce many trades, got {}",
        fills.len()
    );
    assert_fills(&r, &fills);
    assert!(
        close(r["final_value"].as_f64().unwrap(), final_value),
        "{} vs {final_value}",
        r["final_value"]
    );
    assert_eq!(r["status"], "completed");
    assert_eq!(r["equity_points_total"], 5760);
    for key in [
        "run_id",
        "config",
        "start_time",
        "end_time",
        "orders",
        "positions",
        "equity_curve",
        "performance_metrics",
        "error",
    ] {
        assert!(r.get(key).is_some(), "results lack {key}");
    }
}

#[test]
fn ma_cross_on_ccxt_json_with_other_params_matches_reference() {
    let d = tmp();
    let r = Backtest::new("MovingAverageCross", "LTC/BTC", "5m")
        .param("fast_period=5")
        .param("slow_period=20")
        .param("stake_pct=0.5")
        .opt("--commission", "0.002")
        .opt("--cash", "3")
        .data("LTC_BTC-5m.ccxt.json")
        .json(d.path());
    let bars = read_bars("LTC_BTC-5m.ccxt.json");
    let (fills, final_value) = reference(&bars, 3.0, 0.002, 0.5, 0.0, &mut ma_cross_signal(5, 20));
    assert_fills(&r, &fills);
    assert!(close(r["final_value"].as_f64().unwrap(), final_value));
    // Commission is 0.2% of every fill's notional.
    let total: f64 = r["trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["commission"].as_f64().unwrap())
        .sum();
    let expected: f64 = fills.iter().map(|f| f.size * f.price * 0.002).sum();
    assert!(close(total, expected));
}

#[test]
fn slippage_moves_fills_against_the_trader() {
    let d = tmp();
    let r = Backtest::new("MovingAverageCross", "ETH/BTC", "5m")
        .opt("--slippage-bps", "25")
        .data("ETH_BTC-5m.binance.csv")
        .json(d.path());
    let bars = read_bars("ETH_BTC-5m.binance.csv");
    let (fills, final_value) = reference(&bars, 10_000.0, 0.001, 0.95, 25.0, &mut ma_cross_signal(10, 30));
    assert_fills(&r, &fills);
    assert!(close(r["final_value"].as_f64().unwrap(), final_value));
}

#[test]
fn hourly_run_from_five_minute_file_is_resampled() {
    let d = tmp();
    let r = Backtest::new("MovingAverageCross", "ETH/BTC", "1h")
        .param("fast_period=3")
        .param("slow_period=8")
        .data("ETH_BTC-5m.binance.csv")
        .json(d.path());
    let bars = hourly(&read_bars("ETH_BTC-5m.binance.csv"));
    assert_eq!(r["equity_points_total"].as_u64().unwrap() as usize, bars.len());
    let (fills, final_value) = reference(&bars, 10_000.0, 0.001, 0.95, 0.0, &mut ma_cross_signal(3, 8));
    assert_fills(&r, &fills);
    assert!(close(r["final_value"].as_f64().unwrap(), final_value));
}

#[test]
fn test_strategy_band_on_one_minute_json_matches_reference() {
    let d = tmp();
    let r = Backtest::new("TestStrategy", "XRP/ETH", "1m")
        .param("period=20")
        .param("threshold=0.002")
        .data("XRP_ETH-1m.ccxt.json")
        .json(d.path());
    let bars = read_bars("XRP_ETH-1m.ccxt.json");
    let mut sig = |i: usize, b: &[Bar]| {
        let m = mean_close(b, i, 20)?;
        if b[i].c > m * 1.002 {
            Some(true)
        } else if b[i].c < m * 0.998 {
            Some(false)
        } else {
            None
        }
    };
    let (fills, final_value) = reference(&bars, 10_000.0, 0.001, 0.95, 0.0, &mut sig);
    assert!(!fills.is_empty());
    assert_fills(&r, &fills);
    assert!(close(r["final_value"].as_f64().unwrap(), final_value));
}

#[test]
fn buy_and_hold_on_plain_csv_with_gaps() {
    let d = tmp();
    let r = Backtest::new("BuyAndHold", "ADA/BTC", "5m")
        .opt("--cash", "1")
        .data("ADA_BTC-5m.ohlcv.csv")
        .json(d.path());
    let bars = read_bars("ADA_BTC-5m.ohlcv.csv");
    // Closed form: buy 0.95 x cash / close0 at open1 with 0.1% fee, hold to the last close.
    let size = 0.95 * 1.0 / bars[0].c;
    let cash = 1.0 - size * bars[1].o * 1.001;
    let expected = cash + size * bars.last().unwrap().c;
    assert!(
        close(r["final_value"].as_f64().unwrap(), expected),
        "{} vs {expected}",
        r["final_value"]
    );
    assert_eq!(r["positions"][0]["symbol"], "ADA/BTC");
    assert!(close(r["positions"][0]["size"].as_f64().unwrap(), size));
    let bh = r["performance_metrics"]["buy_and_hold_return"].as_f64().unwrap();
    assert!(close(bh, bars.last().unwrap().c / bars[0].c - 1.0));
    assert_eq!(r["equity_points_total"], 5720, "gaps are not filled in");
}

#[test]
fn import_list_and_backtest_from_cache() {
    let d = tmp();
    for (file, sym, tf) in [
        ("ETH_BTC-5m.binance.csv", "ETH/BTC", "5m"),
        ("LTC_BTC-5m.ccxt.json", "LTC/BTC", "5m"),
        ("ADA_BTC-5m.ohlcv.csv", "ADA/BTC", "5m"),
        ("XRP_ETH-1m.ccxt.json", "XRP/ETH", "1m"),
    ] {
        let r = run(
            d.path(),
            &[
                "data",
                "import",
                fixture(file).to_str().unwrap(),
                "--exchange",
                "binance",
                "--symbol",
                sym,
                "--timeframe",
                tf,
            ],
        );
        assert!(r.ok, "{file}: {}", r.stderr);
    }
    let list = run(d.path(), &["data", "list"]).stdout;
    for (sym, n) in [
        ("ETH/BTC", "5760"),
        ("LTC/BTC", "5760"),
        ("ADA/BTC", "5720"),
        ("XRP/ETH", "2469"),
    ] {
        let line = list
            .lines()
            .find(|l| l.contains(sym))
            .unwrap_or_else(|| panic!("{sym} missing from:\n{list}"));
        assert!(line.contains(n) && line.contains("binance"), "{line}");
    }
    assert!(list.contains("2018-01-10T04:55:00Z"));
    // Re-importing merges: nothing new, everything replaced.
    let again = run(
        d.path(),
        &[
            "data",
            "import",
            fixture("ETH_BTC-5m.binance.csv").to_str().unwrap(),
            "--exchange",
            "binance",
            "--symbol",
            "ETH/BTC",
            "--timeframe",
            "5m",
        ],
    );
    assert!(
        again.stdout.contains("0 new, 5760 replaced, 5760 cached"),
        "{}",
        again.stdout
    );

    // The cache gives the same backtest as the file, and two symbols run together in time order.
    let cached = Backtest::new("MovingAverageCross", "ETH/BTC", "5m")
        .opt("--exchange", "binance")
        .json(d.path());
    let bars = read_bars("ETH_BTC-5m.binance.csv");
    let (fills, _) = reference(&bars, 10_000.0, 0.001, 0.95, 0.0, &mut ma_cross_signal(10, 30));
    assert_fills(&cached, &fills);
    let both = Backtest::new("BuyAndHold", "ETH/BTC", "1h")
        .opt("--symbol", "LTC/BTC")
        .opt("--exchange", "binance")
        .opt("--start", "2018-01-12")
        .opt("--end", "2018-01-20")
        .json(d.path());
    assert_eq!(both["equity_points_total"], 8 * 24);
    let syms: Vec<&str> = both["trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(syms, vec!["ETH/BTC", "LTC/BTC"]);
    assert_eq!(both["equity_curve"][0]["timestamp"], "2018-01-12T00:00:00Z");

    // A range that is not cached names what is.
    let miss = Backtest::new("BuyAndHold", "ETH/BTC", "5m")
        .opt("--exchange", "binance")
        .opt("--start", "2019-01-01")
        .run(d.path());
    assert!(!miss.ok);
    assert!(
        miss.stderr.contains("not cached") && miss.stderr.contains("2018-01-30T04:50:00Z"),
        "{}",
        miss.stderr
    );
    let none = Backtest::new("BuyAndHold", "BTC/USDT", "5m")
        .opt("--exchange", "binance")
        .run(d.path());
    assert!(!none.ok && none.stderr.contains("ETH/BTC"), "{}", none.stderr);
}

#[test]
fn bad_files_are_rejected_with_file_and_line_and_nothing_is_imported() {
    let d = tmp();
    let src = std::fs::read_to_string(fixture("ADA_BTC-5m.ohlcv.csv")).unwrap();
    let mut lines: Vec<String> = src.lines().map(String::from).collect();
    lines[100] = lines[100].replacen(",0.0000", ",x0.0000", 1);
    let bad = d.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let r = run(
        d.path(),
        &[
            "data",
            "import",
            bad.to_str().unwrap(),
            "--exchange",
            "binance",
            "--symbol",
            "ADA/BTC",
            "--timeframe",
            "5m",
        ],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("bad.csv:101:") && r.stderr.contains("is not a number"),
        "{}",
        r.stderr
    );
    assert!(run(d.path(), &["data", "list"]).stdout.contains("no cached candles"));

    let mut swapped = src.lines().map(String::from).collect::<Vec<_>>();
    swapped.swap(10, 11);
    std::fs::write(&bad, swapped.join("\n")).unwrap();
    let r = run(
        d.path(),
        &[
            "data",
            "import",
            bad.to_str().unwrap(),
            "--exchange",
            "binance",
            "--symbol",
            "ADA/BTC",
            "--timeframe",
            "5m",
        ],
    );
    assert!(
        r.stderr.contains("bad.csv:12:") && r.stderr.contains("out of order"),
        "{}",
        r.stderr
    );

    let wrong_tf = run(
        d.path(),
        &[
            "data",
            "import",
            fixture("XRP_ETH-1m.ccxt.json").to_str().unwrap(),
            "--exchange",
            "binance",
            "--symbol",
            "XRP/ETH",
            "--timeframe",
            "5m",
        ],
    );
    assert!(
        !wrong_tf.ok && wrong_tf.stderr.contains("holds 1m candles"),
        "{}",
        wrong_tf.stderr
    );
    let gaps = run(
        d.path(),
        &[
            "data",
            "import",
            fixture("ADA_BTC-5m.ohlcv.csv").to_str().unwrap(),
            "--exchange",
            "binance",
            "--symbol",
            "ADA/BTC",
            "--timeframe",
            "5m",
        ],
    );
    assert!(
        gaps.ok && gaps.stderr.contains("warning") && gaps.stderr.contains("gap"),
        "{}",
        gaps.stderr
    );
}

#[test]
fn clear_errors_for_bad_arguments() {
    let d = tmp();
    let eth = fixture("ETH_BTC-5m.binance.csv");
    let cases: &[(Backtest, &str)] = &[
        (Backtest::new("Nope", "BTC/USDT", "1h"), "MovingAverageCross"),
        (
            Backtest::new("MovingAverageCross", "BTC/USDT", "1h").param("fast=2"),
            "fast_period",
        ),
        (
            Backtest::new("MovingAverageCross", "BTC/USDT", "1h").param("fast_period=2.5"),
            "whole number",
        ),
        (Backtest::new("MovingAverageCross", "BTC/USDT", "2m"), "1m, 3m, 5m"),
        (Backtest::new("MovingAverageCross", "BTCUSDT", "1h"), "BASE/QUOTE"),
        (
            Backtest::new("MovingAverageCross", "BTC/USDT", "1h").opt("--start", "2024-13-01"),
            "ISO 8601",
        ),
        (
            Backtest::new("MovingAverageCross", "BTC/USDT", "1m").opt("--data", "/nonexistent.csv"),
            "cannot read file",
        ),
        (
            Backtest::new("MovingAverageCross", "ETH/BTC", "1m").opt("--data", eth.to_str().unwrap()),
            "cannot be turned into 1m",
        ),
    ];
    for (cmd, needle) in cases {
        let args = cmd.args();
        let r = cmd.run(d.path());
        assert!(!r.ok, "{args:?} should fail");
        assert!(
            r.stderr.starts_with("error: ") && r.stderr.contains(needle),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
}

#[test]
fn strategies_help_and_sim_determinism() {
    let d = tmp();
    let s = run(d.path(), &["strategies"]);
    for name in [
        "MovingAverageCross",
        "TestStrategy",
        "RsiMeanReversion",
        "Breakout",
        "BuyAndHold",
        "fast_period",
        "stake_pct",
        "lookback",
    ] {
        assert!(s.stdout.contains(name), "{name} missing");
    }
    let h = run(d.path(), &["--help"]);
    assert!(h.ok && h.stdout.contains("backtest") && h.stdout.contains("--data-dir"));
    // Without a terminal the dashboard says what to use instead, before binding anything.
    let no_tty = run(d.path(), &["--port", "1"]);
    assert!(
        !no_tty.ok && no_tty.stderr.contains("needs a terminal") && no_tty.stderr.contains("serve"),
        "{}",
        no_tty.stderr
    );
    // sim is deterministic: the same run twice gives the same numbers.
    let a = Backtest::new("RsiMeanReversion", "ETH/USDT", "15m")
        .opt("--start", "2023-03-01")
        .opt("--end", "2023-04-01")
        .json(d.path());
    let b = Backtest::new("RsiMeanReversion", "ETH/USDT", "15m")
        .opt("--start", "2023-03-01")
        .opt("--end", "2023-04-01")
        .json(d.path());
    assert_eq!(a["final_value"], b["final_value"]);
    assert_eq!(a["trades"], b["trades"]);
    assert_eq!(a["equity_points_total"], 31 * 96);
}

#[test]
fn risk_limits_from_the_command_line_stop_a_backtest_and_are_reported() {
    let d = tmp();
    let base = [
        "backtest",
        "--strategy",
        "BuyAndHold",
        "--symbol",
        "BTC/USDT",
        "--timeframe",
        "1h",
    ];
    let free = run_json(d.path(), &base);
    assert!(free["risk_events"].as_array().unwrap().is_empty());
    assert!(free["stop_reason"].is_null());
    // The sim market moves well over 1% in 2000 hours: a 1% drawdown limit ends the run early.
    let mut args = base.to_vec();
    args.extend(["--risk", "max_drawdown=0.01", "--risk", "max_position_value=5000"]);
    let r = run_json(d.path(), &args);
    assert_eq!(r["status"], "stopped");
    assert_eq!(r["stop_reason"], "RISK_MAX_DRAWDOWN");
    let events = r["risk_events"].as_array().unwrap();
    let rules: Vec<&str> = events.iter().map(|e| e["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, vec!["max_position_value", "max_drawdown"], "{events:?}");
    assert_eq!(events[0]["action"], "cut");
    assert!(events[1]["message"].as_str().unwrap().contains("limit"));
    assert_eq!(r["config"]["risk"]["max_drawdown"], 0.01);
    assert!(r["positions"].as_array().unwrap().is_empty(), "everything closed");
    assert!(
        r["equity_points_total"].as_u64().unwrap() < free["equity_points_total"].as_u64().unwrap(),
        "the run ended early"
    );
    let fills = r["trades"].as_array().unwrap();
    assert_eq!(fills.len(), 2);
    assert!(fills[0]["value"].as_f64().unwrap() <= 5000.0 + 1e-6);
    // A bad value is a clear error naming the key and the range.
    let mut args = base.to_vec();
    args.extend(["--risk", "max_drawdown=5"]);
    let out = run(d.path(), &args);
    assert!(!out.ok);
    assert!(
        out.stderr.contains("risk.max_drawdown") && out.stderr.contains("from 0.0001 to 1"),
        "{}",
        out.stderr
    );
}

/// At exact ties (flat stretches where the fast and slow averages are equal) a drifting running sum
/// crosses a bar early; with exact sums MovingAverageCross crosses where backtrader does, whose averages
/// are `math.fsum(window) / n`. Every fixture file, several window pairs, fill by fill.
#[test]
fn ma_cross_agrees_with_fsum_averages_at_exact_ties() {
    let d = tmp();
    let files = [
        ("ETH_BTC-5m.binance.csv", "ETH/BTC", "5m"),
        ("LTC_BTC-5m.ccxt.json", "LTC/BTC", "5m"),
        ("ADA_BTC-5m.ohlcv.csv", "ADA/BTC", "5m"),
        ("XRP_ETH-1m.ccxt.json", "XRP/ETH", "1m"),
    ];
    let mut ties = 0;
    for (file, sym, tf) in files {
        let bars = read_bars(file);
        for (fast, slow) in [(2, 3), (3, 8), (5, 20), (10, 30)] {
            ties += (slow - 1..bars.len())
                .filter(|&i| mean_close(&bars, i, fast) == mean_close(&bars, i, slow))
                .count();
            let r = Backtest::new("MovingAverageCross", sym, tf)
                .param(&format!("fast_period={fast}"))
                .param(&format!("slow_period={slow}"))
                .data(file)
                .json(d.path());
            let (fills, final_value) = reference(&bars, 10_000.0, 0.001, 0.95, 0.0, &mut ma_cross_signal(fast, slow));
            assert_fills(&r, &fills);
            assert!(
                close(r["final_value"].as_f64().unwrap(), final_value),
                "{file} {fast}/{slow}"
            );
        }
    }
    assert!(ties > 100, "the data should hold many exact ties, found {ties}");
}

#[test]
fn sim_refuses_orders_below_its_minimum_once_with_a_warning() {
    let d = tmp();
    // 1e-6 BTC is below the sim exchange's smallest order: nothing is placed, and the run says so.
    let tiny = Backtest::new("MovingAverageCross", "BTC/USDT", "1h")
        .opt("--param", "size=0.000001")
        .json(d.path());
    assert_eq!(tiny["orders"].as_array().map(Vec::len), Some(0));
    let warning = tiny["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(warning.contains("below the exchange's minimum order"), "{warning}");
    // A size the exchange takes trades as before.
    let fine = Backtest::new("MovingAverageCross", "BTC/USDT", "1h")
        .opt("--param", "size=0.01")
        .json(d.path());
    assert!(fine["trades"].as_array().map_or(0, Vec::len) > 0);
    assert!(fine["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn imports_refuse_unknown_exchanges_silent_overwrites_and_old_dates() {
    let d = tmp();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let header = "timestamp,open,high,low,close,volume\n";
    let good = write(
        "good.csv",
        &format!("{header}1515560100000,1,2,0.5,1.5,10\n1515560400000,1,2,0.5,1.5,10\n1515560700000,1,2,0.5,1.5,10\n"),
    );
    let import = |file: &str, exchange: &str, extra: &[&str]| {
        let mut args = vec![
            "data",
            "import",
            file,
            "--exchange",
            exchange,
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "5m",
        ];
        args.extend_from_slice(extra);
        run(d.path(), &args)
    };
    let kraken = import(&good, "kraken", &[]);
    assert!(!kraken.ok && kraken.stderr.contains("custom:NAME"), "{}", kraken.stderr);
    assert!(import(&good, "custom:mine", &[]).ok);
    // Importing the same candles again changes nothing and is fine.
    assert!(import(&good, "custom:mine", &[]).ok);
    // Other values for cached times: refused, naming the overlap, unless --replace.
    let changed = write("changed.csv", &format!("{header}1515560400000,1,3,0.5,2.5,10\n"));
    let refused = import(&changed, "custom:mine", &[]);
    assert!(
        !refused.ok && refused.stderr.contains("would replace 1 cached") && refused.stderr.contains("--replace"),
        "{}",
        refused.stderr
    );
    assert!(import(&changed, "custom:mine", &["--replace"]).ok);
    // Pre-2009 times (here a negative one) need --allow-old.
    let old = write("old.csv", &format!("{header}-3600000,1,2,0.5,1.5,10\n"));
    let r = import(&old, "custom:old", &[]);
    assert!(
        !r.ok && r.stderr.contains("before 2009") && r.stderr.contains("--allow-old"),
        "{}",
        r.stderr
    );
    // Backtests accept the custom exchange under its name.
    let bt = run(
        d.path(),
        &[
            "backtest",
            "--exchange",
            "custom:mine",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "5m",
            "--strategy",
            "BuyAndHold",
            "--json",
        ],
    );
    assert!(bt.ok, "{}", bt.stderr);
    // A parameter given twice is an error, not "last wins".
    let twice = run(
        d.path(),
        &[
            "backtest",
            "--strategy",
            "MovingAverageCross",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
            "--param",
            "fast_period=5",
            "--param",
            "fast_period=7",
        ],
    );
    assert!(!twice.ok && twice.stderr.contains("given twice"), "{}", twice.stderr);
}

#[test]
fn optimize_matches_plain_backtests_bit_for_bit_and_walks_forward() {
    let d = tmp();
    let base = [
        "--strategy",
        "MovingAverageCross",
        "--symbol",
        "ETH/USDT",
        "--timeframe",
        "1h",
        "--start",
        "2024-01-01",
        "--end",
        "2024-05-01",
    ];
    let mut args = vec!["optimize"];
    args.extend_from_slice(&base);
    args.extend_from_slice(&[
        "--grid",
        "fast_period=4..12:4",
        "--grid",
        "slow_period=8,16,24",
        "--walk-forward",
        "3",
        "--jobs",
        "2",
    ]);
    let r = run_json(d.path(), &args);
    // 9 combinations, of which fast >= slow (8/8, 12/8) are refused by the strategy and counted.
    assert_eq!(
        (
            r["combinations"].as_u64(),
            r["skipped"].as_u64(),
            r["completed"].as_u64()
        ),
        (Some(9), Some(2), Some(7))
    );
    let results = r["results"].as_array().unwrap();
    let scores: Vec<f64> = results.iter().filter_map(|c| c["score"].as_f64()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
    assert_eq!(r["best"]["params"], results[0]["params"]);
    // Every combination equals a plain backtest with its parameters, to the bit.
    for c in results {
        let mut bt = vec!["backtest"];
        bt.extend_from_slice(&base);
        let fast = format!("fast_period={}", c["params"]["fast_period"]);
        let slow = format!("slow_period={}", c["params"]["slow_period"]);
        bt.extend_from_slice(&["--param", &fast, "--param", &slow]);
        let plain = run_json(d.path(), &bt);
        assert_eq!(plain["performance_metrics"], c["metrics"], "{fast} {slow}");
        assert_eq!(plain["final_value"], c["final_value"], "{fast} {slow}");
    }
    // Walk-forward: contiguous test windows, each scored like a plain backtest of its best params.
    let folds = r["walk_forward"].as_array().unwrap();
    assert_eq!(folds.len(), 3);
    for w in folds.windows(2) {
        assert_eq!(w[0]["test"]["end"], w[1]["train"]["start"], "folds are contiguous");
    }
    for f in folds {
        assert_eq!(f["train"]["end"], f["test"]["start"]);
        let Some(best) = f["train"]["best_params"].as_object() else {
            continue;
        };
        let (start, end) = (f["test"]["start"].as_str().unwrap(), f["test"]["end"].as_str().unwrap());
        let fast = format!("fast_period={}", best["fast_period"]);
        let slow = format!("slow_period={}", best["slow_period"]);
        let plain = run_json(
            d.path(),
            &[
                "backtest",
                "--strategy",
                "MovingAverageCross",
                "--symbol",
                "ETH/USDT",
                "--timeframe",
                "1h",
                "--start",
                start,
                "--end",
                end,
                "--param",
                &fast,
                "--param",
                &slow,
            ],
        );
        assert_eq!(plain["performance_metrics"], f["test"]["metrics"], "fold {}", f["fold"]);
    }
    // The human report ranks and draws the two-parameter heatmap with the best cell marked.
    let mut human = vec!["optimize"];
    human.extend_from_slice(&base);
    human.extend_from_slice(&["--grid", "fast_period=4..12:4", "--grid", "slow_period=8,16,24"]);
    let h = run(d.path(), &human);
    assert!(h.ok, "{}", h.stderr);
    assert!(
        h.stdout.contains("best: fast_period=") && h.stdout.contains("skipped") && h.stdout.contains('['),
        "{}",
        h.stdout
    );
    // The optimisation is in the history as one run of mode optimize, shown with its table.
    let listed = run(d.path(), &["runs", "list"]);
    let opt = listed
        .stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("optimize"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no optimize run in {}", listed.stdout))
        .to_string();
    let shown = run(d.path(), &["runs", "show", &opt]);
    assert!(shown.ok, "{}", shown.stderr);
    assert!(
        shown.stdout.contains("Optimisation (best combination)") && shown.stdout.contains("best: fast_period="),
        "{}",
        shown.stdout
    );
    // Bad grids are refused before anything runs, saying what is accepted.
    let bad = |grid: &str| {
        let mut a = vec!["optimize"];
        a.extend_from_slice(&base);
        a.extend_from_slice(&["--grid", grid]);
        run(d.path(), &a)
    };
    let unknown = bad("nope=1..3");
    assert!(
        !unknown.ok && unknown.stderr.contains("accepted: fast_period"),
        "{}",
        unknown.stderr
    );
    let huge = {
        let mut a = vec!["optimize"];
        a.extend_from_slice(&base);
        a.extend_from_slice(&["--grid", "fast_period=2..500", "--grid", "slow_period=3..500"]);
        run(d.path(), &a)
    };
    assert!(!huge.ok && huge.stderr.contains("100000"), "{}", huge.stderr);
    let out_of_range = bad("fast_period=0..3");
    assert!(
        !out_of_range.ok && out_of_range.stderr.contains("fast_period"),
        "{}",
        out_of_range.stderr
    );
}

#[test]
fn json_errors_are_the_api_envelope_on_stdout() {
    let d = tmp();
    let r = run(
        d.path(),
        &[
            "backtest",
            "--strategy",
            "Nope",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
            "--json",
        ],
    );
    assert!(!r.ok);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("stdout is JSON");
    assert_eq!(v["error"]["code"], "UNKNOWN_STRATEGY");
    assert!(v["error"]["details"]["available_strategies"].is_array());
    assert!(r.stderr.contains("unknown strategy"), "people still read stderr");
    // Without --json the error stays on stderr only.
    let plain = run(
        d.path(),
        &[
            "backtest",
            "--strategy",
            "Nope",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
        ],
    );
    assert!(!plain.ok && plain.stdout.is_empty());
}

/// A reader that goes away (`| head`) ends a command quietly, never with a panic.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let d = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cracktrader-tui"))
        .args(["--data-dir", &d.path().display().to_string(), "strategies"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the command writes anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.trim().is_empty(), "nothing to say on a closed pipe: {stderr}");
}

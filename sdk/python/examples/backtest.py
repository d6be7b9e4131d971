"""Backtest MovingAverageCross on the offline `sim` exchange and print its metrics.

Start a server first (`cracktrader-tui serve`), then: python examples/backtest.py
"""

from cracktrader import CrackTraderAPI

api = CrackTraderAPI()  # CRACKTRADER_URL / CRACKTRADER_API_KEY, or http://127.0.0.1:8000 without a key
run = api.start_backtest(
    "MovingAverageCross",
    ["BTC/USDT"],
    "1h",
    strategy_params={"fast_period": 10, "slow_period": 30},
    initial_cash=10_000,
)
final = api.wait_for_run(run.run_id, timeout=120)
print(f"run {final.run_id}: {final.status.value}")
results = api.results()
m = results.performance_metrics
print(f"final value   {results.final_value:,.2f}")
print(f"total return  {m.total_return:+.2%}")
print(f"sharpe        {m.sharpe_ratio if m.sharpe_ratio is not None else '-'}")
print(f"max drawdown  {m.max_drawdown:.2%}")
print(f"round trips   {m.total_trades} (win rate {m.win_rate if m.win_rate is not None else '-'})")

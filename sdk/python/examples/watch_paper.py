"""Start a paper run on `sim` and print its fills as they happen (Ctrl-C stops the run).

Start a server first (`cracktrader-tui serve`), then: python examples/watch_paper.py
"""

from cracktrader import CrackTraderAPI

api = CrackTraderAPI()
api.start_live(
    "MovingAverageCross",
    "BTC/USDT",
    "1m",
    mode="paper",
    exchange_config={"speed": 600},  # ten simulated minutes a second
    strategy_params={"fast_period": 3, "slow_period": 8},
)
try:
    for msg in api.stream(["trades", "orders"]):
        if msg.get("channel") == "trades" and "data" in msg:
            t = msg["data"]
            print(f"{t['timestamp']}  {t['side']:<4} {t['size']:.6f} {t['symbol']} @ {t['price']:.2f}")
except KeyboardInterrupt:
    print(api.stop().message)

"""Backtrader's speed on the strategy `cargo bench --bench engine` times as MaCrossScript.

SMA(10) / SMA(30) CrossOver over random-walk one-minute bars held in memory, so only the engine is
timed. Not part of CI (it needs backtrader); run it by hand to compare on one machine:

    python3 -m venv /tmp/bt && /tmp/bt/bin/pip install backtrader==1.9.78.123
    /tmp/bt/bin/python benches/backtrader_ma_cross.py [BARS]
"""

from __future__ import annotations

import datetime
import math
import random
import sys
import time
from typing import Any

import backtrader as bt  # type: ignore[import-not-found,import-untyped,unused-ignore]

Row = tuple[datetime.datetime, float, float, float, float, float]


def bars(n: int) -> list[Row]:
    random.seed(7)
    start = datetime.datetime(2022, 1, 1)
    price = 40_000.0
    rows: list[Row] = []
    for i in range(n):
        opened = price
        price = max(1.0, price * math.exp(random.gauss(0, 0.001)))
        high, low = max(opened, price) * 1.0005, min(opened, price) * 0.9995
        rows.append(
            (start + datetime.timedelta(minutes=i), opened, high, low, price, 10.0)
        )
    return rows


class Feed(bt.feeds.DataBase):  # type: ignore[misc]
    def __init__(self, rows: list[Row]) -> None:
        super().__init__()
        self.rows = rows
        self.next_row = 0

    def _load(self) -> bool:
        if self.next_row >= len(self.rows):
            return False
        ts, o, h, low, c, v = self.rows[self.next_row]
        self.next_row += 1
        lines: Any = self.lines
        lines.datetime[0] = bt.date2num(ts)
        lines.open[0], lines.high[0], lines.low[0], lines.close[0] = o, h, low, c
        lines.volume[0], lines.openinterest[0] = v, 0.0
        return True


class Cross(bt.Strategy):  # type: ignore[misc]
    def __init__(self) -> None:
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=10), bt.ind.SMA(period=30))

    def next(self) -> None:
        if self.cross > 0 and not self.position:
            self.buy(size=0.2)
        elif self.cross < 0 and self.position:
            self.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rows = bars(n)
    for runonce in (True, False):
        cerebro = bt.Cerebro(stdstats=False)
        cerebro.adddata(Feed(rows))
        cerebro.addstrategy(Cross)
        cerebro.broker.setcash(10_000.0)
        cerebro.broker.setcommission(0.001)
        t = time.perf_counter()
        cerebro.run(preload=True, runonce=runonce)
        took = time.perf_counter() - t
        mode = "runonce (default)" if runonce else "event by event"
        print(
            f"backtrader {bt.__version__}, {mode}: {n} bars in {took:.2f} s = {n / took / 1e3:.1f} k bars/s"
        )


if __name__ == "__main__":
    main()

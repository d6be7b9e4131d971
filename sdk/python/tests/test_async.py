"""The asyncio client against the real server: the same API, awaited."""

from __future__ import annotations

import asyncio

import pytest
from conftest import PAPER, READ_KEY, WRITE_KEY, Server

from cracktrader import (
    AsyncCrackTraderAPI,
    AuthenticationError,
    ConflictError,
    CrackTraderTimeoutError,
    PermissionDeniedError,
    RateLimitError,
    models,
)


async def test_backtest_round_trip(server: Server) -> None:
    async with AsyncCrackTraderAPI(api_key=WRITE_KEY, base_url=server.url) as c:
        before = await c.get_balance()
        assert before.run_id is None
        started = await c.start_backtest("BuyAndHold", ["BTC/USDT", "ETH/USDT"], "4h")
        final = await c.wait_for_run(started.run_id, timeout=60)
        assert final.status == models.RunStatus.completed
        res = await c.results()
        assert res.run_id == started.run_id and sorted(res.config.symbols) == ["BTC/USDT", "ETH/USDT"]
        after = await c.get_balance()
        assert after.run_id == started.run_id and {h.symbol for h in after.holdings} == {
            "BTC/USDT",
            "ETH/USDT",
        }
        assert (await c.runs()).runs[0].run_id == started.run_id
        assert (await c.run(started.run_id)).final_value == res.final_value
        assert "id," in await c.export_trades_csv(started.run_id)
        page = await c.run_trades(started.run_id, limit=2)
        assert page.total == len(res.trades) and page.items == res.trades[:2]
        assert (await c.run_orders(started.run_id)).total == len(res.orders)
        assert (await c.run_equity(started.run_id, limit=1)).items == res.equity_curve[:1]
        assert (await c.health()).status == "healthy"
        assert (await c.detailed_status()).run_id == started.run_id
        assert (await c.strategies()).strategies and (await c.exchanges()).exchanges
        assert (await c.meta()).server_version
        assert (await c.reset()).status == models.RunStatus.idle


async def test_errors(server: Server, limited_server: Server) -> None:
    c = AsyncCrackTraderAPI(api_key=WRITE_KEY, base_url=server.url)
    with pytest.raises(ConflictError) as e:
        await c.stop()
    assert e.value.code == "NO_ACTIVE_RUN"
    with pytest.raises(PermissionDeniedError):
        await AsyncCrackTraderAPI(api_key=READ_KEY, base_url=server.url).start_backtest(
            "BuyAndHold", "BTC/USDT", "1h"
        )
    with pytest.raises(AuthenticationError):
        await AsyncCrackTraderAPI(api_key="nope", base_url=server.url).status()
    limited = AsyncCrackTraderAPI(api_key=WRITE_KEY, base_url=limited_server.url)
    with pytest.raises(RateLimitError) as r:
        for _ in range(10):
            await limited.status()
    assert r.value.retry_after is not None and r.value.retry_after > 0
    await c.close()


async def test_stream_and_wait(server: Server) -> None:
    c = AsyncCrackTraderAPI(api_key=WRITE_KEY, base_url=server.url)
    started = await c.start_live(**PAPER)
    with pytest.raises(CrackTraderTimeoutError):
        await c.wait_for_run(started.run_id, timeout=0.3)
    seen: set[str] = set()

    async def collect() -> None:
        async for msg in c.stream(["orders", "trades"], symbol="BTC/USDT"):
            if msg.get("type") is None and msg.get("channel") in ("orders", "trades"):
                seen.add(msg["channel"])
            if seen == {"orders", "trades"}:
                return

    await asyncio.wait_for(collect(), timeout=30)
    assert (await c.stop()).status == models.RunStatus.stopped
    await c.close()


async def test_async_sweep_starts_and_finishes(server: Server) -> None:
    async with AsyncCrackTraderAPI(api_key=WRITE_KEY, base_url=server.url) as c:
        started = await c.start_optimize("MovingAverageCross", ["BTC/USDT"], "1h", {"fast_period": [5, 10]})
        final = await c.wait_for_run(started.run_id, timeout=60)
        assert final.status == models.RunStatus.completed, final.error
        res = await c.results()
        assert res.optimization is not None and res.optimization.completed == 2

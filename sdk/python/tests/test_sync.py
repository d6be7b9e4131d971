"""The synchronous client against the real server."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PAPER, READ_KEY, WRITE_KEY, Server, start_server

from cracktrader import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CrackTraderAPI,
    CrackTraderConnectionError,
    CrackTraderError,
    CrackTraderTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    models,
)


def api(server: Server, key: str = WRITE_KEY, **kw: Any) -> CrackTraderAPI:
    return CrackTraderAPI(api_key=key, base_url=server.url, **kw)


def test_the_documented_snippet_and_env_defaults(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRACKTRADER_URL", server.url)
    monkeypatch.setenv("CRACKTRADER_API_KEY", "ignored-when-given")
    api = CrackTraderAPI(api_key=WRITE_KEY)
    balance = api.get_balance()
    assert isinstance(balance, models.BalanceResponse)
    assert balance.run_id is None and balance.holdings == []
    monkeypatch.setenv("CRACKTRADER_API_KEY", READ_KEY)
    assert CrackTraderAPI().settings.api_key == READ_KEY
    monkeypatch.delenv("CRACKTRADER_URL")
    assert CrackTraderAPI().base_url == "http://127.0.0.1:8000"


def test_backtest_round_trip_and_every_read(server: Server) -> None:
    with api(server) as c:
        assert c.health().status == "healthy"
        assert c.status().status == models.RunStatus.idle
        names = {s.name for s in c.strategies().strategies}
        assert "MovingAverageCross" in names
        assert any(e.id == "sim" for e in c.exchanges().exchanges)
        assert c.meta().api_version
        assert "/api/v1/balance" in c.openapi()["paths"]

        started = c.start_backtest(
            "MovingAverageCross", "BTC/USDT", "1h", {"fast_period": 5, "slow_period": 20}, initial_cash=5000.0
        )
        assert started.run_id
        final = c.wait_for_run(started.run_id, timeout=60)
        assert final.status == models.RunStatus.completed, final.error
        assert final.start_time is not None and final.start_time.tzinfo is not None

        res = c.results()
        assert res.run_id == started.run_id
        assert res.config.initial_cash == 5000.0
        assert res.config.strategy_params["fast_period"] == 5
        assert res.performance_metrics.total_trades >= 1
        assert res.trades and res.trades[0].timestamp.year >= 2000
        assert len(res.equity_curve) > 10

        bal = c.get_balance()
        assert bal.run_id == started.run_id
        assert bal.total_value == pytest.approx(res.final_value)

        detailed = c.detailed_status()
        assert detailed.run_id == started.run_id and detailed.performance_metrics is not None

        listed = c.runs(limit=5, mode="backtest")
        assert [r.run_id for r in listed.runs][:1] == [started.run_id]
        assert c.runs(status="failed").runs == []
        stored = c.run(started.run_id)
        assert stored.final_value == res.final_value
        csv = c.export_trades_csv(started.run_id)
        assert csv.splitlines()[0].startswith("id,") and len(csv.splitlines()) == len(res.trades) + 1
        assert c.export_equity_csv(started.run_id).count("\n") >= len(res.equity_curve)
        first = c.run_trades(started.run_id, limit=1)
        assert first.total == len(res.trades) and len(first.items) == 1
        assert first.items[0] == res.trades[0]
        if first.next_cursor is not None:
            second = c.run_trades(started.run_id, limit=1, cursor=first.next_cursor)
            assert second.items[0] == res.trades[1]
        assert c.run_orders(started.run_id).total == len(res.orders)
        assert c.run_equity(started.run_id, limit=2).items[0] == res.equity_curve[0]

        assert listed.runs[0].stored_bytes > 0
        with pytest.raises(ValueError):
            c.prune_runs()
        assert c.prune_runs(older_than=30).deleted == 0
        assert c.reset().status == models.RunStatus.idle
        assert c.get_balance().run_id is None
        assert c.delete_run(started.run_id)
        with pytest.raises(NotFoundError):
            c.run(started.run_id)


def test_error_envelope_fields(server: Server) -> None:
    c = api(server)
    with pytest.raises(ConflictError) as e:
        c.stop()
    assert (e.value.status, e.value.code) == (409, "NO_ACTIVE_RUN")
    assert e.value.message and isinstance(e.value.details, dict)
    with pytest.raises(ConflictError):
        c.resume()
    with pytest.raises(BadRequestError) as bad:
        c.start_backtest("NoSuchStrategy", ["BTC/USDT"], "1h")
    assert bad.value.code == "UNKNOWN_STRATEGY" and bad.value.status == 400
    with pytest.raises(BadRequestError) as bad:
        c.start_backtest("MovingAverageCross", ["BTC/USDT"], "7x")
    assert bad.value.code == "INVALID_TIMEFRAME"
    with pytest.raises(NotFoundError):
        c.results()
    with pytest.raises(ValueError):
        c.start_live("BuyAndHold", "BTC/USDT", "1m", mode="moon")


def test_keys_read_only_and_wrong(server: Server) -> None:
    with pytest.raises(PermissionDeniedError) as e:
        api(server, READ_KEY).start_backtest("BuyAndHold", "BTC/USDT", "1h")
    assert e.value.status == 403
    assert api(server, READ_KEY).status().status == models.RunStatus.idle
    with pytest.raises(AuthenticationError) as e2:
        api(server, "wrong-key").status()
    assert e2.value.status == 401 and e2.value.code == "UNAUTHORIZED"


def test_rate_limit_gives_retry_after(limited_server: Server) -> None:
    c = api(limited_server)
    with pytest.raises(RateLimitError) as e:
        for _ in range(10):
            c.status()
    assert e.value.status == 429 and e.value.code == "RATE_LIMITED"
    assert e.value.retry_after is not None and e.value.retry_after > 0


def test_retries_only_idempotent_calls() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        body = {"error": {"code": "RATE_LIMITED", "message": "slow down", "details": {}}}
        return httpx.Response(429, json=body, headers={"Retry-After": "0"})

    transport = httpx.MockTransport(answer)
    client = httpx.Client(base_url="http://test", transport=transport)
    c = CrackTraderAPI(base_url="http://test", max_retries=2, http_client=client)
    with pytest.raises(RateLimitError):
        c.status()
    assert calls == ["GET", "GET", "GET"]
    calls.clear()
    with pytest.raises(RateLimitError):
        c.start_backtest("BuyAndHold", "BTC/USDT", "1h")
    assert calls == ["POST"], "starting a run is never sent twice"


def test_unreachable_server_names_the_url() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = CrackTraderAPI(base_url=f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(CrackTraderConnectionError) as e:
        c.health()
    assert isinstance(e.value, ConnectionError) and isinstance(e.value, CrackTraderError)
    assert f"127.0.0.1:{port}" in str(e.value)


def test_paper_stream_sees_orders_and_trades_and_wait_times_out(server: Server) -> None:
    c = api(server)
    started = c.start_live(**PAPER)
    assert started.run_id
    with pytest.raises(CrackTraderTimeoutError):
        c.wait_for_run(started.run_id, timeout=0.3)
    seen: set[str] = set()
    deadline = time.monotonic() + 30
    for msg in c.stream(["orders", "trades"]):
        if msg.get("type") is None and msg.get("channel") in ("orders", "trades"):
            assert msg["data"]["symbol"] == "BTC/USDT" and isinstance(msg["seq"], int)
            seen.add(msg["channel"])
        if seen == {"orders", "trades"} or time.monotonic() > deadline:
            break
    assert seen == {"orders", "trades"}
    assert c.stop().status == models.RunStatus.stopped
    assert c.wait_for_run(started.run_id, timeout=10).status == models.RunStatus.stopped


def test_stream_resubscribes_after_the_server_comes_back(tmp_path: Path) -> None:
    first = start_server(tmp_path / "a", "--rate-limit", "0")
    port = first.port
    c = CrackTraderAPI(base_url=first.url)
    got: list[dict[str, Any]] = []
    done = threading.Event()

    def listen() -> None:
        for msg in c.stream("trades"):
            got.append(msg)
            if msg.get("type") is None and msg.get("channel") == "trades":
                done.set()
                return

    threading.Thread(target=listen, daemon=True).start()
    time.sleep(0.5)
    first.stop()
    second = start_server(tmp_path / "b", "--rate-limit", "0", port=port)
    try:
        c.start_live(**PAPER)
        assert done.wait(30), f"no trade after reconnecting: {got[-3:]}"
        assert sum(1 for m in got if m.get("type") == "subscribed") >= 2, "subscribed again"
        c.stop()
    finally:
        second.stop()


def test_a_parameter_sweep_runs_and_ranks_its_grid(server: Server) -> None:
    with api(server) as c:
        started = c.start_optimize(
            "MovingAverageCross",
            "BTC/USDT",
            "1h",
            {"fast_period": [5, 10], "slow_period": {"start": 20, "end": 40, "step": 10}},
            objective="total_return",
        )
        final = c.wait_for_run(started.run_id, timeout=60)
        assert final.status == models.RunStatus.completed, final.error
        assert final.optimize is not None and final.optimize.completed == final.optimize.combinations == 6
        res = c.results()
        sweep = res.optimization
        assert sweep is not None and sweep.completed == 6
        scores = [r.score for r in sweep.results if r.score is not None]
        assert scores == sorted(scores, reverse=True)
        assert sweep.best is not None and sweep.best.params == sweep.results[0].params
        assert c.runs(mode="optimize").runs[0].run_id == started.run_id
        with pytest.raises(CrackTraderError) as bad:
            c.start_optimize("MovingAverageCross", "BTC/USDT", "1h", {"nope": [1]})
        assert bad.value.code == "INVALID_PARAMS"

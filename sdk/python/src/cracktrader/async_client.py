"""The asyncio client: the same methods as ``CrackTraderAPI``, awaited."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any, Optional, TypeVar, Union

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from . import _core as core
from . import models
from .errors import CrackTraderConnectionError, CrackTraderTimeoutError, RateLimitError, from_response

T = TypeVar("T")


class AsyncCrackTraderAPI:
    """Asyncio client of a cracktrader-tui server.

    >>> api = AsyncCrackTraderAPI(api_key="your_key")
    >>> (await api.get_balance()).cash

    ``base_url`` defaults to ``$CRACKTRADER_URL`` or ``http://127.0.0.1:8000``; ``api_key`` to
    ``$CRACKTRADER_API_KEY`` (sent as ``X-API-Key``). ``max_retries`` retries reads (never run starts or
    commands) after a 429 or a lost connection.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 0,
        http_client: Optional[httpx.AsyncClient] = None,
    ) -> None:
        self.settings = core.Settings.resolve(base_url, api_key, timeout, max_retries)
        self._http = http_client or httpx.AsyncClient(
            base_url=self.settings.base_url, headers=self.settings.headers(), timeout=timeout
        )

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncCrackTraderAPI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _send(self, call: core.Call[T]) -> T:
        attempt = 0
        while True:
            try:
                r = await self._http.request(call.method, call.path, params=call.params, json=call.body)
            except httpx.TransportError as e:
                if call.idempotent and attempt < self.settings.max_retries:
                    await asyncio.sleep(core.backoff(attempt))
                    attempt += 1
                    continue
                raise CrackTraderConnectionError(f"cannot reach {self.settings.base_url}: {e}") from e
            if r.is_success:
                return call.parse(r.text if call.text else (r.json() if r.content else None))
            try:
                body: Any = r.json()
            except ValueError:
                body = None
            err = from_response(r.status_code, body, r.headers.get("retry-after"))
            if isinstance(err, RateLimitError) and call.idempotent and attempt < self.settings.max_retries:
                await asyncio.sleep(core.backoff(attempt, err.retry_after))
                attempt += 1
                continue
            raise err

    # Reading state
    async def get_balance(self) -> models.BalanceResponse:
        """Cash, total value and holdings of the current (or last) run."""
        return await self._send(core.balance())

    async def health(self) -> models.HealthResponse:
        return await self._send(core.health())

    async def status(self) -> models.StatusResponse:
        """The current run's status (``idle`` when none has run)."""
        return await self._send(core.status())

    async def detailed_status(self) -> models.DetailedStatusResponse:
        """Status plus positions, equity curve, metrics and the most recent trades and orders."""
        return await self._send(core.detailed_status())

    async def results(self) -> models.ResultsResponse:
        """Complete results of the last finished run (404 while none has finished)."""
        return await self._send(core.results())

    async def strategies(self) -> models.StrategiesResponse:
        return await self._send(core.strategies())

    async def exchanges(self) -> models.ExchangesResponse:
        return await self._send(core.exchanges())

    async def meta(self) -> models.MetaResponse:
        return await self._send(core.meta())

    async def openapi(self) -> dict[str, Any]:
        """The server's OpenAPI document."""
        return await self._send(core.openapi())

    # History
    async def runs(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[str] = None,
        mode: Optional[str] = None,
    ) -> models.RunsResponse:
        """Stored runs, newest first."""
        return await self._send(core.runs(limit, offset, status, mode))

    async def run(self, run_id: str) -> models.ResultsResponse:
        """A stored run's complete results."""
        return await self._send(core.run(run_id))

    async def delete_run(self, run_id: str) -> dict[str, Any]:
        return await self._send(core.delete_run(run_id))

    async def prune_runs(
        self, older_than: Optional[float] = None, keep: Optional[int] = None
    ) -> models.PruneReport:
        """Deletes runs started more than ``older_than`` days ago and/or all but the newest ``keep``."""
        return await self._send(core.prune_runs(older_than, keep))

    async def run_orders(
        self, run_id: str, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> models.OrdersPage:
        """One page of a stored run's orders, oldest first; pass ``next_cursor`` on for the next."""
        return await self._send(core.run_orders(run_id, limit, cursor))

    async def run_trades(
        self, run_id: str, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> models.TradesPage:
        """One page of a stored run's fills, oldest first."""
        return await self._send(core.run_trades(run_id, limit, cursor))

    async def run_equity(
        self, run_id: str, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> models.EquityPage:
        """One page of a stored run's equity points (not downsampled), oldest first."""
        return await self._send(core.run_equity(run_id, limit, cursor))

    async def export_trades_csv(self, run_id: str) -> str:
        return await self._send(core.trades_csv(run_id))

    async def export_equity_csv(self, run_id: str) -> str:
        return await self._send(core.equity_csv(run_id))

    # Starting and commanding runs (never retried)
    async def start_backtest(
        self,
        strategy_name: str,
        symbols: Union[str, Iterable[str]],
        timeframe: str,
        strategy_params: Optional[dict[str, Any]] = None,
        start_date: core.DateLike = None,
        end_date: core.DateLike = None,
        initial_cash: float = 10000.0,
        exchange: str = "sim",
        **extra: Any,
    ) -> models.RunResponse:
        """Starts a backtest; ``extra`` takes the other request fields (commission, slippage_bps, risk)."""
        return await self._send(
            core.start_backtest(
                strategy_name,
                symbols,
                timeframe,
                strategy_params,
                start_date,
                end_date,
                initial_cash,
                exchange,
                extra,
            )
        )

    async def start_optimize(
        self,
        strategy_name: str,
        symbols: Union[str, Iterable[str]],
        timeframe: str,
        grid: dict[str, Any],
        objective: Optional[str] = None,
        min_trades: int = 0,
        walk_forward: Optional[dict[str, Any]] = None,
        strategy_params: Optional[dict[str, Any]] = None,
        start_date: core.DateLike = None,
        end_date: core.DateLike = None,
        initial_cash: float = 10000.0,
        exchange: str = "sim",
        **extra: Any,
    ) -> models.RunResponse:
        """Starts a parameter sweep as one run (mode ``optimize``).

        ``grid`` maps parameters to value lists (``[5, 10, 20]``) or ranges
        (``{"start": 5, "end": 50, "step": 5}``); ``objective`` is one of sharpe (default), sortino,
        calmar, total_return, profit_factor, final_value; ``walk_forward`` is ``{"folds": 4,
        "train_pct": 0.7}``. Progress is in ``status().optimize``, the ranked table in
        ``results().optimization``.
        """
        return await self._send(
            core.start_optimize(
                strategy_name,
                symbols,
                timeframe,
                grid,
                objective,
                min_trades,
                walk_forward,
                strategy_params,
                start_date,
                end_date,
                initial_cash,
                exchange,
                extra,
            )
        )

    async def start_live(
        self,
        strategy_name: str,
        symbols: Union[str, Iterable[str]],
        timeframe: str,
        mode: str = "paper",
        exchange: str = "sim",
        exchange_config: Optional[dict[str, Any]] = None,
        strategy_params: Optional[dict[str, Any]] = None,
        initial_cash: float = 10000.0,
        **extra: Any,
    ) -> models.RunResponse:
        """Starts a paper run (simulated fills on live candles) or, with ``mode="live"``, real trading."""
        return await self._send(
            core.start_live(
                strategy_name,
                symbols,
                timeframe,
                mode,
                exchange,
                exchange_config,
                strategy_params,
                initial_cash,
                extra,
            )
        )

    async def stop(self) -> models.RunResponse:
        return await self._send(core.stop())

    async def resume(self) -> models.RunResponse:
        """Resumes trading after the run paused on repeated rejections."""
        return await self._send(core.resume())

    async def reset(self) -> models.RunResponse:
        return await self._send(core.reset())

    async def wait_for_run(
        self, run_id: Optional[str] = None, timeout: float = 60.0, poll: float = 0.2
    ) -> models.StatusResponse:
        """Waits until the run (the current one by default) has finished and returns its final status.

        Raises ``CrackTraderTimeoutError`` after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            s = await self.status()
            done = core.finished(s, run_id)
            if done:
                return s
            if done is None and run_id is not None:
                stored = await self.run(run_id)
                if stored.status.value not in core.ACTIVE:
                    return core.status_of_stored(stored)
            if time.monotonic() >= deadline:
                raise CrackTraderTimeoutError(
                    f"run {run_id or s.run_id} still {s.status.value} after {timeout} s", code="TIMEOUT"
                )
            await asyncio.sleep(poll)

    async def stream(
        self,
        channels: Union[str, Iterable[str]],
        symbol: Optional[str] = None,
        *,
        reconnect: bool = True,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yields WebSocket messages (``{"channel", "data", "seq"}``, plus ``subscribed``/``resync``/``error``
        frames) of the given channels; after a lost connection it reconnects and subscribes again."""
        subs = core.subscriptions(channels, symbol)
        attempt = 0
        while True:
            try:
                async with self._connect() as ws:
                    for m in subs:
                        await ws.send(json.dumps(m))
                    attempt = 0
                    async for raw in ws:
                        yield json.loads(raw)
            except (OSError, WebSocketException) as e:
                if not reconnect:
                    raise CrackTraderConnectionError(f"WebSocket {self.settings.ws_url()} closed: {e}") from e
            if not reconnect:
                return
            await asyncio.sleep(core.backoff(attempt))
            attempt += 1

    def _connect(self) -> connect:
        return connect(
            self.settings.ws_url(),
            additional_headers=self.settings.headers(),
            open_timeout=self.settings.timeout,
            max_size=2**24,
        )

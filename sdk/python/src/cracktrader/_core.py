"""What both clients share: settings, the calls of the API (method, path, body, answer type) and the
WebSocket protocol. The sync and async clients only differ in how they send."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterable, Optional, TypeVar, Union
from urllib.parse import quote

from pydantic import BaseModel

from . import models
from .errors import CrackTraderError

DEFAULT_URL = "http://127.0.0.1:8000"
API = "/api/v1"
#: Statuses of a run that has not finished yet.
ACTIVE = frozenset({"starting", "running"})
#: WebSocket channels the server offers.
CHANNELS = ("orders", "trades", "status", "equity", "ticker", "logs", "optimize")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
DateLike = Union[str, dt.date, dt.datetime, None]


@dataclass(frozen=True)
class Settings:
    base_url: str
    api_key: Optional[str]
    timeout: float
    max_retries: int

    @staticmethod
    def resolve(
        base_url: Optional[str], api_key: Optional[str], timeout: float, max_retries: int
    ) -> Settings:
        url = (base_url or os.environ.get("CRACKTRADER_URL") or DEFAULT_URL).rstrip("/")
        if url.endswith(API):
            url = url[: -len(API)]
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {url!r}")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        key = api_key if api_key is not None else os.environ.get("CRACKTRADER_API_KEY") or None
        return Settings(url, key, timeout, max_retries)

    def headers(self) -> dict[str, str]:
        h = {"Accept": "application/json", "User-Agent": "cracktrader-python/0.1.0"}
        if self.api_key:
            h["X-API-Key"] = self.api_key
        return h

    def ws_url(self) -> str:
        scheme, rest = self.base_url.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{API}/ws"


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API call: where it goes, what it sends and how its answer is read."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: Optional[dict[str, Any]] = None
    body: Any = None
    #: Safe to send again after a 429 or a lost connection (never true for starting runs).
    idempotent: bool = True
    #: The answer is text (CSV), not JSON.
    text: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def _model(cls: type[M]) -> Callable[[Any], M]:
    return cls.model_validate


def _json(v: Any) -> Any:
    return v


def _date(v: DateLike) -> Optional[str]:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return v.isoformat()
    return v.isoformat()


def _symbols(symbols: Union[str, Iterable[str]]) -> list[str]:
    return [symbols] if isinstance(symbols, str) else list(symbols)


def _get(path: str, cls: type[M], params: Optional[dict[str, Any]] = None) -> Call[M]:
    return Call("GET", API + path, _model(cls), params=params)


def _command(method: str, path: str, body: Any = None) -> Call[models.RunResponse]:
    return Call(
        method, API + path, _model(models.RunResponse), body={} if body is None else body, idempotent=False
    )


def balance() -> Call[models.BalanceResponse]:
    return _get("/balance", models.BalanceResponse)


def health() -> Call[models.HealthResponse]:
    return _get("/health", models.HealthResponse)


def status() -> Call[models.StatusResponse]:
    return _get("/status", models.StatusResponse)


def detailed_status() -> Call[models.DetailedStatusResponse]:
    return _get("/status/detailed", models.DetailedStatusResponse)


def results() -> Call[models.ResultsResponse]:
    return _get("/results", models.ResultsResponse)


def strategies() -> Call[models.StrategiesResponse]:
    return _get("/strategies", models.StrategiesResponse)


def exchanges() -> Call[models.ExchangesResponse]:
    return _get("/exchanges", models.ExchangesResponse)


def meta() -> Call[models.MetaResponse]:
    return _get("/meta", models.MetaResponse)


def openapi() -> Call[dict[str, Any]]:
    return Call("GET", API + "/openapi.json", _json)


def runs(
    limit: Optional[int] = None,
    offset: Optional[int] = None,
    status: Optional[str] = None,
    mode: Optional[str] = None,
) -> Call[models.RunsResponse]:
    params = {
        k: v
        for k, v in {"limit": limit, "offset": offset, "status": status, "mode": mode}.items()
        if v is not None
    }
    return _get("/runs", models.RunsResponse, params)


def prune_runs(older_than: Optional[float], keep: Optional[int]) -> Call[models.PruneReport]:
    if older_than is None and keep is None:
        raise ValueError("say what to delete: older_than (days) and/or keep (newest runs kept)")
    params = {k: v for k, v in {"older_than": older_than, "keep": keep}.items() if v is not None}
    return Call("DELETE", API + "/runs", _model(models.PruneReport), params=params, idempotent=False)


def _run_path(run_id: str) -> str:
    if not run_id:
        raise ValueError("run_id must not be empty")
    return f"/runs/{quote(run_id, safe='')}"


def run(run_id: str) -> Call[models.ResultsResponse]:
    return _get(_run_path(run_id), models.ResultsResponse)


def _page_params(limit: Optional[int], cursor: Optional[str]) -> dict[str, Any]:
    return {k: v for k, v in {"limit": limit, "cursor": cursor}.items() if v is not None}


def run_orders(run_id: str, limit: Optional[int], cursor: Optional[str]) -> Call[models.OrdersPage]:
    return _get(_run_path(run_id) + "/orders", models.OrdersPage, _page_params(limit, cursor))


def run_trades(run_id: str, limit: Optional[int], cursor: Optional[str]) -> Call[models.TradesPage]:
    return _get(_run_path(run_id) + "/trades", models.TradesPage, _page_params(limit, cursor))


def run_equity(run_id: str, limit: Optional[int], cursor: Optional[str]) -> Call[models.EquityPage]:
    return _get(_run_path(run_id) + "/equity", models.EquityPage, _page_params(limit, cursor))


def delete_run(run_id: str) -> Call[dict[str, Any]]:
    return Call("DELETE", API + _run_path(run_id), _json, idempotent=False)


def trades_csv(run_id: str) -> Call[str]:
    return Call("GET", API + _run_path(run_id) + "/trades.csv", str, text=True)


def equity_csv(run_id: str) -> Call[str]:
    return Call("GET", API + _run_path(run_id) + "/equity.csv", str, text=True)


def _backtest_body(
    strategy_name: str,
    symbols: Union[str, Iterable[str]],
    timeframe: str,
    strategy_params: Optional[dict[str, Any]],
    start_date: DateLike,
    end_date: DateLike,
    initial_cash: float,
    exchange: str,
) -> dict[str, Any]:
    """The fields a backtest and a sweep share."""
    body: dict[str, Any] = {
        "strategy_name": strategy_name,
        "strategy_params": strategy_params or {},
        "symbols": _symbols(symbols),
        "timeframe": timeframe,
        "initial_cash": initial_cash,
        "exchange": exchange,
    }
    if start_date is not None:
        body["start_date"] = _date(start_date)
    if end_date is not None:
        body["end_date"] = _date(end_date)
    return body


def start_backtest(
    strategy_name: str,
    symbols: Union[str, Iterable[str]],
    timeframe: str,
    strategy_params: Optional[dict[str, Any]],
    start_date: DateLike,
    end_date: DateLike,
    initial_cash: float,
    exchange: str,
    extra: dict[str, Any],
) -> Call[models.RunResponse]:
    body = _backtest_body(
        strategy_name, symbols, timeframe, strategy_params, start_date, end_date, initial_cash, exchange
    )
    body.update(extra)
    return _command("POST", "/run/backtest", body)


def start_optimize(
    strategy_name: str,
    symbols: Union[str, Iterable[str]],
    timeframe: str,
    grid: dict[str, Any],
    objective: Optional[str],
    min_trades: int,
    walk_forward: Optional[dict[str, Any]],
    strategy_params: Optional[dict[str, Any]],
    start_date: DateLike,
    end_date: DateLike,
    initial_cash: float,
    exchange: str,
    extra: dict[str, Any],
) -> Call[models.RunResponse]:
    body = _backtest_body(
        strategy_name, symbols, timeframe, strategy_params, start_date, end_date, initial_cash, exchange
    )
    body["grid"] = grid
    body["min_trades"] = min_trades
    if objective is not None:
        body["objective"] = objective
    if walk_forward is not None:
        body["walk_forward"] = walk_forward
    body.update(extra)
    return _command("POST", "/run/optimize", body)


def start_live(
    strategy_name: str,
    symbols: Union[str, Iterable[str]],
    timeframe: str,
    mode: str,
    exchange: str,
    exchange_config: Optional[dict[str, Any]],
    strategy_params: Optional[dict[str, Any]],
    initial_cash: float,
    extra: dict[str, Any],
) -> Call[models.RunResponse]:
    if mode not in ("paper", "live"):
        raise ValueError(f"mode must be 'paper' or 'live', got {mode!r}")
    body: dict[str, Any] = {
        "strategy_name": strategy_name,
        "strategy_params": strategy_params or {},
        "symbols": _symbols(symbols),
        "timeframe": timeframe,
        "mode": mode,
        "exchange": exchange,
        "exchange_config": exchange_config or {},
        "initial_cash": initial_cash,
    }
    body.update(extra)
    return _command("POST", "/run/live", body)


def stop() -> Call[models.RunResponse]:
    return _command("POST", "/run/stop")


def resume() -> Call[models.RunResponse]:
    return _command("POST", "/run/resume")


def reset() -> Call[models.RunResponse]:
    return _command("DELETE", "/run/reset")


def finished(s: models.StatusResponse, run_id: Optional[str]) -> Optional[bool]:
    """True when the run is over, False while it goes, None when the server moved on to another run."""
    if run_id is not None and s.run_id != run_id:
        return None
    return s.status.value not in ACTIVE


def status_of_stored(r: models.ResultsResponse) -> models.StatusResponse:
    """The final status of a run that is no longer the server's current one, from its stored results."""
    return models.StatusResponse.model_validate(
        {
            "run_id": r.run_id,
            "status": r.status.value,
            "mode": r.config.mode.value,
            "start_time": r.start_time,
            "end_time": r.end_time,
            "value": r.final_value,
            "pnl": r.final_value - r.config.initial_cash,
            "trade_count": len(r.trades),
            "error": r.error,
        }
    )


def subscriptions(channels: Union[str, Iterable[str]], symbol: Optional[str]) -> list[dict[str, Any]]:
    """The subscribe messages for `channels` (checked here, so a typo fails before connecting)."""
    chans = _symbols(channels)
    if not chans:
        raise ValueError("subscribe to at least one channel")
    for c in chans:
        if c not in CHANNELS:
            raise ValueError(f"unknown channel {c!r}; channels: {', '.join(CHANNELS)}")
    out: list[dict[str, Any]] = []
    for c in chans:
        msg: dict[str, Any] = {"action": "subscribe", "channel": c}
        if symbol:
            msg["symbol"] = symbol
        out.append(msg)
    return out


def backoff(attempt: int, retry_after: Optional[float] = None) -> float:
    """Seconds to wait before retry number `attempt` (0-based)."""
    if retry_after is not None:
        return max(0.0, min(retry_after, 60.0))
    return float(min(0.25 * 2.0**attempt, 5.0))


def connection_error(settings: Settings, e: Exception) -> CrackTraderError:
    from .errors import CrackTraderConnectionError

    return CrackTraderConnectionError(f"cannot reach {settings.base_url}: {e}")

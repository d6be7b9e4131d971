"""Errors raised by the clients: one class per HTTP failure family, all carrying the API's error envelope."""

from __future__ import annotations

from typing import Any, Optional


class CrackTraderError(Exception):
    """A request the server refused or could not answer.

    ``status`` is the HTTP status (``None`` when no answer came), ``code`` the envelope's machine-readable
    code (e.g. ``RUN_ALREADY_ACTIVE``), ``message`` its human text and ``details`` its extra fields.
    """

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: str = "ERROR",
        details: Optional[dict[str, Any]] = None,
    ) -> None:
        super().__init__(f"{code}: {message}" if status is not None else message)
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details or {}


class BadRequestError(CrackTraderError):
    """400: the request was invalid; ``details`` says which field and what is accepted."""


class AuthenticationError(CrackTraderError):
    """401: the API key is missing or unknown."""


class PermissionDeniedError(CrackTraderError):
    """403: the key may not do this (a read-only key starting a run, or real-money trading not allowed)."""


class NotFoundError(CrackTraderError):
    """404: no such run, results or route."""


class ConflictError(CrackTraderError):
    """409: the run state does not allow it (a run is already active, nothing to stop, ...)."""


class RateLimitError(CrackTraderError):
    """429: too many requests; ``retry_after`` is the wait in seconds the server asked for."""

    def __init__(self, message: str, *, retry_after: Optional[float] = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(CrackTraderError):
    """5xx: the server failed; its log has the cause."""


class CrackTraderConnectionError(CrackTraderError, ConnectionError):
    """The server could not be reached (refused, reset, timed out); the message names the URL."""


class CrackTraderTimeoutError(CrackTraderError, TimeoutError):
    """``wait_for_run`` gave up before the run finished."""


_BY_STATUS: dict[int, type[CrackTraderError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: BadRequestError,
    415: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
}


def from_response(status: int, body: Any, retry_after_header: Optional[str]) -> CrackTraderError:
    """The error for a non-2xx answer, read from the ``{"error": {code, message, details}}`` envelope."""
    env = body.get("error") if isinstance(body, dict) else None
    code, message = f"HTTP_{status}", f"the server answered HTTP {status}"
    details: dict[str, Any] = {}
    if isinstance(env, dict):
        code = str(env.get("code") or code)
        message = str(env.get("message") or message)
        if isinstance(env.get("details"), dict):
            details = env["details"]
    if status == 429:
        retry: Optional[float] = None
        for candidate in (retry_after_header, details.get("retry_after_seconds"), details.get("retry_after")):
            try:
                retry = float(candidate) if candidate is not None else None
            except (TypeError, ValueError):
                retry = None
            if retry is not None:
                break
        return RateLimitError(message, status=status, code=code, details=details, retry_after=retry)
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else CrackTraderError)
    return cls(message, status=status, code=code, details=details)

"""Python client of the cracktrader-tui Web API.

>>> from cracktrader import CrackTraderAPI
>>> api = CrackTraderAPI(api_key="your_key")
>>> balance = api.get_balance()
"""

from . import models
from .async_client import AsyncCrackTraderAPI
from .client import CrackTraderAPI
from .errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CrackTraderConnectionError,
    CrackTraderError,
    CrackTraderTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncCrackTraderAPI",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CrackTraderAPI",
    "CrackTraderConnectionError",
    "CrackTraderError",
    "CrackTraderTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "__version__",
    "models",
]

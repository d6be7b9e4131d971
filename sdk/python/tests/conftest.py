"""Starts the real `cracktrader-tui serve` binary on a free port for each test that asks for a server."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest

ROOT = Path(__file__).resolve().parents[3]
WRITE_KEY = "sdk-write-key"
READ_KEY = "sdk-read-key"


def binary() -> str:
    explicit = os.environ.get("CRACKTRADER_BIN")
    if explicit:
        return explicit
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "cracktrader-tui"
        if p.exists():
            return str(p)
    raise RuntimeError("build the server first (cargo build --release) or set CRACKTRADER_BIN")


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen[str]
    data_dir: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(data_dir: Path, *args: str, port: int = 0) -> Server:
    strategies = data_dir / "strategies"
    strategies.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CRACKTRADER_STRATEGIES": str(strategies), "NO_COLOR": "1"}
    env.pop("CRACKTRADER_API_KEYS", None)
    proc = subprocess.Popen(
        [binary(), "serve", "--port", str(port), "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: queue.Queue[Optional[str]] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        line = lines.get(timeout=30)
    except queue.Empty:
        line = None
    if not line or "listening on " not in line:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    url = line.split("listening on ", 1)[1].strip()
    return Server(url, int(url.rsplit(":", 1)[1]), proc, data_dir)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server with one write key and one read-only key, rate limit off."""
    s = start_server(tmp_path, "--api-key", WRITE_KEY, "--api-key", f"{READ_KEY}:read", "--rate-limit", "0")
    yield s
    s.stop()


@pytest.fixture
def limited_server(tmp_path: Path) -> Iterator[Server]:
    """A server allowing 3 requests a minute."""
    s = start_server(tmp_path, "--api-key", WRITE_KEY, "--rate-limit", "3")
    yield s
    s.stop()


#: A paper run on the offline exchange that orders and fills within a second.
PAPER: dict[str, Any] = {
    "strategy_name": "TestStrategy",
    "symbols": ["BTC/USDT"],
    "timeframe": "1m",
    "strategy_params": {"period": 2, "slow": 3},
    "exchange_config": {"speed": 6000},
}

"""Helpers shared by the tests: instants, free ports, and waiting for a condition instead of sleeping."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx


def utc(text: str) -> datetime:
    """An ISO instant with Z or an offset, as UTC."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll ``condition`` until it is true (returns True) or ``timeout`` real seconds pass (returns False)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def healthy(url: str) -> bool:
    """Does the convoca server at ``url`` answer its health check?"""
    try:
        return httpx.get(url.rstrip("/") + "/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def confirmed(calendar_text: str) -> str:
    """A calendar's text with every «unconfirmed» mark and its figures label removed: what it would be once the
    OPLE confirmed every value (so its documents are no PROYECTO). For tests of the confirmed path only."""
    lines = []
    for line in calendar_text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith(("unconfirmed:", "figures_label:")):
            continue
        lines.append(line.replace(", unconfirmed: true}", "}"))
    return "".join(lines)

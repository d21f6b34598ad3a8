"""Waiting for a condition instead of sleeping for a guess: the timeout only catches a hang,
so it is generous (a loaded machine may take seconds for what an idle one does at once)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

HANG = 60.0


async def wait_until(predicate: Callable[[], object], what: str, timeout: float = HANG) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout:g}s waiting for {what}"
        await asyncio.sleep(0.01)

"""A whole daemon on the toy platform (tests/support/toy_platform.py), started from a config:
what the device and action kinds' tests drive a real daemon with. ``gift`` is the event they
emit, ``problems`` what ``check`` says of a config text."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from livetrigger import events as ev
from livetrigger.config import load_config, load_config_text
from livetrigger.daemon import Daemon
from livetrigger.errors import ConfigError
from tests.support.toy_platform import ToyPlatform
from tests.support.waiting import HANG, wait_until


def gift(nickname: str = "Alice", diamonds: int = 1) -> ev.GiftEvent:
    """One Rose worth ``diamonds`` from Alice (named ``nickname``)."""
    user = ev.User(id=1, unique_id="alice", nickname=nickname)
    return ev.GiftEvent(
        user=user,
        gift_id=5655,
        gift_name="Rose",
        diamonds=diamonds,
        repeat_count=1,
        total_diamonds=diamonds,
    )


def problems(text: str) -> list[str]:
    """What ``check`` says of the config ``text``, one line each (it must say something)."""
    with pytest.raises(ConfigError) as caught:
        load_config_text(text)
    return list(caught.value.problems)


class Running:
    """The daemon while it runs, its room ``@toy`` connected."""

    def __init__(self, daemon: Daemon, platform: ToyPlatform, task: asyncio.Task[int]) -> None:
        self.daemon = daemon
        self.platform = platform
        self.task = task

    def emit(self, event: ev.Event) -> None:
        self.platform.emit("toy", event)

    def snapshot(self) -> dict[str, Any]:
        return dict(self.daemon.control.snapshot())

    def device(self, action: str, name: str) -> Any:
        """The running device ``name`` of the outlet of the action kind ``action``."""
        return self.daemon.outputs.outlets[action].devices[name].device  # type: ignore[attr-defined]

    async def until(self, done: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
        """The status once ``done(status)`` holds."""
        while not done(snap := self.snapshot()):
            await asyncio.sleep(0.01)
        return snap

    async def settled(self, target: str, n: int = 1) -> dict[str, Any]:
        """The status once ``n`` requests of ``target`` have ended (ok or failed)."""

        def ended(snap: dict[str, Any]) -> bool:
            counts = snap["actions"].get(target, {})
            return bool(counts.get("ok", 0) + counts.get("failed", 0) >= n)

        return await self.until(ended)

    async def outcome(self, target: str, n: int = 1) -> dict[str, int]:
        """The target's counts once ``n`` of its requests ended (ok or failed)."""
        counts: dict[str, int] = (await self.settled(target, n))["actions"][target]
        return counts

    async def stop(self) -> None:
        """Stop the daemon (unless a test already asked) and see it exit 0."""
        if not self.daemon.stopping:
            self.daemon.request_stop()
        assert await asyncio.wait_for(self.task, HANG) == 0


@asynccontextmanager
async def daemon(config: str | Path, tmp_path: Path) -> AsyncIterator[Running]:
    """A daemon on ``config`` (a text, or a file whose directory its files are found from),
    its room @toy connected; stopped at the end if still up."""
    loaded = load_config(config) if isinstance(config, Path) else load_config_text(config)
    platform = ToyPlatform()
    d = Daemon(loaded, persist=False, status_path=tmp_path / "s.sock", platform=platform)
    task = asyncio.create_task(d.run())
    await wait_until(lambda: "toy" in platform.sources, "the room")
    await asyncio.wait_for(platform.sources["toy"].connected.wait(), HANG)
    running = Running(d, platform, task)
    try:
        yield running
    finally:
        if not task.done():
            await running.stop()

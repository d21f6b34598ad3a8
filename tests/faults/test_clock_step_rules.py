"""Cooldowns and queued firings run on the monotonic clock (issue 25): a Raspberry Pi without a
clock battery boots on a stale clock and NTP steps it minutes or hours later. On the wall
clock a step back of an hour held every cooldown and queued firing for that hour, and a step
forward of 15 min released every cooldown at once. Across a restart a cooldown keeps its
remaining time (the state directory holds it as wall-clock time: the only clock a restart
keeps), and a clock set back across the restart holds it no longer than its own length.

The daemon runs in-process against the fake room; the system's wall clock is stepped under it
(``time.time``, which the decoder, the state store and the rules read). Each rule's cooldown
passing is itself an event: a rule with ``overflow: queue`` releases what it held when its
cooldown is over, and its twin without a queue is then free too (same cooldown, same start).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon, Hooks
from livetrigger.daemon.rooms import RoomRuntime
from livetrigger.rules.engine import Firing
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.outage import entered, gift
from tests.support.waiting import wait_until

HANG = 30.0  # catches a cooldown held by a step (an hour), not a slow machine


def config_for(room: FakeLiveRoom, work: Path, cooldown: str) -> str:
    return f"""\
tiktok: {{web_url: "{room.base_url}", webcast_url: "{room.base_url}", sign_url: "{room.base_url}",
         live_check_interval: 100ms, reconnect_initial: 100ms}}
daemon: {{state_dir: "{work}/state", status_socket: "{work}/s.sock", shutdown_timeout: 2s}}
rooms:
  - username: "@{room.unique_id}"
    rules:
      - {{id: cool, on: gift, cooldown: {cooldown}, do: [{{log: "cool"}}]}}
      - {{id: queued, on: gift, cooldown: {cooldown}, overflow: queue, do: [{{log: "queued"}}]}}
      - {{id: long, on: gift, cooldown: 1h, do: [{{log: "long"}}]}}
      - {{id: each, on: gift, do: [{{log: "each"}}]}}
"""


class Run:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.fired: list[str] = []

    @property
    def room(self) -> RoomRuntime:
        return next(iter(self.daemon.rooms.values()))

    def limited(self, rule: str) -> int:
        return self.room.engine.stats[rule].rate_limited

    async def gifts(self, room: FakeLiveRoom, n: int) -> None:
        """Send ``n`` gifts, one at a time, each handled by the rules before the next."""
        for _ in range(n):
            await self.send_gift(room, self.room.events["gift"] + 1)

    async def send_gift(self, room: FakeLiveRoom, count: int) -> None:
        await room.send(gift(room))
        await wait_until(lambda: self.room.events["gift"] >= count, "the gift handled")


@asynccontextmanager
async def running(room: FakeLiveRoom, work: Path, cooldown: str) -> AsyncIterator[Run]:
    run: Run

    def firing(_room: str, f: Firing) -> None:
        if f.rule_id != "each":  # every gift fires it: the step is logged as its action goes
            run.fired.append(f.rule_id)

    config = load_config_text(config_for(room, work, cooldown))
    daemon = Daemon(
        config,
        pin_factory=MockFactory(pin_class=MockPWMPin),
        hooks=Hooks(firing=firing),
        # the clock the test steps: looked up at each call, not bound to the unstepped one
        wall_clock=lambda: time.time(),  # noqa: PLW0108
    )
    run = Run(daemon)
    task = asyncio.create_task(daemon.run())
    try:
        await entered(room)
        await wait_until(lambda: daemon.rooms, "the room running")
        yield run
    finally:
        daemon.request_stop()
        assert await asyncio.wait_for(task, 30) == 0


def step(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """NTP steps the system's wall clock by ``seconds``."""
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + seconds)


def said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "wall clock stepped" in r.getMessage()]


async def test_a_backward_step_holds_no_cooldown_and_no_queued_firing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with FakeLiveRoom() as room, running(room, tmp_path, "300ms") as run:
        await run.gifts(room, 1)
        assert run.fired == ["cool", "queued", "long"]
        step(monkeypatch, -3600.0)
        await run.gifts(room, 1)
        assert run.limited("long") == 1
        # fired, or queued and let go when its cooldown is over: not an hour later
        await wait_until(lambda: run.fired.count("queued") == 2, "the queued firing", HANG)
        await run.gifts(room, 1)  # its twin's cooldown, begun with the queue's, is over too
        assert run.fired.count("cool") >= 2
        assert run.limited("long") == 2
        await wait_until(lambda: said(caplog), "the step logged")
    assert [m.split(" (")[0] for m in said(caplog)] == ["wall clock stepped back by 1h"]


async def test_a_forward_step_releases_no_cooldown_and_no_queued_firing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with FakeLiveRoom() as room, running(room, tmp_path, "1m") as run:
        await run.gifts(room, 2)
        assert run.fired == ["cool", "queued", "long"]
        step(monkeypatch, 15 * 60.0)
        await run.gifts(room, 1)
        # still within a minute of the first gift: every cooldown holds, the queue waits
        assert run.fired == ["cool", "queued", "long"]
        assert (run.limited("cool"), run.limited("long"), run.room.engine.queued()) == (2, 2, 2)
        # the dashboard: a cooldown still running, from a firing moments ago on today's clock
        state = run.daemon.control.dashboard_state()["rooms"][run.room.name]
        cool = next(r for r in state["rules"] if r["id"] == "cool")
        assert 0 < cool["cooldown_left"] <= 60
        assert time.time() - 60 < cool["last_fired"] <= time.time()
        await run.gifts(room, 1)
        await wait_until(lambda: said(caplog), "the step logged")
        assert run.limited("cool") == 3
    assert [m.split(" (")[0] for m in said(caplog)] == ["wall clock stepped forward by 15m"]


async def test_a_restart_keeps_a_cooldown_for_its_remaining_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeLiveRoom() as room:
        async with running(room, tmp_path, "300ms") as run:
            await run.gifts(room, 1)
            assert run.fired == ["cool", "queued", "long"]
        # the next start is on a clock an hour behind (a Pi's reboot before NTP's sync): the
        # saved cooldowns look as if they began in the future; they hold their length, no more
        step(monkeypatch, -3600.0)
        async with running(room, tmp_path, "300ms") as run:
            await run.gifts(room, 1)
            assert run.limited("long") == 1  # an hour's cooldown still holds
            await wait_until(lambda: "queued" in run.fired, "the queued firing", HANG)
            await run.gifts(room, 1)
            assert "cool" in run.fired and run.limited("long") == 2

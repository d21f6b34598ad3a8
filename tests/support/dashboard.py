"""The daemon with its dashboard, on the fake room, and Chromium on its page: what the
dashboard's tests (tests/web/) start, each with its own config."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger import events as ev
from livetrigger.config import load_config
from livetrigger.daemon import Daemon
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.browser import Browser
from tests.support.waiting import HANG, wait_until

ON = "{enabled: true, port: 0}"  # the dashboard on loopback, on a free port


def head(room: FakeLiveRoom, tmp: Path, web: str = ON) -> str:
    """A config's sections for ``room`` (fast to connect), the dashboard and the daemon's
    files under ``tmp``; the test adds its devices, outputs and rooms."""
    return f"""\
tiktok: {{web_url: "{room.base_url}", webcast_url: "{room.base_url}", sign_url: "{room.base_url}",
         live_check_interval: 200ms, reconnect_initial: 100ms}}
web: {web}
daemon: {{status_socket: "{tmp}/s.sock", state_dir: "{tmp}/state"}}
"""


def config_text(room: FakeLiveRoom, tmp: Path, web: str = ON) -> str:
    """The lamp-and-buzzer config most dashboard tests run: a big gift lights the lamp, a
    follow beeps."""
    return (
        head(room, tmp, web)
        + f"""\
gpio:
  pin_factory: mock
  outputs:
    lamp: {{pin: 17}}
    buzzer: {{pin: 27, kind: buzzer}}
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: big_gift
        description: a gift of 100 diamonds lights the lamp
        on: gift
        when: {{total_diamonds: {{gte: 100}}}}
        do: [{{gpio: {{output: lamp, action: pulse, duration: 30s}}}}]
      - id: follow_beep
        on: follow
        do: [{{gpio: {{output: buzzer, action: beep, on_time: 50ms, off_time: 50ms, count: 1}}}}]
"""
    )


def galaxy(room: FakeLiveRoom, who: str = "sam") -> ev.GiftEvent:
    """A Galaxy (500 diamonds) from a viewer whose nickname is markup."""
    return ev.GiftEvent(
        msg_id=room.next_msg_id(),
        gift_id=11046,
        gift_name="Galaxy",
        diamonds=500,
        total_diamonds=500,
        user=ev.User(id=7, unique_id=who, nickname="<img src=x onerror=alert(1)>"),
    )


@asynccontextmanager
async def running(path: Path, room: FakeLiveRoom | None = None) -> AsyncIterator[Daemon]:
    """The daemon on the config file ``path`` (mock pins), once its dashboard is up and, given
    ``room``, it is in the room; stopped at the end (it exits 0)."""
    daemon = Daemon(load_config(path), pin_factory=MockFactory(pin_class=MockPWMPin))
    task = asyncio.create_task(daemon.run())
    try:
        if room is not None:
            await room.wait_for_client()
        await wait_until(lambda: daemon.dashboard is not None, "the dashboard")
        yield daemon
    finally:
        daemon.request_stop()
        assert await asyncio.wait_for(task, HANG) == 0


@asynccontextmanager
async def daemon_with_dashboard(
    tmp_path: Path, web: str = ON
) -> AsyncIterator[tuple[Daemon, FakeLiveRoom, Path]]:
    """The fake room and the daemon on ``config_text`` in it, with the config's path."""
    async with FakeLiveRoom() as room:
        path = tmp_path / "config.yaml"
        path.write_text(config_text(room, tmp_path, web))
        async with running(path, room) as daemon:
            yield daemon, room, path


def url_of(daemon: Daemon) -> str:
    """The dashboard's address, ``http://127.0.0.1:port/``."""
    assert daemon.dashboard is not None
    return f"http://127.0.0.1:{daemon.dashboard.port}/"


@asynccontextmanager
async def page(tmp_path: Path, url: str, *, phone: bool = False) -> AsyncIterator[Browser]:
    """Chromium with ``url`` open (on a phone's 360 px screen if ``phone``)."""
    async with Browser(tmp_path / "profile") as b:
        if phone:
            await b.send(
                "Emulation.setDeviceMetricsOverride",
                width=360,
                height=800,
                deviceScaleFactor=1,
                mobile=True,
            )
        await b.goto(url)
        yield b

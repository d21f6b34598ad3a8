"""The live-platform seam (livetrigger/sources/base.py): a platform that is not TikTok, given
to the daemon, has its events run through the rules, its chat action sent, its reconnect
button pressed and its resources closed at the stop, with nothing else in the daemon knowing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from livetrigger import events as ev
from livetrigger.actions import ActionRequest
from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon, Hooks
from livetrigger.sources import PLATFORMS
from livetrigger.sources.base import Platform
from tests.support.toy_platform import ToyPlatform

CONFIG = """\
tiktok:  # the file's platform is TikTok, whose chat needs a session (`check` says so)
  sign_url: http://127.0.0.1:9
  session_id: s
  session_id_sign_host: 127.0.0.1
rooms:
  - username: "@toy"
    rules:
      - id: thanks
        on: gift
        when: {total_diamonds: {gte: 10}}
        do:
          - log: "{{ user.nickname }} sent {{ gift_name }}"
          - chat: "thank you {{ user.nickname }}"
"""


async def test_a_platform_plugs_in_behind_the_seam(tmp_path: Path) -> None:
    lines: list[str] = []
    logged = asyncio.Event()

    def log_line(request: ActionRequest, line: str) -> None:
        lines.append(line)
        logged.set()

    platform = ToyPlatform()
    daemon = Daemon(
        load_config_text(CONFIG),
        hooks=Hooks(log_line=log_line),
        persist=False,
        status_path=tmp_path / "s.sock",
        platform=platform,
    )
    run = asyncio.create_task(daemon.run())
    while "toy" not in platform.sources:
        await asyncio.sleep(0.01)
    source = platform.sources["toy"]
    await asyncio.wait_for(source.connected.wait(), 60)
    assert daemon.control.snapshot()["rooms"]["toy"]["state"] == "connected"

    small = ev.GiftEvent(gift_name="Rose", diamonds=1, total_diamonds=1, msg_id=1)
    big = ev.GiftEvent(
        gift_name="Lion", diamonds=29_999, total_diamonds=29_999, msg_id=2,
        user=ev.User(nickname="ann"),
    )
    platform.emit("toy", small)
    platform.emit("toy", big)
    await asyncio.wait_for(logged.wait(), 60)
    while not source.chat:
        await asyncio.sleep(0.01)
    assert lines == ["ann sent Lion"] and source.chat == ["thank you ann"]
    assert daemon.event_path.rule_fires["thanks"] == 1
    assert daemon.rooms["toy"].events["gift"] == 2

    daemon.control.reconnect_room("toy")
    assert source.reconnects == 1

    daemon.request_stop()
    assert await asyncio.wait_for(run, 60) == 0
    assert source.stopped.is_set() and platform.closed


def test_platforms_are_registered_in_one_table() -> None:
    assert set(PLATFORMS) == {"tiktok"}
    toy: Platform = ToyPlatform()  # mypy holds the toy to the Protocol
    assert toy.name == "toy"

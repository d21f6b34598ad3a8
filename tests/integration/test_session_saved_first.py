"""A session's start and end are on disk before their triggers leave (found by the soak): a
SIGKILL between a `live` or `stream_ended` trigger and the state write made the next process
start the session again or end it again (reason lost). The in-process daemon's firing hook
reads the room's state file at the moment each of these firings is submitted."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon, Hooks
from livetrigger.rules.engine import Firing
from livetrigger.simulator.server import FakeLiveRoom


def config_for(room: FakeLiveRoom, state_dir: Path) -> str:
    return f"""\
tiktok: {{web_url: "{room.base_url}", webcast_url: "{room.base_url}", sign_url: "{room.base_url}",
         live_check_interval: 100ms, reconnect_initial: 100ms}}
daemon: {{state_dir: "{state_dir}", status_socket: "{state_dir}/s.sock", shutdown_timeout: 2s}}
rooms:
  - username: "@{room.unique_id}"
    rules:
      - {{id: live, on: live, do: [{{log: "live"}}]}}
      - {{id: ended, on: stream_ended, do: [{{log: "ended"}}]}}
"""


async def test_live_and_stream_ended_are_saved_before_their_triggers(tmp_path: Path) -> None:
    doc = tmp_path / "room.demo_streamer.json"
    on_disk: list[tuple[str, Any]] = []

    def firing(room: str, f: Firing) -> None:
        data = json.loads(doc.read_text())["data"] if doc.exists() else {}
        session = data.get("parts", {}).get("scheduler", {}).get("session_room", "no file")
        on_disk.append((f.rule_id, session))

    async with FakeLiveRoom(live=False) as room:
        config = load_config_text(config_for(room, tmp_path))
        daemon = Daemon(
            config, pin_factory=MockFactory(pin_class=MockPWMPin), hooks=Hooks(firing=firing)
        )
        task = asyncio.create_task(daemon.run())
        try:
            deadline = time.monotonic() + 20  # only catches a hang
            room.go_live()
            await room.wait_for_client()
            await room.end_stream()
            while len(on_disk) < 2:
                assert time.monotonic() < deadline, f"firings so far: {on_disk}"
                await asyncio.sleep(0.01)
        finally:
            daemon.request_stop()
            await asyncio.wait_for(task, 30)
    assert on_disk == [("live", room.room_id), ("ended", None)]

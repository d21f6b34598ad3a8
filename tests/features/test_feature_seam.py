"""The feature seam (livetrigger/daemon/features/base.py): a feature registered with one line in
FEATURES is built, started, told of rooms, states, firings and events in the documented
order, may hold an event's firings back, may add requests to a firing, keeps room state
across a restart through the state directory, and is stopped after the rooms."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from livetrigger import events as ev
from livetrigger.actions import ActionRequest, LogMessage
from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon, Hooks, features
from livetrigger.daemon.features import FEATURES, Feature, FeatureSpec
from livetrigger.daemon.rooms import RoomRuntime
from livetrigger.rules.engine import Firing
from tests.support.toy_platform import ToyPlatform


class Recorder(Feature):
    """Writes down every hook call; holds gifts' firings until ``gate`` opens."""

    name: ClassVar[str] = "recorder"
    built: ClassVar[list[Recorder]] = []

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.calls: list[str] = []
        self.gate = asyncio.Event()
        self.restored: dict[str, Any] = {}
        self.ticked = asyncio.Event()
        Recorder.built.append(self)

    async def start(self) -> None:
        self.calls.append("start")

    def on_room_added(self, runtime: RoomRuntime, *, restore: bool) -> None:
        self.calls.append(f"room_added {runtime.name} restore={restore}")

    def on_state(self, room: str, state: str, detail: str) -> None:
        self.calls.append(f"state {room} {state}")

    def hold(self, room: str, event: ev.Event, firings: Sequence[Firing]) -> Awaitable[None] | None:
        if event.kind != "gift" or not firings:
            return None
        self.calls.append("hold")
        return self.gate.wait()

    def on_firing(self, room: str, firing: Firing) -> Iterable[ActionRequest]:
        self.calls.append(f"firing {firing.rule_id}")
        return (LogMessage(rule_id=firing.rule_id, room=room, message="added by the feature"),)

    def on_event(self, room: str, event: ev.Event, firings: Sequence[Firing]) -> None:
        self.calls.append(f"event {event.kind} fired={[f.rule_id for f in firings]}")

    def tick(self, now: float) -> None:
        self.ticked.set()

    def room_snapshot(self, room: str) -> dict[str, Any] | None:
        return {"seen": sum(1 for c in self.calls if c.startswith("event"))}

    def restore_room(self, room: str, data: dict[str, Any]) -> None:
        self.restored[room] = data

    async def stop(self) -> None:
        source = self.daemon.platform.sources["toy"]  # type: ignore[attr-defined]
        self.calls.append(f"stop rooms_stopped={source.stopped.is_set()}")


CONFIG = """\
daemon: {{state_dir: "{state}"}}
rooms:
  - username: "@toy"
    rules:
      - id: lamp
        on: gift
        do: [{{log: "gift {{{{ gift_name }}}}"}}]
"""


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    Recorder.built = []
    spec = FeatureSpec("recorder", lambda d: True, Recorder)
    monkeypatch.setattr(features, "FEATURES", (*FEATURES, spec))


async def run_once(tmp_path: Path, events: list[ev.Event]) -> tuple[Recorder, list[str]]:
    lines: list[str] = []
    platform = ToyPlatform()
    daemon = Daemon(
        load_config_text(CONFIG.format(state=tmp_path / "state")),
        hooks=Hooks(log_line=lambda request, line: lines.append(line)),
        status_path=tmp_path / "s.sock",
        platform=platform,
    )
    run = asyncio.create_task(daemon.run())
    while not Recorder.built or "toy" not in platform.sources:
        await asyncio.sleep(0.01)
    recorder = Recorder.built[-1]
    await asyncio.wait_for(platform.sources["toy"].connected.wait(), 60)
    for event in events:
        platform.emit("toy", event)
    if events:
        await asyncio.sleep(0)
        assert lines == []  # held: nothing of the gift's firing has left
        recorder.gate.set()
        while len(lines) < 2:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(recorder.ticked.wait(), 60)
    daemon.request_stop()
    assert await asyncio.wait_for(run, 60) == 0
    return recorder, lines


async def test_a_registered_feature_hears_everything_in_order(tmp_path: Path) -> None:
    recorder, lines = await run_once(tmp_path, [ev.GiftEvent(gift_name="Rose", msg_id=1)])
    assert recorder.calls == [
        "room_added toy restore=True",
        "start",
        "state toy connected",
        "hold",
        "event gift fired=['lamp']",
        "firing lamp",
        "stop rooms_stopped=True",
    ]
    assert sorted(lines) == ["added by the feature", "gift Rose"]


async def test_a_feature_keeps_its_room_state_across_a_restart(tmp_path: Path) -> None:
    await run_once(tmp_path, [ev.GiftEvent(gift_name="Rose", msg_id=1)])
    again, _ = await run_once(tmp_path, [])
    assert again.restored == {"toy": {"seen": 1}}

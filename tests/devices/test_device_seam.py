"""A new device kind is its own module plus one line in devices/registry.py (issue 28): a toy
``lamp`` device kind and a toy ``glow`` action that drives it, defined here, are checked by
``check`` at file:line, are in the JSON Schema, and run through a whole daemon into the
generic device outlet: one alert at a time, restored after ``duration``, a rate limit,
retries when the device is away (another device and another action go on), ``status``, and
the safe state at the stop."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest

from livetrigger.actions import registry
from livetrigger.actions.device import Alert, DeviceActionKind, DeviceRequest
from livetrigger.actions.kind import ActionKind, CompileContext
from livetrigger.commands.status import render
from livetrigger.config import schema as cs
from livetrigger.config.shape import section
from livetrigger.devices import registry as devices
from livetrigger.devices.base import DeviceAway, DeviceKind, DeviceLimits
from livetrigger.settings import key
from tests.support.toy_daemon import daemon, gift, problems

# -- the toy device kind: what its module in livetrigger/devices/ would hold ----------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LampSettings(DeviceLimits):
    host: str
    away: bool = False  # the toy's way to be unreachable
    library: str | None = None  # the toy's way to need a library


class Lamp:
    """A lamp with one level: remembers what it was told, in order."""

    opened: ClassVar[dict[str, Lamp]] = {}
    can_snapshot = True

    def __init__(self, name: str, settings: LampSettings) -> None:
        self.settings = settings
        self.level = 10
        self.log: list[str] = []
        self.changed = asyncio.Event()
        Lamp.opened[name] = self

    def _note(self, what: str) -> None:
        self.log.append(what)
        self.changed.set()

    async def send(self, command: Any) -> None:
        if self.settings.away:
            raise DeviceAway("connection refused")
        self.level = int(command)
        self._note(f"send {command}")

    async def snapshot(self) -> Any:
        if self.settings.away:
            raise DeviceAway("connection refused")
        return self.level

    async def restore(self, snapshot: Any) -> None:
        self.level = int(snapshot)
        self._note(f"restore {snapshot}")

    def safe(self, before: Any | None) -> None:
        self.level = before if before is not None else self.level
        self._note(f"safe {before}")

    async def aclose(self) -> None:
        self._note("aclose")


class LampKind:
    key = "lamp"
    settings = LampSettings
    extra = "lamps"

    @property
    def module(self) -> str | None:
        return None

    def open(self, name: str, settings: LampSettings) -> Lamp:
        return Lamp(name, settings)


class NeedsLibrary(LampKind):
    key = "fancy"
    module = "no_such_library_for_livetrigger"  # type: ignore[assignment]


LAMP: DeviceKind[LampSettings] = LampKind()
FANCY: DeviceKind[LampSettings] = NeedsLibrary()


# -- the toy action kind that drives it -----------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Glow(DeviceRequest):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class GlowAction:
    device: str
    level: int = key(100, low=0, high=255)
    duration: float | None = None


def glow(entry: GlowAction, ctx: CompileContext, kind: str | None) -> Alert | None:
    level = entry.level
    return Alert(lambda c: level, str(level), entry.duration)


GLOW: ActionKind[GlowAction, Glow] = DeviceActionKind(
    name="glow",
    schema=GlowAction,
    request=Glow,
    kinds=("lamp", "fancy"),
    alert=glow,
    shown=lambda request: str(request.command),
)


@pytest.fixture
def lamps() -> Iterator[None]:
    kinds, action = registry.KINDS, cs.Action
    device_kinds, device = devices.DEVICE_KINDS, cs.Device
    devices.DEVICE_KINDS = (*device_kinds, LAMP, FANCY)  # the one line in devices/registry.py
    registry.KINDS = (*kinds, GLOW)
    cs.Action = cs.action_entry(registry.KINDS)  # type: ignore[misc]
    cs.Device = cs.device_entry(devices.DEVICE_KINDS)  # type: ignore[misc]
    section.cache_clear()
    Lamp.opened = {}
    try:
        yield
    finally:
        registry.KINDS, cs.Action = kinds, action  # type: ignore[misc]
        devices.DEVICE_KINDS, cs.Device = device_kinds, device  # type: ignore[misc]
        section.cache_clear()


HEAD = "devices:\n  desk: {lamp: {host: 10.0.0.1}}\n  wall: {lamp: {host: 10.0.0.2}}\n"
ROOM = 'rooms:\n  - username: "@toy"\n    rules:\n'


# -- check and the schema -------------------------------------------------------------------


def test_check_places_device_mistakes_at_their_line(lamps: None) -> None:
    kinds = ", ".join(k.key for k in devices.DEVICE_KINDS)  # the built-in ones, then the toys
    assert problems(
        "devices:\n"
        "  desk: {lmap: {host: x}}\n"
        "  both: {lamp: {host: x}, fancy: {host: y}}\n"
        "  none: {}\n"
        "  slow: {lamp: {host: x, retries: 99}}\n" + ROOM + "      - {id: a, on: gift, do: []}\n"
    )[:4] == [
        "<config>:2:10: devices.desk.lmap: unknown key `lmap` — did you mean `lamp`?",
        f"<config>:3:3: devices.both: each device needs exactly one kind: {kinds}"
        " (got lamp, fancy)",
        f"<config>:4:3: devices.none: each device needs exactly one kind: {kinds}",
        "<config>:5:26: devices.slow.lamp.retries: must be from 0 to 10 (got 99)",
    ]


def test_an_action_names_a_device_it_can_drive(lamps: None) -> None:
    found = problems(
        HEAD
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + "          - glow: {device: dsek}\n"
        + "          - glow: {device: '{{ user.nickname }}'}\n"
        + "          - mqtt: {topic: x, payload: y}\n"
    )
    assert found[:2] == [
        "<config>:10:20: rooms[0].rules[0].do[0].glow.device: unknown device `dsek`"
        " — did you mean `desk`? (devices: desk, wall)",
        "<config>:11:20: rooms[0].rules[0].do[1].glow.device: `device` is not a template:"
        " a viewer never picks the device",
    ]


def test_a_device_whose_library_is_missing_names_the_pip_command(lamps: None) -> None:
    assert problems(
        "devices:\n  stage: {fancy: {host: x}}\n"
        + ROOM
        + "      - {id: a, on: gift, do: [log: x]}\n"
    ) == [
        "<config>:2:11: devices.stage.fancy: a fancy device needs the"
        " `no_such_library_for_livetrigger` library: pip install 'livetrigger[lamps]'"
    ]


def test_devices_are_in_the_editors_schema(lamps: None) -> None:
    schema = cs.json_schema()
    document: dict[str, Any] = {
        "devices": {"desk": {"lamp": {"host": "x", "max_per_minute": 6}}},
        "rooms": [{"username": "@me", "rules": [{"id": "r", "do": [{"glow": {"device": "d"}}]}]}],
    }
    jsonschema.validate(document, schema)
    document["devices"]["desk"]["lamp"]["retries"] = 11
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


# -- through a running daemon ---------------------------------------------------------------


async def until(lamp: Lamp, done: Callable[[], bool]) -> None:
    while not done():
        lamp.changed.clear()
        await asyncio.wait_for(lamp.changed.wait(), 60)


async def test_alerts_play_one_at_a_time_and_restore_after_duration(
    lamps: None, tmp_path: Path
) -> None:
    async with daemon(
        HEAD
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + "          - glow: {device: desk, level: 200, duration: 50ms}\n",
        tmp_path,
    ) as d:
        desk = Lamp.opened["desk"]
        d.emit(gift())
        d.emit(gift())  # arrives while the first plays: it waits for the restore
        await until(desk, lambda: desk.log.count("restore 10") == 2)
        assert desk.log == ["send 200", "restore 10", "send 200", "restore 10"]
        shown = d.snapshot()["glow"]["devices"]["desk"]
        assert shown["state"] == "ok" and shown["sent"] == 2 and shown["restores"] == 2
        assert d.snapshot()["actions"]["device:desk"]["ok"] == 2
        await d.stop()
        assert desk.log[-2:] == ["safe None", "aclose"]


async def test_the_stop_puts_a_playing_alert_back_to_the_state_before(
    lamps: None, tmp_path: Path
) -> None:
    async with daemon(
        HEAD
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + "          - glow: {device: desk, level: 200, duration: 10m}\n",
        tmp_path,
    ) as d:
        desk = Lamp.opened["desk"]
        d.emit(gift())
        await until(desk, lambda: "send 200" in desk.log)
        assert d.snapshot()["glow"]["devices"]["desk"]["playing"] is True
        await d.stop()
        assert desk.log == ["send 200", "safe 10", "aclose"]  # no restore after the safe state
        assert desk.level == 10


async def test_a_device_that_is_away_costs_nothing_else(lamps: None, tmp_path: Path) -> None:
    async with daemon(
        "devices:\n  desk: {lamp: {host: a, away: true, retries: 2, retry_wait: 10ms}}\n"
        "  wall: {lamp: {host: b}}\n"
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + "          - glow: {device: desk, duration: 1s}\n"
        + "          - glow: {device: wall}\n"
        + "          - log: fired\n",
        tmp_path,
    ) as d:
        wall = Lamp.opened["wall"]
        d.emit(gift())
        await until(wall, lambda: wall.log == ["send 100"])
        snap = await d.until(lambda s: s["actions"].get("device:desk", {}).get("failed") == 1)
        desk = snap["glow"]["devices"]["desk"]
        assert desk["state"] == "away" and desk["reason"] == "connection refused"
        assert (desk["retries"], desk["failures"], desk["sent"]) == (2, 1, 0)
        assert snap["actions"]["log"]["ok"] == 1 and snap["actions"]["device:wall"]["ok"] == 1
        assert "desk: away: connection refused" in render(snap)


async def test_max_per_minute_refuses_and_counts(
    lamps: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A refusal by the device's own rate is a drop (counted, summed up in the log as a
    queue's drops are), not a failure of the device: 28 refusals, 2 log lines or so."""
    async with daemon(
        "devices:\n  desk: {lamp: {host: a, max_per_minute: 2, queue_size: 100}}\n"
        + ROOM
        + "      - id: a\n        on: gift\n        do: [glow: {device: desk}]\n",
        tmp_path,
    ) as d:
        for _ in range(30):
            d.emit(gift())

        def ended(s: dict[str, Any]) -> bool:
            counts = s["actions"].get("device:desk", {})
            return sum(counts.get(k, 0) for k in ("ok", "failed", "dropped")) == 30

        snap = await d.until(ended)
        assert snap["actions"]["device:desk"] == {"ok": 2, "failed": 0, "dropped": 28, "queued": 0}
        assert snap["glow"]["devices"]["desk"]["limited"] == 28
        assert snap["glow"]["devices"]["desk"]["failures"] == 0
        await d.stop()  # the last burst's count is logged at the stop
    lines = [r.getMessage() for r in caplog.records if "max_per_minute" in r.getMessage()]
    assert lines[0] == "rule a: request to device:desk dropped (over max_per_minute 2)"
    counted = [re.search(r": (\d+) more request\(s\) dropped in the last", x) for x in lines[1:]]
    assert all(counted) and sum(int(m[1]) for m in counted if m) == 27, lines

"""The ``hue`` device kind and the ``light`` action, through a whole running daemon, against a
fake Hue bridge speaking CLIP v2 over HTTPS with a self-signed certificate and its event
stream (tests/support/fake_hue.py): a light, a room and a scene take the alert and go back
after ``duration`` and at the stop; a bridge that is away, or that does not know the app
key, costs nothing else."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from livetrigger.devices.hue import _Bridge
from tests.support.fake_hue import LIGHTS, FakeHueBridge
from tests.support.toy_daemon import daemon, gift
from tests.support.waiting import wait_until

ROOM = 'rooms:\n  - username: "@toy"\n    rules:\n      - id: gift\n        on: gift\n'
KEY = "a-key-the-bridge-gave-livetrigger-0123456"
FLOOR = {"on": True, "brightness": 60.0, "colour": ("mirek", 366), "effect": "no_effect"}
CEILING = {"on": False, "brightness": 100.0, "colour": ("xy", 0.2, 0.1), "effect": "no_effect"}


@pytest.fixture
async def bridge() -> AsyncIterator[FakeHueBridge]:
    fake = await FakeHueBridge().start()
    fake.app_keys.add(KEY)
    yield fake
    await fake.stop()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "hue.key"
    path.write_text(KEY + "\n")
    path.chmod(0o600)
    return path


def hue(port: int, key_file: Path, target: str, extra: str = "") -> str:
    return (
        f"{{hue: {{bridge: 127.0.0.1, port: {port}, app_key_file: {key_file}, {target}{extra}}}}}"
    )


async def test_a_light_takes_the_alert_and_goes_back(
    bridge: FakeHueBridge, key_file: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with daemon(
        f"devices:\n  floor_lamp: {hue(bridge.port, key_file, 'light: floor LAMP')}\n" + ROOM
        + "        do:\n"
        "          - light: {device: floor_lamp, color: '#ff0000', brightness: 80%,"
        " transition: 1s, duration: 50ms}\n",
        tmp_path,
    ) as d:  # fmt: skip
        with caplog.at_level(logging.DEBUG):
            d.emit(gift())
            await bridge.wait_for(lambda: len(bridge.puts) == 2, "the alert and the way back")
        path, alert = bridge.puts[0]
        assert path == f"/clip/v2/resource/light/{bridge.light_ids['Floor lamp']}"
        assert alert == {
            "on": {"on": True}, "dimming": {"brightness": 80.0},
            "color": {"xy": {"x": 0.6401, "y": 0.33}}, "dynamics": {"duration": 1000},
        }  # fmt: skip
        assert bridge.puts[1][1] == {
            "on": {"on": True}, "dimming": {"brightness": 60.0},
            "color_temperature": {"mirek": 366}, "effects": {"effect": "no_effect"},
        }  # fmt: skip
        assert bridge.light("Floor lamp") == FLOOR
        assert bridge.light("Ceiling") == CEILING  # another light of the room: untouched
        assert not any(KEY in r.getMessage() for r in caplog.records)  # nor in aiohue's debug lines
        devices = d.snapshot
        await wait_until(lambda: devices()["light"]["devices"]["floor_lamp"]["restores"], "counted")
        await d.stop()
        assert len(bridge.puts) == 2  # nothing was playing: the stop leaves the lamp alone


async def test_a_lamp_under_two_devices_alerts_goes_back_to_its_look_before_both(
    bridge: FakeHueBridge, key_file: Path, tmp_path: Path
) -> None:
    """A room (red for 2 s) and one of its lamps (blue, until the stop) overlap: the lamp's
    device read red as its look before, and put red back after the room had gone back."""
    rules = (
        'rooms:\n  - username: "@toy"\n    rules:\n'
        "      - {id: room_red, on: gift, when: {total_diamonds: 1},"
        " do: [light: {device: living, color: red, duration: 2s}]}\n"
        "      - {id: lamp_blue, on: gift, when: {total_diamonds: 2},"
        " do: [light: {device: floor, color: blue, duration: 10m}]}\n"
    )
    async with daemon(
        f"devices:\n  living: {hue(bridge.port, key_file, 'group: Living room')}\n"
        f"  floor: {hue(bridge.port, key_file, 'light: Floor lamp')}\n" + rules,
        tmp_path,
    ) as d:
        devices = d.snapshot

        def shown(name: str) -> dict[str, Any]:
            return devices()["light"]["devices"][name]  # type: ignore[no-any-return]

        d.emit(gift(diamonds=1))
        await wait_until(lambda: shown("living")["playing"], "the room's alert")
        d.emit(gift(diamonds=2))
        await wait_until(lambda: shown("floor")["playing"], "the lamp's alert")
        await wait_until(lambda: shown("living")["restores"] == 1, "the room back")
        assert bridge.light("Ceiling") == CEILING  # the room's other light: back at once
        await d.stop()  # the lamp's alert is put back at the stop
    assert bridge.light("Floor lamp") == FLOOR  # its look before both, not the room's red


async def test_a_room_with_an_effect_and_a_scene_device_go_back(
    bridge: FakeHueBridge, key_file: Path, tmp_path: Path
) -> None:
    # the scene is another room's: two devices over the same lights run their alerts side by
    # side, and which one reads the lights first (before or after the other's alert) is chance
    async with daemon(
        "devices:\n"
        f"  living: {hue(bridge.port, key_file, 'group: Living room')}\n"
        f"  focus: {hue(bridge.port, key_file, 'scene: Focus')}\n" + ROOM + "        do:\n"
        "          - light: {device: living, effect: candle, brightness: 50%, duration: 50ms}\n"
        "          - light: {device: focus, duration: 50ms}\n",
        tmp_path,
    ) as d:
        desk = bridge.light("Desk lamp")
        d.emit(gift())
        # the room: its two lights one by one, then each back; the scene: one recall, one back
        await bridge.wait_for(lambda: len(bridge.puts) == 6, "both alerts and their ways back")
        effects = [
            b for p, b in bridge.puts if "effects" in b and b["effects"]["effect"] == "candle"
        ]
        assert len(effects) == 2
        assert any(p.startswith("/clip/v2/resource/scene/") for p, _ in bridge.puts)
        assert bridge.light("Floor lamp") == FLOOR
        assert bridge.light("Ceiling") == CEILING
        assert bridge.light("Desk lamp") == desk


async def test_the_stop_puts_a_playing_alert_back(
    bridge: FakeHueBridge, key_file: Path, tmp_path: Path
) -> None:
    async with daemon(
        f"devices:\n  desk: {hue(bridge.port, key_file, 'group: Desk area')}\n" + ROOM
        + "        do:\n          - light: {device: desk, scene: Focus, duration: 10m}\n",
        tmp_path,
    ) as d:  # fmt: skip
        before = bridge.light("Desk lamp")
        d.emit(gift())
        await bridge.wait_for(lambda: len(bridge.puts) == 1, "the scene")
        assert bridge.light("Desk lamp")["colour"] == ("mirek", 233)
        await wait_until(lambda: d.snapshot()["light"]["devices"]["desk"]["playing"], "")
        await d.stop()
        assert bridge.light("Desk lamp") == before
        assert len(bridge.puts) == 2


async def test_a_bridge_that_is_away_or_refuses_the_key_costs_nothing_else(
    bridge: FakeHueBridge, key_file: Path, tmp_path: Path
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    wrong = tmp_path / "wrong.key"
    wrong.write_text("a-key-this-bridge-never-gave")
    wrong.chmod(0o600)
    fast = ", retries: 1, retry_wait: 10ms"
    async with daemon(
        "devices:\n"
        f"  gone: {hue(closed, key_file, 'light: Floor lamp', fast)}\n"
        f"  stranger: {hue(bridge.port, wrong, 'light: Floor lamp', fast)}\n"
        f"  desk: {hue(bridge.port, key_file, 'light: Desk lamp')}\n" + ROOM + "        do:\n"
        "          - light: {device: gone, color: red, duration: 1s}\n"
        "          - light: {device: stranger, color: red}\n"
        "          - light: {device: desk, on: false}\n"
        "          - log: fired\n",
        tmp_path,
    ) as d:
        d.emit(gift())
        await bridge.wait_for(lambda: len(bridge.puts) == 1, "the desk lamp off")
        actions = lambda: d.snapshot()["actions"]  # noqa: E731
        await wait_until(
            lambda: (
                all(
                    actions().get(f"device:{n}", {}).get("failed") == 1
                    for n in ("gone", "stranger")
                )
                and actions().get("device:desk", {}).get("ok") == 1
                and actions().get("log", {}).get("ok") == 1
            ),
            "both alerts to fail and the desk lamp's to be counted",
        )
        devices = d.snapshot()["light"]["devices"]
        assert (
            devices["gone"]["reason"]
            == f"cannot reach the bridge at 127.0.0.1:{closed}: Connection refused"
        )
        assert devices["stranger"]["reason"] == (
            f"the bridge at 127.0.0.1:{bridge.port} does not know this app key: pair again with"
            " livetrigger hue-pair"
        )
        assert (devices["gone"]["retries"], devices["gone"]["failures"]) == (1, 1)
        assert bridge.light("Desk lamp")["on"] is False
        assert actions()["log"]["ok"] == 1


async def test_the_devices_of_one_bridge_share_one_connection(
    bridge: FakeHueBridge, key_file: Path, tmp_path: Path
) -> None:
    rules = 'rooms:\n  - username: "@toy"\n    rules:\n' + "".join(
        f"      - id: {name}\n        on: gift\n        if: total_diamonds == {n}\n"
        f"        do:\n          - light: {{device: {name}, color: red, duration: 50ms}}\n"
        for n, name in ((1, "floor"), (2, "desk"), (3, "relax"))
    )
    async with daemon(
        "devices:\n"
        f"  floor: {hue(bridge.port, key_file, 'light: Floor lamp')}\n"
        f"  desk: {hue(bridge.port, key_file, 'group: Desk area')}\n"
        f"  relax: {hue(bridge.port, key_file, 'scene: Relax')}\n" + rules,
        tmp_path,
    ) as d:
        looks = lambda: {name: bridge.light(name) for name in LIGHTS}  # noqa: E731
        before = looks()
        for n, name in ((1, "floor"), (2, "desk"), (3, "relax")):  # one after the other
            d.emit(gift(diamonds=n))
            await wait_until(
                lambda name=name: d.snapshot()["light"]["devices"][name]["restores"] == 1,
                f"{name} back",
            )
            assert looks() == before  # each put its own lights back
        # each alert and its lights back: the light, the zone (one light), the room (two)
        assert len(bridge.puts) == 2 + 2 + 3
        await bridge.wait_for(lambda: bridge.streams_opened >= 1, "the event stream")
        assert (bridge.streams_opened, bridge.listings) == (1, 1)
        await d.stop()
    assert not _Bridge._open.get(asyncio.get_running_loop())  # the last one closed it

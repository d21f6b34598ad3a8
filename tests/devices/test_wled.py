"""The ``wled`` device kind and the ``light`` action, through a whole running daemon, against a
fake WLED speaking the JSON API over a real socket (tests/support/fake_wled.py): the alert
shows, the strip goes back after ``duration`` and at the stop, a strip that is away costs
nothing else, and names the device does not have are said."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from livetrigger.commands.status import render
from tests.support.fake_wled import FakeWled
from tests.support.toy_daemon import daemon, gift
from tests.support.waiting import wait_until

ROOM = 'rooms:\n  - username: "@toy"\n    rules:\n      - id: gift\n        on: gift\n'
BEFORE = {"on": True, "bri": 128, "seg": [([0, 0, 255], "Rainbow"), ([0, 0, 255], "Rainbow")]}


@pytest.fixture
async def strip() -> AsyncIterator[FakeWled]:
    fake = await FakeWled().start()
    yield fake
    await fake.stop()


def device(port: int, extra: str = "") -> str:
    return f"{{wled: {{host: 127.0.0.1, port: {port}{extra}}}}}"


async def test_an_alert_shows_then_the_strip_goes_back(strip: FakeWled, tmp_path: Path) -> None:
    async with daemon(
        f"devices:\n  desk_strip: {device(strip.port)}\n" + ROOM + "        do:\n"
        '          - light: {device: desk_strip, color: "#ff8800", brightness: 80%,'
        " effect: Fireworks, transition: 500ms, duration: 50ms}\n",
        tmp_path,
    ) as d:
        d.emit(gift())
        await strip.wait_for(lambda: len(strip.changes) == 2, "the alert and the way back")
        alert, back = strip.changes
        assert alert == {
            "on": True, "bri": 204, "tt": 5, "v": True,
            "seg": [{"id": 0, "col": [[255, 136, 0]], "fx": 6}, {"id": 1, "col": [[255, 136, 0]], "fx": 6}],
        }  # fmt: skip
        assert back["seg"][0] == {
            "id": 0, "on": True, "bri": 255, "col": [[0, 0, 255], [0, 0, 0], [0, 0, 0]], "fx": 4,
            "sx": 128, "ix": 128, "pal": 0, "c1": 128, "c2": 128, "c3": 16, "o1": False,
            "o2": False, "o3": False,
        }  # fmt: skip
        assert strip.look() == BEFORE
        assert "POST /json/state" in strip.requests and "GET /json/state" in strip.requests
        devices = d.snapshot
        await wait_until(lambda: devices()["light"]["devices"]["desk_strip"]["restores"], "counted")
        shown = devices()["light"]["devices"]["desk_strip"]
        assert (shown["state"], shown["sent"], shown["restores"]) == ("ok", 1, 1)
        await d.stop()
        assert len(strip.changes) == 2  # nothing was playing: the stop leaves the strip alone


async def test_the_stop_puts_a_playing_alert_back(strip: FakeWled, tmp_path: Path) -> None:
    async with daemon(
        f"devices:\n  desk_strip: {device(strip.port)}\n" + ROOM + "        do:\n"
        "          - light: {device: desk_strip, color: red, duration: 10m}\n",
        tmp_path,
    ) as d:
        d.emit(gift())
        await strip.wait_for(lambda: len(strip.changes) == 1, "the alert")
        assert strip.look()["seg"][0] == ([255, 0, 0], "Solid")
        await wait_until(
            lambda: d.snapshot()["light"]["devices"]["desk_strip"]["playing"], "playing"
        )
        await d.stop()
        assert strip.look() == BEFORE
        assert len(strip.changes) == 2  # put back once, by the stop


async def test_a_way_back_that_failed_goes_first_when_the_strip_answers_again(
    strip: FakeWled, tmp_path: Path
) -> None:
    """The strip drops off Wi-Fi while an alert holds it, so its way back fails: the look
    before is kept (the next alert's snapshot would read the alert's red), and the next alert
    goes back to it first once the strip answers again."""
    port = strip.port
    async with daemon(
        f"devices:\n  desk_strip: {device(port, ', retries: 0')}\n" + ROOM
        + "        do:\n          - light: {device: desk_strip, color: red, duration: 1s}\n",
        tmp_path,
    ) as d:  # fmt: skip
        await d.until(lambda s: s["light"]["devices"]["desk_strip"]["state"] == "ok")  # probed
        d.emit(gift())
        await strip.wait_for(lambda: len(strip.changes) == 1, "the alert")
        await strip.stop()  # off Wi-Fi during the hold
        assert (await d.outcome("device:desk_strip"))["failed"] == 1  # its way back failed
        await strip.start(port=port)  # back, still red
        assert strip.look()["seg"][0] == ([255, 0, 0], "Solid")
        d.emit(gift())
        assert (await d.outcome("device:desk_strip", 2))["ok"] == 1
        assert strip.look() == BEFORE
        await d.stop()
        assert strip.look() == BEFORE


async def test_a_strip_that_is_away_costs_nothing_else(
    strip: FakeWled, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    async with daemon(
        "devices:\n"
        f"  gone: {device(closed, ', retries: 2, retry_wait: 10ms')}\n"
        f"  desk_strip: {device(strip.port)}\n" + ROOM + "        do:\n"
        "          - light: {device: gone, color: red, duration: 1s}\n"
        "          - light: {device: desk_strip, color: green}\n"
        "          - log: fired\n",
        tmp_path,
    ) as d:
        with caplog.at_level(logging.INFO):
            d.emit(gift())
            await strip.wait_for(lambda: len(strip.changes) == 1, "the other strip's alert")
            actions = lambda: d.snapshot()["actions"]  # noqa: E731
            await wait_until(
                lambda: actions().get("device:gone", {}).get("failed") == 1
                and actions().get("device:desk_strip", {}).get("ok") == 1
                and actions().get("log", {}).get("ok") == 1,
                "the away strip's alert to fail and the other's to be counted",
            )
        snap = d.snapshot()
        gone = snap["light"]["devices"]["gone"]
        reason = f"cannot reach 127.0.0.1:{closed}: Connection refused"
        assert (gone["state"], gone["reason"]) == ("away", reason)
        assert (gone["retries"], gone["failures"], gone["sent"]) == (2, 1, 0)
        assert snap["actions"]["log"]["ok"] == 1 and snap["actions"]["device:desk_strip"]["ok"] == 1
        assert f"gone: away: {reason}" in render(snap)
        assert sum(f"device gone (wled): away: {reason}" in r.getMessage() for r in caplog.records) == 1


async def test_presets_and_effects_by_name_and_names_it_lacks(
    strip: FakeWled, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with daemon(
        f"devices:\n  desk_strip: {device(strip.port)}\n" + ROOM + "        do:\n"
        "          - light: {device: desk_strip, preset: party, brightness: 50%}\n"
        "          - light: {device: desk_strip, effect: Firewroks}\n"
        "          - light: {device: desk_strip, on: false}\n",
        tmp_path,
    ) as d:
        d.emit(gift())
        await strip.wait_for(lambda: len(strip.changes) == 3, "the preset, its brightness, off")
        assert strip.changes == [
            {"ps": 2, "v": True},
            {"on": True, "bri": 128, "v": True},
            {"on": False, "v": True},
        ]
        await wait_until(
            lambda: d.snapshot()["actions"]["device:desk_strip"]["failed"] == 1,
            "the unknown effect to fail",
        )
        assert any(
            "no effect named 'Firewroks' on the WLED at 127.0.0.1" in r.getMessage()
            and "did you mean `Fireworks`?" in r.getMessage()
            for r in caplog.records
        )

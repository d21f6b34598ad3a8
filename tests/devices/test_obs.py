"""The ``obs`` action through a whole daemon into a fake OBS WebSocket server (obs-websocket 5)
on loopback (tests/support/obs_websocket.py): the password answers the server's challenge, a
scene, a source, a text and a filter change and go back after ``duration`` (each read first),
a viewer's text is one value, the stop puts a playing alert back, an OBS that is closed or
refuses the password is away with the reason (never the password) while the other actions go
on, and comes back when OBS does."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from livetrigger.cli import main
from livetrigger.commands.status import render
from livetrigger.config.schema import json_schema
from tests.support.obs_websocket import AUTHENTICATION_FAILED, FakeObs
from tests.support.toy_daemon import daemon, gift, problems

ROOM = 'rooms:\n  - username: "@toy"\n    rules:\n      - id: cue\n        on: gift\n'
HOSTILE = 'Bob"}, {"requestType": "SetCurrentProgramScene"}\n{{ x }}'


def password_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "obs.password"
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


def studio(port: int, secret: Path | None = None, extra: str = "") -> str:
    password = f", password_file: {secret}" if secret is not None else ""
    return f"devices:\n  studio: {{obs: {{port: {port}{password}{extra}}}}}\n"


def types(obs: FakeObs) -> list[str]:
    """The requests the alerts sent (the start-up probe's list reads left out)."""
    return [kind for kind, _ in obs.requests if not kind.endswith("List")]


async def test_obs_changes_scene_source_text_and_filter_and_goes_back(tmp_path: Path) -> None:
    async with FakeObs(password="correct horse") as obs:
        config = (
            studio(obs.port, password_file(tmp_path, "correct horse"))
            + ROOM
            + "        do:\n"
            + "          - obs: {device: studio, scene: Gift cam, duration: 50ms}\n"
            + "          - obs: {device: studio, source: Confetti, visible: true, duration: 50ms}\n"
            + "          - obs: {device: studio, text: {source: Last gift,"
            + ' value: "{{ user.nickname }} sent {{ gift_name }}"}}\n'
            + "          - obs: {device: studio, filter: {source: Cam, name: Shake},"
            + " duration: 50ms}\n"
        )
        async with daemon(config, tmp_path) as d:
            d.emit(gift(HOSTILE))
            counts = await d.outcome("device:studio", 4)
            assert counts["ok"] == 4, counts
            # each alert read what it changes first, and put it back after its duration
            assert types(obs) == [
                "GetCurrentProgramScene",
                "SetCurrentProgramScene",
                "GetCurrentProgramScene",  # still on the alert's scene: back to Main
                "SetCurrentProgramScene",
                "GetCurrentProgramScene",
                "GetSceneItemId",
                "GetSceneItemEnabled",
                "SetSceneItemEnabled",
                "SetSceneItemEnabled",
                "SetInputSettings",
                "GetSourceFilter",
                "SetSourceFilterEnabled",
                "SetSourceFilterEnabled",
            ]
            sets = [data for kind, data in obs.requests if kind.startswith("Set")]
            assert [s.get("sceneName") for s in sets[:2]] == ["Gift cam", "Main"]
            assert sets[2:4] == [
                {"sceneName": "Main", "sceneItemId": 2, "sceneItemEnabled": True},
                {"sceneName": "Main", "sceneItemId": 2, "sceneItemEnabled": False},
            ]
            # the viewer's text is one value of one setting; the font stays
            assert sets[4] == {
                "inputName": "Last gift",
                "inputSettings": {"text": HOSTILE + " sent Rose"},
                "overlay": True,
            }
            assert obs.state.inputs["Last gift"]["settings"]["font"]["size"] == 48
            assert [s["filterEnabled"] for s in sets[5:]] == [True, False]
            assert obs.state.program == "Main" and not obs.visible("Main", "Confetti")
            assert obs.text("Last gift") == HOSTILE + " sent Rose"  # no duration: it stays
            assert not obs.filter_on("Cam", "Shake")
            assert obs.identified == 1 and obs.subprotocols == ["obswebsocket.msgpack"]
            shown = d.snapshot()["obs"]["devices"]["studio"]
            assert shown["kind"] == "obs" and shown["state"] == "ok"
            assert (shown["sent"], shown["restores"]) == (4, 3)


async def test_a_scene_switched_by_hand_during_the_alert_stays(tmp_path: Path) -> None:
    async with FakeObs() as obs:
        config = (
            studio(obs.port)
            + ROOM
            + "        do: [obs: {device: studio, scene: Gift cam, duration: 10m}]\n"
        )
        async with daemon(config, tmp_path) as d:
            d.emit(gift())
            await obs.until(lambda: obs.state.program == "Gift cam")
            await playing(d, "studio")
            obs.state.scenes["Be right back"] = []
            obs.state.program = "Be right back"  # the streamer moved on
            await d.stop()
            assert obs.state.program == "Be right back"
            assert types(obs)[-1] == "GetCurrentProgramScene"  # read, and left alone


async def test_the_stop_puts_a_playing_scene_and_source_back(tmp_path: Path) -> None:
    async with FakeObs() as obs:
        config = (
            f"devices:\n  studio: {{obs: {{port: {obs.port}}}}}\n"
            f"  overlay: {{obs: {{port: {obs.port}}}}}\n"
            + ROOM
            + "        do:\n"
            + "          - obs: {device: studio, scene: Gift cam, duration: 10m}\n"
            + "          - obs: {device: overlay, source: Confetti, in_scene: Main,"
            + " duration: 10m}\n"
        )
        async with daemon(config, tmp_path) as d:
            d.emit(gift())
            await obs.until(
                lambda: obs.state.program == "Gift cam" and obs.visible("Main", "Confetti")
            )
            await playing(d, "studio", "overlay")
            await d.stop()  # well before the ten minutes
            assert obs.state.program == "Main"
            assert not obs.visible("Main", "Confetti")
            d.emit(gift())  # after the stop: nothing more reaches OBS
            assert types(obs).count("SetCurrentProgramScene") == 2


async def test_half_an_emoji_in_a_text_is_sent_replaced_and_obs_stays_ok(
    tmp_path: Path,
) -> None:
    """A lone surrogate (half an emoji, from a replayed capture) has no UTF-8 bytes: the text
    goes with U+FFFD in its place, and the device is not made away by a viewer's text."""
    async with FakeObs() as obs:
        config = (
            studio(obs.port)
            + ROOM
            + '        do: [obs: {device: studio, text: {source: Last gift, value: "{{ user.nickname'
            + ' }} sent"}}]\n'
        )
        async with daemon(config, tmp_path) as d:
            d.emit(gift("\ud83d"))
            assert (await d.outcome("device:studio"))["ok"] == 1
            assert obs.text("Last gift") == "\ufffd sent"
            assert d.snapshot()["obs"]["devices"]["studio"]["state"] == "ok"
            assert obs.identified == 1  # the session it had: never dropped as "away"


async def test_a_stop_while_an_alert_is_being_sent_still_puts_it_back(tmp_path: Path) -> None:
    async with FakeObs() as obs:
        config = (
            studio(obs.port)
            + ROOM
            + "        do: [obs: {device: studio, scene: Gift cam, duration: 10m}]\n"
        )
        async with daemon(config, tmp_path) as d:
            obs.hold = asyncio.Event()
            d.emit(gift())
            await obs.until(lambda: obs.state.program == "Gift cam")  # switched, not answered
            d.daemon.request_stop()  # the device goes safe before its alert says it plays
            obs.hold.set()
            assert await asyncio.wait_for(d.task, 60) == 0
            assert obs.state.program == "Main"
            assert types(obs)[-2:] == ["GetCurrentProgramScene", "SetCurrentProgramScene"]


async def test_a_stop_while_obs_answers_late_still_puts_it_back(tmp_path: Path) -> None:
    """OBS carries out the switch but answers after the device's timeout, and the stop
    comes meanwhile: the scene still goes back, once OBS gets to it."""
    async with FakeObs() as obs:
        config = (
            studio(obs.port, extra=", timeout: 2s")
            + ROOM
            + "        do: [obs: {device: studio, scene: Gift cam, duration: 10m}]\n"
        )
        async with daemon(config, tmp_path) as d:
            obs.hold = asyncio.Event()
            d.emit(gift())
            await obs.until(lambda: obs.state.program == "Gift cam")  # switched, not answered
            d.daemon.request_stop()
            await d.outcome("device:studio")  # the send gave up: no answer within 2s
            # OBS answers 3 s after the switch: later than a way back sent at the stop
            # waits, within what one sent after the switch's request ended waits
            await asyncio.sleep(1)
            obs.hold.set()
            assert await asyncio.wait_for(d.task, 60) == 0
            assert obs.state.program == "Main"
            assert types(obs)[-2:] == ["GetCurrentProgramScene", "SetCurrentProgramScene"]


async def playing(d: Any, *names: str) -> None:
    """Until each device shows its alert playing (sent, holding for its duration)."""
    while not all(d.snapshot()["obs"]["devices"][n]["playing"] for n in names):
        await asyncio.sleep(0.01)


async def test_an_obs_that_is_closed_is_away_and_comes_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with FakeObs() as obs:
        port = obs.port
    config = (
        studio(port, extra=", retries: 1, retry_wait: 10ms")
        + ROOM
        + "        do:\n"
        + "          - obs: {device: studio, scene: Gift cam}\n"
        + "          - log: still fires\n"
    )
    async with daemon(config, tmp_path) as d:
        d.emit(gift())
        assert (await d.outcome("device:studio"))["failed"] == 1
        snap = d.snapshot()
        shown = snap["obs"]["devices"]["studio"]
        assert shown["state"] == "away" and shown["reason"].startswith("refused: nothing listens")
        assert (shown["retries"], shown["failures"], shown["sent"]) == (1, 1, 0)
        assert snap["actions"]["log"]["ok"] == 1
        assert "studio: away: refused" in render(snap)
        assert "device studio (obs): away: refused" in caplog.text
        async with FakeObs(port=port) as back:  # OBS started again: the next alert connects
            d.emit(gift())
            assert (await d.outcome("device:studio", 2))["ok"] == 1
            assert back.state.program == "Gift cam"
            assert d.snapshot()["obs"]["devices"]["studio"]["state"] == "ok"
            await back.stop()  # and quit again: away once more, then back
            d.emit(gift())
            assert (await d.outcome("device:studio", 3))["failed"] == 2
            await back.start()
            d.emit(gift())
            assert (await d.outcome("device:studio", 4))["ok"] == 2
            assert back.identified == 2


async def test_a_wrong_password_is_away_with_the_reason_never_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("websockets").setLevel(logging.WARNING)  # as the daemon's logging does
    sys.modules.pop("simpleobsws", None)  # imported again when the device opens
    wrong = "hunter2-not-it"
    async with FakeObs(password="the real one") as obs:
        config = (
            studio(obs.port, password_file(tmp_path, wrong), ", retries: 0")
            + ROOM
            + "        do:\n"
            + "          - obs: {device: studio, scene: Gift cam, duration: 1s}\n"
            + "          - log: still fires\n"
        )
        async with daemon(config, tmp_path) as d:
            d.emit(gift())
            assert (await d.outcome("device:studio"))["failed"] == 1
            snap = d.snapshot()
            shown = snap["obs"]["devices"]["studio"]
            assert shown["state"] == "away"
            assert shown["reason"].startswith("authentication failed: the password does not")
            assert snap["actions"]["log"]["ok"] == 1
            # the start-up probe tried too: each try was refused the same way
            assert set(obs.closes) == {AUTHENTICATION_FAILED} and obs.identified == 0
            assert obs.state.program == "Main"
            shown_text = render(snap) + repr(snap) + repr(d.daemon.config)
        for text in (caplog.text, shown_text):
            assert wrong not in text and "the real one" not in text
        assert "authentication failed" in caplog.text
        # the library's import left the daemon's logging as it was; its DEBUG dumps stay out
        assert logging.getLogger("websockets").level == logging.WARNING
        assert "Sending Identify" not in caplog.text


async def test_no_password_for_an_obs_that_asks_for_one_says_so(tmp_path: Path) -> None:
    async with FakeObs(password="x") as obs:
        config = (
            studio(obs.port, extra=", retries: 0")
            + ROOM
            + ("        do: [obs: {device: studio, scene: Gift cam}]\n")
        )
        async with daemon(config, tmp_path) as d:
            d.emit(gift())
            await d.outcome("device:studio")
            reason = d.snapshot()["obs"]["devices"]["studio"]["reason"]
            assert reason == "authentication failed: OBS asks for a password; give password_file"


async def test_a_scene_obs_does_not_have_fails_without_retries(tmp_path: Path) -> None:
    async with FakeObs() as obs:
        config = (
            studio(obs.port)
            + ROOM
            + ("        do: [obs: {device: studio, scene: Gfit cam, duration: 1s}]\n")
        )
        async with daemon(config, tmp_path) as d:
            d.emit(gift())
            assert (await d.outcome("device:studio"))["failed"] == 1
            shown = d.snapshot()["obs"]["devices"]["studio"]
            assert shown["state"] == "ok" and shown["retries"] == 0  # OBS is fine; the name not
            assert types(obs) == ["GetCurrentProgramScene", "SetCurrentProgramScene"]


# -- check, the schema, simulate ------------------------------------------------------------


DEVICES = (
    "devices:\n"
    "  studio: {obs: {host: 127.0.0.1, port: 4455}}\n"
    "  qlc: {osc: {host: 127.0.0.1, port: 7700}}\n"
)


def test_check_places_obs_mistakes_at_their_line() -> None:
    assert problems(
        DEVICES
        + ROOM
        + "        do:\n"
        + "          - obs: {device: qlc, scene: Main}\n"
        + '          - obs: {device: studio, scene: "{{ user.nickname }}"}\n'
        + "          - obs: {device: studio, scene: Main, source: Cam}\n"
        + "          - obs: {device: studio, visible: true}\n"
        + "          - obs: {device: studio, filter: {source: Cam, name: '{{ comment }}'}}\n"
        + "          - obs: {device: studio, text: {source: T, value: '{{ user.nick }}'}}\n"
    ) == [
        "<config>:10:19: rooms[0].rules[0].do[0].obs.device: `obs` needs an obs device;"
        " `qlc` is osc",
        "<config>:11:35: rooms[0].rules[0].do[1].obs.scene: `scene` is not a template:"
        " a viewer never picks the scene",
        "<config>:12:13: rooms[0].rules[0].do[2].obs: give one of `scene`, `source`, `text`"
        " or `filter` (got scene, source)",
        "<config>:13:13: rooms[0].rules[0].do[3].obs: give one of `scene`, `source`, `text`"
        " or `filter`",
        "<config>:13:35: rooms[0].rules[0].do[3].obs.visible: `visible` goes with `source`",
        "<config>:14:57: rooms[0].rules[0].do[4].obs.filter.name: `name` is not a template:"
        " a viewer never picks the filter",
        "<config>:15:35: rooms[0].rules[0].do[5].obs.text: unknown user field `nick`"
        " — did you mean `nickname`? in '{{ user.nick }}'",
    ]
    assert problems(
        DEVICES + ROOM + "        do: [obs: {device: studio, scene: Main, duration: 0s}]\n"
    ) == ["<config>:9:49: rooms[0].rules[0].do[0].obs.duration: must be greater than 0 (got '0s')"]


def test_obs_is_in_the_schema_and_the_password_file_too() -> None:
    schema = json_schema()
    assert "obs" in schema["$defs"]["Device"]["properties"]
    document: dict[str, Any] = {
        "devices": {"studio": {"obs": {"port": 4455, "password_file": "/etc/obs.password"}}},
        "rooms": [
            {
                "username": "@me",
                "rules": [
                    {
                        "id": "r",
                        "do": [
                            {"obs": {"device": "studio", "scene": "Gift cam", "duration": "10s"}},
                            {"obs": {"device": "studio", "text": {"source": "T", "value": "x"}}},
                            {"obs": {"device": "studio", "filter": {"source": "C", "name": "S"}}},
                        ],
                    }
                ],
            }
        ],
    }
    jsonschema.validate(document, schema)
    document["devices"]["studio"]["obs"]["port"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_simulate_explain_shows_what_obs_would_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        DEVICES
        + ROOM
        + "        do:\n"
        + "          - obs: {device: studio, scene: Gift cam, duration: 10s}\n"
        + "          - obs: {device: studio, source: Confetti, visible: false}\n"
        + "          - obs: {device: studio, text: {source: Last gift,"
        + ' value: "{{ user.nickname }} sent {{ gift_name }}"}}\n'
        + "          - obs: {device: studio, filter: {source: Cam, name: Shake}, duration: 3s}\n"
    )
    code = main(["simulate", "-c", str(config), "gift", "--gift", "Rose", "--explain"])
    out = capsys.readouterr().out
    assert code == 0, out
    for line in (
        "obs studio scene 'Gift cam' for 10s",
        "obs studio source 'Confetti' hidden",
        "obs studio text 'Last gift' = ",
        " sent Rose'",
        "obs studio filter 'Shake' of 'Cam' on for 3s",
    ):
        assert line in out, (line, out)

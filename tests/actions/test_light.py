"""The ``light`` action kind (livetrigger/actions/light.py): what ``check`` says at the line
about its colours, brightnesses and keys, the command it builds and its describe line. It
runs against the fake WLED and Hue bridge in tests/devices/test_wled.py and test_hue.py."""

from __future__ import annotations

import threading
from pathlib import Path

import jsonschema
import pytest

from livetrigger.actions.describe import describe
from livetrigger.actions.light import LightRequest
from livetrigger.cli import main
from livetrigger.config import load_config_text
from livetrigger.config.schema import json_schema
from livetrigger.devices.light import (
    COLOR_NAMES,
    LightCommand,
    parse_brightness,
    parse_color,
    rgb_to_xy,
)
from livetrigger.devices.network import Library, installed
from livetrigger.errors import ConfigError
from tests.actions.rules import chat, fire, problems

WRITE = (
    ' (write #rrggbb, quoted as in "#ff8800" since YAML reads # as a comment, or a name: '
    + ", ".join(COLOR_NAMES)
    + ")"
)


@pytest.fixture
def head(tmp_path: Path) -> str:
    key = tmp_path / "hue.key"
    key.write_text("an-app-key-from-hue-pair\n")
    key.chmod(0o600)
    return (
        "devices:\n"
        "  strip: {wled: {host: 192.168.1.50}}\n"
        f"  lamp: {{hue: {{bridge: 192.168.1.2, app_key_file: {key}, light: Floor lamp}}}}\n"
        'rooms:\n  - username: "@room"\n    rules:\n      - id: r\n        on: chat\n'
        "        do:\n"
    )  # an entry of `do` starts on line 10, column 13 ("- " at 11)


def test_the_request_carries_the_command_and_the_duration(head: str) -> None:
    one, two, three = fire(
        '- light: {device: strip, color: "#ff8800", brightness: 80%, effect: Fireworks,'
        " duration: 5s}\n"
        "- light: {device: lamp, color: Hot Pink, brightness: 255, transition: 1s}\n"
        "- light: {device: lamp, on: false}",
        chat(nickname="{{ evil }}"),
        head,
    )
    assert one == LightRequest(
        rule_id="r", room="room", event=one.event, device="strip", duration=5.0,
        command=LightCommand(rgb=(255, 136, 0), brightness=80.0, effect="Fireworks"),
    )  # fmt: skip
    assert two.command == LightCommand(rgb=(255, 105, 180), brightness=100.0, transition=1.0)  # type: ignore[attr-defined]
    assert three.command == LightCommand(on=False)  # type: ignore[attr-defined]
    assert describe(one) == "light strip #ff8800 80% effect Fireworks for 5s"
    assert describe(three) == "light lamp off"


def test_check_says_at_the_line_what_is_wrong(head: str) -> None:
    assert problems(
        "- light: {device: strip, color: blu}\n"
        "- light: {device: strip, color: '#ff88'}\n"
        "- light:\n    device: strip\n    color: #ff8800\n"
        "- light: {device: strip, brightness: 300}\n"
        "- light: {device: strip, brightness: 120%}\n"
        "- light: {device: strip, brightness: bright}\n"
        "- light: {device: strip, scene: Relax}\n"
        "- light: {device: lamp, preset: 2}\n"
        "- light: {device: lmap}\n"
        "- light: {device: strip, effect: '{{ text }}'}\n",
        head,
    ) == [
        "<config>:10:36: rooms[0].rules[0].do[0].light.color: unknown colour 'blu' — did you"
        " mean `blue`?" + WRITE,
        "<config>:11:36: rooms[0].rules[0].do[1].light.color: unknown colour '#ff88'" + WRITE,
        "<config>:14:15: rooms[0].rules[0].do[2].light.color: `color` is empty: in YAML a #"
        ' starts a comment, so quote the colour: color: "#ff8800"',
        "<config>:15:36: rooms[0].rules[0].do[3].light.brightness: brightness 300 is outside"
        " 0-255; write a percentage like 80% or 0-255",
        "<config>:16:36: rooms[0].rules[0].do[4].light.brightness: brightness 120% is over 100%",
        "<config>:17:36: rooms[0].rules[0].do[5].light.brightness: brightness 'bright': write a"
        " percentage like 80% or a whole number 0-255",
        "<config>:18:36: rooms[0].rules[0].do[6].light.scene: `scene` is Hue's: a WLED device"
        " takes a `preset`",
        "<config>:19:35: rooms[0].rules[0].do[7].light.preset: `preset` is WLED's: a Hue device"
        " recalls a `scene`",
        "<config>:20:21: rooms[0].rules[0].do[8].light.device: unknown device `lmap` — did you"
        " mean `lamp`? (devices: lamp, strip)",
        "<config>:21:36: rooms[0].rules[0].do[9].light.effect: `effect` is not a template:"
        " a viewer never picks the effect",
    ]


def test_keys_that_cannot_go_together(head: str) -> None:
    assert problems(
        "- light: {device: lamp, on: false, color: red, brightness: 50%}\n"
        "- light: {device: strip, preset: 2, effect: Fireworks}\n"
        "- light: {device: lamp, preset: 2, scene: Relax}\n",
        head,
    ) == [
        "<config>:10:13: rooms[0].rules[0].do[0].light: `on: false` switches the light off:"
        " drop color, brightness",
        "<config>:11:13: rooms[0].rules[0].do[1].light: a preset brings its own colours and"
        " effects: drop effect",
        "<config>:12:13: rooms[0].rules[0].do[2].light: give a preset (WLED) or a scene (Hue),"
        " not both",
    ]


def test_device_settings_are_checked_at_their_line(tmp_path: Path) -> None:
    open_key = tmp_path / "open.key"
    open_key.write_text("k" * 40)
    open_key.chmod(0o644)
    with pytest.raises(ConfigError) as caught:
        load_config_text(
            "devices:\n"
            "  a: {wled: {host: 'http://192.168.1.50'}}\n"
            "  b: {hue: {bridge: 192.168.1.2, light: x}}\n"
            "  c: {hue: {bridge: 192.168.1.2, app_key: k, light: x, group: y}}\n"
            f"  d: {{hue: {{bridge: 192.168.1.2, app_key_file: {open_key}, light: x}}}}\n"
            'rooms:\n  - username: "@r"\n    rules: [{id: r, on: chat, do: [log: x]}]\n'
        )
    hint = (
        "a Hue device needs an app key: give app_key_file (press the bridge's button, then run"
        " `livetrigger hue-pair --bridge 192.168.1.2 --key-file /etc/livetrigger/hue.key`)"
    )
    assert caught.value.problems == (
        "<config>:2:14: devices.a.wled.host: a host name or IP address, like 192.168.1.50"
        " (no http://, no port: see `port`) (got 'http://192.168.1.50')",
        f"<config>:3:7: devices.b.hue: {hint}",
        "<config>:4:7: devices.c.hue: name one light, group (a room or zone) or scene"
        " (got light, group; a scene may come with its group)",
        # the file that gave none says why, once (not also "needs an app key"):
        f"<config>:5:34: devices.d.hue.app_key_file: {open_key} is readable by other users;"
        f" run `chmod 600 {open_key}` (secrets stay private)",
    )


def test_the_app_key_is_a_secret_the_log_scrubs(head: str) -> None:
    config = load_config_text(head + "          - light: {device: lamp}\n")
    (lamp,) = [d for d in config.devices if d.name == "lamp"]
    assert "an-app-key-from-hue-pair" in config.secrets
    assert "an-app-key" not in repr(lamp.settings)


def test_the_light_action_and_its_devices_are_in_the_schema() -> None:
    document = {
        "devices": {
            "strip": {"wled": {"host": "192.168.1.50", "port": 8080}},
            "lamp": {"hue": {"bridge": "b", "app_key_file": "/k", "group": "Living room"}},
        },
        "rooms": [
            {
                "username": "@me",
                "rules": [{"id": "r", "do": [{"light": {"device": "strip", "color": "red"}}]}],
            }
        ],
    }
    jsonschema.validate(document, json_schema())
    document["rooms"][0]["rules"][0]["do"][0]["light"]["colour"] = "red"  # type: ignore[index]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, json_schema())


@pytest.mark.parametrize(
    ("written", "rgb"),
    [("#FF8800", (255, 136, 0)), ("#f80", (255, 136, 0)), ("ff8800", (255, 136, 0)),
     ("Warm White", (255, 197, 143)), ("hotpink", (255, 105, 180)), ("deep_pink", (255, 20, 147))],
)  # fmt: skip
def test_colours_are_hex_or_common_names(written: str, rgb: tuple[int, int, int]) -> None:
    assert parse_color(written) == rgb


def test_brightness_is_a_percentage_or_a_0_to_255_level() -> None:
    assert parse_brightness("80%") == 80.0
    assert parse_brightness(" 12.5 % ") == 12.5
    assert parse_brightness(255) == 100.0
    assert parse_brightness(0) == 0.0
    assert isinstance(parse_brightness("80"), str)  # a string without % is neither


def test_hue_colours_are_cie_xy() -> None:
    assert rgb_to_xy((255, 0, 0)) == pytest.approx((0.64, 0.33), abs=1e-3)  # sRGB's red
    assert rgb_to_xy((255, 255, 255)) == (0.3127, 0.329)  # D65
    assert rgb_to_xy((0, 0, 0)) == (0.3127, 0.329)


def test_check_lists_the_lights(
    head: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(head + "          - light: {device: lamp, scene: Relax, duration: 1m}\n")
    assert main(["check", str(config)]) == 0
    out = capsys.readouterr().out
    assert "device strip: wled host 192.168.1.50 port 80\n" in out
    assert "device lamp: hue bridge 192.168.1.2 port 443 light Floor lamp\n" in out
    assert "→ light lamp scene Relax for 60s" in out
    assert "an-app-key" not in out


async def test_a_device_library_is_imported_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "slow_device_library.py").write_text(
        "import threading\nIMPORTED_IN = threading.current_thread().name\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    library = Library("slow_device_library")
    library.start()  # as a device's open does
    module = await library.module()
    assert threading.current_thread().name != module.IMPORTED_IN
    with pytest.raises(ImportError):
        installed("no_such_device_library")

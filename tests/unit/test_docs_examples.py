"""What README.md and docs/*.md show a user to type is true: every config snippet loads, and
every `livetrigger COMMAND --option` they name exists in that command's parser."""

from __future__ import annotations

import argparse
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from livetrigger.cli import COMMANDS, build_parser
from livetrigger.config import load_config_text
from livetrigger.config.schema import json_schema
from livetrigger.config.yamlpos import load_located
from livetrigger.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# a snippet shows one section or one rule; the rest of a config comes from here, so that a
# rule may name the output `lamp` and publish to MQTT as the README's does
CONTEXT: dict[str, Any] = {
    "rooms": [{"username": "@docs_example"}],
    "mqtt": {"host": "localhost"},
    "gpio": {"pin_factory": "mock", "outputs": {"lamp": {"pin": 17}, "buzzer": {"pin": 18}}},
    # docs/devices.md's rules name these
    "devices": {
        "stage": {"sacn": {"universe": 1}},
        "bar": {"artnet": {"host": "192.168.1.61"}},
        "qlc": {"osc": {"host": "127.0.0.1", "port": 7700}},
        "arduino": {"serial": {"port": "/dev/ttyACM0"}},
        "speaker": {"sound": {}},
        "desk_strip": {"wled": {"host": "192.168.1.50"}},
        "studio": {"obs": {"host": "127.0.0.1", "port": 4455}},
        **{
            name: {"hue": {"bridge": "192.168.1.2", "app_key": "from-hue-pair", **target}}
            for name, target in (
                ("floor_lamp", {"light": "Floor lamp"}),
                ("living", {"group": "Living room"}),
                ("relax", {"scene": "Relax"}),
            )
        },
    },
}
ACTION_KEYS = {"mqtt", "gpio", "webhook", "log", "chat", "dmx", "osc", "serial", "sound", "light", "obs"}
SOUND = ROOT / "tests" / "data" / "tada.wav"  # the docs' sounds/*.wav are not in the repository
# Home Assistant's own YAML, in docs/homeassistant.md; a fake room's show, in docs/fake-room.md
NOT_CONFIG = {"automation", "steps"}


def _yaml_blocks() -> list[tuple[str, str]]:
    blocks = []
    for page in PAGES:
        text = page.read_text()
        for m in re.finditer(r"^ *```yaml\n(.*?)^ *```", text, re.S | re.M):
            line = text[: m.start()].count("\n") + 2
            blocks.append((f"{page.relative_to(ROOT)}:{line}", textwrap.dedent(m.group(1))))
    return blocks


BLOCKS = _yaml_blocks()


def _as_config(snippet: Any, secret: Path) -> dict[str, Any] | None:
    """The full config a snippet is part of, or None for YAML that is not livetrigger's."""
    sections = set(json_schema()["properties"])
    if isinstance(snippet, list) and all(
        isinstance(a, dict) and len(a) == 1 and set(a) <= ACTION_KEYS for a in snippet
    ):
        room = {
            "username": "@docs_example",
            "rules": [{"id": "example", "on": "gift", "do": snippet}],
        }
        return _point_secret_files({**CONTEXT, "rooms": [room]}, secret)
    assert isinstance(snippet, dict), "a yaml block that is neither a config nor a do: list"
    if set(snippet) & NOT_CONFIG:
        return None
    unknown = set(snippet) - sections
    assert not unknown, f"top-level keys no config has: {sorted(unknown)}"
    return _point_secret_files({**CONTEXT, **snippet}, secret)


def _point_secret_files(value: Any, secret: Path) -> Any:
    """`*_file: /etc/livetrigger/...` names a file this machine lacks: use a real one (and a
    sound's `file`: a real sound)."""
    if isinstance(value, dict):
        return {
            k: str(secret)
            if k.endswith("_file") and k != "ca_file"
            else str(SOUND)
            if k == "file"
            else _point_secret_files(v, secret)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_point_secret_files(v, secret) for v in value]
    return value


def test_the_docs_show_config_snippets() -> None:
    assert len(BLOCKS) >= 5  # the extraction itself works


@pytest.mark.parametrize(("where", "text"), BLOCKS, ids=[w for w, _ in BLOCKS])
def test_every_config_snippet_loads(where: str, text: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("a-secret-for-the-docs-test\n")
    secret.chmod(0o600)
    config = _as_config(load_located(text, where).data, secret)
    if config is None:
        return
    # YAML 1.2 text (`on:` stays a key): dump keeps strings quoted where YAML 1.1 would not
    try:
        load_config_text(yaml.safe_dump(config, sort_keys=False), where, env={})
    except ConfigError as exc:  # line numbers are of the merged config, the text says where
        pytest.fail(f"{where}: this snippet does not load:\n" + "\n".join(exc.problems))


def _mentions() -> list[tuple[str, str, str]]:
    """(where, command, option) for every `livetrigger COMMAND ... --option` in the pages: in
    shell blocks line by line (up to a `#` comment), in prose per code span (which may wrap)."""
    found = []
    command = "|".join(sorted(COMMANDS, key=len, reverse=True))
    usage = re.compile(rf"\blivetrigger ({command})\b([^#`]*)")
    for page in PAGES:
        text = page.read_text()
        fences = re.compile(r"^ *```.*?^ *```", re.S | re.M)
        pieces = [
            (m.start(), line) for m in fences.finditer(text) for line in m.group().split("\n")
        ]
        prose = fences.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)  # same offsets
        pieces += [(m.start(), m.group(1)) for m in re.finditer(r"`([^`]+)`", prose)]
        for offset, piece in pieces:
            for m in usage.finditer(piece.replace("\n", " ")):
                for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", m.group(2)):
                    where = f"{page.relative_to(ROOT)}:{text[:offset].count(chr(10)) + 1}"
                    found.append((where, m.group(1), option))
    return found


MENTIONS = _mentions()


def _options(command: str) -> set[str]:
    parser = build_parser([command])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {o for a in sub.choices[command]._actions for o in a.option_strings}


def test_the_docs_name_command_options() -> None:
    assert {"install-service", "status", "simulate"} <= {c for _, c, _ in MENTIONS}


@pytest.mark.parametrize(
    ("where", "command", "option"), MENTIONS, ids=[f"{w} {c} {o}" for w, c, o in MENTIONS]
)
def test_every_documented_option_exists(where: str, command: str, option: str) -> None:
    assert option in _options(command), f"{where}: `livetrigger {command}` has no {option}"


def test_the_readme_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = re.search(r"^All commands: (.*?)\(`livetrigger COMMAND --help`\)", readme, re.S | re.M)
    assert listed, "README.md: the `All commands:` line is gone"
    names = [span.split()[0] for span in re.findall(r"`([^`]+)`", listed.group(1))]
    assert sorted(names) == sorted(COMMANDS)

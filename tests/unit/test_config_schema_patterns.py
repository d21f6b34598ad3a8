"""The JSON Schema's patterns refuse what ``check`` refuses: the checker matches a pattern
against the whole text, but a schema pattern is a search (ECMA 262), so each one the schema
gives editors must hold both anchors itself."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

# the regex engine's own reading of a pattern (Python >= 3.11), not a second parser
from re import _constants as c
from re import _parser
from typing import Any

import jsonschema
import pytest

from livetrigger.config import load_config_text
from livetrigger.config.json_schema import anchored
from livetrigger.config.schema import json_schema
from livetrigger.config.yamlpos import load_located
from livetrigger.errors import ConfigError


def patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "pattern" and isinstance(v, str):
                yield v
            if k == "patternProperties":
                yield from v
            yield from patterns(v)
    elif isinstance(node, list):
        for v in node:
            yield from patterns(v)


def whole(regex: str) -> bool:
    """Every match of ``regex`` starts at the text's start and ends at its end: its top level
    (no alternation there) opens with ``^`` and closes with ``$``."""
    top = list(_parser.parse(regex))
    return top[0] == (c.AT, c.AT_BEGINNING) and top[-1] == (c.AT, c.AT_END)


def test_every_pattern_of_the_schema_is_anchored_at_both_ends() -> None:
    found = sorted(set(patterns(json_schema())))
    assert len(found) >= 10, found  # the walk reaches them: rule ids, hosts, percentages, ...
    assert [p for p in found if not whole(p)] == []


def test_the_anchor_check_tells_a_search_from_a_whole_match() -> None:
    assert whole(r"^(?:a|b)$") and whole(r"^[a|b]+$")
    assert not whole(r"^a|b$") and not whole(r"(100|[1-9]?[0-9])%") and not whole(r"^a\$")


SOUND = """devices:
  spk: {sound: {backend: silent, volume: DEVICE}}
  ard: {serial: {port: /dev/null, newline: NEWLINE}}
rooms:
  - username: "@me"
    rules:
      - id: r
        on: gift
        do: [sound: {device: spk, file: t.wav, volume: ACTION}]
"""
GOOD = {"DEVICE": "80%", "NEWLINE": '"\\r\\n"', "ACTION": "100%"}


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("DEVICE", "150%"),
        ("DEVICE", "1000%"),
        ("ACTION", '"x50%y"'),
        ("ACTION", "0%%"),
        ("NEWLINE", '"END\\n"'),
        ("NEWLINE", '"\\n\\r\\n"'),
    ],
)
def test_the_schema_refuses_what_check_refuses(where: str, value: str, tmp_path: Path) -> None:
    with wave.open(str(tmp_path / "t.wav"), "wb") as clip:  # a tenth of a second of silence
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(8000)
        clip.writeframes(bytes(1600))
    schema = jsonschema.Draft202012Validator(json_schema())
    good = SOUND
    for k, v in GOOD.items():
        good = good.replace(k, v)
    config = load_config_text(good, "c.yaml", base_dir=tmp_path)
    assert config.devices and not list(schema.iter_errors(_document(good)))

    bad = good.replace(f"{_key(where)}: {GOOD[where]}", f"{_key(where)}: {value}")
    assert bad != good
    with pytest.raises(ConfigError):
        load_config_text(bad, "c.yaml", base_dir=tmp_path)
    assert list(schema.iter_errors(_document(bad))), f"the schema passes {value}"


def _key(where: str) -> str:
    return "newline" if where == "NEWLINE" else "volume"


def _document(text: str) -> Any:
    return load_located(text).data


@pytest.mark.parametrize(
    ("regex", "written"),
    [
        ("(100|[1-9]?[0-9])%", "^(?:(100|[1-9]?[0-9])%)$"),
        ("\r?\n", "^(?:\r?\n)$"),
        ("^a|b$", "^(?:^a|b$)$"),
        (r"^a\$", r"^(?:^a\$)$"),
        (r"^(?:a|b)$", r"^(?:a|b)$"),  # already whole: as written
        (r"^[^+#|\x00]+$", r"^[^+#|\x00]+$"),
    ],
)
def test_a_pattern_is_wrapped_unless_it_is_whole_already(regex: str, written: str) -> None:
    assert anchored(regex) == written and whole(written)

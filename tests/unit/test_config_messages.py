"""Every validation error in livetrigger's words: the shape to write, never the validation
library's vocabulary or our class names."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from livetrigger.config import load_config_text
from livetrigger.config.yamlpos import load_located
from livetrigger.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


# read as livetrigger reads it (YAML 1.2): PyYAML would make `on:` keys and the `[on, off]`
# of a command's arguments true/false, a rule that can never fire
EXAMPLE = load_located((ROOT / "config.example.yaml").read_text()).data
FOREIGN = ("Input should", "instance of", "Config", "valid dictionary", "unable to")


def problems(data: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_text(yaml.safe_dump(data, sort_keys=False), "c.yaml", env={})
    return list(info.value.problems)


def places(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k)
            yield from places(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from places(v, (*path, i))


def every_kind_of_key() -> Iterator[tuple[Any, ...]]:
    """Each key path once, whichever list item holds it (rules[3].name is rules[0].name)."""
    seen: set[tuple[Any, ...]] = set()
    for path in places(EXAMPLE):
        shape = tuple("*" if isinstance(p, int) else p for p in path)
        if shape not in seen:
            seen.add(shape)
            yield path


def replaced(path: tuple[Any, ...], value: Any) -> Any:
    data = copy.deepcopy(EXAMPLE)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("mqtt", "port"), "abc", "mqtt.port: expected a whole number; digits only"),
        (("homeassistant", "discovery"), "maybe", "expected true or false"),
        (("gpio", "outputs", "lamp", "kind"), "rellay", "did you mean `relay`?"),
        (("gpio", "outputs", "lamp", "pin"), [17], "expected a whole number or text"),
        (("gpio", "outputs", "lamp", "max_per_minute"), 1.5, "expected a whole number"),
        (("daemon", "log_level"), "loud", "expected one of debug, info, warning, error"),
        (("mqtt", "event_stream", "kinds"), "gift", "a single item is [item]"),
        (("tiktok", "sign_budget"), 5, "expected a section of `key: value` lines"),
        (("mqtt",), 5, "mqtt: expected a section of `key: value` lines"),
    ],
)
def test_common_mistakes_say_what_to_write(
    path: tuple[Any, ...], value: Any, expected: str
) -> None:
    found = problems(replaced(path, value))
    assert len(found) == 1, found  # a union's members are one message, not one per member
    assert expected in found[0]
    assert not any(word in found[0] for word in FOREIGN), found[0]


@pytest.mark.parametrize("wrong", [{"x": [1]}, [[1]], "not-a-thing"], ids=["map", "list", "text"])
def test_no_key_of_the_example_answers_in_the_libraries_words(wrong: Any) -> None:
    seen = 0
    for path in every_kind_of_key():
        try:
            load_config_text(yaml.safe_dump(replaced(path, wrong)), "c.yaml", env={})
        except ConfigError as exc:
            for line in exc.problems:
                seen += 1
                assert not any(word in line for word in FOREIGN), (path, line)
    assert seen > 50  # the walk really reached the keys

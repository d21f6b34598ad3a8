"""``check`` says every problem of the file in one run, and none caused only by another:
a duplicate rule id showed only once the other mistakes were fixed, and `on: gfit` added an
"unknown field" for every field the rule reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from livetrigger.cli import main
from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError

CONFIG = """\
mqtt:
  host: localhost
  port: abc
webhooks:
  hook: {url: "ftp://example.org/x"}
gpio:
  outputs: {lamp: {pin: 17}}
  inputs:
    button: {pin: 27, role: test_button, rule: big_gift}
    other: {pin: 22, role: test_button, rule: no_such_rule}
rooms:
  - username: "not a handle!"
    rules:
      - id: light
        command: "!light {state}"
        on: caht
        when: {args.state: [on, off], text: {contains: light}}
        do: [{log: "{{ args.state }} {{ text }}"}]
      - id: light
        on: chat
        do: [{log: x}]
rules:
  - id: big_gift
    on: gfit
    gift: Rose
    when: {total_diamonds: {gte: 100}, streakable: true}
    if: repeat_count > 1
    do:
      - log: "{{ gift_name }} x{{ repeat_count }}"
      - mqtt: {topic: "gifts/{{ gift_name }}"}
      - gpio: {output: lamp, action: pulse, duration: 1s}
  - id: big_gift
    on: gift
    do: [{webhook: {endpoint: hook}}]
  - id: quoted
    on: gift
    when: {total_diamonds: {gte: "100"}}
    do: [{log: "{{ user.nicknam }}"}]
"""

EXPECTED = [
    (3, "mqtt.port", "expected a whole number"),
    (5, "webhooks.hook.url", "http:// or https://"),
    (10, "gpio.inputs.other.rule", "no rule `no_such_rule`"),
    (12, "rooms[0].username", "not a TikTok username"),
    (14, "rooms[0].rules[0].id", "rule id `light` is used twice in this room"),
    (16, "rooms[0].rules[0].on", "unknown event kind `caht` — did you mean `chat`?"),
    (19, "rooms[0].rules[1].id", "rule id `light` is used twice in this room"),
    (24, "rules[0].on", "unknown event kind `gfit` — did you mean `gift`?"),
    (32, "rules[1].id", "rule id `big_gift` is used twice"),
    (37, "rules[2].when.total_diamonds.gte", "expected a number; write 100 without quotes"),
    (38, "rules[2].do[0].log.message", "did you mean `nickname`?"),
]


def test_every_problem_at_once_and_none_caused_by_another() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(CONFIG, "c.yaml")
    found = list(info.value.problems)
    assert len(found) == len(EXPECTED), "\n".join(found)
    for problem, (line, path, words) in zip(found, EXPECTED, strict=True):
        assert problem.startswith(f"c.yaml:{line}:") and f": {path}: " in problem, problem
        assert words in problem, problem


def test_a_duplicate_id_shows_beside_a_mistake_elsewhere() -> None:
    text = """\
rooms: [{username: "@x"}]
tiktok: {streak_timeout: soon}
rules:
  - {id: a, on: gift, do: [{log: x}]}
  - {id: a, on: like, do: [{log: x}]}
  - {id: B, on: like, do: [{log: x}]}
  - {id: b, on: like, do: [{log: x}]}
"""
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "c.yaml")
    found = "\n".join(info.value.problems)
    assert "c.yaml:5:" in found and "rule id `a` is used twice" in found, found
    assert "c.yaml:7:" in found and "rule ids `B` (line 6) and `b` are one in Home" in found, found


def test_template_syntax_shows_beside_the_rule_shape_problems() -> None:
    """A rule with a key that is not one still has its templates' and `if:`'s syntax
    checked, in the same run; nothing that waits for the rule to be right (the names a
    template reads: `args` needs a command) is said of it, nor of a `do` entry that is wrong
    itself."""
    text = """\
rooms: [{username: "@x"}]
mqtt: {host: localhost, port: 99999}
rules:
  - id: thanks
    on: gift
    cooldoen: 3s
    if: "repeat_count >"
    do:
      - log: "{{ user.nick }"
      - log: "{{ args.state }}"
      - log: {message: "{{ x }", level: loud}
      - mqtt: {topic: "gifts/{% if %}"}
  - id: fine
    on: gift
    do: [{log: "{{ gift_name }"}]
"""
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "c.yaml")
    assert [p.split(": ", 2)[:2] for p in info.value.problems] == [
        ["c.yaml:2:25", "mqtt.port"],
        ["c.yaml:6:5", "rules[0].cooldoen"],
        ["c.yaml:7:5", "rules[0].if"],
        ["c.yaml:9:9", "rules[0].do[0].log.message"],
        ["c.yaml:11:34", "rules[0].do[2].log.level"],
        ["c.yaml:12:16", "rules[0].do[3].mqtt.topic"],
        ["c.yaml:15:11", "rules[1].do[0].log.message"],
    ], "\n".join(info.value.problems)
    syntax = [p for p in info.value.problems if "template error" in p]
    assert len(syntax) == 4, syntax


def test_check_prints_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{len(EXPECTED)} problems" in err
    assert "unknown field" not in err and "a command rule reacts to chat" not in err

"""Rule regexes against hostile comments (issue 19, item 3): a 31-character comment against a
pattern that backtracks exponentially used to stop the daemon's event loop for minutes. Rule
patterns now run on RE2 (linear time); what RE2 cannot run, and nested repetition that `check`
recognises, is a config error with file:line and what to write instead.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger import events as ev
from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.lamp_daemon import lamp_config, lamp_daemon

HOSTILE = "a" * 30 + "!"  # 31 characters; Python's re needs minutes on the patterns below


def rule_config(pattern: str, field: str = "text") -> str:
    return f"""\
rooms:
  - username: "@x"
    rules:
      - id: words
        on: chat
        when:
          {field}: {{regex: '{pattern}'}}
        do: [{{log: matched}}]
"""


def problem_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "c.yaml")
    (problem,) = info.value.problems
    return problem


def check(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "livetrigger", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_refuses_nested_repetition_with_its_line_and_the_plain_form(tmp_path: Path) -> None:
    text = rule_config("(a+)+$")
    problem = problem_of(text)
    assert problem.startswith("c.yaml:7:")
    assert "rules[0].when.text.regex" in problem
    assert "`(a+)+` repeats something that already repeats" in problem and "write `a+`" in problem
    result = check(tmp_path, text)
    assert result.returncode == 1 and "write `a+`" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("pattern", "advice"),
    [
        ("(?=!)on", "lookahead `(?=...)` is not supported"),
        ("^(?!spam)", "\"'spam' not in text\""),
        ("(?<=!)on", "lookbehind `(?<=...)` is not supported"),
        ("(ha)\\1", "write the repeated text out, e.g. `(ha){2}`"),
        ("(?P<x>ha)(?P=x)", "write the repeated text out"),
        ("(?>a+)b", "write `(?:...)`"),
        ("a++b", "write `a+`"),
        ("end\\Z", "write `\\z`"),
        ("x{5000}", "counts go up to 1000"),
        ("(oops", "invalid regular expression '(oops': missing )"),
    ],
)
def test_patterns_re2_cannot_run_say_what_to_write(pattern: str, advice: str) -> None:
    problem = problem_of(rule_config(pattern, "user.nickname"))
    assert problem.startswith("c.yaml:7:") and "rules[0].when.user.nickname.regex" in problem
    assert advice in problem


def test_patterns_that_are_fine_still_load() -> None:
    for pattern in ("^!(on|off)$", "(\\w+\\s?)+$", "(ab)+", "\\pL+", "(?s)a.b", "[[:alpha:]]+"):
        load_config_text(rule_config(pattern), "c.yaml")


async def test_a_hostile_comment_does_not_stop_the_daemon(tmp_path: Path) -> None:
    """The daemon's loop keeps going: a comment after the hostile one (on text and nickname
    rules whose patterns backtrack exponentially in `re`) still turns the lamp on."""
    rules = """\
      - id: words
        on: chat
        when: {text: {regex: '(\\w+\\s?)+$'}}
        do: [{log: words}]
      - id: nick
        on: chat
        when: {user.nickname: {regex: '^(\\w+\\s?)+$'}}
        do: [{log: nick}]
      - id: ping
        on: chat
        when: {text: {contains: ping}}
        do: [{gpio: {output: lamp, action: "on"}}]
"""
    async with (
        FakeLiveRoom() as room,
        lamp_daemon(tmp_path, room, lamp_config(room, tmp_path, rules)) as daemon,
    ):
        hostile = ev.User(id=7, unique_id="h", nickname=HOSTILE)
        await room.send(ev.ChatEvent(msg_id=room.next_msg_id(), user=hostile, text=HOSTILE))
        await room.send(ev.ChatEvent(msg_id=room.next_msg_id(), user=ev.User(id=8), text="ping"))
        # `re` needs minutes here: the wait's timeout only catches that hang
        await daemon.wait_for(daemon.lamp_turned_on, "lamp on after the hostile comment")

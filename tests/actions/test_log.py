"""The ``log`` action kind (livetrigger/actions/log.py): the shorthand, the line it builds,
its describe line, and that it is never journaled."""

from __future__ import annotations

from livetrigger.actions import LogMessage
from livetrigger.actions.describe import describe
from livetrigger.state import outbox
from tests.actions.rules import chat, fire, problems


def test_a_bare_string_is_the_message_and_the_level_is_kept() -> None:
    short, full = fire(
        "- log: '{{ user.nickname }} said {{ text }}'\n- log: {message: careful, level: warning}"
    )
    assert short == LogMessage(rule_id="r", room="room", event=short.event, message="Alice said hi")
    assert full == LogMessage(
        rule_id="r", room="room", event=short.event, message="careful", level="warning"
    )
    assert not outbox.durable(short)


def test_check_says_what_is_wrong_with_an_entry() -> None:
    assert problems("- log: '{{ txt }}'\n- log: {message: x, level: loud}") == [
        "<config>:11:31: rooms[0].rules[0].do[1].log.level: expected one of debug, info,"
        " warning, error (got 'loud')",
    ]
    assert problems("- log: '{{ txt }}'") == [
        "<config>:10:13: rooms[0].rules[0].do[0].log.message: unknown name `txt` — did you"
        " mean `text`? in '{{ txt }}'",
    ]


def test_the_describe_line_is_one_line_of_at_most_200_characters() -> None:
    (line,) = fire("- log: '{{ text }}'", chat(text="a\nb" + "c" * 300))
    described = describe(line)
    assert described.startswith("log a\\nbccc") and described.endswith("…")
    assert len(described) == len("log ") + 200

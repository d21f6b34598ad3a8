"""The ``chat`` action kind (livetrigger/actions/chat.py): the shorthand, the message it
builds (at most 150 characters), its describe line, and that it is never journaled."""

from __future__ import annotations

from livetrigger.actions import ChatSend
from livetrigger.actions.describe import describe
from livetrigger.state import outbox
from tests.actions.rules import chat, fire, problems


def test_a_bare_string_is_the_text_cut_to_what_tiktok_takes() -> None:
    short, full = fire("- chat: 'thanks {{ user.nickname }}'\n- chat: {text: '{{ text }}'}")
    assert short == ChatSend(rule_id="r", room="room", event=short.event, text="thanks Alice")
    assert full.target == "chat:room"
    (long,) = fire("- chat: '{{ text }}'", chat(text="x" * 400))
    assert isinstance(long, ChatSend) and long.text == "x" * 150
    assert not outbox.durable(long)


def test_check_says_what_is_wrong_with_an_entry() -> None:
    assert problems("- chat: {text: hi, txt: hi}") == [
        "<config>:10:30: rooms[0].rules[0].do[0].chat.txt: unknown key `txt` — did you mean"
        " `text`?",
    ]
    assert problems("- chat: '{{ nickname }}'") == [
        "<config>:10:13: rooms[0].rules[0].do[0].chat.text: unknown name `nickname` in"
        " '{{ nickname }}'",
    ]


def test_the_describe_line() -> None:
    assert describe(ChatSend(rule_id="r", text="hi\x1b[2J")) == "chat hi\\x1b[2J"

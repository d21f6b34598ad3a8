"""The ``chat`` action kind (livetrigger/actions/chat.py): the shorthand, the message it
builds (at most 150 characters), its describe line, that it is never journaled, that
``check`` refuses it without the session sending needs, and that the sink's rate limit
counts only messages that were sent."""

from __future__ import annotations

import pytest

from livetrigger.actions import ChatSend
from livetrigger.actions.describe import describe
from livetrigger.actions.sinks.chat import ChatSink
from livetrigger.errors import LivetriggerError, SinkError
from livetrigger.state import outbox
from tests.actions.rules import HEAD, chat, fire, problems

# sending posts the session id to the sign server, allowed for this host only (one line, in
# the place of the webhook endpoint, so the entries keep their line numbers)
SESSION = 'tiktok: {sign_url: "http://127.0.0.1:9", session_id: s, session_id_sign_host: 127.0.0.1}\n'
CHAT_HEAD = HEAD.replace('webhooks: {hook: {url: "http://127.0.0.1:9/x"}}\n', SESSION)
assert CHAT_HEAD != HEAD


def test_a_bare_string_is_the_text_cut_to_what_tiktok_takes() -> None:
    short, full = fire(
        "- chat: 'thanks {{ user.nickname }}'\n- chat: {text: '{{ text }}'}", head=CHAT_HEAD
    )
    assert short == ChatSend(rule_id="r", room="room", event=short.event, text="thanks Alice")
    assert full.target == "chat:room"
    (long,) = fire("- chat: '{{ text }}'", chat(text="x" * 400), CHAT_HEAD)
    assert isinstance(long, ChatSend) and long.text == "x" * 150
    assert not outbox.durable(long)


def test_check_says_what_is_wrong_with_an_entry() -> None:
    assert problems("- chat: {text: hi, txt: hi}", CHAT_HEAD) == [
        "<config>:10:30: rooms[0].rules[0].do[0].chat.txt: unknown key `txt` — did you mean"
        " `text`?",
    ]
    assert problems("- chat: '{{ nickname }}'", CHAT_HEAD) == [
        "<config>:10:13: rooms[0].rules[0].do[0].chat.text: unknown name `nickname` in"
        " '{{ nickname }}'",
    ]


def test_the_describe_line() -> None:
    assert describe(ChatSend(rule_id="r", text="hi\x1b[2J")) == "chat hi\\x1b[2J"


def test_check_says_what_sending_chat_needs() -> None:
    no_session = CHAT_HEAD.replace(", session_id: s, session_id_sign_host: 127.0.0.1", "")
    assert problems("- chat: hi", no_session) == [
        "<config>:10:13: rooms[0].rules[0].do[0].chat: a chat action needs a logged-in account:"
        " add `tiktok.session_id` (or `session_id_file`) and"
        " `tiktok.session_id_sign_host: 127.0.0.1`"
    ]
    assert len(problems("- chat: hi")) == 1  # no tiktok section at all
    no_host = CHAT_HEAD.replace(", session_id_sign_host: 127.0.0.1", "")
    assert problems("- chat: hi", no_host) == [
        "<config>:10:13: rooms[0].rules[0].do[0].chat: a chat action sends the session id to"
        " the sign server: add `tiktok.session_id_sign_host: 127.0.0.1` to allow it"
    ]
    other = CHAT_HEAD.replace("host: 127.0.0.1", "host: 127.0.0.2")
    assert problems("- chat: hi", other)[0].endswith("to allow it (it names '127.0.0.2')")
    unset = CHAT_HEAD.replace("session_id: s", "session_id: '${LIVETRIGGER_TEST_UNSET}'")
    (only,) = problems("- chat: hi", unset)  # the unset variable says it: not chat too
    assert "environment variable LIVETRIGGER_TEST_UNSET is not set" in only


async def test_a_message_that_was_not_sent_leaves_the_rate_limit_alone() -> None:
    sent: list[str] = []

    async def send(room: str, text: str) -> None:
        if text == "fails":
            raise LivetriggerError("the sign server is down")
        sent.append(text)

    sink = ChatSink(send, clock=lambda: 100.0)  # every message in the same 5 s
    with pytest.raises(SinkError, match="sign server is down"):
        await sink.handle(ChatSend(rule_id="r", room="room", text="fails"))
    await sink.handle(ChatSend(rule_id="r", room="room", text="sent"))
    with pytest.raises(SinkError, match="rate-limited"):
        await sink.handle(ChatSend(rule_id="r", room="room", text="too soon"))
    assert sent == ["sent"]

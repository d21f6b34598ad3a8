"""Viewer content in webhook URLs, headers and bodies (issue 19, item 7), through the rules
engine, the dispatcher and the webhook sink against a real local HTTP server.

Before the fix a nickname ``a/../../b`` sent the signed request to another path, ``#`` cut the
URL, an emoji in a header was a traceback, and a comment over 64 KiB gave invalid JSON (the
rendered body was cut at 65,536 characters, mid-string).
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from livetrigger import events as ev
from livetrigger.actions import HttpCall
from livetrigger.actions.sinks.http import WebhookSink
from livetrigger.config import load_config_text
from livetrigger.daemon.dispatch import Dispatcher
from livetrigger.errors import ConfigError, SinkError
from livetrigger.rules.engine import Engine
from livetrigger.rules.template import MAX_RENDERED
from livetrigger.settings import WebhookSettings
from livetrigger.simulator.webhook_receiver import WebhookReceiver

NICKNAMES = [
    "a/../../b",
    "..",
    "x#frag",
    "q?admin=1&x=",
    "🌹 Zoë",
    "evil\r\nX-Injected: 1",
    "nul\x00",
    "50%2F",
]
COMMENT = ('"\\</script>🌹' * 6000)[:70_000]  # over 64 KiB of JSON once escaped


def config(url: str) -> str:
    return f"""\
webhooks:
  hook: {{url: "{url}/base", secret: s3cret, retries: 0}}
rooms:
  - username: "@room"
    rules:
      - id: call
        on: chat
        do:
          - webhook:
              endpoint: hook
              path: "/user/{{{{ user.nickname }}}}/said"
              query: {{text: "{{{{ text[:20] }}}}", who: "{{{{ user.nickname }}}}"}}
              headers: {{X-Nick: "nick={{{{ user.nickname }}}}"}}
              json: {{nick: "{{{{ user.nickname }}}}", text: "{{{{ text }}}}"}}
          - webhook: {{endpoint: hook, path: /text, body: '{{"t": "{{{{ text }}}}", "n": 1}}'}}
"""


async def _run(rx: WebhookReceiver, events: list[ev.Event]) -> Dispatcher:
    cfg = load_config_text(config(rx.url))
    room = cfg.rooms[0]
    engine = Engine(room.rules, room=room.settings.name)
    sink = WebhookSink(cfg.webhooks)
    dispatcher = Dispatcher({"http": sink})
    for event in events:
        for firing in engine.firings(event, 0.0):
            for request in firing.requests:
                dispatcher.submit(request)
    await dispatcher.drain(30)
    await dispatcher.aclose(1)
    await sink.aclose()
    return dispatcher


async def test_hostile_nicknames_stay_in_their_path_segment_query_value_and_header() -> None:
    async with WebhookReceiver(secret="s3cret") as rx:
        events = [ev.ChatEvent(user=ev.User(id=1, nickname=n), text="hi #x") for n in NICKNAMES]
        dispatcher = await _run(rx, events)
    assert dispatcher.stats()["http:hook"]["ok"] == 2 * len(NICKNAMES)
    calls = [c for c in rx.calls if c.path.startswith("/base/user/")]
    assert len(calls) == len(NICKNAMES)
    for call, nickname in zip(calls, NICKNAMES, strict=True):
        url = urlsplit(call.path)
        base, user, segment, said = url.path.split("/")[1:]
        assert (base, user, said) == ("base", "user", "said"), call.path
        assert unquote(segment) == nickname  # one segment, decoding to the nickname
        assert "." not in segment  # so no `..` segment, whatever the nickname
        assert dict(parse_qsl(url.query, keep_blank_values=True)) == {
            "text": "hi #x",
            "who": nickname,
        }
        assert not url.fragment
        assert unquote(call.headers["x-nick"]) == f"nick={nickname}"
        assert "x-injected" not in call.headers
        assert json.loads(call.body) == {"nick": nickname, "text": "hi #x"}
        assert call.signature_ok is True


async def test_json_bodies_stay_valid_whatever_the_comment_size() -> None:
    async with WebhookReceiver(secret="s3cret") as rx:
        event = ev.ChatEvent(user=ev.User(id=1, nickname="bob"), text=COMMENT)
        dispatcher = await _run(rx, [event])
    assert dispatcher.stats()["http:hook"]["ok"] == 2
    mapped, text = sorted(rx.calls, key=lambda c: c.path)[::-1]
    for call in (mapped, text):
        assert call.signature_ok is True
        assert len(call.body.decode()) <= MAX_RENDERED
    doc = json.loads(mapped.body)
    assert doc["nick"] == "bob" and doc["text"].endswith("…")
    assert COMMENT.startswith(doc["text"][:-1]) and len(doc["text"]) > 20_000
    doc = json.loads(text.body)
    assert doc["n"] == 1 and COMMENT.startswith(doc["t"][:-1])


def _endpoint(url: str) -> WebhookSettings:
    return WebhookSettings(name="hook", url=url, retries=2, retry_initial=0.05)


@pytest.mark.parametrize("value", ["🌹", "a\r\nX-Injected: 1", "a\nb", "nul\x00", "é"])
async def test_a_header_that_cannot_be_sent_is_refused_with_a_message(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with WebhookReceiver() as rx:
        sink = WebhookSink([_endpoint(rx.url)])
        with pytest.raises(SinkError, match=r"webhook hook: not sent: header X-N: character U\+"):
            await sink.handle(HttpCall(rule_id="r", endpoint="hook", headers=(("X-N", value),)))
        await sink.aclose()
    assert rx.calls == []
    assert "Traceback" not in caplog.text


HEAD = """\
webhooks:
  hook: {url: "http://127.0.0.1:9/x"%s}
rooms:
  - username: "@room"
    rules:
      - id: r
        on: chat
        do:
          - webhook: {endpoint: hook%s}
"""


@pytest.mark.parametrize(
    ("endpoint", "action", "where", "why"),
    [
        ("", ', headers: {X-N: "é {{ user.nickname }}"}', "do[0].webhook.headers.X-N", "U+00E9"),
        (
            "",
            ', headers: {"X N": "{{ text }}"}',
            "do[0].webhook.headers.X N",
            "not a valid HTTP token",
        ),
        ("", ', content_type: "text/plain\\n"', "do[0].webhook.content_type", "U+000A"),
        (', headers: {X-Key: "a\\tb\\u00e9"}', "", "webhooks.hook.headers.X-Key", "U+00E9"),
        (', signature_header: "X Sig"', "", "webhooks.hook.signature_header", "token"),
    ],
)
def test_header_text_in_the_config_that_cannot_be_sent_is_a_config_error(
    endpoint: str, action: str, where: str, why: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(HEAD % (endpoint, action), "c.yaml")
    (problem,) = info.value.problems
    assert where in problem and why in problem


def test_raw_path_keeps_slashes_but_still_encodes_query_and_fragment_marks() -> None:
    cfg = load_config_text(HEAD % ("", ', path: "/{{ user.nickname }}", raw_path: true'), "c.yaml")
    engine = Engine(cfg.rooms[0].rules, room="room")
    (firing,) = engine.firings(ev.ChatEvent(user=ev.User(nickname="a/b c?d#e%")), 0.0)
    (request,) = firing.requests
    assert isinstance(request, HttpCall) and request.path == "/a/b%20c%3Fd%23e%25"


async def test_a_lone_surrogate_from_a_replayed_capture_still_gives_valid_json() -> None:
    async with WebhookReceiver(secret="s3cret") as rx:
        event = ev.ChatEvent(user=ev.User(id=1, nickname="x\ud800"), text="t\udfff")
        dispatcher = await _run(rx, [event])
    assert dispatcher.stats()["http:hook"]["ok"] == 2
    docs = [json.loads(c.body) for c in rx.calls]
    assert {"nick": "x\ud800", "text": "t\udfff"} in docs and {"t": "t\udfff", "n": 1} in docs
    assert unquote(urlsplit(rx.calls[0].path).path.split("/")[3]) == "x\ufffd"

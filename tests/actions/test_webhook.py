"""The ``webhook`` action kind (livetrigger/actions/webhook.py): its entry's problems, the call
it builds, its describe line and its journal record."""

from __future__ import annotations

import pytest

from livetrigger.actions import HttpCall
from livetrigger.actions.describe import describe
from livetrigger.state import outbox
from tests.actions.rules import HEAD, chat, fire, problems


def test_a_call_renders_path_query_headers_and_body_each_escaped_for_its_place() -> None:
    (call,) = fire(
        "- webhook:\n"
        "    endpoint: hook\n"
        "    method: PUT\n"
        "    path: '/u/{{ user.nickname }}'\n"
        "    query: {q: '{{ text }}'}\n"
        "    headers: {X-Who: '{{ user.nickname }}'}\n"
        "    json: {said: '{{ text }}'}",
        chat(nickname="a/b\r\nX: y", text="?&"),
    )
    assert call == HttpCall(
        rule_id="r", room="room", event=call.event, endpoint="hook", method="PUT",
        path="/u/a%2Fb%0D%0AX%3A%20y", query=(("q", "?&"),), headers=(("X-Who", "a/b%0D%0AX: y"),),
        body=b'{"said": "?&"}', content_type="application/json",
    )  # fmt: skip


def test_the_content_type_follows_the_body() -> None:
    plain, json_text, given, default = fire(
        "- webhook: {endpoint: hook, body: 'hi {{ text }}'}\n"
        "- webhook: {endpoint: hook, body: '{\"a\": 1}'}\n"
        "- webhook: {endpoint: hook, body: '<b/>', content_type: application/xml}\n"
        "- webhook: {endpoint: hook}"
    )
    assert (plain.content_type, plain.body) == ("text/plain", b"hi hi")  # type: ignore[attr-defined]
    assert json_text.content_type == "application/json"  # type: ignore[attr-defined]
    assert given.content_type == "application/xml"  # type: ignore[attr-defined]
    assert default.content_type == "application/json"  # type: ignore[attr-defined]
    assert default.body.startswith(b'{"rule": "r", "room": "room"')  # type: ignore[attr-defined]


def test_check_says_what_is_wrong_with_an_entry() -> None:
    assert problems(
        "- webhook: {endpoint: hok}\n"
        "- webhook: {endpoint: hook, body: a, json: {b: c}}\n"
        "- webhook: {endpoint: hook, headers: {'Bad Name': x}}\n"
        '- webhook: {endpoint: hook, content_type: "a\\nb"}\n'
        "- webhook: {endpoint: hook, path: '/{{ args.x }}'}\n"
    ) == [
        "<config>:10:23: rooms[0].rules[0].do[0].webhook.endpoint: unknown webhook `hok` — did"
        " you mean `hook`? (webhooks: hook)",
        "<config>:11:13: rooms[0].rules[0].do[1].webhook: give either body or json, not both",
        "<config>:12:49: rooms[0].rules[0].do[2].webhook.headers.Bad Name: header name"
        " 'Bad Name' is not a valid HTTP token",
        "<config>:13:39: rooms[0].rules[0].do[3].webhook.content_type: header Content-Type:"
        " character U+000A is not allowed in a header value (printable ASCII only; values"
        " printed by a template are encoded for you)",
        "<config>:14:39: rooms[0].rules[0].do[4].webhook.path: `args.x` reads a chat command's"
        ' argument, but this rule has no command: args come from `command:`, like `command: "!light'
        ' {x}"`',
    ]


def test_without_endpoints_check_says_where_to_add_them() -> None:
    head = HEAD.replace('webhooks: {hook: {url: "http://127.0.0.1:9/x"}}\n', "")
    assert problems("- webhook: {endpoint: hook}", head) == [
        "<config>:9:23: rooms[0].rules[0].do[0].webhook.endpoint: unknown webhook `hook`"
        " (webhooks: none: add a `webhooks:` section)"
    ]


def test_the_describe_line() -> None:
    call = HttpCall(rule_id="r", endpoint="hook", path="/x", method="POST", body=b"{}")
    assert describe(call) == "webhook hook/x POST {}"
    assert describe(HttpCall(rule_id="r", endpoint="hook")) == "webhook hook "


def test_every_call_is_journaled_and_read_back() -> None:
    call = HttpCall(
        rule_id="r", room="demo", endpoint="hook", method=None, path="/a\nb", body=b"\xff",
        query=(("q", "1"),), headers=(("X-Who", "😀"),), content_type="text/plain",
    )  # fmt: skip
    record = outbox.encode(call)
    assert record == {
        "rule": "r", "room": "demo", "k": "http", "endpoint": "hook", "method": None,
        "path": "/a\nb", "query": [["q", "1"]], "headers": [["X-Who", "😀"]], "body": "/w==",
        "content_type": "text/plain",
    }  # fmt: skip
    assert outbox.durable(call) and outbox.decode(record) == call


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"method": 5}, "bad method"),
        ({"query": [["q"]]}, "bad pairs"),
        ({"headers": "X: y"}, "bad pairs"),
        ({"endpoint": None}, "endpoint is not a string"),
        ({"body": "!"}, "Only base64 data"),
    ],
)
def test_a_journal_record_that_is_not_a_call_is_refused(
    change: dict[str, object], why: str
) -> None:
    record = outbox.encode(HttpCall(rule_id="r", endpoint="hook"))
    with pytest.raises(ValueError, match=why):
        outbox.decode(record | change)

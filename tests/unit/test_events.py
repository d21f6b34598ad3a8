"""The event model: docs/events.md lists exactly the fields of every kind."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from livetrigger import events as ev
from livetrigger.config import load_config_text
from livetrigger.config.schema import json_schema
from livetrigger.config.yamlpos import load_located
from livetrigger.settings import TikTokSettings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text()
COMMON = {f.name for f in dataclasses.fields(ev.Event)}


def documented_fields(kind: str) -> set[str]:
    # the section whose heading names this kind, up to the next heading
    m = re.search(rf"^### [^\n]*`{kind}`[^\n]*\n(.*?)(?=^#)", DOC + "\n#", re.S | re.M)
    assert m, f"docs/events.md has no section for kind {kind!r}"
    return set(re.findall(r"^\| `(\w+)` \|", m.group(1), re.M))


@pytest.mark.parametrize("kind", sorted(ev.EVENT_KINDS))
def test_every_field_is_documented(kind: str) -> None:
    cls = ev.EVENT_KINDS[kind]
    own = {f.name for f in dataclasses.fields(cls)} - COMMON
    extra = {"is_final"} if cls is ev.GiftEvent else set()
    assert documented_fields(kind) == own | extra


def test_common_and_user_fields_are_documented() -> None:
    for name in COMMON | {f.name for f in dataclasses.fields(ev.User)}:
        assert f"| `{name}` |" in DOC, name


def test_events_are_frozen() -> None:
    event = ev.ChatEvent(text="hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.text = "changed"  # type: ignore[misc]


def test_deferred_event_fills_on_first_read_and_equals_eager_one() -> None:
    calls: list[str] = []

    def fill(event: ev.ChatEvent, text: str) -> None:
        calls.append(text)
        ev.ChatEvent.__init__(event, text=text, msg_id=3)

    lazy = ev.deferred(ev.ChatEvent, fill, "hello")
    assert lazy.kind == "chat" and calls == []
    assert lazy.text == "hello" and lazy.msg_id == 3 and calls == ["hello"]
    assert lazy == ev.ChatEvent(text="hello", msg_id=3)
    assert lazy.text == "hello" and calls == ["hello"]  # filled once


def test_missing_attribute_still_raises() -> None:
    with pytest.raises(AttributeError):
        ev.ChatEvent().nonexistent  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError):
        ev.deferred(ev.ChatEvent, ev.ChatEvent.__init__).nonexistent  # type: ignore[attr-defined]  # noqa: B018


def test_event_to_dict_uses_documented_names() -> None:
    gift = ev.GiftEvent(
        gift_name="Rose", streak=ev.StreakState.END, user=ev.User(nickname="{{ 7*7 }}")
    )
    d = ev.event_to_dict(gift)
    assert d["kind"] == "gift" and d["streak"] == "end" and d["is_final"] is True
    assert d["user"]["nickname"] == "{{ 7*7 }}" and d["user"]["follow_role"] == "none"


@pytest.mark.parametrize("cls", [*ev.EVENT_TYPES, ev.User, ev.Emote, ev.TopViewer, ev.BattleScore])
def test_generated_init_keeps_the_dataclass_signature(cls: type) -> None:
    fields = dataclasses.fields(cls)
    required = {f.name for f in fields if f.default is dataclasses.MISSING}
    if required:
        with pytest.raises(TypeError):
            cls()
    values = {f.name: f"v-{f.name}" for f in fields}
    made = cls(**values)
    assert all(getattr(made, name) == value for name, value in values.items())
    with pytest.raises(TypeError):
        cls(*values.values())  # keyword-only, as declared
    with pytest.raises(TypeError):
        cls(**values, not_a_field=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.__setattr__(fields[0].name, "changed")


def test_every_kind_has_an_example_rule_that_check_accepts() -> None:
    # each section's "Example:" line is a whole rule: together they load as one config
    examples = re.findall(r"^Example: `(.*)`$", DOC, re.M)
    rules = "\n".join(f"      - {{id: ex{i}, {rule[1:]}" for i, rule in enumerate(examples))
    sign_host = httpx.URL(TikTokSettings().sign_url).host  # the chat examples send through it
    config = f"""\
tiktok: {{session_id: a-session, session_id_sign_host: {sign_host}}}
mqtt: {{host: 127.0.0.1}}
gpio:
  pin_factory: mock
  outputs:
    lamp: {{pin: 17}}
    siren: {{pin: 18}}
webhooks:
  phone: {{url: "https://example.com/hook"}}
rooms:
  - username: "@someone"
    rules:
{rules}
"""
    rooms = load_config_text(config).rooms
    kinds = {k for rule in rooms[0].rules for k in rule.kinds}
    assert kinds == set(ev.EVENT_KINDS)
    # and an editor with the JSON Schema takes them too
    jsonschema.Draft202012Validator(json_schema()).validate(load_located(config).data)


def _rule_problems(rule: dict[str, Any]) -> list[str]:
    config = {
        "rooms": [{"username": "@someone", "rules": [{"id": "r", "do": [{"log": "x"}], **rule}]}]
    }
    return [e.message for e in _VALIDATOR.iter_errors(config)]


_VALIDATOR = jsonschema.Draft202012Validator(json_schema())


@pytest.mark.parametrize(
    ("rule", "right"),
    [
        ({"on": "battle_ended", "when": {"result": "won"}}, True),
        ({"on": "battle_ended", "when": {"reslt": "won"}}, False),  # no such field
        ({"on": "gift", "when": {"total_diamonds": {"gte": 100}}}, True),
        ({"on": "gift", "when": {"total_diamonds": {"gte": "100"}}}, False),  # text, not a number
        ({"on": "gift", "when": {"gift_name": {"gte": "Rose"}}}, False),  # text has no order
        ({"on": "gift", "when": {"gift_name": ["Rose", "Lion"], "user.nickname": "x"}}, True),
        ({"on": "rank", "when": {"rank": {"lte": 10}}}, True),
        ({"on": "goal", "when": {"progress": {"gte": 100}, "reached": True}}, True),
        ({"on": "goal", "when": {"reached": "yes"}}, False),
        ({"on": "gfit"}, False),  # no such kind
        ({"on": ["gift", "like"], "when": {"anything": 1}}, True),  # several kinds: check's job
    ],
)
def test_the_json_schema_knows_each_kinds_fields(rule: dict[str, Any], right: bool) -> None:
    """What `check` says of these, an editor with the schema says too."""
    assert (_rule_problems(rule) == []) is right
    if right and "anything" not in str(rule):
        assert load_config_text(
            yaml.safe_dump(
                {
                    "rooms": [
                        {"username": "@x", "rules": [{"id": "r", "do": [{"log": "x"}], **rule}]}
                    ]
                }
            )
        )

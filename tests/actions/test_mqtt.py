"""The ``mqtt`` action kind (livetrigger/actions/mqtt.py): its entry's problems, the publish
it builds, its describe line and its journal record."""

from __future__ import annotations

import pytest

from livetrigger import events as ev
from livetrigger.actions import GpioCommand, MqttPublish
from livetrigger.actions.describe import describe
from livetrigger.config import load_config_text
from livetrigger.rules.engine import Engine
from livetrigger.state import outbox
from livetrigger.text.topics import TopicLevels
from tests.actions.rules import HEAD, fire, problems


def test_a_publish_renders_topic_and_payload_and_defaults_to_the_event_as_json() -> None:
    templated, plain = fire(
        "- mqtt: {topic: 'lt/{{ user.nickname }}', payload: '{{ text }}!', qos: 2, retain: true}\n"
        "- mqtt: {topic: lt/x, json: {who: '{{ user.nickname }}', n: 1}}\n"
        "- mqtt: {topic: lt/y}"
    )[:2]
    assert templated == MqttPublish(
        rule_id="r", room="room", event=templated.event, topic="lt/Alice", payload=b"hi!",
        qos=2, retain=True,
    )  # fmt: skip
    assert isinstance(plain, MqttPublish) and plain.payload == b'{"who": "Alice", "n": 1}'
    (*_, default) = fire("- mqtt: {topic: lt/y}")
    assert isinstance(default, MqttPublish)
    assert default.payload.startswith(b'{"rule": "r", "room": "room", "args": {}, "event": {')


def test_a_value_in_a_topic_is_one_escaped_level() -> None:  # from test_rules_engine.py
    config = load_config_text(
        HEAD + "          - mqtt: {topic: '{{ base }}/{{ user.nickname }}/x'}\n"
        "          - mqtt: {topic: '{{ base }}/{{ user.nickname }}/x', raw_topic: true}\n"
    )
    e = Engine(config.rooms[0].rules, room="room")
    e.base_topic = TopicLevels("home/lt")  # the configured base keeps its own levels
    (f,) = e.firings(ev.ChatEvent(user=ev.User(nickname="cmd/test/r+#")), 0)
    escaped, raw = f.requests
    assert isinstance(escaped, MqttPublish) and isinstance(raw, MqttPublish)
    assert escaped.topic == "home/lt/cmd%2Ftest%2Fr%2B%23/x"
    assert raw.topic == "home/lt/cmd/test/r+#/x"  # opted out: the MQTT client refuses it
    assert e.stats["r"].render_errors == 0


def test_check_says_what_is_wrong_with_an_entry() -> None:
    assert problems(
        "- mqtt: {topic: 'lt/{{ user.nick }}'}\n"
        "- mqtt: {topic: lt/x, payload: a, json: {b: c}}\n"
        "- mqtt: {topic: 'lt/+/x'}\n"
        "- mqtt: {topic: '{{ base }}/{{ room }}/cmd/pause'}\n"
        "- mqtt: {topic: '{{ base }}/{{ room }}/paused'}\n"
    ) == [
        "<config>:10:20: rooms[0].rules[0].do[0].mqtt.topic: unknown user field `nick` — did"
        " you mean `nickname`? in 'lt/{{ user.nick }}'",
        "<config>:11:13: rooms[0].rules[0].do[1].mqtt: give either payload or json, not both",
        "<config>:12:20: rooms[0].rules[0].do[2].mqtt.topic: wildcards + and # are not allowed"
        " in a publish topic: 'lt/+/x'",
        "<config>:13:20: rooms[0].rules[0].do[3].mqtt.topic: '{{ base }}/{{ room }}/cmd/pause'"
        " is inside livetrigger's command topics (livetrigger/+/cmd/#): a message there"
        " pauses a room or test-fires a rule; publish somewhere else",
        "<config>:14:20: rooms[0].rules[0].do[4].mqtt.topic: '{{ base }}/{{ room }}/paused':"
        " livetrigger publishes a room's paused switch there (livetrigger/+/paused); a trigger"
        " there would overwrite it: publish somewhere else",
    ]


def test_an_mqtt_action_needs_the_mqtt_section() -> None:
    head = HEAD.replace("mqtt: {host: localhost}\n", "")
    assert problems("- mqtt: {topic: lt/x}", head) == [
        "<config>:9:13: rooms[0].rules[0].do[0].mqtt: an mqtt action needs an `mqtt:` section"
        " (broker host, ...)"
    ]


def test_the_describe_line_shortens_the_payload_and_names_qos_and_retain() -> None:
    request = MqttPublish(rule_id="r", topic="lt/x", payload=b"\x1b[2J" + b"y" * 200, retain=True)
    line = describe(request)
    assert line.startswith("mqtt lt/x \\x1b[2Jyyy") and line.endswith("… (qos=1 retain)")
    assert len(line) == len("mqtt lt/x ") + 120 + len(" (qos=1 retain)")
    assert describe(MqttPublish(rule_id="r", topic="t", payload=b"", qos=0)) == "mqtt t  (qos=0)"


def test_a_qos_1_or_2_publish_is_journaled_and_read_back_and_qos_0_is_not() -> None:
    request = MqttPublish(
        rule_id="r", room="demo", topic="t/ü", payload=b"\xff\x00", qos=2, lane="rule_fired"
    )
    record = outbox.encode(request)
    assert record == {
        "rule": "r", "room": "demo", "k": "mqtt", "topic": "t/ü", "payload": "/wA=", "qos": 2,
        "retain": False, "lane": "rule_fired",
    }  # fmt: skip
    assert outbox.decode(record) == request and outbox.durable(request)
    assert not outbox.durable(MqttPublish(rule_id="r", topic="t", payload=b"", qos=0))
    assert not outbox.durable(GpioCommand(rule_id="r", output="lamp", verb="on"))


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"qos": 0}, "bad qos or retain"),
        ({"retain": "no"}, "bad qos or retain"),
        ({"payload": "not base64!"}, "Only base64 data"),
        ({"topic": 5}, "topic is not a string"),
        ({"k": "pigeon"}, "unknown kind"),
        ({"room": None}, "room is not a string"),
    ],
)
def test_a_journal_record_that_is_not_a_publish_is_refused(
    change: dict[str, object], why: str
) -> None:
    record = outbox.encode(MqttPublish(rule_id="r", topic="t", payload=b"x"))
    with pytest.raises(ValueError, match=why):
        outbox.decode(record | change)

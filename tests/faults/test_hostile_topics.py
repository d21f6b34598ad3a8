"""Nicknames built to break MQTT (issue 19, item 2), through the rules engine, the dispatcher
and the real client against a real Mosquitto.

A newline, U+0085, U+FDD0 or U+10FFFF in a topic makes Mosquitto close the connection, and
paho resends that message after every reconnect: before the fix one such nickname stopped every
later publish for the life of the process. Now each value printed into a topic is one
percent-encoded level; with ``raw_topic: true`` the topic is refused before paho sees it.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import unquote

import pytest

from livetrigger import events as ev
from livetrigger.actions.sinks.mqtt import MqttClient, MqttSink
from livetrigger.config import load_config_text
from livetrigger.daemon.dispatch import Dispatcher, QueuePolicy
from livetrigger.rules.engine import Engine
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker

# each makes the broker close the connection (or is a wildcard paho refuses) as a raw topic
REFUSED = ["new\nline", "nel\x85", "non\ufdd0char", "max\U0010ffff", "a/+/#", "nul\x00"]
HOSTILE = [*REFUSED, "cmd/test/shout", "$SYS", "50%"]


def _config(port: int, raw: bool) -> str:
    return f"""\
mqtt: {{host: 127.0.0.1, port: {port}, client_id: hostile, reconnect_min: 1s, reconnect_max: 1s}}
rooms:
  - username: "@room"
    rules:
      - id: shout
        on: chat
        do:
          - mqtt: {{topic: "{{{{ base }}}}/{{{{ room }}}}/{{{{ user.nickname }}}}/said", payload: "{{{{ text }}}}", raw_topic: {str(raw).lower()}}}
"""


async def _pipeline(mosquitto: MosquittoBroker, raw: bool) -> tuple[Engine, MqttClient, Dispatcher]:
    config = load_config_text(_config(mosquitto.port, raw))
    assert config.mqtt is not None
    room = config.rooms[0]
    engine = Engine(room.rules, room=room.settings.name, base_topic=config.mqtt.base_topic)
    client = MqttClient(config.mqtt)
    await client.start()
    assert await client.wait_connected(5)
    dispatcher = Dispatcher({"mqtt": MqttSink(client)}, policies={"mqtt": QueuePolicy(size=100)})
    return engine, client, dispatcher


def _say(engine: Engine, dispatcher: Dispatcher, nickname: str, text: str) -> None:
    event = ev.ChatEvent(user=ev.User(id=1, nickname=nickname), text=text)
    for firing in engine.firings(event, 0.0):
        for request in firing.requests:
            dispatcher.submit(request)


async def test_hostile_nicknames_become_one_escaped_level_and_later_publishes_arrive(
    mosquitto: MosquittoBroker,
) -> None:
    listener = Listener(mosquitto.port, "livetrigger/#")
    engine, client, dispatcher = await _pipeline(mosquitto, raw=False)
    try:
        for i, nickname in enumerate(HOSTILE):
            _say(engine, dispatcher, nickname, f"hostile {i}")
        _say(engine, dispatcher, "after", "still here")
        got = await asyncio.to_thread(listener.wait_for, 1, 15.0, "livetrigger/room/after/said")
        assert [m.payload for m in got] == [b"still here"]
        said = [m for m in listener.messages if m.topic.endswith("/said")]
        assert len(said) == len(HOSTILE) + 1
        for message, nickname in zip(said, HOSTILE, strict=False):
            base, room, level, last = message.topic.split("/")
            assert (base, room, last) == ("livetrigger", "room", "said")
            assert unquote(level) == nickname  # one level, and it decodes to the nickname
        ok = len(HOSTILE) + 1
        assert dispatcher.stats()["mqtt"] == {"ok": ok, "failed": 0, "dropped": 0, "queued": 0}
        assert client.connected.is_set() and client.dropped == 0
    finally:
        listener.close()
        await dispatcher.aclose(1)
        await client.aclose()


async def test_raw_topic_is_refused_before_paho_and_counted_as_failed(
    mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    listener = Listener(mosquitto.port, "livetrigger/#")
    engine, client, dispatcher = await _pipeline(mosquitto, raw=True)
    try:
        for i, nickname in enumerate(REFUSED):
            _say(engine, dispatcher, nickname, f"hostile {i}")
        _say(engine, dispatcher, "after", "still here")
        got = await asyncio.to_thread(listener.wait_for, 1, 15.0, "livetrigger/room/after/said")
        assert [m.payload for m in got] == [b"still here"]
        assert [m.topic for m in listener.messages if m.topic.endswith("/said")] == [
            "livetrigger/room/after/said"
        ]
        stats = dispatcher.stats()["mqtt"]
        assert stats == {"ok": 1, "failed": len(REFUSED), "dropped": 0, "queued": 0}
        assert (client.published, client.dropped) == (1, len(REFUSED))  # paho saw one
        refusals = [
            r.getMessage() for r in caplog.records if "refused before sending" in r.getMessage()
        ]
        assert len(refusals) == len(REFUSED)
        assert all(line.startswith("rule shout: mqtt failed") for line in refusals)
        assert "connection lost" not in caplog.text
    finally:
        listener.close()
        await dispatcher.aclose(1)
        await client.aclose()

"""The MQTT client and sink against a real Mosquitto broker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from livetrigger.actions import MqttPublish
from livetrigger.actions.sinks.mqtt import MqttClient, MqttSink
from livetrigger.daemon.dispatch import Dispatcher, QueuePolicy
from livetrigger.errors import SinkError
from livetrigger.settings import MqttSettings
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker
from tests.support.waiting import wait_until


def settings(port: int, **kw: object) -> MqttSettings:
    base: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "client_id": "lt-test",
        "reconnect_min": 1.0,
        "reconnect_max": 1.0,
        "keepalive": 5.0,
    }
    base.update(kw)
    return MqttSettings(**base)  # type: ignore[arg-type]


def pub(topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> MqttPublish:
    return MqttPublish(
        rule_id="r", room="room", topic=topic, payload=payload, qos=qos, retain=retain
    )  # type: ignore[arg-type]


async def test_payload_qos_retain_and_availability(mosquitto: MosquittoBroker) -> None:
    listener = Listener(mosquitto.port)
    client = MqttClient(settings(mosquitto.port))
    await client.start()
    assert await client.wait_connected(30)
    sink = MqttSink(client)
    await sink.handle(pub("lt/a", b'{"x": 1}', qos=1, retain=True))
    await sink.handle(pub("lt/b", b"zero", qos=0))
    got = listener.wait_for(3)
    by_topic = {m.topic: m for m in got}
    assert by_topic["livetrigger/status"].payload == b"online"
    assert json.loads(by_topic["lt/a"].payload) == {"x": 1}
    assert by_topic["lt/b"].payload == b"zero"
    await client.aclose()
    status = listener.wait_for(2, topic="livetrigger/status", timeout=30)  # online, offline
    assert status[-1].payload == b"offline"
    late = Listener(mosquitto.port, "lt/a")  # retained: a new subscriber still gets it
    assert late.wait_for(1)[0].retain
    listener.close()
    late.close()


async def test_last_will_published_when_connection_dies(mosquitto: MosquittoBroker) -> None:
    listener = Listener(mosquitto.port, "livetrigger/status")
    client = MqttClient(settings(mosquitto.port, keepalive=5.0))
    await client.start()
    assert await client.wait_connected(30)
    assert listener.wait_for(1)[-1].payload == b"online"
    # cut the socket under paho without a DISCONNECT: the broker must send the will
    paho_client = client._client
    assert paho_client is not None
    paho_client.loop_stop()
    sock = paho_client.socket()
    assert sock is not None
    sock.close()
    got = listener.wait_for(2, timeout=30)
    assert got[-1].payload == b"offline"
    listener.close()


async def test_poison_topic_does_not_break_later_publishes(mosquitto: MosquittoBroker) -> None:
    listener = Listener(mosquitto.port, "lt/#")
    client = MqttClient(settings(mosquitto.port))
    await client.start()
    assert await client.wait_connected(30)
    for bad in ("lt/+/x", "lt/#", "lt//x", "lt/\x00", ""):
        assert not client.publish(bad, b"p", qos=1)
    assert client.publish("lt/ok", b"fine", qos=1)
    got = listener.wait_for(1)
    assert [m.topic for m in got] == ["lt/ok"]
    assert client.connected.is_set()
    await client.aclose()
    listener.close()


async def test_broker_restart_loses_nothing_and_keeps_order(tmp_path: Path) -> None:
    broker = MosquittoBroker(tmp_path / "b", persistence=True)
    broker.start()
    listener = Listener(broker.port, "lt/seq")
    after: Listener | None = None
    client = MqttClient(settings(broker.port))
    await client.start()
    assert await client.wait_connected(30)
    dispatcher = Dispatcher({"mqtt": MqttSink(client)}, policies={"mqtt": QueuePolicy(size=10_000)})
    n = 0

    async def produce(count: int) -> None:
        nonlocal n
        for _ in range(count):
            dispatcher.submit(pub("lt/seq", str(n).encode()))
            n += 1
            await asyncio.sleep(0.002)

    try:
        await produce(200)
        # the first batch acknowledged (none left for paho to resend after the restart)
        await wait_until(
            lambda: not dispatcher.pending() and not client.triggers_in_flight(), "first acks"
        )
        assert len(await asyncio.to_thread(listener.wait_for, 200, 30.0)) == 200
        broker.stop()  # broker gone mid-stream (SIGTERM: it saves its sessions)
        # the offline batch once the client knows the link is gone: all of it waits for us
        await wait_until(lambda: not client.connected.is_set(), "the client to see the drop")
        await produce(300)
        broker.start()
        # a fresh subscriber, there before anything can reach the broker: the event loop (and
        # so the dispatcher) is blocked until it has subscribed, and paho holds nothing
        after = Listener(broker.port, "lt/seq")
        await produce(200)
        before = [int(m.payload) for m in listener.messages][:200]
        got = await asyncio.to_thread(after.wait_for, 500, 60.0)
        values = [int(m.payload) for m in got]
        missing = sorted(set(range(700)) - set(values) - set(before))
        assert not missing, f"lost: {missing}"
        assert before == list(range(200)), "first batch incomplete or out of order"
        assert values == list(range(200, 700)), "after the restart: out of order or doubled"
        stats = dispatcher.stats()["mqtt"]
        assert stats["ok"] == 700 and stats["dropped"] == 0 and stats["failed"] == 0
    finally:
        listener.close()
        if after is not None:
            after.close()
        await dispatcher.aclose(1)
        await client.aclose()
        broker.stop()


async def test_a_trigger_never_goes_to_a_topic_livetrigger_listens_on(
    mosquitto: MosquittoBroker,
) -> None:
    listener = Listener(mosquitto.port, "#")
    client = MqttClient(settings(mosquitto.port, base_topic="lt"))
    await client.start()
    assert await client.wait_connected(5)
    heard: list[str] = []
    client.subscribe("other/in/+", lambda topic, payload: heard.append(topic))
    sink = MqttSink(client)
    try:
        for topic in ("other/in/x", "lt/room/cmd/pause", "lt/room/cmd", "lt/daemon/d/cmd/reload"):
            with pytest.raises(SinkError, match="livetrigger takes commands from it"):
                await sink.handle(pub(topic, b"ON"))
        await sink.handle(pub("lt/room/command", b"fine"))
        got = listener.wait_for(1, topic="lt/room/command")
        assert [m.payload for m in got] == [b"fine"]
        assert heard == [] and client.dropped == 4
    finally:
        listener.close()
        await client.aclose()

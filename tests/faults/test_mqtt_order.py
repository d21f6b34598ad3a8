"""QoS 1 triggers leave in submission order after an outage, whatever the threads do.

paho calls ``on_connect`` *before* it resends the messages that were in flight when the link
died. Anything published in that gap goes out ahead of them. Under load the gap is real: the
paho thread can lose the CPU right after ``on_connect`` while the event loop, told "connected",
publishes the next trigger. Here the gap is made wide on purpose (the paho thread sleeps after
``on_connect``), so the race happens every run instead of once in a few hundred.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from livetrigger.actions import MqttPublish
from livetrigger.actions.sinks.mqtt import MqttClient, MqttSink
from livetrigger.daemon.dispatch import Dispatcher, QueuePolicy
from livetrigger.settings import MqttSettings
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker

N = 10


def _publish(n: int) -> MqttPublish:
    return MqttPublish(rule_id="r", topic="order/x", payload=str(n).encode(), qos=1)


async def test_messages_in_flight_at_the_drop_stay_ahead_of_later_ones(tmp_path: Path) -> None:
    broker = MosquittoBroker(tmp_path / "b")
    broker.start()
    client = MqttClient(
        MqttSettings(
            host="127.0.0.1", port=broker.port, client_id="order", reconnect_min=1, reconnect_max=1
        )
    )
    original = client._paho_connect
    reconnected = asyncio.Event()
    loop = asyncio.get_running_loop()

    listening = threading.Event()  # the witness subscribed to the restarted broker

    def slow_on_connect(*args: Any) -> None:
        original(*args)  # tells the event loop "connected" ...
        if reconnected.is_set():
            time.sleep(0.5)  # ... then the paho thread is descheduled before its resends
            listening.wait(60)  # (and the witness hears them, however slow it starts)
        loop.call_soon_threadsafe(reconnected.set)

    client._paho_connect = slow_on_connect  # type: ignore[method-assign]
    await client.start()
    assert await client.wait_connected(30)
    await reconnected.wait()
    dispatcher = Dispatcher({"mqtt": MqttSink(client)}, policies={"mqtt": QueuePolicy(size=100)})
    after: Listener | None = None
    try:
        broker.freeze()  # no PUBACK for what we send now: it is in flight at the drop
        for n in range(N // 2):
            dispatcher.submit(_publish(n))
        while client.published == 0:  # at least the first one is in flight
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        broker.kill()
        while client.connected.is_set():  # the drop reached the event loop
            await asyncio.sleep(0.01)
        for n in range(N // 2, N):
            dispatcher.submit(_publish(n))
        broker.start()
        # subscribed before anything reaches the broker: this blocks the event loop, and
        # paho's resends wait for it (above)
        after = Listener(broker.port, "order/#")
        listening.set()
        got = await asyncio.to_thread(after.wait_for, N, 60.0)
        values = [int(m.payload) for m in got]
        assert sorted(set(values)) == list(range(N)), f"lost: {set(range(N)) - set(values)}"
        assert values == sorted(values), f"out of order: {values}"
    finally:
        if after is not None:
            after.close()
        await dispatcher.aclose(1)
        await client.aclose()
        broker.stop()

"""A hung webhook target never holds up MQTT or GPIO: while its first request hangs, every
MQTT message and every pin change of a storm goes through. (What a hung webhook does to their
latency is a benchmark's figure: bench/latency_under_load.py.)"""

from __future__ import annotations

import asyncio
import time

from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger import events as ev
from livetrigger.actions import GpioCommand, HttpCall, MqttPublish
from livetrigger.actions.sinks.gpio import GpioSink
from livetrigger.actions.sinks.http import WebhookSink
from livetrigger.actions.sinks.mqtt import MqttClient, MqttSink
from livetrigger.daemon.dispatch import Dispatcher
from livetrigger.settings import GpioOutputSettings, GpioSettings, MqttSettings, WebhookSettings
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker
from tests.support.waiting import wait_until

TRIGGERS = 300
HANG = 3600.0  # longer than any wait below: the webhook is hung for the whole test


async def test_hung_webhook_does_not_hold_up_mqtt_or_gpio(mosquitto: MosquittoBroker) -> None:
    listener = Listener(mosquitto.port, "hung/#")
    client = MqttClient(MqttSettings(host="127.0.0.1", port=mosquitto.port, client_id="hung"))
    await client.start()
    assert await client.wait_connected(30)
    toggles: list[float] = []
    gpio = GpioSink(
        GpioSettings(outputs=(GpioOutputSettings(name="lamp", pin=17),)),
        pin_factory=MockFactory(pin_class=MockPWMPin),
        on_change=lambda name, value: toggles.append(value),
    )
    async with WebhookReceiver() as hung:
        hung.delay = HANG
        hooks = WebhookSink([WebhookSettings(name="hung", url=hung.url, timeout=HANG, retries=0)])
        d = Dispatcher({"mqtt": MqttSink(client), "gpio": gpio, "http": hooks}, timeout=HANG)
        try:
            d.submit(HttpCall(rule_id="r", endpoint="hung", body=b"{}"))
            await wait_until(lambda: len(hung.calls) == 1, "the webhook request to hang")
            for n in range(TRIGGERS):  # each trigger to all three, the webhook first
                event = ev.GiftEvent(msg_id=n + 1, received_at=time.time())
                d.submit(HttpCall(rule_id="r", event=event, endpoint="hung", body=b"{}"))
                d.submit(
                    MqttPublish(rule_id="r", event=event, topic="hung/x", payload=str(n).encode())
                )
                d.submit(GpioCommand(rule_id="r", event=event, output="lamp", verb="toggle"))
                if n % 10 == 0:
                    await asyncio.sleep(0)  # a storm, not one burst: the lanes run in between
            got = await asyncio.to_thread(listener.wait_for, TRIGGERS, 30.0)
            await wait_until(lambda: len(toggles) == TRIGGERS, "every pin change")
            # everything went through while the webhook's first request was still hanging
            assert [int(m.payload) for m in got] == list(range(TRIGGERS))
            assert toggles == [1.0, 0.0] * (TRIGGERS // 2)
            assert len(hung.calls) == 1
            stats = d.stats()
            assert stats["http:hung"] == {
                "ok": 0,
                "failed": 0,
                "dropped": 0,
                "queued": 1 + TRIGGERS,
            }
            assert stats["mqtt"]["ok"] == stats["gpio:lamp"]["ok"] == TRIGGERS
        finally:
            await d.aclose(0.1)
            await hooks.aclose()
            await gpio.aclose()
            await client.aclose()
            listener.close()

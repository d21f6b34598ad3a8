"""A hung webhook target does not slow MQTT or GPIO: their p99 stays within +10 ms of a run
without it."""

from __future__ import annotations

import asyncio
import threading
import time

import paho.mqtt.client as paho
from gpiozero.pins.mock import MockFactory, MockPWMPin
from paho.mqtt.enums import CallbackAPIVersion

from livetrigger import events as ev
from livetrigger.actions import GpioCommand, HttpCall, MqttPublish
from livetrigger.dispatch import Dispatcher
from livetrigger.settings import GpioOutputSettings, GpioSettings, MqttSettings, WebhookSettings
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from livetrigger.sinks.gpio import GpioSink
from livetrigger.sinks.http import WebhookSink
from livetrigger.sinks.mqtt import MqttClient, MqttSink
from tests.support.mosquitto import MosquittoBroker

RATE, SECONDS = 100, 3.0


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.99 * (len(ordered) - 1))]


async def measure(port: int, with_hung: bool) -> tuple[list[float], list[float]]:
    sent: dict[int, float] = {}
    mqtt_lat: list[float] = []
    pin_lat: list[float] = []
    lock = threading.Lock()

    def on_message(c: paho.Client, u: object, msg: paho.MQTTMessage) -> None:
        with lock:
            mqtt_lat.append(time.time() - sent[int(msg.payload)])

    sub = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"hung-sub-{with_hung}")
    ready = threading.Event()
    sub.on_connect = lambda c, *a: c.subscribe("hung/#", qos=0)
    sub.on_subscribe = lambda *a: ready.set()
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    assert ready.wait(5)
    client = MqttClient(MqttSettings(host="127.0.0.1", port=port, client_id=f"hung-{with_hung}"))
    await client.start()
    assert await client.wait_connected(5)
    last: dict[str, float] = {}
    gpio = GpioSink(
        GpioSettings(outputs=(GpioOutputSettings(name="lamp", pin=17),)),
        pin_factory=MockFactory(pin_class=MockPWMPin),
        on_change=lambda name, value: pin_lat.append(time.time() - last["t"]),
    )
    async with WebhookReceiver() as hung:
        hung.delay = 3600
        hooks = WebhookSink([WebhookSettings(name="hung", url=hung.url, timeout=60, retries=0)])
        d = Dispatcher({"mqtt": MqttSink(client), "gpio": gpio, "http": hooks}, timeout=120)
        start = time.monotonic()
        for n in range(int(RATE * SECONDS)):
            await asyncio.sleep(max(0.0, start + n / RATE - time.monotonic()))
            now = time.time()
            event = ev.GiftEvent(msg_id=n + 1, received_at=now)
            sent[n] = last["t"] = now
            d.submit(
                MqttPublish(
                    rule_id="r", event=event, topic="hung/x", payload=str(n).encode(), qos=1
                )
            )
            d.submit(GpioCommand(rule_id="r", event=event, output="lamp", verb="toggle"))
            if with_hung:
                d.submit(HttpCall(rule_id="r", event=event, endpoint="hung", body=b"{}"))
        await asyncio.sleep(0.5)
        await d.aclose(0.1)
        await hooks.aclose()
    await gpio.aclose()
    await client.aclose()
    sub.loop_stop()
    sub.disconnect()
    return mqtt_lat, pin_lat


async def test_hung_webhook_leaves_mqtt_and_gpio_latency_alone(mosquitto: MosquittoBroker) -> None:
    base_mqtt, base_pin = await measure(mosquitto.port, with_hung=False)
    hung_mqtt, hung_pin = await measure(mosquitto.port, with_hung=True)
    assert len(hung_mqtt) == len(base_mqtt) == RATE * SECONDS
    assert p99(hung_mqtt) <= p99(base_mqtt) + 0.010, (p99(base_mqtt), p99(hung_mqtt))
    assert p99(hung_pin) <= p99(base_pin) + 0.010, (p99(base_pin), p99(hung_pin))

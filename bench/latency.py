"""Action latency: event received → MQTT message at a subscriber, webhook request at a local
server, mock pin changed; p50/p99/max at 100 and 1,000 events/s, with a hung webhook target
taking requests at the same time (it must not slow the others).

    .venv/bin/python bench/latency.py [--seconds 10]

Starts its own Mosquitto on a free loopback port. Every event produces one MQTT publish
(QoS 1), one GPIO toggle and — for one event in ten — a webhook call, plus one call per second
to an endpoint that never answers.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as paho
from gpiozero.pins.mock import MockFactory, MockPWMPin
from paho.mqtt.enums import CallbackAPIVersion

from livetrigger import events as ev
from livetrigger.actions import GpioCommand, HttpCall, MqttPublish
from livetrigger.actions.sinks.gpio import GpioSink
from livetrigger.actions.sinks.http import WebhookSink
from livetrigger.actions.sinks.mqtt import MqttClient, MqttSink
from livetrigger.daemon.dispatch import Dispatcher, QueuePolicy
from livetrigger.settings import GpioOutputSettings, GpioSettings, MqttSettings, WebhookSettings
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from tests.support.mosquitto import MosquittoBroker


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def run_rate(rate: int, seconds: float, broker: MosquittoBroker) -> dict[str, list[float]]:
    sent: dict[int, float] = {}
    got: dict[str, list[float]] = {"mqtt": [], "gpio": [], "webhook": []}
    lock = threading.Lock()

    def on_message(c: paho.Client, u: object, msg: paho.MQTTMessage) -> None:
        now = time.time()
        seq = int(msg.payload)
        with lock:
            if seq in sent:
                got["mqtt"].append(now - sent[seq])

    sub = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-sub-{rate}")
    ready = threading.Event()
    # QoS 0 subscription: the measuring client must not throttle itself with its own acks
    sub.on_connect = lambda c, *a: c.subscribe("bench/#", qos=0)
    sub.on_subscribe = lambda *a: ready.set()
    sub.on_message = on_message
    sub.connect("127.0.0.1", broker.port)
    sub.loop_start()
    ready.wait(5)

    mqtt = MqttClient(MqttSettings(host="127.0.0.1", port=broker.port, client_id=f"bench-{rate}"))
    await mqtt.start()
    await mqtt.wait_connected(5)
    pin_sent: dict[str, float] = {}

    def on_pin(name: str, value: float) -> None:
        t = pin_sent.pop("t", None)
        if t is not None:
            got["gpio"].append(time.time() - t)

    gpio = GpioSink(
        GpioSettings(outputs=(GpioOutputSettings(name="lamp", pin=17),)),
        pin_factory=MockFactory(pin_class=MockPWMPin),
        on_change=on_pin,
    )
    async with WebhookReceiver() as rx, WebhookReceiver() as hung:
        hung.delay = 3600  # never answers
        rx.on_call = lambda call: got["webhook"].append(time.time() - sent[int(call.body)])
        hooks = WebhookSink([
            WebhookSettings(name="rx", url=rx.url, retries=0),
            WebhookSettings(name="hung", url=hung.url, timeout=30, retries=0),
        ])
        dispatcher = Dispatcher(
            {"mqtt": MqttSink(mqtt), "gpio": gpio, "http": hooks},
            policies={"mqtt": QueuePolicy(size=100_000)},
            timeout=60,
        )
        interval = 1 / rate
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < seconds:
            target = start + n * interval
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.time()
            event = ev.ChatEvent(msg_id=n + 1, received_at=now)
            sent[n] = now
            dispatcher.submit(MqttPublish(rule_id="b", event=event, topic="bench/x", payload=str(n).encode()))
            pin_sent["t"] = now
            dispatcher.submit(GpioCommand(rule_id="b", event=event, output="lamp", verb="toggle"))
            if n % 10 == 0:
                dispatcher.submit(HttpCall(rule_id="b", event=event, endpoint="rx", body=str(n).encode()))
            if n % rate == 0:
                dispatcher.submit(HttpCall(rule_id="b", event=event, endpoint="hung", body=b"{}"))
            n += 1
        await asyncio.sleep(1.0)
        await dispatcher.aclose(0.1)
        await hooks.aclose()
    await gpio.aclose()
    await mqtt.aclose()
    sub.loop_stop()
    sub.disconnect()
    got["_n"] = [float(n)]
    return got


async def main() -> None:
    import gc
    if "--no-gc" in sys.argv:
        sys.argv.remove("--no-gc")
        gc.disable()
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rates", default="100,1000")
    args = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}; {args.seconds:g} s per rate")
    with tempfile.TemporaryDirectory() as tmp, MosquittoBroker(Path(tmp)) as broker:
        for rate in (int(r) for r in args.rates.split(",")):
            got = await run_rate(rate, args.seconds, broker)
            n = int(got.pop("_n")[0])
            for target, values in got.items():
                ms = [v * 1000 for v in values]
                print(
                    f"{rate:>5}/s {target:<8} n={len(ms):>6} (of {n if target != 'webhook' else n // 10:>6}) "
                    f"p50 {pct(ms, 50):6.2f} ms  p99 {pct(ms, 99):6.2f} ms  max {max(ms) if ms else float('nan'):7.2f} ms"
                    + (f"  mean {statistics.fmean(ms):.2f}" if ms else "")
                )


if __name__ == "__main__":
    asyncio.run(main())

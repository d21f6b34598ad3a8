"""The speed claims the tests no longer time: each scenario a test checks for behaviour, measured
here for how fast, optionally with every core kept busy.

    .venv/bin/python bench/latency_under_load.py [--busy N] [--repeat 10] [--only NAME,...]

Scenarios (the test that checks the behaviour in brackets):

- ``hung``: MQTT and GPIO latency (event received -> message at a subscriber / pin changed),
  p50/p99/max at 100 triggers/s for 3 s, without and with a webhook target that never
  answers (tests/faults/test_hung_webhook.py).
- ``pulse``: how late a 200 ms GPIO pulse ends, and how soon ``handle`` turns the pin on
  (tests/sinks/test_gpio.py).
- ``daemon``: the whole daemon in a subprocess: a gift sent by the fake room -> the pin on, a
  1 s pulse's length, SIGTERM mid-pulse -> the pin off (tests/integration/test_daemon.py).
- ``outage``: the broker SIGKILLed for 3 s during a 200 triggers/s storm: from its return to
  the last message at a subscriber (tests/faults/test_broker_outage.py).
- ``stall``: a websocket frozen without a close (the fake room SIGSTOPped, stall_timeout 1 s):
  SIGSTOP -> disconnected, SIGCONT -> events again (tests/faults/test_frozen_room.py,
  tests/connection/test_scheduler.py).

``--busy N`` starts N processes that spin (``while True: pass``) for the whole run: with N =
the number of cores every core is saturated, as under scripts/stress-test.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx
import paho.mqtt.client as paho
import yaml
from gpiozero.pins.mock import MockFactory, MockPWMPin
from paho.mqtt.enums import CallbackAPIVersion

from livetrigger import events as ev
from livetrigger.actions import GpioCommand, HttpCall, MqttPublish
from livetrigger.actions.sinks.gpio import GpioSink
from livetrigger.actions.sinks.http import WebhookSink
from livetrigger.actions.sinks.mqtt import MqttClient, MqttSink
from livetrigger.daemon.dispatch import Dispatcher, QueuePolicy
from livetrigger.settings import (
    GpioOutputSettings,
    GpioSettings,
    MqttSettings,
    RoomSettings,
    TikTokSettings,
    WebhookSettings,
)
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from livetrigger.webcast.scheduler import RoomScheduler
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker

Row = tuple[str, list[float]]  # a figure's name, its samples in seconds


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def ms(seconds: float) -> str:
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def report(rows: list[Row]) -> None:
    for name, values in rows:
        if not values:
            print(f"  {name:<48} no samples")
            continue
        print(
            f"  {name:<48} n={len(values):<5} p50 {ms(pct(values, 50)):>9}  "
            f"p99 {ms(pct(values, 99)):>9}  max {ms(max(values)):>9}"
        )


@contextmanager
def busy(n: int) -> Any:
    """n spinning processes for as long as the block runs."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


# -- hung: a hung webhook beside MQTT and GPIO ------------------------------------------------


async def hung(repeat: int) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, MosquittoBroker(Path(tmp)) as broker:
        for with_hung in (False, True):
            mqtt_lat: list[float] = []
            pin_lat: list[float] = []
            for _ in range(max(1, repeat // 5)):
                m, g = await _hung_run(broker.port, with_hung)
                mqtt_lat += m
                pin_lat += g
            label = "with a hung webhook" if with_hung else "no webhook"
            rows += [(f"MQTT, 100/s, {label}", mqtt_lat), (f"GPIO, 100/s, {label}", pin_lat)]
    return rows


async def _hung_run(port: int, with_hung: bool) -> tuple[list[float], list[float]]:
    rate, seconds = 100, 3.0
    sent: dict[int, float] = {}
    mqtt_lat: list[float] = []
    pin_lat: list[float] = []
    lock = threading.Lock()

    def on_message(c: paho.Client, u: object, msg: paho.MQTTMessage) -> None:
        with lock:
            mqtt_lat.append(time.time() - sent[int(msg.payload)])

    sub = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"lul-sub-{with_hung}")
    ready = threading.Event()
    sub.on_connect = lambda c, *a: c.subscribe("lul/#", qos=0)
    sub.on_subscribe = lambda *a: ready.set()
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    ready.wait(30)
    client = MqttClient(MqttSettings(host="127.0.0.1", port=port, client_id=f"lul-{with_hung}"))
    await client.start()
    await client.wait_connected(30)
    last: dict[str, float] = {}

    def on_pin(name: str, value: float) -> None:
        if "t" in last:  # not the all-off at the end
            pin_lat.append(time.time() - last["t"])

    gpio = GpioSink(
        GpioSettings(outputs=(GpioOutputSettings(name="lamp", pin=17),)),
        pin_factory=MockFactory(pin_class=MockPWMPin),
        on_change=on_pin,
    )
    async with WebhookReceiver() as rx:
        rx.delay = 3600
        hooks = WebhookSink([WebhookSettings(name="hung", url=rx.url, timeout=60, retries=0)])
        d = Dispatcher(
            {"mqtt": MqttSink(client), "gpio": gpio, "http": hooks},
            policies={"mqtt": QueuePolicy(size=100_000)},
            timeout=120,
        )
        start = time.monotonic()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            now = time.time()
            event = ev.GiftEvent(msg_id=n + 1, received_at=now)
            sent[n] = last["t"] = now
            d.submit(MqttPublish(rule_id="b", event=event, topic="lul/x", payload=str(n).encode()))
            d.submit(GpioCommand(rule_id="b", event=event, output="lamp", verb="toggle"))
            if with_hung:
                d.submit(HttpCall(rule_id="b", event=event, endpoint="hung", body=b"{}"))
        deadline = time.monotonic() + 60  # the webhook's lane never drains: wait for the others
        while (len(mqtt_lat) < len(sent) or len(pin_lat) < len(sent)) and (
            time.monotonic() < deadline
        ):
            await asyncio.sleep(0.01)
        last.clear()
        await d.aclose(0.1)
        await hooks.aclose()
    await gpio.aclose()
    await client.aclose()
    sub.loop_stop()
    sub.disconnect()
    return mqtt_lat, pin_lat


# -- pulse: a GPIO pulse's length and how soon it starts -----------------------------------------


async def pulse(repeat: int) -> list[Row]:
    on_delay: list[float] = []
    late: list[float] = []
    for _ in range(repeat * 5):
        changes: list[tuple[float, float]] = []
        done = asyncio.Event()

        def changed(
            name: str,
            value: float,
            log: list[tuple[float, float]] = changes,
            off: asyncio.Event = done,
        ) -> None:
            log.append((time.monotonic(), value))
            if value == 0:
                off.set()

        s = GpioSink(
            GpioSettings(outputs=(GpioOutputSettings(name="lamp", pin=17),)),
            pin_factory=MockFactory(pin_class=MockPWMPin),
            on_change=changed,
        )
        asked = time.monotonic()
        await s.handle(GpioCommand(rule_id="b", output="lamp", verb="pulse", duration=0.2))
        await asyncio.wait_for(done.wait(), 30)
        (t_on, _), (t_off, _) = changes
        on_delay.append(t_on - asked)
        late.append(t_off - t_on - 0.2)
        await s.aclose()
    return [("pulse: handle() -> pin on", on_delay), ("pulse 200 ms: off later than asked", late)]


# -- daemon: gift -> pin, pulse length, SIGTERM -> pin off ---------------------------------------


async def daemon(repeat: int) -> list[Row]:
    from tests.integration.test_daemon import LONG_PULSE, config_text, gift

    to_on: list[float] = []
    lengths: list[float] = []
    to_off: list[float] = []
    with tempfile.TemporaryDirectory() as tmp_dir, MosquittoBroker(Path(tmp_dir) / "b") as broker:
        for i in range(repeat):
            tmp = Path(tmp_dir) / str(i)
            tmp.mkdir()
            for rules, sigterm in ((None, False), (LONG_PULSE, True)):
                async with FakeLiveRoom() as room, WebhookReceiver() as rx:
                    cfg = tmp / f"config-{sigterm}.yaml"
                    text = config_text(room, broker.port, rx.url, tmp)
                    if rules is not None:
                        text = config_text(room, broker.port, rx.url, tmp, rules)
                    cfg.write_text(text)
                    pins = tmp / f"pins-{sigterm}.log"
                    pins.write_text("")
                    proc = subprocess.Popen(
                        [sys.executable, "-m", "tests.support.daemon_main", str(cfg), str(pins)],
                        cwd=ROOT,
                        # its own state (the fake room's ids repeat: a shared dedupe window
                        # would swallow the gift)
                        env={
                            **os.environ,
                            "PYTHONPATH": str(ROOT),
                            "STATE_DIRECTORY": str(tmp / f"state-{sigterm}"),
                        },
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    try:
                        await room.wait_for_client(60)
                        sent = time.monotonic()
                        await room.send(gift(room, "Galaxy", 500, 1, ev.StreakState.SINGLE, 1))
                        changes = await _pin_changes(pins, 1)
                        to_on.append(changes[0] - sent)
                        if sigterm:
                            signalled = time.monotonic()
                            proc.send_signal(signal.SIGTERM)
                            changes = await _pin_changes(pins, 2)
                            to_off.append(changes[1] - signalled)
                        else:
                            changes = await _pin_changes(pins, 2)
                            lengths.append(changes[1] - changes[0] - 1.0)
                            proc.send_signal(signal.SIGTERM)
                        proc.wait(60)
                    finally:
                        if proc.poll() is None:
                            proc.kill()
                            proc.wait()
    return [
        ("daemon: gift sent -> pin on", to_on),
        ("daemon: 1 s pulse, off later than asked", lengths),
        ("daemon: SIGTERM mid-pulse -> pin off", to_off),
    ]


async def _pin_changes(pins: Path, n: int) -> list[float]:
    """The monotonic stamps of the first n pin changes in the daemon's pin log."""
    deadline = time.monotonic() + 60
    while True:
        stamps = [float(line.split()[3]) for line in pins.read_text().splitlines()]
        if len(stamps) >= n:
            return stamps
        if time.monotonic() > deadline:
            raise RuntimeError(f"the daemon changed the pin {len(stamps)} times, not {n}")
        await asyncio.sleep(0.002)


# -- outage: the broker killed during a storm --------------------------------------------------


async def outage(repeat: int) -> list[Row]:
    back: list[float] = []
    after: list[float] = []
    for i in range(max(1, repeat // 2)):
        with tempfile.TemporaryDirectory() as tmp:
            b, a = await _outage_run(Path(tmp), i)
            back.append(b)
            after.append(a)
    return [
        ("outage 3 s at 200/s: broker back -> last message", back),
        ("  (the storm goes on 2 s) storm over -> last", after),
    ]


async def _outage_run(tmp: Path, i: int) -> tuple[float, float]:
    rate = 200
    broker = MosquittoBroker(tmp / "b")
    broker.start()
    client = MqttClient(
        MqttSettings(
            host="127.0.0.1",
            port=broker.port,
            client_id=f"lul-storm-{i}",
            reconnect_min=1.0,
            reconnect_max=1.0,
        )
    )
    await client.start()
    await client.wait_connected(30)
    d = Dispatcher({"mqtt": MqttSink(client)}, policies={"mqtt": QueuePolicy(size=100_000)})
    n = 0
    start = time.monotonic()

    async def storm(seconds: float) -> None:
        nonlocal n
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            d.submit(MqttPublish(rule_id="b", topic="storm/x", payload=str(n).encode()))
            n += 1
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))

    after: Listener | None = None
    try:
        await storm(2.0)
        broker.kill()
        await storm(3.0)
        broker.start()
        returned = time.monotonic()
        after = Listener(broker.port, "storm/#")
        await storm(2.0)
        over = time.monotonic()
        last = str(n - 1).encode()
        deadline = time.monotonic() + 120
        while not any(m.payload == last for m in after.messages):
            if time.monotonic() > deadline:
                raise RuntimeError("the storm did not drain in 120 s")
            await asyncio.sleep(0.005)
        now = time.monotonic()
        return now - returned, now - over
    finally:
        if after is not None:
            after.close()
        await d.aclose(1)
        await client.aclose()
        broker.stop()


# -- stall: a frozen websocket --------------------------------------------------------------------


async def stall(repeat: int) -> list[Row]:
    detect: list[float] = []
    resume: list[float] = []
    for _ in range(max(1, repeat // 2)):
        d, r = await _stall_run()
        detect.append(d)
        resume.append(r)
    return [
        ("stall (1 s): SIGSTOP -> disconnected", detect),
        ("stall: SIGCONT -> events again", resume),
    ]


async def _stall_run() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        show = Path(tmp) / "show.yaml"
        steps = [{"wait": 0.2, "chat": {"user": "a", "text": f"m{i}"}} for i in range(600)]
        show.write_text(yaml.safe_dump({"users": {"a": {"nickname": "A"}}, "steps": steps}))
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "livetrigger", "fake-room"),
                *("--show", str(show), "--ping-interval", "0.2"),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert proc.stdout is not None
            base = re.search(r"base URL (\S+)", proc.stdout.readline())
            assert base is not None
            url = base.group(1)
            settings = TikTokSettings(
                web_url=url,
                webcast_url=url,
                sign_url=url,
                stall_timeout=1.0,
                heartbeat_interval=0.2,
                reconnect_initial=0.1,
                reconnect_max=0.5,
                http_timeout=1.0,
                connect_timeout=1.0,
                live_check_interval=0.2,
            )
            events: list[ev.Event] = []
            async with httpx.AsyncClient() as http:
                scheduler = RoomScheduler(
                    RoomSettings(name="demo", unique_id="demo_streamer"),
                    settings,
                    http=http,
                    on_event=events.append,
                )
                task = asyncio.create_task(scheduler.run())
                try:
                    await _until(lambda: any(e.kind == "chat" for e in events))
                    proc.send_signal(signal.SIGSTOP)
                    stopped = time.monotonic()
                    seen = len(events)
                    await _until(lambda: any(e.kind == "disconnected" for e in events[seen:]))
                    detected = time.monotonic() - stopped
                    await asyncio.sleep(1.0)
                    seen = len(events)
                    proc.send_signal(signal.SIGCONT)
                    resumed = time.monotonic()
                    await _until(lambda: any(e.kind == "chat" for e in events[seen:]))
                    return detected, time.monotonic() - resumed
                finally:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
        finally:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
            proc.wait()


async def _until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        await asyncio.sleep(0.002)


SCENARIOS: dict[str, Callable[[int], Awaitable[list[Row]]]] = {
    "hung": hung,
    "pulse": pulse,
    "daemon": daemon,
    "outage": outage,
    "stall": stall,
}


async def main() -> None:
    logging.getLogger("livetrigger").setLevel(logging.ERROR)  # "not carried out" at the end
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--busy", type=int, default=0, help="spinning processes (cores to saturate)")
    ap.add_argument("--repeat", type=int, default=10, help="runs per scenario (scaled per kind)")
    ap.add_argument("--only", default=",".join(SCENARIOS), help="scenarios, comma-separated")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        ap.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}; {args.busy} busy process(es); repeat {args.repeat}"
    )
    with busy(args.busy):
        for name in names:
            print(f"{name}:")
            report(await SCENARIOS[name](args.repeat))


if __name__ == "__main__":
    asyncio.run(main())

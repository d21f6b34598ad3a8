"""Home Assistant commands do only what the docs say (issue 19, item 6): a test press never runs
a disabled rule, a retained command never runs (and is cleared from the broker), and a burst of
presses is rate-limited. The daemon in-process against a real Mosquitto, the fake room and a
real webhook receiver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from livetrigger.system.limits import COMMAND_BURST
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker

CMD = "livetrigger/demo_streamer/cmd"


def config_for(room: FakeLiveRoom, port: int, state_dir: Path, hook: str):  # type: ignore[no-untyped-def]
    return load_config_text(f"""\
tiktok: {{web_url: "{room.base_url}", webcast_url: "{room.base_url}", sign_url: "{room.base_url}",
         live_check_interval: 200ms, reconnect_initial: 100ms}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: lt-cmd}}
homeassistant: {{discovery: true, state_interval: 1s}}
webhooks:
  hook: {{url: "{hook}", retries: 0}}
daemon: {{state_dir: "{state_dir}", status_socket: "{state_dir}/s.sock"}}
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: ring
        on: gift
        do: [{{webhook: {{endpoint: hook, json: {{rule: ring}}}}}}]
      - id: switched_off
        enabled: false
        on: gift
        do: [{{webhook: {{endpoint: hook, json: {{rule: switched_off}}}}}}]
""")


@asynccontextmanager
async def running(config) -> AsyncIterator[Daemon]:  # type: ignore[no-untyped-def]
    daemon = Daemon(config, pin_factory=MockFactory(pin_class=MockPWMPin))
    task = asyncio.create_task(daemon.run())
    try:
        yield daemon
    finally:
        daemon.request_stop()
        await task


@asynccontextmanager
async def setup(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> AsyncIterator[tuple[Daemon, FakeLiveRoom, WebhookReceiver]]:
    async with (
        FakeLiveRoom() as room,
        WebhookReceiver() as hook,
        running(config_for(room, mosquitto.port, tmp_path, hook.url)) as daemon,
    ):
        yield daemon, room, hook


async def until(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def connected(daemon: Daemon, room: FakeLiveRoom) -> None:
    await room.wait_for_client()
    await until(lambda: daemon.outputs.mqtt is not None and daemon.outputs.mqtt.connected.is_set(), "mqtt")
    await until(lambda: daemon.homeassistant is not None, "home assistant")


async def test_a_disabled_rule_is_never_test_fired(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, f"{CMD}/#")
    async with setup(tmp_path, mosquitto) as (daemon, room, hook):
        await connected(daemon, room)
        await asyncio.sleep(0.3)  # the command subscription is made on connect
        listener.client.publish(f"{CMD}/test/switched_off", "PRESS")
        listener.client.publish(f"{CMD}/test/ring", "PRESS")
        await until(lambda: len(hook.calls) >= 1, "the enabled rule's test")
        await asyncio.sleep(0.3)  # handled in order: the disabled one came first
        assert [c.body for c in hook.calls] == [b'{"rule": "ring"}']
        assert daemon.event_path.test_fires == 1
    listener.close()


async def test_a_retained_command_is_ignored_and_cleared(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    setter = Listener(mosquitto.port, "nothing/here")
    commands = ((f"{CMD}/test/ring", "PRESS"), (f"{CMD}/pause", "ON"))
    for topic, payload in commands:
        setter.client.publish(topic, payload, qos=1, retain=True).wait_for_publish(5)
    # there from the start: it sees the clearing (empty) messages go through the broker
    watcher = Listener(mosquitto.port, f"{CMD}/#")
    async with setup(tmp_path, mosquitto) as (daemon, room, hook):
        await connected(daemon, room)
        mqtt = daemon.outputs.mqtt
        assert mqtt is not None
        await until(lambda: mqtt.retained_refused == 2, "both retained commands refused")
        cleared = {topic for topic, _ in commands}
        await until(
            lambda: cleared <= {m.topic for m in list(watcher.messages) if m.payload == b""},
            "the broker to pass on both clearing messages",
        )
        # cleared: a new subscriber gets nothing retained, only the live sentinel after
        late = Listener(mosquitto.port, f"{CMD}/#")
        setter.client.publish(f"{CMD}/sentinel", "x", qos=1).wait_for_publish(5)
        got = await asyncio.to_thread(late.wait_for, 1, 10.0, f"{CMD}/sentinel")
        assert got, "sentinel not received"
        assert [m for m in late.messages if m.retain] == []
        assert hook.calls == [] and daemon.event_path.test_fires == 0
        assert not daemon.rooms["demo_streamer"].engine.paused
        late.close()
    watcher.close()
    setter.close()


async def test_a_burst_of_presses_is_rate_limited(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    presser = Listener(mosquitto.port, "nothing/here")
    async with setup(tmp_path, mosquitto) as (daemon, room, hook):
        await connected(daemon, room)
        await asyncio.sleep(0.3)
        for _ in range(300):
            presser.client.publish(f"{CMD}/test/ring", "PRESS", qos=1)
        bridge = daemon.homeassistant
        assert bridge is not None
        await until(
            lambda: daemon.event_path.test_fires + bridge.limiter.refused == 300, "300 presses handled"
        )
        # one test of a rule per second: a burst that takes seconds to arrive on a busy
        # machine gives one more per second, never hundreds
        assert 1 <= daemon.event_path.test_fires <= COMMAND_BURST
        await until(lambda: len(hook.calls) == daemon.event_path.test_fires, "the calls")
        await asyncio.sleep(0.3)
        assert len(hook.calls) == daemon.event_path.test_fires
    presser.close()

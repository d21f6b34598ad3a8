"""A broker outage under load, end to end: the real daemon in a subprocess with Home Assistant
discovery on, the fake room pushing gifts at ``rate`` per second (each fires one MQTT trigger
and one ``rule_fired``), a real Mosquitto killed for ``outage`` seconds and started again, and
a persistent-session listener that counts what arrived. Shared by tests/faults and
bench/outage.py, so the figures in BENCHMARKS.md come from the code the tests check.

The listener keeps a persistent session on a broker with persistence on: what the daemon
delivers after the restart waits in the broker for the listener, however the two reconnects
race. Counts, never timings, decide the outcome.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livetrigger import events as ev
from livetrigger.daemon.status_socket import fetch
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker

ROOT = Path(__file__).resolve().parents[2]
TRIGGER_TOPIC = "t/gift"
RULE_FIRED_TOPIC = "livetrigger/demo_streamer/rule_fired/gift"
CLIENT_ID = "lt-outage"


def config_text(
    room: FakeLiveRoom,
    broker: int,
    work: Path,
    mqtt_extra: str = "",
    extra: str = "",
    rules_extra: str = "",
) -> str:
    mqtt = f"host: 127.0.0.1, port: {broker}, client_id: {CLIENT_ID}"
    if mqtt_extra:
        mqtt += ", " + mqtt_extra
    return f"""\
tiktok:
  web_url: {room.base_url}
  webcast_url: {room.base_url}
  sign_url: {room.base_url}
  live_check_interval: 200ms
  reconnect_initial: 100ms
mqtt: {{{mqtt}}}
homeassistant: {{discovery: true, state_interval: 200ms}}
daemon:
  state_dir: {work}/state
  status_socket: {work}/status.sock
  shutdown_timeout: 2s
{extra}rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: gift
        on: gift
        do: [{{mqtt: {{topic: "{TRIGGER_TOPIC}", payload: "{{{{ msg_id }}}}"}}}}]
{rules_extra}"""


@dataclass
class Daemon:
    proc: subprocess.Popen[bytes]
    work: Path

    @property
    def log(self) -> Path:
        return self.work / "daemon.log"

    def status(self) -> dict[str, Any]:
        return fetch(self.work / "status.sock", 60.0)  # a busy daemon answers late, not never

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return await asyncio.to_thread(self.proc.wait, 30)


@asynccontextmanager
async def daemon(work: Path, config: str, clock_shift: float = 0.0) -> AsyncIterator[Daemon]:
    """The daemon on ``config``; ``clock_shift`` (seconds) moves the wall clock its outbox
    stamps and measures with (tests/support/daemon_main.py)."""
    cfg = work / "config.yaml"
    cfg.write_text(config)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LIVETRIGGER_TEST_LOG_LEVEL": os.environ.get("LIVETRIGGER_TEST_LOG_LEVEL", "info"),
        "LIVETRIGGER_TEST_CLOCK_SHIFT": repr(clock_shift),
    }
    with (work / "daemon.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.daemon_main", str(cfg), str(work / "pins.log")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Daemon(proc, work)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def gift(room: FakeLiveRoom) -> ev.GiftEvent:
    return ev.GiftEvent(
        msg_id=room.next_msg_id(),
        user=ev.User(id=9, unique_id="sam", nickname="Sam"),
        gift_id=5655,
        gift_name="Rose",
        diamonds=1,
        repeat_count=1,
        streak=ev.StreakState.SINGLE,
        total_diamonds=1,
    )


class Storm:
    """Gifts at ``rate`` per second, paced against a fixed start (late sends catch up)."""

    def __init__(self, room: FakeLiveRoom, rate: float) -> None:
        self.room = room
        self.rate = rate
        self.sent: list[int] = []
        self._start = 0.0

    async def run(self, seconds: float) -> None:
        if not self._start:
            self._start = time.monotonic()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            event = gift(self.room)
            await self.room.send(event)
            self.sent.append(event.msg_id)
            due = self._start + len(self.sent) / self.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))


@dataclass
class Figures:
    """What one run gave. ``sent``: triggers the daemon's rule fired (one per gift);
    ``delivered``: distinct ones the listener got; ``lost``: sent and never delivered."""

    outage: float
    rate: float
    queue_size: int | None
    sent: int = 0
    delivered: int = 0
    lost: int = 0
    doubled: int = 0
    broker_resent: int = 0  # repeats the broker flagged as its own resend (DUP): not ours
    out_of_order: int = 0
    rule_fired_sent: int = 0
    rule_fired_delivered: int = 0  # not counting the broker's own resends
    dropped_reported: int = 0  # what the daemon's status says it dropped (mqtt lanes)
    warnings: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "warnings"}


def _count(received: list[tuple[int, bool]], sent: list[int]) -> tuple[int, int, int, int, int]:
    """(delivered, lost, doubled, broker_resent, out_of_order) of ``received`` (id, DUP flag)
    against ``sent``. A repeat the broker flagged DUP is its own resend to the listener (after
    its restart it resends what its last save held as unacknowledged): not the daemon's."""
    wanted = set(sent)
    order = {msg_id: i for i, msg_id in enumerate(sent)}
    firsts: list[int] = []
    seen: set[int] = set()
    doubled = resent = 0
    for r, dup in received:
        if r not in wanted:
            continue
        if r in seen:
            if dup:
                resent += 1
            else:
                doubled += 1
            continue
        seen.add(r)
        firsts.append(order[r])
    out_of_order = sum(1 for a, b in itertools.pairwise(firsts) if b < a)
    return len(seen), len(wanted - seen), doubled, resent, out_of_order


def fired_id(payload: bytes) -> int:
    """A ``rule_fired`` trigger's identity: the id of the message that fired it."""
    return int(json.loads(payload)["msg_id"])


def firsts(listener: Listener, topic: str, ident: Callable[[bytes], Any] = bytes) -> list[Any]:
    """What the daemon delivered on ``topic``: each message's identity, in order of arrival.
    A repeat the broker flags DUP is its own resend (after its restart it resends what its
    last save held as unacknowledged): left out. Yet such a copy may be the listener's first
    (the broker died before the listener had it), so it is left out only as a repeat. A
    repeat without the flag is the daemon's, and stays in for the test to see."""
    seen: set[Any] = set()
    out: list[Any] = []
    for m in list(listener.messages):
        if m.topic != topic:
            continue
        key = ident(m.payload)
        if key in seen and m.dup:
            continue
        seen.add(key)
        out.append(key)
    return out


def mqtt_dropped(status: dict[str, Any]) -> int:
    return sum(
        int(info.get("dropped", 0))
        for target, info in status.get("actions", {}).items()
        if target == "mqtt" or target.startswith("mqtt:")
    )


def mqtt_queued(status: dict[str, Any]) -> int:
    return sum(
        int(info.get("queued", 0))
        for target, info in status.get("actions", {}).items()
        if target == "mqtt" or target.startswith("mqtt:")
    )


@asynccontextmanager
async def rig(work: Path) -> AsyncIterator[tuple[MosquittoBroker, Listener, FakeLiveRoom]]:
    """A persistent broker with a persistent-session listener on ``#`` and the fake room."""
    broker = MosquittoBroker(work / "broker", persistence=True)
    broker.start()
    listener = Listener(broker.port, "#", persistent=True)
    db = broker.workdir / f"mosquitto-{broker.port}.db"
    try:
        # the listener's subscription must be on disk before the broker is killed
        await wait_until(db.exists, 30, "the broker to save the listener's session")
        async with FakeLiveRoom() as room:
            yield broker, listener, room
    finally:
        listener.close()
        broker.stop()


async def entered(room: FakeLiveRoom, connections: int = 1) -> None:
    await wait_until(
        lambda: room.connections >= connections and any(c.entered.is_set() for c in room.clients),
        60,
        f"the daemon in the room (connection {connections})",
    )


async def online(listener: Listener) -> None:
    topic = f"livetrigger/daemon/{CLIENT_ID}/status"
    await wait_until(
        lambda: any(m.topic == topic and m.payload == b"online" for m in listener.messages),
        60,
        "the daemon online at the broker",
    )


def figures_from(
    fig: Figures, listener: Listener, sent: list[int], status: dict[str, Any] | None
) -> Figures:
    received = [
        (int(m.payload), m.dup) for m in list(listener.messages) if m.topic == TRIGGER_TOPIC
    ]
    counts = _count(received, sent)
    fig.delivered, fig.lost, fig.doubled, fig.broker_resent, fig.out_of_order = counts
    fig.rule_fired_delivered = len(firsts(listener, RULE_FIRED_TOPIC, fired_id))
    if status is not None:
        fig.sent = int(status.get("rules", {}).get("gift", 0))
        fig.rule_fired_sent = fig.sent
        fig.dropped_reported = mqtt_dropped(status)
    return fig


async def broker_outage(
    work: Path,
    *,
    outage: float,
    rate: float = 200.0,
    queue_size: int | None = None,
    before: float = 1.0,
    after: float = 1.0,
    mqtt_extra: str = "",
    settle: float = 120.0,
    on_running: Callable[[Daemon], Awaitable[None]] | None = None,
    broker_signal: int = signal.SIGKILL,
) -> Figures:
    """One run: ``before`` s of gifts, the broker stopped (``broker_signal``) for ``outage`` s of
    gifts, started again, ``after`` s of gifts; then wait (up to ``settle`` s) until the daemon holds no MQTT
    trigger and the listener has what the daemon delivered. ``queue_size`` None: the default."""
    extra = mqtt_extra
    if queue_size is not None:
        extra = ", ".join(x for x in (f"queue_size: {queue_size}", extra) if x)
    fig = Figures(outage=outage, rate=rate, queue_size=queue_size)
    async with rig(work) as (broker, listener, room):
        config = config_text(room, broker.port, work, extra)
        async with daemon(work, config) as d:
            await entered(room)
            await online(listener)
            storm = Storm(room, rate)
            await storm.run(before)
            broker.stop(broker_signal)
            await storm.run(outage)
            broker.start()
            await storm.run(after)
            if on_running is not None:
                await on_running(d)
            # every gift decoded and fired, nothing left in the daemon's MQTT lanes
            await wait_until(
                lambda: (
                    (s := d.status())["rules"].get("gift", 0) >= len(storm.sent)
                    and mqtt_queued(s) == 0
                ),
                settle,
                "the daemon to fire every gift and empty its MQTT queues",
            )
            status = d.status()
            # both lanes: the broker passes rule_fired on to a lagging listener at its own pace
            lanes = status.get("actions", {})
            for topic, lane in ((TRIGGER_TOPIC, "mqtt"), (RULE_FIRED_TOPIC, "mqtt:rule_fired")):
                want = len(storm.sent) - int(lanes.get(lane, {}).get("dropped", 0))
                await asyncio.to_thread(listener.wait_for, want, 60.0, topic)
            assert await d.stop() == 0
        figures_from(fig, listener, storm.sent, status)
        fig.warnings = [
            line for line in d.log.read_text().splitlines() if " warning " in line.lower()
        ]
    return fig

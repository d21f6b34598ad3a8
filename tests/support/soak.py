"""A month in minutes (issue 13): the real daemon in a subprocess against the fake room over
real sockets and a real Mosquitto, through simulated days of streams on a compressed clock.

Every gift, streak and command the fake room sends is one expected trigger per target, keyed
by a viewer id of its own (``u<N> <count>``): gifts and commands are published over MQTT; each
gift also calls a webhook on a real HTTP server and pulses a lamp on the daemon's MockFactory
pins (tests/support/soak_witness.py says how those two are counted). Each is classified when
it is sent by what the daemon could know of it:

- ``once``: sent while the daemon was connected, or in a gap of a session it was already in
  (a socket drop, a stall, a broker outage, a SIGTERM restart): it must fire exactly once;
- ``never``: sent in a session before the daemon's first sign for it (the initial fetch's
  history): it must never fire;
- ``once`` too: sent after a SIGKILL, more than ``KILL_WINDOW`` (1 s) after the process was
  gone, and before the next process's first fetch: beyond the horizon the killed process's
  state vouched for (docs/connection.md, "State across restarts");
- ``may``: sent within that second after a SIGKILL (a streak: from its first step), or not
  yet fired when the SIGKILL came (and not given up on before: that is missed): the window
  at the kill, which may be lost, never doubled. A lamp pulse refused at a SIGTERM (a firing
  between the signal and the rooms' stop, in the firing log) is ``may`` too: outputs go off
  for good at the signal and GPIO actions are not kept for the next process
  (docs/actions.md, "Across restarts");
- ``≥1`` (MQTT only): not yet at the subscriber when the broker restarted (QoS 1 may resend);
  still not there when a SIGKILL comes, it is ``may``.

Per target the triggers must also arrive in the order their last message was sent (a streak
without an end frame fires on a timer and is left out of that check).

The lifecycle is counted too: per session one ``live`` and one ``stream_ended`` when the daemon
followed it. The report is a table per target of sent / delivered / missed / lost / doubled /
out of order, and one per category; anything doubled, missed, out of order or fired from
history is a violation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.webcast.decode import HORIZON_MS
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker
from tests.support.soak_witness import GPIO, WEBHOOK, FileTail, GpioWitness, WebhookWitness

ROOT = Path(__file__).resolve().parents[2]
STREAK_TIMEOUT = 1.0  # seconds; the daemon's tiktok.streak_timeout in the soak
PER_MINUTE, PER_HOUR, PER_DAY = 60, 1000, 10000  # the soak's sign budget
WEBHOOK_SECRET = "soak-secret"
TARGETS = ("mqtt", WEBHOOK, GPIO)
# after a SIGKILL, what was created up to this long after the process was gone may fall at or
# before the saved horizon (1 s past the newest message it had handled, which came before)
KILL_WINDOW = HORIZON_MS / 1000


@dataclass
class Trigger:
    payload: str  # what the rule sends: "u<N> <count>" (gifts) or "u<N>" (commands)
    topic: str  # an MQTT topic ("t/gift", "t/cmd"), or the target: http:rx, gpio:lamp
    kind: str
    context: str
    expect: str  # once / never / may / ≥1 (in flight at a broker restart: QoS 1 may redeliver)
    seq: int | None = None  # when its last message was sent; None: it fires on a timer

    @property
    def target(self) -> str:
        return "mqtt" if self.topic.startswith("t/") else self.topic


@dataclass
class Plan:
    days: int = 30
    seed: int = 1
    streams_per_day: tuple[int, int] = (1, 2)
    steps_per_stream: tuple[int, int] = (8, 18)
    history_per_stream: tuple[int, int] = (0, 2)  # sent before the daemon's first fetch
    sigkill_share: float = 0.35  # of daemon restarts
    restart_chance: float = 0.12  # per step
    broker_restart_chance: float = 0.03  # per step
    # per step: the webhook endpoint turns the next 1-3 calls away (5xx/429), drawn from a
    # random stream of its own so a seed's streams, restarts and drops stay what they were
    webhook_trouble_chance: float = 0.1
    # what each step does, by weight
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "gift": 6,
            "streak": 4,
            "streak_noend": 2,
            "command": 4,
            "replay": 2,
            "drop": 2,
            "drop_streak": 1,
            "stall": 0.6,
            "check_alive_5xx": 1,
            "sign_fail": 0.6,
        }
    )


@dataclass
class Report:
    rows: list[tuple[str, str, str, str, int, int, int, int]]  # target, kind, context, expect,
    # sent, fired, missed, doubled
    targets: list[tuple[str, int, int, int, int, int, int, int, int]]  # target, sent,
    # delivered, missed, lost (allowed), fired from history, doubled, QoS 1 again, out of order
    lifecycle: list[tuple[str, str, int, int, int, int, int]]  # what, expect, sessions, fired,
    # missed, doubled, sent twice by the broker (QoS 1 after a broker restart)
    unknown: list[str]
    violations: list[str]
    days: int
    streams: int
    sigterms: int
    sigkills: int
    broker_restarts: int
    drops: int
    replays: int
    sign_requests: int
    sign_max_minute: int
    seconds: float
    webhook_refused: int  # calls the endpoint answered 5xx or 429 (retried)
    lamp_on: int  # times the mock pin went on (pin log)
    lamp_pulses: int  # pulses the firing log says were made

    def table(self) -> str:
        lines = [
            "| target | sent | delivered | missed | lost (allowed) | from history | doubled "
            f"| QoS 1 sent again | out of order |\n{_rule(9)}"
        ]
        lines += ["| " + " | ".join(map(str, row)) + " |" for row in self.targets]
        lines.append("")
        lines.append(
            "| target | kind | sent while | expect | sent | fired | missed | doubled |\n" + _rule(8)
        )
        lines += ["| " + " | ".join(map(str, row)) + " |" for row in self.rows]
        lines.append("")
        lines.append(
            "| lifecycle | expect | sessions | fired | missed | doubled | QoS 1 redelivered |\n"
            + _rule(7)
        )
        for what, expect, sessions, fired, missed, doubled, again in self.lifecycle:
            lines.append(
                f"| {what} | {expect} | {sessions} | {fired} | {missed} | {doubled} | {again} |"
            )
        lines.append("")
        lines.append(
            f"{self.days} days, {self.streams} streams, {self.drops} socket drops/stalls, "
            f"{self.replays} replayed messages, {self.sigterms} SIGTERM and {self.sigkills} "
            f"SIGKILL restarts, {self.broker_restarts} broker restarts; {self.sign_requests} "
            f"sign requests (at most {self.sign_max_minute} in any minute; budget "
            f"{PER_MINUTE}/min); {self.webhook_refused} webhook calls answered 5xx/429; "
            f"the lamp's pin went on {self.lamp_on} times for "
            f"{self.lamp_pulses} pulses logged ok; {self.seconds:.0f} s"
        )
        if self.unknown:
            lines.append(f"unexpected publishes: {self.unknown[:10]}")
        for v in self.violations:
            lines.append(f"VIOLATION: {v}")
        return "\n".join(lines)


def _rule(n: int) -> str:
    return "|" + " --- |" * n


def config_text(room: FakeLiveRoom, broker: int, tmp: Path, webhook_url: str) -> str:
    return f"""\
tiktok:
  web_url: {room.base_url}
  webcast_url: {room.base_url}
  sign_url: {room.base_url}
  live_check_interval: 200ms
  reconnect_initial: 200ms
  reconnect_max: 1s
  heartbeat_interval: 500ms
  stall_timeout: 1s
  streak_timeout: {STREAK_TIMEOUT:g}s
  sign_budget: {{per_minute: {PER_MINUTE}, per_hour: {PER_HOUR}, per_day: {PER_DAY}}}
mqtt: {{host: 127.0.0.1, port: {broker}, client_id: lt-soak, reconnect_min: 200ms, reconnect_max: 1s}}
homeassistant: {{discovery: false}}
gpio:
  pin_factory: mock
  outputs: {{lamp: {{pin: 17, kind: relay}}}}
webhooks:
  rx: {{url: "{webhook_url}", secret: {WEBHOOK_SECRET}, retries: 3, retry_initial: 200ms}}
daemon:
  state_dir: {tmp}/state
  status_socket: {tmp}/status.sock
  shutdown_timeout: 5s
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: live
        on: live
        do: [{{mqtt: {{topic: "t/live", payload: "{{{{ room_id }}}}", qos: 1}}}}]
      - id: ended
        on: stream_ended
        do: [{{mqtt: {{topic: "t/ended", payload: "{{{{ room_id }}}}", qos: 1}}}}]
      - id: gift
        on: gift
        do: [{{mqtt: {{topic: "t/gift", payload: "{{{{ user.unique_id }}}} {{{{ repeat_count }}}}", qos: 1}}}}]
      - id: hook
        on: gift
        do: [{{webhook: {{endpoint: rx, json: {{trigger: "{{{{ user.unique_id }}}} {{{{ repeat_count }}}}", msg_id: "{{{{ msg_id }}}}"}}}}}}]
      - id: pulse
        on: gift
        do: [{{gpio: {{output: lamp, action: pulse, duration: 50ms}}}}]
      - id: light
        command: "!light {{state}}"
        do: [{{mqtt: {{topic: "t/cmd", payload: "{{{{ user.unique_id }}}}", qos: 1}}}}]
"""


class Soak:
    def __init__(self, workdir: Path, plan: Plan, say: Callable[[str], None] = print) -> None:
        self.dir = workdir
        self.plan = plan
        self.say = say
        self.rng = random.Random(plan.seed)
        self.trouble_rng = random.Random(f"webhook trouble {plan.seed}")
        self.triggers: list[Trigger] = []
        self.sent_events: list[tuple[ev.Event, Trigger]] = []  # stamped, for replays
        self.viewers = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.kill_signs: int | None = None  # signs served when the last SIGKILL came
        self.killed_at: float | None = None  # wall clock once the killed process was gone
        self.gap_reason = "gap: reconnect"
        self.stalled = False
        self.broker_down = False
        self.sessions: dict[int, str] = {}  # room id -> "once" / "may" (a SIGKILL in it)
        self.counts: Counter[str] = Counter()
        self.qos1_sessions: set[int] = set()  # live/ended possibly in flight at a broker stop
        self.seq = 0  # messages that complete a trigger, so far
        self.webhook = WebhookWitness(WEBHOOK_SECRET)
        self.pins = workdir / "pins.log"  # every pin change of every daemon process
        self.gpio = GpioWitness(FileTail(workdir / "daemon.log"), FileTail(self.pins))
        self.room: FakeLiveRoom
        self.broker: MosquittoBroker
        self.listener: Listener

    # -- the daemon ---------------------------------------------------------------------------

    def start_daemon(self) -> None:
        assert self.proc is None
        log = (self.dir / "daemon.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.daemon_main", str(self.config), str(self.pins)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "LIVETRIGGER_TEST_LOG_LEVEL": "info"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    async def stop_daemon(self, sig: int) -> None:
        proc, self.proc = self.proc, None
        assert proc is not None
        if sig == signal.SIGKILL:
            # whatever has not reached the broker yet may be lost with the process, also what
            # was owed at least once after a broker restart (it never left this process)
            fired = self.fired()
            gave_up = {(x, p) for x, failed in self.gpio.failed.items() for p in failed}
            for t in self.triggers:
                if (
                    t.expect not in ("once", "≥1")
                    or fired[(t.topic, t.payload)]
                    or (t.topic, t.payload) in gave_up
                ):
                    continue
                t.expect, t.context = "may", f"{t.context}, SIGKILL before it fired"
            self.kill_signs = len(self.room.signed_rooms)
            self.killed_at = None
            if self.room.live:
                self.sessions[self.room.room_id] = "may"
            self.counts["sigkill"] += 1
        else:
            self.counts["sigterm"] += 1
        self.gpio.read()
        failed_before = len(self.gpio.failed[GPIO])
        proc.send_signal(sig)
        code = await asyncio.to_thread(proc.wait, 30)
        if sig == signal.SIGKILL:
            self.killed_at = time.time()  # the fake room stamps create_time on this clock
        if sig == signal.SIGTERM and code != 0:
            raise RuntimeError(f"daemon exited {code} on SIGTERM; see {self.dir}/daemon.log")
        # outputs go off for good at the signal, and a pulse is not kept for the next process
        # (docs/actions.md): a firing between the signal and the rooms' stop is refused, in the
        # firing log. Any other pulse that failed is missed.
        self.gpio.read()
        refused = set(self.gpio.failed[GPIO][failed_before:])
        for t in self.triggers:
            if t.target == GPIO and t.expect == "once" and t.payload in refused:
                t.expect, t.context = "may", f"{t.context}, refused at the SIGTERM"

    # -- what the daemon could know ---------------------------------------------------------

    def entered(self) -> bool:
        return any(
            c.entered.is_set() and not c.ws.transport.is_closing() for c in self.room.clients
        )

    def context(self, since: float | None = None) -> tuple[str, str]:
        """Where a trigger stands, by what the daemon could know when its first message
        was sent (``since``, wall clock; default now)."""
        room = self.room
        if room.room_id not in room.signed_rooms:
            return "before the first fetch (history)", "never"
        if self.kill_signs is not None:
            if len(room.signed_rooms) == self.kill_signs:
                sent = time.time() if since is None else since
                if self.killed_at is None or sent <= self.killed_at + KILL_WINDOW:
                    return "within 1 s of a SIGKILL (the window)", "may"
                return "after a SIGKILL, before the next fetch", "once"
            self.kill_signs = None
        if self.proc is None:
            return "daemon stopped (SIGTERM)", "once"
        if self.broker_down:
            return "broker down", "once"
        if self.stalled:
            return "gap: stalled socket", "once"
        if self.entered():
            return "live", "once"
        return self.gap_reason, "once"

    def new_viewer(self) -> ev.User:
        self.viewers += 1
        return ev.User(id=100_000 + self.viewers, unique_id=f"u{self.viewers}")

    def expect(self, kind: str, payload: str, topic: str, since: float | None = None) -> Trigger:
        """The triggers a message about to be sent owes: over MQTT, and for a gift also the
        webhook and the lamp (``since``: when its first message was sent). Returns the MQTT
        one."""
        context, expect = self.context(since)
        self.seq += 1
        seq = None if kind == "streak, no end frame" else self.seq
        where = [topic, WEBHOOK, GPIO] if topic == "t/gift" else [topic]
        made = [Trigger(payload, w, kind, context, expect, seq) for w in where]
        self.triggers += made
        return made[0]

    async def send(self, event: ev.Event, trigger: Trigger | None) -> None:
        await self.room.send(event)
        if trigger is not None and trigger.expect == "once":
            self.sent_events.append((self.room.log.sent[-1], trigger))

    # -- what the fake room sends -------------------------------------------------------------

    async def gift(self) -> None:
        user = self.new_viewer()
        event = ev.GiftEvent(
            msg_id=self.room.next_msg_id(),
            user=user,
            gift_id=7934,
            gift_name="Galaxy",
            diamonds=500,
            repeat_count=1,
            streak=ev.StreakState.SINGLE,
        )
        await self.send(event, self.expect("gift", f"{user.unique_id} 1", "t/gift"))

    def rose(self, user: ev.User, n: int, group: int, end: bool) -> ev.GiftEvent:
        return ev.GiftEvent(
            msg_id=self.room.next_msg_id(),
            user=user,
            gift_id=5655,
            gift_name="Rose",
            diamonds=1,
            repeat_count=n,
            streak_id=group,
            streakable=True,
            streak=ev.StreakState.END if end else ev.StreakState.PROGRESS,
        )

    async def streak_steps(self, user: ev.User, group: int, count: int) -> None:
        for n in range(1, count + 1):
            await self.room.send(self.rose(user, n, group, end=False))
            await asyncio.sleep(0.01)

    async def streak(self, end: bool = True) -> None:
        user = self.new_viewer()
        count = self.rng.randint(1, 9)
        since = time.time()
        await self.streak_steps(user, user.id, count)
        kind = "streak" if end else "streak, no end frame"
        self.expect(kind, f"{user.unique_id} {count}", "t/gift", since)
        if end:
            await self.room.send(self.rose(user, count, user.id, end=True))

    async def command(self) -> None:
        user = self.new_viewer()
        event = ev.ChatEvent(msg_id=self.room.next_msg_id(), text="!light on", user=user)
        await self.send(event, self.expect("command", user.unique_id, "t/cmd"))

    async def gap_sends(self) -> None:
        for _ in range(self.rng.randint(1, 3)):
            await self.rng.choice((self.gift, self.command, self.streak))()

    # -- steps ----------------------------------------------------------------------------------

    async def until(self, predicate: Callable[[], bool], what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout  # only catches a hang
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"soak: {what} did not happen; see {self.dir}/daemon.log")
            await asyncio.sleep(0.02)

    async def wait_connected(self) -> None:
        if self.proc is not None and self.room.live:
            await self.until(self.entered, "the daemon entering the room")

    async def step(self, name: str) -> None:
        room = self.room
        if name == "gift":
            await self.gift()
        elif name == "streak":
            await self.streak()
        elif name == "streak_noend":
            await self.streak(end=False)
        elif name == "command":
            await self.command()
        elif name == "replay":
            recent = [e for e, _t in self.sent_events[-20:] if e.room_id == room.room_id]
            if recent:
                event = self.rng.choice(recent)
                await room.send(event)  # the same message id again: never a second trigger
                self.counts["replays"] += 1
        elif name in ("drop", "drop_streak", "stall"):
            if not self.entered():
                return
            self.counts["drops"] += 1
            user, group, count = self.new_viewer(), 0, self.rng.randint(2, 6)
            if name == "drop_streak":
                group = user.id
                await self.streak_steps(user, group, count)
            if name == "stall":
                self.stalled = True
                room.stall(True)
            else:
                self.gap_reason = "gap: socket dropped"
                await room.drop()
            if group:
                self.expect("streak, end frame in a gap", f"{user.unique_id} {count}", "t/gift")
                await room.send(self.rose(user, count, group, end=True))
            await self.gap_sends()
            if name == "stall":
                await self.until(lambda: not self.entered(), "the daemon noticing the stall")
                room.stall(False)
                self.stalled = False
            await self.wait_connected()
            self.gap_reason = "gap: reconnect"
        elif name == "check_alive_5xx":
            room.fail_check_alive(None if room.check_alive_failure else 503)
        elif name == "sign_fail":
            room.fail_sign(self.rng.choice((429, 500, 503)), retry_after=0.5)

    async def restart_daemon(self) -> None:
        sig = signal.SIGKILL if self.rng.random() < self.plan.sigkill_share else signal.SIGTERM
        await self.stop_daemon(sig)
        if self.room.live:
            await self.gap_sends()
            if sig == signal.SIGKILL and self.killed_at is not None:
                # and past the window at the kill: these must fire once at the next start
                await asyncio.sleep(max(0.0, self.killed_at + KILL_WINDOW + 0.05 - time.time()))
                await self.gap_sends()
        await asyncio.sleep(self.rng.uniform(0.0, 0.5))
        self.start_daemon()
        await self.wait_connected()

    def webhook_trouble(self) -> None:
        """The endpoint turns the next calls away, fewer than its retries (3): each trigger is
        still taken once, in order. Only once the last trouble is over (the last call answered
        was taken), so no one call meets two troubles and more refusals than it may retry."""
        rx, rng = self.webhook.receiver, self.trouble_rng
        if not rx.responses and (not rx.answered or rx.answered[-1][1] < 300):
            code = rng.choice((500, 503, 429))
            extra = {"Retry-After": "0.3"} if code == 429 else {}
            rx.responses += [(code, extra)] * rng.randint(1, 3)

    async def restart_broker(self) -> None:
        self.counts["broker_restarts"] += 1
        # QoS 1 is at least once: a publish the broker took but had not acknowledged when it
        # stopped is sent again by the daemon's MQTT client, and may reach us twice
        fired = self.fired()
        for t in self.triggers:
            if t.target == "mqtt" and t.expect == "once" and fired[(t.topic, t.payload)] == 0:
                t.expect, t.context = "≥1", f"{t.context}, in flight at a broker restart"
        for r in self.sessions:
            if not (fired[("t/live", str(r))] and fired[("t/ended", str(r))]):
                self.qos1_sessions.add(r)
        self.broker_down = True
        await asyncio.to_thread(self.broker.stop)
        if self.room.live and self.entered():
            await self.gap_sends()
        await asyncio.sleep(self.rng.uniform(0.2, 1.0))
        await asyncio.to_thread(self.broker.start)
        self.broker_down = False

    async def stream(self) -> None:
        room, plan = self.room, self.plan
        room.go_live()
        self.sessions[room.room_id] = "once"
        self.counts["streams"] += 1
        for _ in range(self.rng.randint(*plan.history_per_stream)):  # before the daemon noticed
            await self.rng.choice((self.gift, self.command, self.streak))()
        await self.wait_connected()
        names, weights = zip(*plan.weights.items(), strict=True)
        for _ in range(self.rng.randint(*plan.steps_per_stream)):
            if self.trouble_rng.random() < plan.webhook_trouble_chance:
                self.webhook_trouble()
            if self.rng.random() < plan.restart_chance:
                await self.restart_daemon()
            elif self.rng.random() < plan.broker_restart_chance:
                await self.restart_broker()
            else:
                await self.step(self.rng.choices(names, weights)[0])
            await asyncio.sleep(self.rng.uniform(0.02, 0.15))
        room.fail_check_alive(None)
        if self.rng.random() < 0.5:
            await room.end_stream()
        else:
            await room.vanish()

    async def day(self) -> None:
        self.room.offline_room_id = self.rng.choice(("last", "empty"))
        for _ in range(self.rng.randint(*self.plan.streams_per_day)):
            await asyncio.sleep(self.rng.uniform(0.1, 0.6))  # offline
            if self.rng.random() < self.plan.restart_chance * 2:
                await self.restart_daemon()  # between streams
            await self.stream()

    # -- the run --------------------------------------------------------------------------------

    def arrivals(self) -> dict[str, list[tuple[str, str]]]:
        """Per target, what reached it, in the order it did: (topic or target, payload)."""
        self.webhook.read()
        self.gpio.read()
        return {
            "mqtt": [(m.topic, m.payload.decode()) for m in list(self.listener.messages)],
            WEBHOOK: [(WEBHOOK, p) for p in self.webhook.arrived],
            GPIO: [(GPIO, p) for p in self.gpio.pulsed],
        }

    def fired(self) -> Counter[tuple[str, str]]:
        return Counter(k for arrived in self.arrivals().values() for k in arrived)

    async def run(self) -> Report:
        started = time.monotonic()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.broker = MosquittoBroker(self.dir / "broker", persistence=True)
        self.broker.start()
        self.listener = Listener(self.broker.port, "t/#", persistent=True)
        await self.webhook.receiver.__aenter__()
        self.room = FakeLiveRoom(
            unique_id="soak_streamer",
            live=False,
            ping_interval=0.5,
            queue_until_entered=False,
            resume_from_cursor=True,
            recent_limit=100_000,  # every gap message reaches the next fetch
        )
        try:
            await self.room.start()
            self.config = self.dir / "config.yaml"
            hook = f"{self.webhook.receiver.url}/hook"
            self.config.write_text(config_text(self.room, self.broker.port, self.dir, hook))
            self.start_daemon()
            for day in range(self.plan.days):
                await self.day()
                self.say(f"day {day + 1}: {len(self.triggers)} triggers sent so far")
            if self.proc is None:
                self.start_daemon()
            await self.settle()
            await self.stop_daemon(signal.SIGTERM)
            self.counts["sigterm"] -= 1  # the final stop is not a restart
            await self.drain()
            return self.report(time.monotonic() - started)
        finally:
            if self.proc is not None:
                self.proc.kill()
                self.proc.wait(10)
            await self.room.aclose()
            await self.webhook.receiver.aclose()
            self.listener.close()
            self.broker.stop()

    async def settle(self) -> None:
        """Wait until every trigger owed has fired (streaks without an end take their
        timeout) and every session the daemon followed has ended."""

        def done() -> bool:
            fired = self.fired()
            owed = all(
                fired[(t.topic, t.payload)] for t in self.triggers if t.expect in ("once", "≥1")
            )
            ended = {p for (topic, p) in fired if topic == "t/ended"}
            followed = [r for r, e in self.sessions.items() if e == "once" and self.signed(r)]
            return owed and all(str(r) in ended for r in followed)

        with contextlib.suppress(TimeoutError):  # the report names what is missing
            await self.until(done, "every owed trigger firing", timeout=60)

    async def drain(self) -> None:
        """The daemon has exited: a marker published now arrives after everything it sent."""
        import paho.mqtt.publish as publish  # noqa: PLC0415

        marker = f"end-{time.time()}"
        await asyncio.to_thread(
            publish.single, "t/zz-marker", marker, qos=1, hostname="127.0.0.1",
            port=self.broker.port,
        )  # fmt: skip
        await self.until(
            lambda: ("t/zz-marker", marker) in self.fired(), "the end marker", timeout=30
        )

    def signed(self, room_id: int) -> bool:
        return room_id in self.room.signed_rooms

    def report(self, seconds: float) -> Report:
        arrivals = self.arrivals()
        fired = Counter(k for arrived in arrivals.values() for k in arrived)
        details = {
            "triggers": [[*vars(t).values(), fired[(t.topic, t.payload)]] for t in self.triggers],
            "sessions": [
                [r, e, self.signed(r), fired[("t/live", str(r))], fired[("t/ended", str(r))]]
                for r, e in self.sessions.items()
            ],
            "fired": [[topic, p, n] for (topic, p), n in fired.items()],
        }
        (self.dir / "soak-details.json").write_text(json.dumps(details, indent=0))
        groups: dict[tuple[str, str, str, str], list[int]] = {}
        known: dict[tuple[str, str], Trigger] = {}
        for t in self.triggers:
            n = fired[(t.topic, t.payload)]
            known[(t.topic, t.payload)] = t
            g = groups.setdefault((t.target, t.kind, t.context, t.expect), [0, 0, 0, 0])
            g[0] += 1
            g[1] += n
            g[2] += n == 0 and t.expect != "never"
            g[3] += max(0, n - 1)
        rows = [(*key, v[0], v[1], v[2], v[3]) for key, v in sorted(groups.items(), key=_order)]
        targets = [self.target_row(x, arrivals[x], fired, known) for x in TARGETS]
        lifecycle = []
        for topic, what in (("t/live", "live"), ("t/ended", "stream_ended")):
            for expect in ("once", "may"):
                rooms = [r for r, e in self.sessions.items() if e == expect and self.signed(r)]
                redelivered = sum(
                    max(0, fired[(topic, str(r))] - 1) for r in rooms if r in self.qos1_sessions
                )
                counts = [fired[(topic, str(r))] for r in rooms]
                lifecycle.append(
                    (
                        what,
                        expect,
                        len(rooms),
                        sum(counts),
                        sum(1 for c in counts if c == 0),
                        sum(max(0, c - 1) for c in counts) - redelivered,
                        redelivered,
                    )
                )
        lifecycle_topics = {(x, str(r)) for r in self.sessions for x in ("t/live", "t/ended")}
        unknown = sorted(
            f"{topic} {p}"
            for (topic, p) in fired
            if (topic, p) not in known
            and (topic, p) not in lifecycle_topics
            and topic != "t/zz-marker"
        )
        violations = []
        for target, kind, context, expect, _sent, n, missed, doubled in rows:
            if doubled and expect != "≥1":
                violations.append(f"{doubled} doubled: {target} {kind}, {context}")
            if expect in ("once", "≥1") and missed:
                violations.append(f"{missed} missed: {target} {kind}, {context}")
            if expect == "never" and n:
                violations.append(f"{n} fired from history: {target} {kind}, {context}")
        for row in targets:
            if row[-1]:
                violations.append(f"{row[-1]} out of order at {row[0]}")
        if self.webhook.bad:
            bad = self.webhook.bad
            violations.append(f"{len(bad)} webhook calls unsigned or not ours: {bad[:3]}")
        # every pulse logged "ok" switched the mock pin on, and nothing else did; a SIGKILL can
        # fall between the pin change and its log line (once per kill at most)
        surplus = self.gpio.switched_on - len(self.gpio.pulsed)
        if not 0 <= surplus <= self.counts["sigkill"]:
            violations.append(
                f"the lamp went on {self.gpio.switched_on} times for {len(self.gpio.pulsed)} "
                "pulses logged ok"
            )
        for what, expect, _sessions, _n, missed, doubled, _again in lifecycle:
            if doubled:
                violations.append(f"{doubled} doubled: {what} ({expect})")
            if expect == "once" and missed:
                violations.append(f"{missed} missed: {what}")
        if unknown:
            violations.append(f"{len(unknown)} publishes of nothing sent")
        times = sorted(t for t, _q in self.room.sign_requests)
        per_minute = max(
            (sum(1 for u in times[i:] if u - t < 60) for i, t in enumerate(times)), default=0
        )
        if per_minute > PER_MINUTE:
            violations.append(f"sign budget exceeded: {per_minute} in a minute")
        c = self.counts
        return Report(
            rows=rows,
            targets=targets,
            lifecycle=lifecycle,
            unknown=unknown,
            violations=violations,
            days=self.plan.days,
            streams=c["streams"],
            sigterms=c["sigterm"],
            sigkills=c["sigkill"],
            broker_restarts=c["broker_restarts"],
            drops=c["drops"],
            replays=c["replays"],
            sign_requests=len(times),
            sign_max_minute=per_minute,
            seconds=seconds,
            webhook_refused=self.webhook.refused,
            lamp_on=self.gpio.switched_on,
            lamp_pulses=len(self.gpio.pulsed),
        )

    def target_row(
        self,
        target: str,
        arrived: list[tuple[str, str]],
        fired: Counter[tuple[str, str]],
        known: dict[tuple[str, str], Trigger],
    ) -> tuple[str, int, int, int, int, int, int, int, int]:
        """sent, delivered, missed, lost (allowed), fired from history, doubled, sent again
        by the broker (QoS 1), and out of order: arrivals (first copies) behind one whose
        message was sent later."""
        mine = [t for t in self.triggers if t.target == target]
        n = {id(t): fired[(t.topic, t.payload)] for t in mine}
        again = sum(max(0, n[id(t)] - 1) for t in mine if t.expect == "≥1")
        out_of_order, latest, seen = 0, 0, set()
        for key in arrived:
            t = known.get(key)
            if key in seen or t is None or t.seq is None or t.expect == "never":
                continue
            seen.add(key)
            out_of_order += t.seq < latest
            latest = max(latest, t.seq)
        return (
            target,
            len(mine),
            sum(1 for t in mine if n[id(t)] and t.expect != "never"),
            sum(1 for t in mine if not n[id(t)] and t.expect in ("once", "≥1")),
            sum(1 for t in mine if not n[id(t)] and t.expect == "may"),
            sum(n[id(t)] for t in mine if t.expect == "never"),
            sum(max(0, n[id(t)] - 1) for t in mine) - again,
            again,
            out_of_order,
        )


_KINDS = ["gift", "streak", "streak, end frame in a gap", "streak, no end frame", "command"]


def _order(item: tuple[tuple[str, str, str, str], list[int]]) -> tuple[int, int, str, int]:
    (target, kind, context, expect), _ = item
    return (
        TARGETS.index(target),
        {"once": 0, "≥1": 1, "never": 2, "may": 3}[expect],
        context,
        _KINDS.index(kind),
    )

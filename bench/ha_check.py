"""scripts/ha-check's driver: livetrigger against a real Home Assistant (issue 14).

Run by scripts/ha-check with the project's venv (``python -m bench.ha_check WORKDIR PORT``):
scripts/ha-check has already built Home Assistant's side venv and written its config; this
starts everything else and checks what Home Assistant itself made of livetrigger's MQTT:

- a Mosquitto; four fake live rooms behind one ``RoomRouter``; Home Assistant with an MQTT
  config entry on that broker;
- two daemons (client ids ``lt-one``: rooms alpha and beta, ``lt-two``: gamma and delta) on
  one broker and one base topic, each a ``livetrigger run`` process with its own state dir;
- Home Assistant is read over its own websocket API: device and entity registries, device
  triggers, states, every ``state_changed`` event, the recorder's history and statistics.

It prints one PASS/FAIL line per check and exits 1 when any failed. Each wait is bounded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from livetrigger import events as ev
from livetrigger.simulator.router import RoomRouter
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.listener import Listener
from tests.support.moments import battle_won, goal, rank
from tests.support.mosquitto import MosquittoBroker

ROOT = Path(__file__).resolve().parents[1]
BASE = "livetrigger"
DAEMONS = {"lt-one": ("alpha", "beta"), "lt-two": ("gamma", "delta")}
WAIT = 60.0  # bound of every wait for Home Assistant (it shares 2 cores with everything)

# a room's battle, rank and goal sensors (issue 27)
BATTLE_RANK_GOAL = ["battle_score", "rival_score", "battle_result", "rank", "goal_progress"]
# What docs/homeassistant.md promises, per device (entity ids without the device's prefix)
ROOM_ENTITIES = {
    "binary_sensor": ["live"],
    "sensor": [
        "viewers",
        "likes",
        "diamonds",
        "followers_gained",
        "last_gift",
        "last_chat",
        "connection",
        "rules_fired",
        "reconnects",
        *BATTLE_RANK_GOAL,
    ],
    "event": ["events"],
    "switch": ["pause"],
    "button": ["reconnect", "test_big_gift", "test_light"],
}
DAEMON_ENTITIES = {
    "sensor": [
        "version",
        "started",
        "rooms_connected",
        "sign_requests_left",
        "reloads",
        "config_errors",
        "actions_failed",
        "actions_dropped",
        "latency_p99",
    ],
    "button": ["reload"],
}
RULE_IDS = ("big_gift", "light")
# the room's own device triggers (issue 27): type -> subtype
ROOM_TRIGGERS = {
    "battle_won": "battle",
    "battle_lost": "battle",
    "battle_draw": "battle",
    "goal_reached": "goal",
}
COUNTERS = ("diamonds", "likes", "followers_gained")

RULES = """\
      - id: big_gift
        description: A gift of 100 diamonds or more
        on: gift
        when: {total_diamonds: {gte: 100}}
        do: [{mqtt: {topic: "ha-check/{{ room }}/big_gift", payload: "{{ total_diamonds }}"}}]
      - id: light
        description: Light on or off from the chat
        command: "!light {state}"
        if: "args.state in ['on', 'off']"
        do: [{mqtt: {topic: "ha-check/{{ room }}/light", payload: "{{ args.state }}"}}]
"""


# -- the checklist --------------------------------------------------------------------------


@dataclass
class Checklist:
    results: list[tuple[bool, str, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.results.append((ok, name, detail))
        print(f"{'PASS' if ok else 'FAIL'}  {name}{'  — ' + detail if detail else ''}", flush=True)
        return ok

    @property
    def failed(self) -> int:
        return sum(1 for ok, _, _ in self.results if not ok)


class Timeout(Exception):
    pass


async def until(
    what: str, predicate: Callable[[], Awaitable[bool] | bool], timeout: float = WAIT
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if isinstance(got, Awaitable):
            got = await got
        if got:
            return
        if time.monotonic() > deadline:
            raise Timeout(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(0.2)


async def eventually(
    what: str, predicate: Callable[[], Awaitable[bool] | bool], timeout: float = WAIT
) -> bool:
    """``until``, with a timeout as an answer (False): the check after it says what HA shows."""
    try:
        await until(what, predicate, timeout)
    except Timeout:
        return False
    return True


# -- Home Assistant over its websocket API -----------------------------------------------------


class HomeAssistant:
    def __init__(
        self,
        port: int,
        token: str,
        changes: list[tuple[float, str, str, dict[str, Any]]] | None = None,
    ) -> None:
        self.url = f"ws://127.0.0.1:{port}/api/websocket"
        self.token = token
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._handlers: dict[int, Callable[[dict[str, Any]], None]] = {}
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        # every state change HA made, in order: (monotonic time, entity id, state, attributes);
        # a client of a restarted HA goes on with the list of the one before
        self.changes: list[tuple[float, str, str, dict[str, Any]]] = (
            [] if changes is None else changes
        )

    async def connect(self) -> None:
        self._ws = await connect(self.url, max_size=None)
        assert json.loads(await self._ws.recv())["type"] == "auth_required"
        await self._ws.send(json.dumps({"type": "auth", "access_token": self.token}))
        answer = json.loads(await self._ws.recv())
        if answer["type"] != "auth_ok":
            raise RuntimeError(f"Home Assistant refused the token: {answer}")
        self._reader = asyncio.create_task(self._read())
        await self.subscribe(self._on_state_changed, "subscribe_events", event_type="state_changed")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        assert self._ws is not None
        async for raw in self._ws:
            msg = json.loads(raw)
            if msg["type"] == "result" and msg["id"] in self._pending:
                self._pending.pop(msg["id"]).set_result(msg)
            elif msg["type"] == "event" and msg["id"] in self._handlers:
                self._handlers[msg["id"]](msg["event"])

    async def call(self, kind: str, **fields: Any) -> Any:
        msg_id = await self._send(kind, fields)
        return await self._result(msg_id, kind)

    async def _send(self, kind: str, fields: dict[str, Any]) -> int:
        assert self._ws is not None
        msg_id = next(self._ids)
        self._pending[msg_id] = asyncio.get_running_loop().create_future()
        await self._ws.send(json.dumps({"id": msg_id, "type": kind, **fields}))
        return msg_id

    async def _result(self, msg_id: int, kind: str) -> Any:
        msg = await asyncio.wait_for(self._pending[msg_id], WAIT)
        if not msg.get("success"):
            raise RuntimeError(f"{kind}: {msg.get('error')}")
        return msg.get("result")

    async def subscribe(
        self, handler: Callable[[dict[str, Any]], None], kind: str, **fields: Any
    ) -> int:
        msg_id = next(self._ids)
        self._handlers[msg_id] = handler
        assert self._ws is not None
        self._pending[msg_id] = asyncio.get_running_loop().create_future()
        await self._ws.send(json.dumps({"id": msg_id, "type": kind, **fields}))
        await self._result(msg_id, kind)
        return msg_id

    def _on_state_changed(self, event: dict[str, Any]) -> None:
        new = event["data"].get("new_state") or {}
        self.changes.append(
            (
                time.monotonic(),
                event["data"]["entity_id"],
                new.get("state", "<removed>"),
                new.get("attributes", {}),
            )
        )

    async def states(self) -> dict[str, dict[str, Any]]:
        return {s["entity_id"]: s for s in await self.call("get_states")}

    async def state(self, entity_id: str) -> str | None:
        s = (await self.states()).get(entity_id)
        return None if s is None else str(s["state"])

    async def service(self, domain: str, name: str, **data: Any) -> None:
        await self.call("call_service", domain=domain, service=name, service_data=data)

    def history_of(self, entity_id: str, since: float = 0.0) -> list[str]:
        return [s for t, e, s, _ in self.changes if e == entity_id and t >= since]


# -- processes ------------------------------------------------------------------------------


def config_text(
    client_id: str, rooms: Iterable[str], router: RoomRouter, broker: int, state: Path
) -> str:
    room_list = "".join(f'  - username: "@{r}"\n    rules:\n{RULES}' for r in rooms)
    return f"""\
tiktok:
  web_url: {router.base_url}
  webcast_url: {router.base_url}
  sign_url: {router.base_url}
  live_check_interval: 200ms
  reconnect_initial: 100ms
  # a restart and a new stream each sign again: room for them within a minute
  sign_budget: {{per_minute: 20, per_hour: 100, per_day: 200}}
mqtt: {{host: 127.0.0.1, port: {broker}, client_id: {client_id}, base_topic: {BASE}}}
homeassistant: {{discovery: true, state_interval: 500ms}}
daemon:
  state_dir: {state}
  status_socket: {state}/status.sock
  shutdown_timeout: 3s
rooms:
{room_list}"""


class DaemonProcess:
    def __init__(self, client_id: str, workdir: Path, config: str) -> None:
        self.client_id = client_id
        self.dir = workdir / client_id
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "config.yaml"
        self.config.write_text(config)
        self.log = self.dir / "daemon.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "livetrigger", "run", "-c", str(self.config)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def stop(self) -> int:
        """SIGTERM, as systemd stops it; the exit code."""
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(self.proc.wait, 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = await asyncio.to_thread(self.proc.wait, 10)
        self.proc = None
        return code


# -- the checks -----------------------------------------------------------------------------


def entity_ids(prefix: str, promised: dict[str, list[str]]) -> list[str]:
    return [f"{domain}.{prefix}_{name}" for domain, names in promised.items() for name in names]


def room_entities(room: str) -> list[str]:
    return entity_ids(f"tiktok_{room}", ROOM_ENTITIES)


def daemon_entities(client_id: str) -> list[str]:
    # HA makes entity ids from object ids with its slugify: "lt-one" becomes "lt_one"
    return entity_ids(f"livetrigger_{client_id.replace('-', '_')}", DAEMON_ENTITIES)


def owned(client_id: str) -> list[str]:
    return daemon_entities(client_id) + [e for r in DAEMONS[client_id] for e in room_entities(r)]


def gift(room: FakeLiveRoom, diamonds: int, user: str = "sam") -> ev.GiftEvent:
    return ev.GiftEvent(
        msg_id=room.next_msg_id(),
        user=ev.User(id=9, unique_id=user, nickname=user.title()),
        gift_id=7934 if diamonds >= 100 else 5655,
        gift_name="Galaxy" if diamonds >= 100 else "Rose",
        diamonds=diamonds,
        repeat_count=1,
        streak=ev.StreakState.SINGLE,
        total_diamonds=diamonds,
    )


def chat(room: FakeLiveRoom, text: str, user: str) -> ev.ChatEvent:
    return ev.ChatEvent(
        msg_id=room.next_msg_id(),
        text=text,
        user=ev.User(id=11, unique_id=user, nickname=user.title()),
    )


def numbers(values: Iterable[str]) -> list[float]:
    out = []
    for v in values:
        try:
            out.append(float(v))
        except ValueError:
            continue
    return out


def distinct(values: Iterable[Any]) -> list[Any]:
    """Each value once per run of repeats (HA records a new state when only the attributes
    changed)."""
    return [v for v, _ in itertools.groupby(values)]


def never_drops(values: list[float]) -> bool:
    return all(b >= a for a, b in itertools.pairwise(values))


def never_rises(values: list[float]) -> bool:
    return all(b <= a for a, b in itertools.pairwise(values))


class Run:
    def __init__(self, workdir: Path, ha_port: int) -> None:
        self.work = workdir
        self.ha_port = ha_port
        self.cfg = workdir / "config"
        self.list = Checklist()
        self.rooms: dict[str, FakeLiveRoom] = {}
        self.daemons: dict[str, DaemonProcess] = {}
        self.ha: HomeAssistant | None = None
        self.hass: subprocess.Popen[bytes] | None = None
        self.listener: Listener | None = None
        self.started_at = ""
        self.period_start = ""  # the 5-minute statistics period the run began in

    # -- set-up -----------------------------------------------------------------------------

    def write_mqtt_entry(self, broker: int) -> None:
        """The MQTT integration as the UI would have set it up (a config entry)."""
        storage = self.cfg / ".storage"
        storage.mkdir(parents=True, exist_ok=True)
        entry = {
            "entry_id": "0123456789abcdef0123456789abcdef",
            "version": 1,
            "minor_version": 1,
            "domain": "mqtt",
            "title": "ha-check broker",
            "data": {"broker": "127.0.0.1", "port": broker, "discovery": True},
            "options": {},
            "pref_disable_new_entities": False,
            "pref_disable_polling": False,
            "source": "user",
            "unique_id": None,
            "disabled_by": None,
        }
        doc = {
            "version": 1,
            "minor_version": 1,
            "key": "core.config_entries",
            "data": {"entries": [entry]},
        }
        (storage / "core.config_entries").write_text(json.dumps(doc))

    async def start_ha(
        self, changes: list[tuple[float, str, str, dict[str, Any]]] | None = None
    ) -> HomeAssistant:
        hass = ROOT / ".venv-ha" / "bin" / "hass"
        with (self.work / "hass.out").open("ab") as out:
            self.hass = subprocess.Popen(
                [str(hass), "-c", str(self.cfg), "--skip-pip", "--log-no-color"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        token_file = self.cfg / "ha_check_token"
        t0 = time.monotonic()
        await until("Home Assistant's token file", token_file.exists, 180)
        ha = HomeAssistant(self.ha_port, token_file.read_text().strip(), changes)
        deadline = time.monotonic() + 180
        while True:
            try:
                await ha.connect()
                break
            except (OSError, RuntimeError) as exc:
                if time.monotonic() > deadline:
                    raise Timeout(f"Home Assistant's websocket: {exc}") from exc
                await asyncio.sleep(0.5)
        await until(
            "Home Assistant running",
            lambda: self._ha_running(ha),
            180,
        )
        print(f"ha-check: Home Assistant up after {time.monotonic() - t0:.1f}s", flush=True)
        return ha

    async def _ha_running(self, ha: HomeAssistant) -> bool:
        config = await ha.call("get_config")
        return bool(config.get("state") == "RUNNING")

    async def stop_ha(self) -> None:
        if self.ha is not None:
            await self.ha.close()
        if self.hass is not None and self.hass.poll() is None:
            self.hass.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.hass.wait, 60)
            except subprocess.TimeoutExpired:
                self.hass.kill()
                await asyncio.to_thread(self.hass.wait, 10)

    # -- helpers ----------------------------------------------------------------------------

    @property
    def h(self) -> HomeAssistant:
        assert self.ha is not None
        return self.ha

    async def unavailable(self, ids: Iterable[str]) -> list[str]:
        states = await self.h.states()
        return [e for e in ids if e not in states or states[e]["state"] == "unavailable"]

    async def all_available(self, ids: list[str]) -> bool:
        return not await self.unavailable(ids)

    async def all_unavailable(self, ids: list[str]) -> bool:
        states = await self.h.states()
        return all(states.get(e, {}).get("state") == "unavailable" for e in ids)

    async def number(self, entity_id: str) -> float | None:
        state = await self.h.state(entity_id)
        try:
            return float(state) if state is not None else None
        except ValueError:
            return None

    async def wait_number(self, entity_id: str, want: float) -> None:
        async def there() -> bool:
            return await self.number(entity_id) == want

        await until(f"{entity_id} == {want:g}", there)

    async def shown(self, entity_id: str) -> tuple[str | None, Any, Any]:
        """(state, user, diamonds or nickname) of a Last gift / Last chat sensor."""
        s = (await self.h.states()).get(entity_id, {})
        attrs = s.get("attributes", {})
        second = attrs.get("diamonds") if "gift" in entity_id else attrs.get("nickname")
        return s.get("state"), attrs.get("user"), second

    async def _shows(self, entity_id: str, want: tuple[str, str, Any]) -> bool:
        return await self.shown(entity_id) == want

    async def wait_shown(self, entity_id: str, want: tuple[str, str, Any]) -> None:
        await until(f"{entity_id} showing {want}", lambda: self._shows(entity_id, want))

    def daemon_logged(self, client_id: str, text: str) -> bool:
        return text in self.daemons[client_id].log.read_text(errors="replace")

    async def press_until(self, entity_id: str, done: Callable[[], bool]) -> int:
        """Press a button until ``done``: a test of one rule runs at most once a second
        (docs/homeassistant.md), so a press right after another is refused by design; the
        number of presses it took."""
        for n in itertools.count(1):
            await self.h.service("button", "press", entity_id=entity_id)
            for _ in range(3):
                await asyncio.sleep(0.2)
                if done():
                    return n
            if n * 0.6 > WAIT:
                raise Timeout(f"{entity_id}: pressed {n} times without the outcome")
        raise AssertionError("unreachable")

    def mqtt_payloads(self, topic: str) -> list[str]:
        assert self.listener is not None
        return [m.payload.decode() for m in self.listener.messages if m.topic == topic]

    # -- the run ----------------------------------------------------------------------------

    async def main(self) -> int:
        broker = MosquittoBroker(self.work / "broker")
        broker.start()
        self.listener = Listener(broker.port, "#")
        rooms = [r for rs in DAEMONS.values() for r in rs]
        try:
            for i, name in enumerate(rooms):
                room = FakeLiveRoom(unique_id=name, room_id=7_100_000_000_000_000_000 + i * 10**9)
                await room.start()
                self.rooms[name] = room
            async with RoomRouter(list(self.rooms.values())) as router:
                for cid, names in DAEMONS.items():
                    text = config_text(cid, names, router, broker.port, self.work / cid / "state")
                    self.daemons[cid] = DaemonProcess(cid, self.work, text)
                    self.daemons[cid].start()
                await self.opening()
                # Home Assistant starts mid-stream, as after its own restart: it learns
                # everything from the retained discovery and state messages
                self.write_mqtt_entry(broker.port)
                self.ha = await self.start_ha()
                await self.scenario()
        except (Timeout, TimeoutError) as exc:
            self.list.check("the run finished", False, str(exc))
        finally:
            for d in self.daemons.values():
                await d.stop()
            await self.stop_ha()
            for room in self.rooms.values():
                await room.aclose()
            self.listener.close()
            broker.stop()
        self.check_log()
        print(
            f"ha-check: {len(self.list.results) - self.list.failed} passed, "
            f"{self.list.failed} failed",
            flush=True,
        )
        return 1 if self.list.failed else 0

    async def opening(self) -> None:
        """Before Home Assistant starts, every stream is under way: 50 diamonds, 1,000 likes,
        2 followers each. The recorder's first value is that, not 0, so a counter that drops
        at the next stream start without being a new cycle to HA would go negative."""
        for room in self.rooms.values():
            await room.wait_for_client(WAIT)
            await room.send(
                gift(room, 50),
                chat(room, "hello", "sam"),
                ev.LikeEvent(msg_id=room.next_msg_id(), count=10, total=1000),
                ev.FollowEvent(msg_id=room.next_msg_id(), user=ev.User(id=3, unique_id="eli")),
                ev.FollowEvent(msg_id=room.next_msg_id(), user=ev.User(id=4, unique_id="flo")),
            )

        def retained(name: str) -> dict[str, Any]:
            docs = self.mqtt_payloads(f"{BASE}/{name}/state")
            return json.loads(docs[-1]) if docs else {}

        for name in self.rooms:
            await until(
                f"{name}'s opening figures on the broker",
                lambda n=name: (
                    (
                        retained(n).get("diamonds"),
                        retained(n).get("likes"),
                        retained(n).get("follows"),
                        retained(n).get("last_chat"),
                    )
                    == (50, 1000, 2, "hello")
                ),
            )

    async def scenario(self) -> None:
        ok = self.list.check
        every = [e for cid in DAEMONS for e in owned(cid)]
        await until("every promised entity available", lambda: self.all_available(every))
        ok(
            "every promised entity is available while its daemon runs",
            True,
            f"{len(every)} entities: 2 daemons x {sum(map(len, DAEMON_ENTITIES.values()))}, "
            f"4 rooms x {sum(map(len, ROOM_ENTITIES.values()))}",
        )
        await self.check_registry()
        for name, room in self.rooms.items():
            await until(
                f"{name} connected",
                lambda n=name: self._state_is(f"sensor.tiktok_{n}_connection", "connected"),
            )
            await room.wait_for_client(WAIT)
        await self.check_triggers_and_buttons()
        await self.check_daemon_and_room_buttons()
        await self.check_battle_rank_goal()
        await self.check_restart()
        await self.check_ha_restart()
        await self.check_stop_one()
        await self.check_statistics()
        self.check_last_gift()
        self.check_last_chat()

    async def _state_is(self, entity_id: str, want: str) -> bool:
        return await self.h.state(entity_id) == want

    async def check_registry(self) -> None:
        ok = self.list.check
        devices = {d["id"]: d for d in await self.h.call("config/device_registry/list")}
        by_ident = {
            ident[1]: d
            for d in devices.values()
            for ident in d["identifiers"]
            if ident[0] == "mqtt"
        }
        entities = {e["entity_id"]: e for e in await self.h.call("config/entity_registry/list")}
        for cid, names in DAEMONS.items():
            daemon = by_ident.get(f"livetrigger_daemon_{cid}")
            ok(
                f"device 'livetrigger {cid}' exists (model livetrigger daemon)",
                daemon is not None and daemon["model"] == "livetrigger daemon",
                "" if daemon is None else f"name {daemon['name']!r}, sw {daemon['sw_version']}",
            )
            if daemon is None:
                continue
            wrong = [
                e
                for e in daemon_entities(cid)
                if entities.get(e, {}).get("device_id") != daemon["id"]
            ]
            ok(
                f"{cid}: its {len(daemon_entities(cid))} daemon entities are on its device",
                not wrong,
                f"missing or elsewhere: {wrong}" if wrong else "",
            )
            for name in names:
                room = by_ident.get(f"livetrigger_{name}")
                ok(
                    f"device 'TikTok LIVE @{name}' exists, via_device = livetrigger {cid}",
                    room is not None and room["via_device_id"] == daemon["id"],
                    "missing"
                    if room is None
                    else f"via {devices.get(room['via_device_id'] or '', {}).get('name')}",
                )
                if room is None:
                    continue
                mine = room_entities(name)
                wrong = [e for e in mine if entities.get(e, {}).get("device_id") != room["id"]]
                ok(
                    f"{name}: its {len(mine)} entities are on its device",
                    not wrong,
                    f"missing or elsewhere: {wrong}" if wrong else "",
                )
                triggers = await self.h.call("device_automation/trigger/list", device_id=room["id"])
                subtypes = sorted(t["subtype"] for t in triggers if t.get("type") == "rule_fired")
                ok(
                    f"{name}: device triggers rule_fired {'/'.join(RULE_IDS)}",
                    subtypes == sorted(RULE_IDS),
                    f"HA lists {subtypes}",
                )
                own = {
                    t["type"]: t.get("subtype")
                    for t in triggers
                    if t.get("domain") == "mqtt" and t.get("type") != "rule_fired"
                }
                ok(
                    f"{name}: device triggers {'/'.join(ROOM_TRIGGERS)}",
                    own == ROOM_TRIGGERS,
                    f"HA lists {own}",
                )
        ours = [e for e in entities.values() if e["platform"] == "mqtt"]
        want = sum(len(owned(cid)) for cid in DAEMONS)
        ok(
            "no entity beyond the promised ones",
            len(ours) == want,
            f"{len(ours)} MQTT entities in HA's registry, {want} promised",
        )
        self.devices = by_ident

    async def check_triggers_and_buttons(self) -> None:
        ok = self.list.check
        alpha = self.rooms["alpha"]
        device = self.devices["livetrigger_alpha"]["id"]
        triggers = await self.h.call("device_automation/trigger/list", device_id=device)
        big = next(t for t in triggers if t.get("subtype") == "big_gift")
        fired: list[dict[str, Any]] = []
        probes: list[dict[str, Any]] = []

        def on_trigger(event: dict[str, Any]) -> None:
            payload = str(event.get("variables", {}).get("trigger", {}).get("payload", ""))
            (probes if "ha-check probe" in payload else fired).append(event)

        await self.h.subscribe(on_trigger, "subscribe_trigger", trigger=big)
        # HA subscribes at the broker a moment later: probe the topic until a probe comes back
        assert self.listener is not None
        for _ in range(int(WAIT / 0.5)):
            probe = '{"rule": "ha-check probe"}'
            self.listener.client.publish(f"{BASE}/alpha/rule_fired/big_gift", probe, qos=1)
            await asyncio.sleep(0.5)
            if probes:
                break
        rules_fired = "sensor.tiktok_alpha_rules_fired"
        before = await self.number(rules_fired) or 0.0
        # a real big gift: the rule fires, HA's device trigger with it
        await alpha.send(gift(alpha, 500))
        await self.wait_number("sensor.tiktok_alpha_diamonds", 550)
        await until("the device trigger", lambda: len(fired) >= 1)
        await self.wait_number(rules_fired, before + 1)
        ok("a rule firing starts its HA device trigger (alpha big_gift)", len(fired) == 1)
        events = await self.h.states()
        attrs = events["event.tiktok_alpha_events"]["attributes"]
        ok(
            "the event entity shows the gift with its attributes",
            attrs.get("event_type") == "gift" and attrs.get("diamonds") == 500,
            f"{ {k: attrs.get(k) for k in ('event_type', 'user', 'gift', 'diamonds')} }",
        )
        # the test button: the rule's actions once, no device trigger, not counted
        topic = "ha-check/alpha/big_gift"
        sent = len(self.mqtt_payloads(topic))
        await self.h.service("button", "press", entity_id="button.tiktok_alpha_test_big_gift")
        await until("the test press's action", lambda: len(self.mqtt_payloads(topic)) > sent)
        # a real firing after the press: triggers come in order, so one more trigger now
        # means the press started none
        await alpha.send(gift(alpha, 100))
        await until("the second real trigger", lambda: len(fired) >= 2)
        await self.wait_number("sensor.tiktok_alpha_diamonds", 650)
        await self.wait_number(rules_fired, before + 2)
        ok(
            "Test button runs the rule's actions once, without the device trigger or a count",
            len(fired) == 2 and len(self.mqtt_payloads(topic)) == sent + 2,
            f"actions {len(self.mqtt_payloads(topic)) - sent} (1 test + 1 real), triggers "
            f"{len(fired)} (2 real), Rules fired +{(await self.number(rules_fired) or 0) - before:g}",
        )
        light = "ha-check/alpha/light"
        await self.h.service("button", "press", entity_id="button.tiktok_alpha_test_light")
        await until("the light test's action", lambda: len(self.mqtt_payloads(light)) >= 1)
        ok(
            "Test button of a chat command renders plausible args (!light {state} -> on)",
            self.mqtt_payloads(light) == ["on"],
            f"payloads {self.mqtt_payloads(light)}",
        )
        # paused: a press is refused, the daemon logs why; after resuming it runs. A test of
        # one rule runs at most once a second: a press soon after the last is refused by the
        # rate limit instead, so each phase presses until the daemon shows its outcome
        await self.h.service("switch", "turn_on", entity_id="switch.tiktok_alpha_pause")
        await until("pause on", lambda: self._state_is("switch.tiktok_alpha_pause", "on"))
        paused = await self.press_until(
            "button.tiktok_alpha_test_light",
            lambda: self.daemon_logged(
                "lt-one", "test of rule light in room alpha refused: triggers are paused"
            ),
        )
        await self.h.service("switch", "turn_off", entity_id="switch.tiktok_alpha_pause")
        await until("pause off", lambda: self._state_is("switch.tiktok_alpha_pause", "off"))
        resumed = await self.press_until(
            "button.tiktok_alpha_test_light", lambda: len(self.mqtt_payloads(light)) >= 2
        )
        ok(
            "Test button is refused while paused, runs after resuming",
            self.mqtt_payloads(light) == ["on", "on"],
            f"presses: 1 before, {paused} paused (until the daemon logged 'refused: triggers are "
            f"paused'), {resumed} after resuming; payloads {self.mqtt_payloads(light)}",
        )
        # chats: Last chat shows each one with its own sender (two send the same text)
        for text, user in (("hi", "amy"), ("hi", "bo")):
            await alpha.send(chat(alpha, text, user))
            await self.wait_shown("sensor.tiktok_alpha_last_chat", (text, user, user.title()))
        # gifts, likes, follows in every other room too, for the totals
        for name, room in self.rooms.items():
            if name == "alpha":
                continue
            await room.send(gift(room, 200))
        await alpha.send(
            ev.LikeEvent(msg_id=alpha.next_msg_id(), count=15, total=1500),
            ev.FollowEvent(msg_id=alpha.next_msg_id(), user=ev.User(id=5, unique_id="fay")),
        )
        for name in self.rooms:
            if name != "alpha":
                await self.wait_number(f"sensor.tiktok_{name}_diamonds", 250)
        await self.wait_number("sensor.tiktok_alpha_likes", 1500)
        await self.wait_number("sensor.tiktok_alpha_followers_gained", 3)

    async def check_daemon_and_room_buttons(self) -> None:
        """Reload config (the daemon's device) and Reconnect now (a room's), pressed in HA;
        per-room figures stay per room."""
        ok = self.list.check
        reloads = "sensor.livetrigger_lt_one_reloads"
        before = await self.number(reloads) or 0.0
        await self.h.service("button", "press", entity_id="button.livetrigger_lt_one_reload")
        await self.wait_number(reloads, before + 1)
        lt_two = await self.number("sensor.livetrigger_lt_two_reloads")
        ok(
            "Reload config reloads its own daemon only",
            lt_two == 0,
            f"lt-one Config reloads {before:g} -> {before + 1:g}, lt-two {lt_two}",
        )
        beta = self.rooms["beta"]
        connections, alpha_connections = beta.connections, self.rooms["alpha"].connections
        reconnects = "sensor.tiktok_beta_reconnects"
        before = await self.number(reconnects) or 0.0
        await self.h.service("button", "press", entity_id="button.tiktok_beta_reconnect")
        await until("beta reconnected", lambda: beta.connections > connections)
        await until(
            "beta connected", lambda: self._state_is("sensor.tiktok_beta_connection", "connected")
        )
        await self.wait_number(reconnects, before + 1)
        ok(
            "Reconnect now reconnects its own room only",
            self.rooms["alpha"].connections == alpha_connections,
            f"beta websocket connections {connections} -> {beta.connections}, alpha "
            f"{alpha_connections} -> {self.rooms['alpha'].connections}; beta Reconnects "
            f"{before:g} -> {await self.number(reconnects)}",
        )
        fired = {r: await self.number(f"sensor.tiktok_{r}_rules_fired") for r in ("alpha", "beta")}
        ok(
            "Rules fired is per room (alpha 2 big gifts, beta 1)",
            fired == {"alpha": 2.0, "beta": 1.0},
            f"{fired}",
        )

    async def trigger_listener(
        self, room: str, kind: str
    ) -> tuple[list[dict[str, Any]], Callable[[], Awaitable[int]]]:
        """HA's own device trigger ``kind`` of a room, subscribed: the payloads it fires with
        (the harness's probes apart), and a probe that publishes on its topic until one comes
        back (HA subscribes at the broker a moment after it answers)."""
        device = self.devices[f"livetrigger_{room}"]["id"]
        triggers = await self.h.call("device_automation/trigger/list", device_id=device)
        trigger = next(t for t in triggers if t.get("type") == kind)
        fired: list[dict[str, Any]] = []
        probes: list[dict[str, Any]] = []

        def on_trigger(event: dict[str, Any]) -> None:
            payload = str(event.get("variables", {}).get("trigger", {}).get("payload", ""))
            doc = json.loads(payload) if payload.startswith("{") else {"raw": payload}
            (probes if doc.get("probe") == "ha-check" else fired).append(doc)

        await self.h.subscribe(on_trigger, "subscribe_trigger", trigger=trigger)

        async def probe() -> int:
            assert self.listener is not None
            for n in range(1, int(WAIT / 0.5)):
                doc = {"event_type": kind, "probe": "ha-check"}
                self.listener.client.publish(f"{BASE}/{room}/event", json.dumps(doc), qos=1)
                await asyncio.sleep(0.5)
                if probes:
                    return n
            raise Timeout(f"{room} {kind}: no probe came back")

        return fired, probe

    async def check_battle_rank_goal(self) -> None:
        """Issue 27 in HA: alpha plays a battle it wins, climbs the hourly ranking and fills
        its LIVE goal; the sensors show each step, the device triggers fire once each."""
        ok = self.list.check
        alpha = self.rooms["alpha"]
        e = {n: f"sensor.tiktok_alpha_{n}" for n in BATTLE_RANK_GOAL}
        before = {n: await self.h.state(entity) for n, entity in e.items()}
        ok(
            "battle, rank and goal before any: unknown, Battle result none",
            before
            == {
                "battle_score": "unknown",
                "rival_score": "unknown",
                "battle_result": "none",
                "rank": "unknown",
                "goal_progress": "unknown",
            },
            f"{before}",
        )
        won, probe_won = await self.trigger_listener("alpha", "battle_won")
        lost, probe_lost = await self.trigger_listener("alpha", "battle_lost")
        reached, probe_goal = await self.trigger_listener("alpha", "goal_reached")
        probes = [await probe_won(), await probe_lost(), await probe_goal()]
        t0 = time.monotonic()
        start, *rest = battle_won(alpha)
        await alpha.send(start)
        await until("battle started", lambda: self._state_is(e["battle_score"], "0"))
        started = (await self.h.state(e["rival_score"]), await self.h.state(e["battle_result"]))
        await alpha.send(*rest[:2])  # the running score (rate-limited: the last one shows)
        await self.wait_number(e["battle_score"], 120)
        await self.wait_number(e["rival_score"], 90)
        await alpha.send(rest[2])  # the result
        await until("battle won", lambda: self._state_is(e["battle_result"], "won"))
        await until("the battle_won trigger", lambda: bool(won))
        await self.wait_number(e["battle_score"], 300)
        attrs = (await self.h.states())[e["battle_result"]]["attributes"]
        ok(
            "a battle alpha wins: Battle score / Rival score 0:0 at the start, the running "
            "score, the final one; Battle result none, then won",
            started == ("0", "none")
            and await self.number(e["rival_score"]) == 120
            and distinct(self.h.history_of(e["battle_result"], t0)) in (["won"], ["none", "won"])
            and attrs.get("points") == 300,
            f"start 0:{started[0]} {started[1]}; score history "
            f"{compress(self.h.history_of(e['battle_score'], t0))} : "
            f"{compress(self.h.history_of(e['rival_score'], t0))}; result "
            f"{compress(self.h.history_of(e['battle_result'], t0))} {attrs}",
        )
        ok(
            "the battle_won device trigger fires once with the score, battle_lost not at all",
            [(d.get("points"), d.get("rival_points")) for d in won] == [(300, 120)] and not lost,
            f"battle_won {won}, battle_lost {lost} (armed after {probes[0]}/{probes[1]} probes)",
        )
        for hourly, weekly in ((12, 180), (7, 150)):
            await alpha.send(rank(alpha, hourly, weekly))
            await self.wait_number(e["rank"], hourly)
        attrs = (await self.h.states())[e["rank"]]["attributes"]
        ok(
            "a rank climb: Rank 12 then 7 (hourly), the weekly place in its attributes",
            distinct(numbers(self.h.history_of(e["rank"], t0))) == [12.0, 7.0]
            and attrs.get("rank_type") == "hourly"
            and attrs.get("ranks") == {"hourly": 7, "weekly": 150},
            f"history {compress(self.h.history_of(e['rank'], t0))}; attributes "
            f"{ {k: attrs.get(k) for k in ('rank_type', 'score', 'on_rank', 'ranks')} }",
        )
        await alpha.send(goal(alpha, 50))
        await self.wait_number(e["goal_progress"], 50)
        await alpha.send(goal(alpha, 100))
        await self.wait_number(e["goal_progress"], 100)
        await until("the goal_reached trigger", lambda: bool(reached))
        await alpha.send(goal(alpha, 110))  # the same goal, still reached: no trigger
        await self.wait_number(e["goal_progress"], 110)
        attrs = (await self.h.states())[e["goal_progress"]]["attributes"]
        unit = attrs.get("unit_of_measurement")
        ok(
            "a goal filling up: Goal progress 50 %, 100 %, 110 %, with current and target",
            distinct(numbers(self.h.history_of(e["goal_progress"], t0))) == [50.0, 100.0, 110.0]
            and unit == "%"
            and (attrs.get("current"), attrs.get("target"), attrs.get("reached"))
            == (110, 100, True),
            f"history {compress(self.h.history_of(e['goal_progress'], t0))} {unit}; "
            f"{ {k: attrs.get(k) for k in ('current', 'target', 'reached', 'description')} }",
        )
        ok(
            "the goal_reached device trigger fires once",
            [(d.get("current"), d.get("target")) for d in reached] == [(100, 100)],
            f"goal_reached {reached} (armed after {probes[2]} probes)",
        )

    async def check_restart(self) -> None:
        """lt-one restarts (SIGTERM, start) mid-stream: nothing HA shows goes back."""
        ok = self.list.check
        one = self.daemons["lt-one"]
        alpha = self.rooms["alpha"]
        sign = "sensor.livetrigger_lt_one_sign_requests_left"
        watched = [
            "binary_sensor.tiktok_alpha_live",
            "binary_sensor.tiktok_beta_live",
            *(f"sensor.tiktok_alpha_{c}" for c in COUNTERS),
            "sensor.tiktok_beta_diamonds",
            "sensor.tiktok_alpha_rules_fired",
            "sensor.tiktok_beta_rules_fired",
            sign,
        ]
        before = {e: await self.h.state(e) for e in watched}
        kept = [f"sensor.tiktok_alpha_{n}" for n in BATTLE_RANK_GOAL]
        kept_before = {e: await self.h.state(e) for e in kept}
        t0 = time.monotonic()
        code = await one.stop()
        await until("lt-one's entities unavailable", lambda: self.all_unavailable(owned("lt-one")))
        two_down = await self.unavailable(owned("lt-two"))
        ok(
            "lt-one stopped (SIGTERM): its entities unavailable, lt-two's all available",
            code == 0 and not two_down,
            f"exit {code}; lt-two unavailable: {two_down or 'none'}",
        )
        one.start()
        await until("lt-one's entities back", lambda: self.all_available(owned("lt-one")))
        await until(
            "alpha connected again",
            lambda: self._state_is("sensor.tiktok_alpha_connection", "connected"),
        )
        await alpha.wait_for_client(WAIT)
        await alpha.send(gift(alpha, 100, user="ann"), chat(alpha, "back", "ann"))
        await self.wait_number("sensor.tiktok_alpha_diamonds", 750)
        await self.wait_shown("sensor.tiktok_alpha_last_chat", ("back", "ann", "Ann"))
        # the budget is one per daemon and counts what both processes spent
        spent = len(alpha.sign_requests) + len(self.rooms["beta"].sign_requests)
        await self.wait_number(sign, 200 - spent)
        after = {e: await self.h.state(e) for e in watched}
        for entity in ("binary_sensor.tiktok_alpha_live", "binary_sensor.tiktok_beta_live"):
            states = [s for s in self.h.history_of(entity, t0) if s != "unavailable"]
            ok(
                f"restart mid-stream: {entity.split('.')[1]} stays on",
                before[entity] == "on" and set(states) == {"on"},
                f"before {before[entity]}, states since the stop {self.h.history_of(entity, t0)}",
            )
        for entity in [e for e in watched if "_live" not in e and e != sign]:
            values = numbers(self.h.history_of(entity, t0))
            ok(
                f"restart mid-stream: {entity.split('.')[1]} never drops",
                never_drops([float(before[entity] or 0), *values]),
                f"{before[entity]} then {[f'{v:g}' for v in values]}",
            )
        changed = {
            e.split(".")[1]: distinct(s for s in self.h.history_of(e, t0) if s != "unavailable")
            for e in kept
        }
        ok(
            "restart mid-stream: battle, rank and goal keep their values",
            all(v in ([], [kept_before[e]]) for e, v in zip(kept, changed.values(), strict=True)),
            f"before {[kept_before[e] for e in kept]}; since the stop (available) {changed}",
        )
        lasts = ("sensor.tiktok_alpha_last_gift", "sensor.tiktok_alpha_last_chat")
        forgot = {e: self.h.history_of(e, t0) for e in lasts}
        ok(
            "restart mid-stream: Last gift and Last chat never go unknown",
            all("unknown" not in states for states in forgot.values()),
            "; ".join(f"{e.split('.')[1]}: {compress(v)}" for e, v in forgot.items()),
        )
        seen = numbers(self.h.history_of(sign, t0))
        ok(
            "restart mid-stream: Sign requests left does not reset (200 - both processes' requests)",
            before[sign] is not None and never_rises([float(before[sign] or 0), *seen]),
            f"{before[sign]} then {[f'{v:g}' for v in seen]} (now {after[sign]}); sign requests "
            f"the rooms answered: alpha {len(alpha.sign_requests)}, "
            f"beta {len(self.rooms['beta'].sign_requests)}",
        )
        hist = await self.recorded_history(
            ["binary_sensor.tiktok_alpha_live", "sensor.tiktok_alpha_diamonds"]
        )
        live = [s for s in hist.get("binary_sensor.tiktok_alpha_live", []) if s != "unavailable"]
        diamonds = numbers(hist.get("sensor.tiktok_alpha_diamonds", []))
        ok(
            "recorder history since the start: alpha Live never off, Diamonds never drop",
            "off" not in live and never_drops(diamonds),
            f"live {compress(hist.get('binary_sensor.tiktok_alpha_live', []))}, "
            f"diamonds {compress(hist.get('sensor.tiktok_alpha_diamonds', []))}",
        )

    async def add_automation(self) -> str:
        """A real automation on alpha's big_gift device trigger (loaded again at HA's start):
        it counts firings in counter.ha_check_big_gifts, the harness's probes apart."""
        device = self.devices["livetrigger_alpha"]["id"]
        triggers = await self.h.call("device_automation/trigger/list", device_id=device)
        big = next(t for t in triggers if t.get("subtype") == "big_gift")
        keys = ("platform", "domain", "device_id", "type", "subtype")
        target = (
            "{{ 'counter.ha_check_probes' if 'ha-check probe' in trigger.payload "
            "else 'counter.ha_check_big_gifts' }}"
        )
        automation = {
            "id": "ha_check_big_gift",
            "alias": "ha-check big gift",
            "mode": "queued",
            "max": 100,
            "trigger": [{k: big[k] for k in keys}],
            "action": [{"service": "counter.increment", "target": {"entity_id": target}}],
        }
        (self.cfg / "automations.yaml").write_text(json.dumps([automation]))  # JSON is YAML
        await self.h.service("automation", "reload")
        entity = "automation.ha_check_big_gift"
        await until("the automation on", lambda: self._state_is(entity, "on"))
        return entity

    async def probe_automation(self) -> int:
        """Publish probes on alpha's big_gift device trigger topic until the automation counts
        one (it is subscribed at the broker then); how many it took."""
        assert self.listener is not None
        probes = "counter.ha_check_probes"
        before = await self.number(probes) or 0.0
        for n in range(1, int(WAIT / 0.5)):
            probe = '{"rule": "ha-check probe"}'
            self.listener.client.publish(f"{BASE}/alpha/rule_fired/big_gift", probe, qos=1)
            await asyncio.sleep(0.5)
            if (await self.number(probes) or 0.0) > before:
                return n
        raise Timeout("the automation never counted a probe")

    def firings(self, room: str) -> int:
        """The room's device triggers the broker passed on (the harness's probes left out)."""
        assert self.listener is not None
        prefix = f"{BASE}/{room}/rule_fired/"
        return sum(
            1
            for m in self.listener.messages
            if m.topic.startswith(prefix) and b"ha-check probe" not in m.payload
        )

    def room_state(self, room: str) -> dict[str, Any]:
        docs = self.mqtt_payloads(f"{BASE}/{room}/state")
        return json.loads(docs[-1]) if docs else {}

    async def check_ha_restart(self) -> None:
        """Home Assistant stops and starts while both daemons run and the broker stays up:
        gifts, chats, likes and a follow come meanwhile. Back, HA shows what is true now, its
        birth message makes each daemon announce again, and no device trigger fires twice."""
        ok = self.list.check
        alpha, beta = self.rooms["alpha"], self.rooms["beta"]
        every = [e for cid in DAEMONS for e in owned(cid)]
        big = "counter.ha_check_big_gifts"
        await self.add_automation()
        probes = await self.probe_automation()
        await alpha.send(gift(alpha, 100, user="gil"))
        await self.wait_number("sensor.tiktok_alpha_diamonds", 850)
        await self.wait_number(big, 1)
        ok(
            "an automation on alpha's big_gift device trigger counts a big gift",
            True,
            f"armed after {probes} probe(s); counter 0 -> 1",
        )
        unchanged = [
            "sensor.livetrigger_lt_one_sign_requests_left",
            "sensor.livetrigger_lt_two_sign_requests_left",
            "sensor.livetrigger_lt_one_reloads",
            "sensor.livetrigger_lt_one_rooms_connected",
            "sensor.livetrigger_lt_two_rooms_connected",
            "sensor.livetrigger_lt_one_version",
            "switch.tiktok_alpha_pause",
            "sensor.tiktok_alpha_connection",
            "sensor.tiktok_gamma_diamonds",
        ]
        before = {e: await self.h.state(e) for e in unchanged}
        assert self.listener is not None
        mark = len(self.listener.messages)
        old = self.h
        await self.stop_ha()
        self.ha = None
        # while HA is away: bob's big gift fires big_gift (and its device trigger, which no
        # one hears: the broker keeps no trigger for a client that is gone)
        await alpha.send(
            gift(alpha, 100, user="bob"),
            chat(alpha, "first while away", "dee"),
            gift(alpha, 20, user="cy"),
            chat(alpha, "while HA was away", "cy"),
            ev.LikeEvent(msg_id=alpha.next_msg_id(), count=20, total=2000),
            ev.FollowEvent(msg_id=alpha.next_msg_id(), user=ev.User(id=6, unique_id="hana")),
        )
        await beta.send(gift(beta, 300, user="eve"))
        await until(
            "the figures on the broker while HA is away",
            lambda: (
                (
                    self.room_state("alpha").get("diamonds"),
                    self.room_state("alpha").get("likes"),
                    self.room_state("alpha").get("follows"),
                    self.room_state("alpha").get("last_chat"),
                    self.room_state("beta").get("diamonds"),
                    self.firings("alpha"),
                    self.firings("beta"),
                    self.room_state("alpha").get("rules_fired"),
                    self.room_state("beta").get("rules_fired"),
                )
                # big gifts: alpha sam 500, sam 100, ann, gil, bob; beta 200, eve's 300
                == (970, 2000, 4, "while HA was away", 550, 5, 2, 5, 2)
            ),
        )
        fired_away = [
            json.loads(p).get("user")
            for p in self.mqtt_payloads(f"{BASE}/alpha/rule_fired/big_gift")[-1:]
        ]
        t_start = time.monotonic()
        self.ha = await self.start_ha(old.changes)
        up = time.monotonic()
        await until("every entity available after HA's restart", lambda: self.all_available(every))
        ok(
            "after Home Assistant's restart every entity is available",
            True,
            f"{len(every)} entities, {time.monotonic() - up:.1f}s after HA was up "
            f"({up - t_start:.1f}s to start)",
        )
        want: dict[str, Any] = {
            "binary_sensor.tiktok_alpha_live": "on",
            "binary_sensor.tiktok_beta_live": "on",
            "sensor.tiktok_alpha_diamonds": "970",
            "sensor.tiktok_alpha_likes": "2000",
            "sensor.tiktok_alpha_followers_gained": "4",
            "sensor.tiktok_beta_diamonds": "550",
            "sensor.tiktok_alpha_rules_fired": "5",
            "sensor.tiktok_beta_rules_fired": "2",
            "sensor.tiktok_alpha_battle_score": "300",
            "sensor.tiktok_alpha_battle_result": "won",
            "sensor.tiktok_alpha_rank": "7",
            "sensor.tiktok_alpha_goal_progress": "110",
            "sensor.tiktok_beta_battle_result": "none",
            **before,
        }

        async def now() -> dict[str, Any]:
            states = await self.h.states()
            return {e: states.get(e, {}).get("state") for e in want}

        async def current() -> bool:
            return await now() == want

        await eventually("HA showing the current values", current)
        got = await now()
        ok(
            "after HA's restart: Live, totals, Rules fired, battle, rank, goal and the "
            "daemons' figures are the current ones",
            got == want,
            f"{len(want)} entities; wrong: {({e: (got[e], want[e]) for e in want if got[e] != want[e]}) or 'none'}",
        )
        for entity, shown in (
            ("sensor.tiktok_alpha_last_gift", ("Rose", "cy", 20)),
            ("sensor.tiktok_alpha_last_chat", ("while HA was away", "cy", "Cy")),
        ):
            await eventually(
                f"{entity} showing {shown}", lambda e=entity, w=shown: self._shows(e, w)
            )
            seen = await self.shown(entity)
            ok(
                f"after HA's restart: {entity.split('.')[1]} is the last one sent while it was "
                "away, with its own sender",
                seen == shown,
                f"shows {seen}",
            )
        await self.check_birth(mark)
        # the device trigger: nothing fired at the restart (bob's firing happened while HA
        # was away); the next big gift fires it once
        armed = await self.probe_automation()
        count = await self.number(big)
        await alpha.send(gift(alpha, 100, user="hal"))
        await self.wait_number("sensor.tiktok_alpha_diamonds", 1070)
        await self.wait_number(big, 2)
        since = numbers(s for s in self.h.history_of(big, up) if s != "unavailable")
        ok(
            "after HA's restart no device trigger fired twice; the next big gift fires once",
            count == 1 and max(since, default=2) == 2 and await self.number(big) == 2,
            f"counter before the stop 1, after the restart {count} (armed after {armed} "
            f"probe(s)), after hal's gift {await self.number(big)}; states since {since}; "
            f"fired while HA was away: {fired_away}",
        )
        hist = await self.recorded_history(
            ["binary_sensor.tiktok_alpha_live", "sensor.tiktok_alpha_diamonds"]
        )
        live = [s for s in hist.get("binary_sensor.tiktok_alpha_live", []) if s != "unavailable"]
        diamonds = numbers(hist.get("sensor.tiktok_alpha_diamonds", []))
        ok(
            "recorder history across HA's restart: alpha Live never off, Diamonds never drop",
            "off" not in live and never_drops(diamonds),
            f"live {compress(hist.get('binary_sensor.tiktok_alpha_live', []))}, "
            f"diamonds {compress(hist.get('sensor.tiktok_alpha_diamonds', []))}",
        )

    async def check_birth(self, mark: int) -> None:
        """HA's birth message after its restart: each daemon publishes every discovery
        document again (they are retained too: HA had them before the birth)."""
        assert self.listener is not None
        listener = self.listener
        node_of = {f"livetrigger_daemon_{cid}": cid for cid in DAEMONS} | {
            f"livetrigger_{r}": cid for cid, rooms in DAEMONS.items() for r in rooms
        }

        def configs(messages: Iterable[Any]) -> dict[str, set[str]]:
            out: dict[str, set[str]] = {cid: set() for cid in DAEMONS}
            for m in messages:
                parts = m.topic.split("/")
                ours = len(parts) == 5 and parts[0] == "homeassistant" and parts[2] in node_of
                if ours and parts[4] == "config" and m.payload:
                    out[node_of[parts[2]]].add(m.topic)
            return out

        announced = configs(listener.messages[:mark])

        def births() -> list[int]:
            return [
                i
                for i, m in enumerate(listener.messages)
                if i >= mark and m.topic == "homeassistant/status" and m.payload == b"online"
            ]

        def resent() -> dict[str, set[str]]:
            first = births()
            return configs(listener.messages[first[0] :]) if first else {}

        await eventually(
            "each daemon announcing again after HA's birth",
            lambda: bool(births()) and all(resent()[c] >= announced[c] for c in DAEMONS),
        )
        got = resent()
        offline = [
            m.payload.decode()
            for m in listener.messages[mark:]
            if m.topic == "homeassistant/status"
        ]
        ok = self.list.check
        ok(
            "HA's birth message (homeassistant/status online): each daemon sends every "
            "discovery document again",
            bool(got) and all(got[c] >= announced[c] for c in DAEMONS),
            f"HA's status messages {offline}; documents again: "
            + ", ".join(f"{c} {len(got.get(c, ()))}/{len(announced[c])}" for c in DAEMONS),
        )

    async def recorded_history(self, ids: list[str]) -> dict[str, list[str]]:
        """What the recorder kept, since the run started (HA's own history)."""
        result = await self.h.call(
            "history/history_during_period",
            start_time=self.started_at,
            entity_ids=ids,
            minimal_response=True,
            no_attributes=True,
            significant_changes_only=False,
        )
        return {e: [row["s"] for row in rows] for e, rows in result.items()}

    async def check_stop_one(self) -> None:
        ok = self.list.check
        two = self.daemons["lt-two"]
        t0 = time.monotonic()
        code = await two.stop()
        await until("lt-two's entities unavailable", lambda: self.all_unavailable(owned("lt-two")))
        one_down = await self.unavailable(owned("lt-one"))
        flapped = sorted(
            {
                e
                for t, e, s, _ in self.h.changes
                if t >= t0 and e in owned("lt-one") and s == "unavailable"
            }
        )
        ok(
            "lt-two stopped for good: its entities unavailable, lt-one's stay available",
            code == 0 and not one_down and not flapped,
            f"exit {code}; lt-one unavailable now: {one_down or 'none'}, at any point: {flapped or 'none'}",
        )

    async def check_statistics(self) -> None:
        """alpha's stream ends and a new one starts: the counters drop to 0; the recorder's
        long-term statistics (compiled now) must never go negative."""
        ok = self.list.check
        alpha = self.rooms["alpha"]
        await alpha.send(ev.ViewerCountEvent(msg_id=alpha.next_msg_id(), viewers=61))
        await self.wait_number("sensor.tiktok_alpha_viewers", 61)
        await alpha.end_stream()
        await until("alpha off", lambda: self._state_is("binary_sensor.tiktok_alpha_live", "off"))
        await until(
            "alpha viewers unknown",
            lambda: self._state_is("sensor.tiktok_alpha_viewers", "unknown"),
        )
        self.list.check("Viewers: 61 while live, unknown once the stream ended", True)
        cleared = {
            "battle_score": "unknown",
            "rival_score": "unknown",
            "battle_result": "none",
            "rank": "unknown",
            "goal_progress": "unknown",
        }

        async def shown() -> dict[str, str | None]:
            return {n: await self.h.state(f"sensor.tiktok_alpha_{n}") for n in cleared}

        async def all_cleared() -> bool:
            return await shown() == cleared

        await eventually("battle, rank and goal cleared", all_cleared)
        self.list.check(
            "the stream ended: battle scores, Rank and Goal progress unknown, Battle result none",
            await shown() == cleared,
            f"{await shown()}",
        )
        alpha.go_live()
        await until(
            "alpha on again", lambda: self._state_is("binary_sensor.tiktok_alpha_live", "on")
        )
        await self.wait_number("sensor.tiktok_alpha_diamonds", 0)
        await alpha.wait_for_client(WAIT)
        # the new stream stays below where the recorder began (50 / 1,000 / 2)
        await alpha.send(
            gift(alpha, 30),
            ev.LikeEvent(msg_id=alpha.next_msg_id(), count=3, total=300),
            ev.FollowEvent(msg_id=alpha.next_msg_id(), user=ev.User(id=5, unique_id="gus")),
            chat(alpha, "new stream", "sam"),
        )
        await self.wait_number("sensor.tiktok_alpha_diamonds", 30)
        await self.wait_shown("sensor.tiktok_alpha_last_chat", ("new stream", "sam", "Sam"))
        await self.wait_number("sensor.tiktok_alpha_likes", 300)
        await self.h.call(
            "call_service",
            domain="ha_check",
            service="compile_statistics",
            service_data={"since": self.started_at},
            return_response=True,
        )
        ids = [f"sensor.tiktok_alpha_{c}" for c in COUNTERS]
        stats = await self.h.call(
            "recorder/statistics_during_period",
            start_time=self.period_start,
            statistic_ids=ids,
            period="5minute",
            types=["sum", "state"],
        )
        # what HA saw grow: from its first value to the stream's end (across its own restart),
        # then the new stream
        want = {
            "diamonds": 1070 - 50 + 30,
            "likes": 2000 - 1000 + 300,
            "followers_gained": 4 - 2 + 1,
        }
        for counter in COUNTERS:
            rows = stats.get(f"sensor.tiktok_alpha_{counter}", [])
            sums = [r["sum"] for r in rows if r.get("sum") is not None]
            ok(
                f"statistics of alpha {counter} across a stream end: never negative, sum = growth",
                bool(sums) and min(sums) >= 0 and never_drops(sums) and sums[-1] == want[counter],
                f"5-minute sums {sums} (growth HA saw in both streams: {want[counter]})",
            )

    def shown_in_order(self, entity_id: str, second: str) -> list[tuple[str, Any, Any]]:
        """Each (state, user, attribute) HA showed, in order, repeats and gaps left out."""
        shown: list[tuple[str, Any, Any]] = []
        for _, entity, state, attrs in self.h.changes:
            if entity != entity_id or state in ("unknown", "unavailable"):
                continue
            now = (state, attrs.get("user"), attrs.get(second))
            if not shown or shown[-1] != now:
                shown.append(now)
        return shown

    def check_last_gift(self) -> None:
        """Every state of Last gift HA showed is a gift that was sent, with its own sender and
        diamonds (state and attributes from one message), in the order sent."""
        shown = self.shown_in_order("sensor.tiktok_alpha_last_gift", "diamonds")
        sent = [
            ("Rose", "sam", 50),  # before HA started: HA reads it from the retained state
            ("Galaxy", "sam", 500),
            ("Galaxy", "sam", 100),
            ("Galaxy", "ann", 100),
            ("Galaxy", "gil", 100),
            # bob's Galaxy came while HA was away: it shows cy's Rose, the last gift, at start
            ("Rose", "cy", 20),
            ("Galaxy", "hal", 100),
            ("Rose", "sam", 30),
        ]
        self.list.check(
            "Last gift: one state per gift, its attributes those of the same gift",
            shown == sent,
            f"HA showed {shown}",
        )

    def check_last_chat(self) -> None:
        """The same for Last chat: each chat (the run waits for each to show: chats are
        rate-limited to state_interval, unlike gifts) with its own sender and nickname, in
        order; two viewers sending the same text are two states."""
        shown = self.shown_in_order("sensor.tiktok_alpha_last_chat", "nickname")
        sent = [
            ("hello", "sam", "Sam"),  # before HA started: from the retained state
            ("hi", "amy", "Amy"),
            ("hi", "bo", "Bo"),
            ("back", "ann", "Ann"),  # after lt-one's restart
            # dee's chat came while HA was away, then cy's: HA shows cy's at start
            ("while HA was away", "cy", "Cy"),
            ("new stream", "sam", "Sam"),
        ]
        self.list.check(
            "Last chat: one state per chat, its attributes those of the same chat",
            shown == sent,
            f"HA showed {shown}",
        )

    def check_log(self) -> None:
        ok = self.list.check
        # HA moves the log of its previous run to .log.1 at start: both runs are read
        lines = [
            line
            for name in ("home-assistant.log.1", "home-assistant.log")
            if (self.cfg / name).exists()
            for line in (self.cfg / name).read_text(errors="replace").splitlines()
        ]
        template = [line for line in lines if "Template variable warning" in line]
        ok(
            "0 'Template variable warning' lines in HA's log",
            not template,
            f"{len(template)} lines",
        )
        flagged = [
            line[:240]
            for line in lines
            if re.match(r"^\S+ \S+ (WARNING|ERROR)", line)
            and re.search(r"mqtt|livetrigger|tiktok", line, re.I)
        ]
        ok(
            "0 HA log warnings or errors about MQTT / livetrigger",
            not flagged,
            "; ".join(flagged[:5]),
        )


def compress(states: list[str]) -> str:
    """'on, on, on, off' -> 'on x3, off'."""
    out = []
    for value, group in itertools.groupby(states):
        n = len(list(group))
        out.append(f"{value} x{n}" if n > 1 else value)
    return ", ".join(out)


def main() -> int:
    workdir, ha_port = Path(sys.argv[1]), int(sys.argv[2])
    run = Run(workdir, ha_port)
    now = time.time() - 5
    run.started_at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now))
    run.period_start = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - now % 300))
    return asyncio.run(run.main())


if __name__ == "__main__":
    sys.exit(main())

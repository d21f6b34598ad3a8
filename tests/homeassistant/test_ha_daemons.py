"""Home Assistant with several daemons on one broker and base topic, rooms moving between them
by reload and by restart (a real Mosquitto, the daemons in-process against fake rooms): each
daemon removes only what it announced itself, and what it announced before and no longer has
is removed at start as at a reload."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from livetrigger.config import Config, load_config_text
from livetrigger.homeassistant.discovery import (
    DaemonEntities,
    RoomEntities,
    RuleEntity,
    discovery,
)
from livetrigger.simulator.router import RoomRouter
from livetrigger.simulator.server import FakeLiveRoom
from tests.homeassistant.test_homeassistant import PREFIX, RULES, running, settle
from tests.support.listener import Listener, Received
from tests.support.mosquitto import MosquittoBroker

BASE = "livetrigger"
BIG_GIFT_ONLY = RULES.split("      - id: hello-chat", maxsplit=1)[0]
ONLY_ONE = """\
      - id: only_one
        on: follow
        do: [{mqtt: {topic: "{{ base }}/{{ room }}/follow", payload: "x"}}]
"""


def config(router: RoomRouter, port: int, state_dir: Path, client_id: str, rooms: dict) -> Config:  # type: ignore[type-arg]
    url = router.base_url
    text = f"""\
tiktok: {{web_url: "{url}", webcast_url: "{url}", sign_url: "{url}",
         live_check_interval: 200ms, reconnect_initial: 100ms}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: {client_id}}}
homeassistant: {{discovery: true, state_interval: 1s}}
daemon: {{state_dir: "{state_dir}", status_socket: "{state_dir}/s.sock"}}
rooms:
"""
    for name, rules in rooms.items():
        text += f'  - username: "@{name}"\n    rules:\n{rules}'
    state_dir.mkdir(exist_ok=True)
    return load_config_text(text)


def config_topics(room: str, rules: Sequence[str], instance: str) -> set[str]:
    daemon = DaemonEntities(instance, BASE)
    docs = discovery(
        RoomEntities(room, room, [RuleEntity(r) for r in rules]),
        prefix=PREFIX,
        base=BASE,
        availability_topic=daemon.availability,
        daemon=daemon,
    )
    return {topic for topic, _ in docs}


def last(watch: Listener, topic: str) -> Received | None:
    return next((m for m in reversed(watch.messages) if m.topic == topic), None)


def announced_by(watch: Listener, topics: set[str], instance: str) -> bool:
    """Every one of ``topics`` holds a config of ``instance``'s (what Home Assistant shows)."""
    for topic in topics:
        m = last(watch, topic)
        if m is None or not m.payload:
            return False
        if json.loads(m.payload)["device"].get("via_device") != f"livetrigger_daemon_{instance}":
            return False
    return True


def cleared(watch: Listener, topics: set[str]) -> bool:
    return all((m := last(watch, t)) is not None and m.payload == b"" for t in topics)


def record(watch: Listener, instance: str) -> dict | None:  # type: ignore[type-arg]
    m = last(watch, f"{BASE}/daemon/{instance}/discovery")
    return json.loads(m.payload) if m is not None and m.payload else None


def records(watch: Listener, instance: str, topics: set[str]) -> bool:
    found = record(watch, instance)
    return found is not None and topics <= set(found["topics"])


async def handled(watch: Listener, room: str, state: str) -> None:
    """A pause command round trip through the daemon running ``room``: the broker keeps each
    client's order, so once its paused state comes back it has handled everything the broker
    had for it when the command was sent."""
    watch.client.publish(f"{BASE}/{room}/cmd/pause", state)
    await settle(
        watch,
        lambda: (
            (m := last(watch, f"{BASE}/{room}/paused")) is not None and m.payload == state.encode()
        ),
    )


@asynccontextmanager
async def fake_rooms(*names: str) -> AsyncIterator[dict[str, FakeLiveRoom]]:
    async with AsyncExitStack() as stack:
        rooms = {
            name: await stack.enter_async_context(FakeLiveRoom(unique_id=name, room_id=i + 1))
            for i, name in enumerate(names)
        }
        yield rooms


BETA_RULES = ("big_gift", "hello-chat")
DELTA_STATES = ("state", "paused", "last_gift", "last_chat")  # "Live on" and the rest


async def test_a_room_moved_to_another_daemon_by_reload_stays_in_home_assistant(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    watch = Listener(mosquitto.port, "#")
    beta_of = {i: config_topics("beta", BETA_RULES, i) for i in ("lt-one", "lt-two")}
    only_one = config_topics("beta", ("only_one",), "lt-one") - beta_of["lt-one"]
    async with (
        fake_rooms("alpha", "beta", "gamma") as rooms,
        RoomRouter([rooms["alpha"], rooms["beta"]]) as r1,
        RoomRouter([rooms["gamma"], rooms["beta"]]) as r2,
    ):
        port = mosquitto.port
        one = config(r1, port, tmp_path / "a", "lt-one", {"alpha": RULES, "beta": RULES + ONLY_ONE})
        two = config(r2, port, tmp_path / "b", "lt-two", {"gamma": RULES})
        async with running(one, tmp_path) as d1, running(two, tmp_path) as d2:
            await settle(watch, lambda: announced_by(watch, beta_of["lt-one"] | only_one, "lt-one"))
            await settle(watch, lambda: last(watch, f"{BASE}/gamma/paused") is not None)
            # lt-two takes beta (its config gains it, a reload) ...
            d2.reloader.apply(
                config(r2, port, tmp_path / "b", "lt-two", {"gamma": RULES, "beta": RULES})
            )
            await settle(watch, lambda: announced_by(watch, beta_of["lt-two"], "lt-two"))
            await settle(watch, lambda: records(watch, "lt-two", beta_of["lt-two"]))
            await handled(watch, "alpha", "ON")  # lt-one has heard lt-two's record
            # ... then lt-one gives it up (its config loses it, a reload)
            d1.reloader.apply(config(r1, port, tmp_path / "a", "lt-one", {"alpha": RULES}))
            await handled(watch, "alpha", "OFF")  # lt-one's reload is done and sent
            # beta stays in Home Assistant as lt-two announced it; only what lt-one alone
            # announced (its rule only_one's trigger and test button) is gone
            assert announced_by(watch, beta_of["lt-two"], "lt-two")
            assert cleared(watch, only_one)
            cleared_beta = [
                m.topic for m in watch.messages if m.topic in beta_of["lt-two"] and m.payload == b""
            ]
            assert cleared_beta == []
            assert d1.homeassistant is not None and d1.homeassistant.cleared == len(only_one)
    watch.close()


async def test_what_a_restart_no_longer_has_is_removed_but_not_another_daemons(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    """A config edit applied by a restart: a removed rule's trigger and test button and a
    removed room's whole device go; a room another daemon took meanwhile stays."""
    watch = Listener(mosquitto.port, "#")
    beta_of = {i: config_topics("beta", BETA_RULES, i) for i in ("lt-one", "lt-two")}
    delta = config_topics("delta", BETA_RULES, "lt-one")
    alpha = config_topics("alpha", BETA_RULES, "lt-one")
    hello_chat = alpha - config_topics("alpha", ("big_gift",), "lt-one")
    async with (
        fake_rooms("alpha", "beta", "gamma", "delta") as rooms,
        RoomRouter([rooms["alpha"], rooms["beta"], rooms["delta"]]) as r1,
        RoomRouter([rooms["gamma"], rooms["beta"]]) as r2,
    ):
        port = mosquitto.port
        a, b = tmp_path / "a", tmp_path / "b"
        everything = {"alpha": RULES, "beta": RULES, "delta": RULES}
        async with (
            running(config(r1, port, a, "lt-one", everything), a),
            running(config(r2, port, b, "lt-two", {"gamma": RULES}), b),
        ):
            await settle(
                watch, lambda: announced_by(watch, alpha | beta_of["lt-one"] | delta, "lt-one")
            )
            await settle(watch, lambda: records(watch, "lt-one", delta))
            await settle(watch, lambda: last(watch, f"{BASE}/gamma/paused") is not None)
        # both stop; lt-two starts again with beta added ...
        async with running(config(r2, port, b, "lt-two", {"gamma": RULES, "beta": RULES}), b):
            await settle(watch, lambda: announced_by(watch, beta_of["lt-two"], "lt-two"))
            await settle(watch, lambda: records(watch, "lt-two", beta_of["lt-two"]))
            # ... and lt-one with beta and delta gone and alpha's rule hello-chat removed
            seen = len(watch.messages)
            async with running(config(r1, port, a, "lt-one", {"alpha": BIG_GIFT_ONLY}), a) as d1:
                gone = hello_chat | delta | {f"{BASE}/delta/{t}" for t in DELTA_STATES}
                await settle(watch, lambda: cleared(watch, gone), timeout=30)
                # its own new record has come back: whatever it clears at start is sent
                await settle(
                    watch,
                    lambda: any(
                        m.topic == f"{BASE}/daemon/lt-one/discovery" for m in watch.messages[seen:]
                    ),
                )
                await handled(watch, "alpha", "ON")
                assert announced_by(watch, alpha - hello_chat, "lt-one")
                assert announced_by(watch, beta_of["lt-two"], "lt-two")
                assert (m := last(watch, f"{BASE}/beta/state")) is not None and m.payload
                assert [
                    m.topic for m in watch.messages[seen:] if "beta" in m.topic and not m.payload
                ] == []
                assert d1.homeassistant is not None and d1.homeassistant.cleared == len(gone)
    watch.close()

"""Home Assistant restarts while the daemon and the broker stay up (a real Mosquitto, the daemon
in-process against the fake room): what HA finds when it comes back, and what its birth message
(``homeassistant/status`` = ``online``) makes the daemon send."""

from __future__ import annotations

import json
from pathlib import Path

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom
from tests.homeassistant.test_homeassistant import PREFIX, config_for, configs, running, settle
from tests.support.listener import Listener, Received
from tests.support.mosquitto import MosquittoBroker

STATE = "livetrigger/demo_streamer/state"
DAEMON_STATE = "livetrigger/daemon/lt-ha/state"
AVAILABILITY = "livetrigger/daemon/lt-ha/status"
PAUSED = "livetrigger/demo_streamer/paused"


def gift(room: FakeLiveRoom, user: str, diamonds: int, name: str = "Galaxy") -> ev.GiftEvent:
    return ev.GiftEvent(
        msg_id=room.next_msg_id(),
        gift_id=1,
        gift_name=name,
        diamonds=diamonds,
        repeat_count=1,
        total_diamonds=diamonds,
        user=ev.User(id=len(user), unique_id=user, nickname=user.title()),
    )


def chat(room: FakeLiveRoom, user: str, text: str) -> ev.ChatEvent:
    return ev.ChatEvent(
        msg_id=room.next_msg_id(),
        text=text,
        user=ev.User(id=len(user), unique_id=user, nickname=user.title()),
    )


def last(messages: list[Received], topic: str) -> dict | None:  # type: ignore[type-arg]
    found = [m for m in messages if m.topic == topic and m.payload]
    return json.loads(found[-1].payload) if found else None


def fired(messages: list[Received]) -> list[Received]:
    return [m for m in messages if "/rule_fired/" in m.topic]


async def test_home_assistant_restart_finds_current_values_and_no_trigger_twice(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    watch = Listener(mosquitto.port, "#")  # the whole run, as the broker saw it
    async with FakeLiveRoom() as room:
        config = config_for(room, mosquitto.port, tmp_path)
        async with running(config, tmp_path) as daemon:
            await room.wait_for_client()
            # HA before its restart: it sees a big gift and a chat
            await room.send(gift(room, "ann", 200), chat(room, "ann", "hi all"))
            await settle(watch, lambda: len(fired(watch.messages)) == 2)  # big_gift, hello-chat
            await settle(watch, lambda: (last(watch.messages, STATE) or {}).get("diamonds") == 200)
            # HA stops (its last word on the birth topic), then viewers go on
            watch.client.publish(f"{PREFIX}/status", "offline")
            await room.send(
                gift(room, "bob", 300),
                gift(room, "cy", 5, name="Rose"),
                chat(room, "cy", "while HA was away"),
                ev.LikeEvent(msg_id=room.next_msg_id(), count=40, total=4000),
            )
            await settle(watch, lambda: len(fired(watch.messages)) == 4)  # bob: big_gift, cy: chat
            # (the like and the rose fire no rule; likes are rate-limited: wait for them)
            await settle(watch, lambda: (last(watch.messages, STATE) or {}).get("likes") == 4000)
            want = {
                "live": "ON",
                "diamonds": 505,
                "likes": 4000,
                "last_gift": "Rose",
                "last_gift_attrs": {"user": "cy", "nickname": "Cy", "count": 1, "diamonds": 5},
                "last_chat": "while HA was away",
                "last_chat_attrs": {"user": "cy", "nickname": "Cy"},
            }

            # HA starts: a new client, it subscribes and gets what the broker kept
            ha = Listener(mosquitto.port, "#")
            announced = set(configs(watch))
            await settle(ha, lambda: set(configs(ha)) >= announced)
            await settle(ha, lambda: {STATE, DAEMON_STATE, PAUSED, AVAILABILITY} <= _topics(ha))
            kept = {m.topic: m for m in ha.messages if m.retain}
            assert set(configs(ha)) == announced and all(kept[t].retain for t in announced)
            state = last(ha.messages, STATE)
            assert state is not None and {k: state[k] for k in want} == want
            assert kept[AVAILABILITY].payload == b"online" and kept[PAUSED].payload == b"OFF"
            # what starts automations or shows as a new event is never kept: a restarted HA
            # would run a device trigger or show an event a second time
            assert not [m for m in ha.messages if m.retain and _is_trigger_or_event(m.topic)]

            # HA's birth: the daemon announces everything again, with the current values
            seen = len(ha.messages)
            ha.client.publish(f"{PREFIX}/status", "online")
            await settle(
                ha,
                lambda: {*announced, STATE, DAEMON_STATE, PAUSED} <= _topics(ha, after=seen),
            )
            again = ha.messages[seen:]
            state = last(again, STATE)
            assert state is not None and {k: state[k] for k in want} == want
            assert (last(again, DAEMON_STATE) or {}).get("version")
            # and fires nothing: one more big gift is the only device trigger after the birth
            # (one room's triggers leave in order: a re-sent one would come before it)
            await room.send(gift(room, "dee", 100))
            await settle(ha, lambda: fired(ha.messages[seen:]))
            after = fired(ha.messages[seen:])
            assert [json.loads(m.payload)["user"] for m in after] == ["dee"]
            assert not [
                m
                for m in ha.messages[seen:]
                if m.topic.endswith("/event") and b'"ann"' in m.payload
            ]
            assert daemon.event_path.rule_fires["big_gift"] == 3
            ha.close()
    watch.close()


def _topics(listener: Listener, after: int = 0) -> set[str]:
    return {m.topic for m in listener.messages[after:]}


def _is_trigger_or_event(topic: str) -> bool:
    return "/rule_fired/" in topic or topic.endswith("/event")

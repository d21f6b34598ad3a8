"""Issue 27's Home Assistant side: a battle's score and result, the room's rank and the LIVE
goal's progress as sensors of the room's device, and device triggers for a battle won, lost or
drawn and a goal reached. A real Mosquitto, the daemon in-process against the fake room, which
plays a battle the room wins, a rank climb and a goal filling up to 100 over real sockets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from livetrigger import events as ev
from livetrigger.homeassistant.discovery import (
    ROOM_TRIGGERS,
    RoomEntities,
    RuleEntity,
    discovery,
)
from livetrigger.homeassistant.state import RoomState
from livetrigger.simulator.demo_show import demo_show
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.text.topics import published_filters, published_topic
from tests.homeassistant.test_homeassistant import PREFIX, config_for, configs, running, settle
from tests.support.listener import Listener
from tests.support.moments import battle_won, goal, rank
from tests.support.mosquitto import MosquittoBroker

STATE = "livetrigger/demo_streamer/state"
EVENT = "livetrigger/demo_streamer/event"
NODE = "livetrigger_demo_streamer"
RULES = """\
      - id: won
        on: battle_ended
        when: {result: won}
        do: [{mqtt: {topic: "ha27/{{ room }}/won", payload: "{{ points }}:{{ rival_points }}"}}]
"""


def by_oid(docs: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    return {t.split("/")[-2]: p for t, p in docs}


def test_the_room_device_announces_battle_rank_goal_sensors_and_their_triggers() -> None:
    docs = by_oid(
        discovery(
            RoomEntities("demo_streamer", "demo_streamer", [RuleEntity("won")]),
            prefix=PREFIX,
            base="livetrigger",
            availability_topic="livetrigger/daemon/lt-ha/status",
        )
    )
    for oid in ("battle_score", "rival_score", "battle_result", "rank", "goal_progress"):
        assert docs[oid]["state_topic"] == STATE, oid
        assert docs[oid]["availability_topic"] == "livetrigger/daemon/lt-ha/status"
    assert docs["battle_result"]["options"] == ["won", "lost", "draw", "none"]
    assert docs["goal_progress"]["unit_of_measurement"] == "%"
    assert set(docs["events"]["event_types"]) >= {t for t, _ in ROOM_TRIGGERS}
    for trigger, subtype in ROOM_TRIGGERS:
        doc = docs[trigger]
        assert (doc["type"], doc["subtype"], doc["topic"]) == (trigger, subtype, EVENT)
        assert (doc["value_template"], doc["payload"]) == ("{{ value_json.event_type }}", trigger)
    assert {t for t, _ in ROOM_TRIGGERS} == {
        "battle_won",
        "battle_lost",
        "battle_draw",
        "goal_reached",
    }


def fires(trigger: dict[str, Any], topic: str, payload: bytes) -> bool:
    """Home Assistant's MQTT device trigger, as it decides: the message is on its topic and
    its value template renders to its payload (this one reads ``value_json.event_type``)."""
    assert trigger["value_template"] == "{{ value_json.event_type }}"
    return topic == trigger["topic"] and json.loads(payload)["event_type"] == trigger["payload"]


async def test_a_won_battle_a_rank_climb_and_a_goal_reached_show_and_trigger(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "#")

    def states() -> list[dict[str, Any]]:
        return [json.loads(m.payload) for m in listener.messages if m.topic == STATE]

    async with FakeLiveRoom() as room:
        config = config_for(room, mosquitto.port, tmp_path, rules=RULES)
        async with running(config, tmp_path):
            await room.wait_for_client()
            await settle(
                listener,
                lambda: states() and f"{PREFIX}/sensor/{NODE}/rank/config" in configs(listener),
            )
            first = states()[0]
            # nothing known yet: unknown in Home Assistant, no battle
            assert (first["battle_points"], first["rival_points"], first["battle_result"]) == (
                None,
                None,
                "none",
            )
            assert (first["rank"], first["goal_progress"]) == (None, None)

            # one step at a time: a retained state not sent yet is replaced by the next one
            start, *rest = battle_won(room)
            await room.send(start)
            # the battle's start goes out at once: 0:0, no result yet
            await settle(
                listener,
                lambda: (states()[-1]["battle_points"], states()[-1]["rival_points"]) == (0, 0),
            )
            assert states()[-1]["battle_result"] == "none"
            await room.send(*rest)
            await settle(listener, lambda: states()[-1]["battle_result"] == "won")
            won = states()[-1]
            assert (won["battle_points"], won["rival_points"]) == (300, 120)
            assert won["battle_attrs"] == {"battle_id": 77, "points": 300, "rival_points": 120}
            # the climb: each place goes out (a rank change is sent at once)
            for hourly, weekly in ((12, 180), (7, 150)):
                await room.send(rank(room, hourly, weekly))
                await settle(listener, lambda h=hourly: states()[-1]["rank"] == h)
            await room.send(goal(room, 50))
            await settle(listener, lambda: states()[-1]["goal_progress"] == 50)
            assert states()[-1]["goal_attrs"]["reached"] is False
            await room.send(goal(room, 100), goal(room, 104))
            await settle(listener, lambda: states()[-1]["goal_progress"] == 104)
            now = states()[-1]
            assert now["rank_attrs"] == {
                "rank_type": "hourly",
                "score": 43_000,
                "on_rank": True,
                "ranks": {"hourly": 7, "weekly": 150},
            }
            assert now["goal_attrs"] == {
                "goal_id": 4242,
                "description": "New microphone",
                "current": 104,
                "target": 100,
                "reached": True,
            }

            # the device triggers, as Home Assistant matches them, on the broker's messages
            docs = configs(listener)
            triggers = {
                t: json.loads(docs[f"{PREFIX}/device_automation/{NODE}/{t}/config"].payload)
                for t, _ in ROOM_TRIGGERS
            }
            await settle(
                listener,
                lambda: any(
                    fires(triggers["goal_reached"], m.topic, m.payload) for m in listener.messages
                ),
            )
            fired = {
                t: [
                    json.loads(m.payload)
                    for m in listener.messages
                    if fires(doc, m.topic, m.payload)
                ]
                for t, doc in triggers.items()
            }
            assert fired["battle_won"] == [
                {"event_type": "battle_won", "battle_id": 77, "points": 300, "rival_points": 120}
            ]
            assert fired["battle_lost"] == fired["battle_draw"] == []
            # reached once: 104 of 100 is the same goal, still reached
            assert [f["current"] for f in fired["goal_reached"]] == [100]
            assert not [m for m in listener.messages if m.topic == EVENT and m.retain]
            # a rule on the same result fires as well
            (rule,) = [m for m in listener.messages if m.topic == "ha27/demo_streamer/won"]
            assert rule.payload == b"300:120"

            # the stream ends: no battle, no rank, no goal (unknown, never stale)
            await room.end_stream()
            await settle(listener, lambda: states()[-1]["live"] == "OFF")
            ended = states()[-1]
            assert (ended["battle_points"], ended["rival_points"], ended["battle_result"]) == (
                None,
                None,
                "none",
            )
            assert (ended["rank"], ended["goal_progress"]) == (None, None)
            assert ended["rank_attrs"]["ranks"] == {}

    # every topic the daemon published is one no rule may publish to (a viewer's template
    # cannot overwrite a score, a rank or a trigger); the rule's own action is the exception
    own = published_filters("livetrigger", PREFIX)
    daemon_topics = {m.topic for m in listener.messages} - {"ha27/demo_streamer/won"}
    assert daemon_topics and not [t for t in daemon_topics if published_topic(t, own) is None]
    listener.close()


async def test_the_demo_show_wins_its_battle_climbs_and_reaches_its_goal_in_home_assistant(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    """The fake room's own show (``livetrigger demo``), played fast through the daemon."""
    listener = Listener(mosquitto.port, "livetrigger/demo_streamer/#")

    def states() -> list[dict[str, Any]]:
        return [json.loads(m.payload) for m in listener.messages if m.topic == STATE]

    def events(kind: str) -> list[dict[str, Any]]:
        found = [json.loads(m.payload) for m in listener.messages if m.topic == EVENT]
        return [e for e in found if e["event_type"] == kind]

    *show, (_, end) = demo_show()
    assert isinstance(end, ev.StreamEndedEvent)
    async with FakeLiveRoom() as room:
        config = config_for(room, mosquitto.port, tmp_path, rules=RULES)
        async with running(config, tmp_path):
            await room.wait_for_client()
            await room.play(show, speed=20, fresh=True)
            await settle(
                listener,
                lambda: (
                    bool(states())
                    and (
                        states()[-1]["battle_result"],
                        states()[-1]["rank"],
                        states()[-1]["goal_progress"],
                    )
                    == ("won", 3, 100)
                ),
            )
            now = states()[-1]
            assert (now["battle_points"], now["rival_points"]) == (120, 90)
            assert now["rank_attrs"]["ranks"] == {"hourly": 3}
            assert now["goal_attrs"]["reached"] is True
            assert events("battle_won") == [
                {"event_type": "battle_won", "battle_id": 31_337, "points": 120, "rival_points": 90}
            ]
            assert [(e["current"], e["target"]) for e in events("goal_reached")] == [(100, 100)]
            assert events("battle_lost") == events("battle_draw") == []
            await room.play([(0, end)], fresh=True)
            await settle(listener, lambda: states()[-1]["live"] == "OFF")
            ended = states()[-1]
            assert (ended["battle_points"], ended["battle_result"], ended["rank"]) == (
                None,
                "none",
                None,
            )
            assert ended["goal_progress"] is None
    listener.close()


def test_a_lost_battle_a_draw_and_one_whose_side_is_unknown() -> None:
    state = RoomState()
    state.apply(ev.LiveStartedEvent())
    lost = ev.BattleEndedEvent(battle_id=1, result="lost", points=10, rival_points=90)
    assert state.apply(lost) == [
        ("battle_lost", {"battle_id": 1, "points": 10, "rival_points": 90})
    ]
    assert state.document()["battle_result"] == "lost"
    # a new battle's scores: no result until it ends
    state.apply(ev.BattlePointsEvent(battle_id=2, points=5, rival_points=5))
    doc = state.document()
    assert (doc["battle_result"], doc["battle_points"], doc["battle_attrs"]["battle_id"]) == (
        "none",
        5,
        2,
    )
    assert state.apply(ev.BattleEndedEvent(battle_id=2, result="draw", points=50, rival_points=50))
    assert state.document()["battle_result"] == "draw"
    # the decoder could not tell our side: unknown, and no trigger
    assert state.apply(ev.BattleEndedEvent(battle_id=3, result="", points=0, rival_points=0)) == []
    assert state.document()["battle_result"] is None
    # scores of a battle whose start the daemon missed: which side is ours is not known
    scores = (ev.BattleScore(host_id=1, points=80), ev.BattleScore(host_id=2, points=60))
    state.apply(ev.BattlePointsEvent(battle_id=5, scores=scores))
    assert (state.document()["battle_points"], state.document()["rival_points"]) == (None, None)
    state.apply(ev.BattlePointsEvent(battle_id=5, scores=scores, points=80, rival_points=60))
    assert (state.document()["battle_points"], state.document()["rival_points"]) == (80, 60)
    # history (the backlog after a reconnect) changes nothing
    past = ev.BattleEndedEvent(battle_id=4, result="won", points=1, is_history=True)
    assert state.apply(past) == [] and state.document()["battle_attrs"]["battle_id"] == 5


def test_rank_off_the_ranking_is_unknown_and_other_rankings_are_attributes() -> None:
    state = RoomState()
    state.apply(
        ev.RankEvent(
            rank_type="weekly", rank=40, ranks=(ev.RankEntry(rank_type="weekly", rank=40),)
        )
    )
    doc = state.document()
    assert doc["rank"] is None and doc["rank_attrs"]["ranks"] == {"weekly": 40}
    state.apply(ev.RankEvent(rank_type="hourly", rank=0, on_rank=False))
    doc = state.document()
    # 0 is "not on it": never a place 0 an automation would read as the top
    assert doc["rank"] is None and doc["rank_attrs"]["on_rank"] is False
    assert doc["rank_attrs"]["ranks"] == {"weekly": 40, "hourly": 0}
    # names off the wire: a bounded number of rankings is kept
    for n in range(40):
        state.apply(ev.RankEvent(rank_type=f"rank_{n}", rank=n + 1))
    assert len(state.document()["rank_attrs"]["ranks"]) == 16


def test_a_restart_keeps_battle_rank_and_goal_and_fires_no_goal_twice() -> None:
    state = RoomState()
    state.apply(ev.LiveStartedEvent())
    state.apply(ev.BattlePointsEvent(battle_id=9, points=70, rival_points=30))
    state.apply(ev.RankEvent(rank_type="hourly", rank=3, score=900))
    state.apply(ev.GoalEvent(goal_id=5, current=100, target=100, reached=True))
    snap = json.loads(json.dumps(state.snapshot()))  # as the state directory keeps it
    again = RoomState()
    again.restore(snap)
    assert again.document() == state.document()
    # the goal was reached before the restart: the next update of it fires nothing
    assert again.apply(ev.GoalEvent(goal_id=5, current=101, target=100, reached=True)) == []
    # a snapshot from before these were kept: they are unknown
    old = {k: v for k, v in snap.items() if k not in ("battle", "rank", "goal")}
    fresh = RoomState()
    fresh.restore(old)
    doc = fresh.document()
    assert (doc["battle_points"], doc["rank"], doc["goal_progress"]) == (None, None, None)
    for bad in (
        {**snap, "battle": {**snap["battle"], "result": "exploded"}},
        {**snap, "rank": {"ranks": {"hourly": "1"}, "score": 0}},
        {**snap, "goal": {"goal_id": 5}},
    ):
        with pytest.raises(ValueError, match="damaged"):
            RoomState().restore(bad)

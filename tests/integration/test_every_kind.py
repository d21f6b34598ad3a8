"""Issue 27: every new event kind fires a rule through the whole daemon (a subprocess) against
the fake room, over real sockets; `when:` on their fields, a counter (`every`) and a cooldown hold;
an unknown method is counted by name in `status`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom
from tests.integration.test_daemon import daemon, status, wait_until
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker
from tests.unit.test_decode import EVERY_KIND

OLD_KINDS = {
    "chat", "gift", "like", "join", "follow", "share", "social", "subscribe", "viewers",
    "question", "battle", "battle_points", "emote", "envelope", "live_intro", "room_message",
    "barrage", "stream_paused", "stream_resumed", "stream_ended",
}  # fmt: skip
NEW = [e for e in EVERY_KIND if e.kind not in OLD_KINDS]
BASE = "livetrigger/demo_streamer"


def rules() -> str:
    out = [
        f"""\
      - id: k_{e.kind}
        on: {e.kind}
        do:
          - mqtt: {{topic: "{{{{ base }}}}/{{{{ room }}}}/k/{e.kind}", payload: "{{{{ msg_id }}}}"}}
"""
        for e in NEW
    ]
    out.append("""\
      - id: won
        on: battle_ended
        when: {result: won, points: {gt: 0}}
        do:
          - mqtt: {topic: "{{ base }}/{{ room }}/won", payload: "{{ points }}:{{ rival_points }}"}
      - id: lost
        on: battle_ended
        when: {result: lost}
        do:
          - mqtt: {topic: "{{ base }}/{{ room }}/lost", payload: "x"}
      - id: top10
        on: rank
        when: {rank: {lte: 10, gte: 1}}
        cooldown: 1h
        do:
          - mqtt: {topic: "{{ base }}/{{ room }}/top10", payload: "{{ rank_type }} {{ rank }}"}
      - id: goal_near
        on: goal
        when: {progress: {gte: 80}, reached: false}
        do:
          - mqtt: {topic: "{{ base }}/{{ room }}/goal", payload: "{{ current }}/{{ target }}"}
      - id: ten_votes
        on: poll
        every: {sum: total_votes, step: 10}
        do:
          - mqtt: {topic: "{{ base }}/{{ room }}/votes", payload: "{{ total_votes }}"}
""")
    return "".join(out)


async def test_each_new_kind_fires_its_rule_through_the_daemon(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, f"{BASE}/#")
    async with (
        FakeLiveRoom() as room,
        daemon(tmp_path, room, mosquitto, "http://127.0.0.1:9/hook", rules()) as d,
    ):
        sent = [
            dataclasses.replace(e, room_id=0, create_time=0, msg_id=room.next_msg_id()) for e in NEW
        ]
        await room.send(*sent)
        for e in sent:
            (got,) = listener.wait_for(1, topic=f"{BASE}/k/{e.kind}")
            assert got.payload == str(e.msg_id).encode(), e.kind
        assert listener.wait_for(1, topic=f"{BASE}/won")[0].payload == b"300:120"
        assert listener.wait_for(1, topic=f"{BASE}/top10")[0].payload == b"hourly 7"
        assert listener.wait_for(1, topic=f"{BASE}/goal")[0].payload == b"80/100"
        # a second rank inside the cooldown, a lost battle, an unknown method: then a marker
        rank = next(e for e in sent if e.kind == "rank")
        ended = next(e for e in sent if isinstance(e, ev.BattleEndedEvent))
        await room.send(
            dataclasses.replace(rank, msg_id=room.next_msg_id()),
            dataclasses.replace(ended, msg_id=room.next_msg_id(), battle_id=556, result="lost"),
            ev.UnknownEvent(msg_id=room.next_msg_id(), method="WebcastBrandNewMessage"),
            ev.UnknownEvent(msg_id=room.next_msg_id(), method="WebcastBrandNewMessage"),
        )
        listener.wait_for(1, topic=f"{BASE}/lost")
        listener.wait_for(2, topic=f"{BASE}/k/rank")
        assert len(listener.wait_for(1, topic=f"{BASE}/top10")) == 1  # the cooldown held
        assert [m.payload for m in listener.wait_for(1, topic=f"{BASE}/votes")] == [b"19"]
        await wait_until(
            lambda: (
                status(d)["rooms"]["demo_streamer"]["unknown_methods"]
                == {"WebcastBrandNewMessage": 2}
            ),
            what="unknown messages counted by method",
        )
        snap = status(d)
        assert snap["rules"]["top10"] == 1 and snap["rules"]["won"] == 1
    listener.close()

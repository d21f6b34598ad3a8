"""The moments of a LIVE that Home Assistant shows (a battle the room wins, a rank climb, a
goal filling up), as events a fake room sends: shared by the HA tests and bench/ha_check.py."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom

OURS, RIVAL = 11, 22  # the battle's hosts: this room's and the rival's


def _scores(ours: int, rival: int) -> tuple[ev.BattleScore, ...]:
    return (ev.BattleScore(host_id=OURS, points=ours), ev.BattleScore(host_id=RIVAL, points=rival))


def battle_won(room: FakeLiveRoom, battle_id: int = 77) -> list[ev.Event]:
    """A battle's start (this room's host against a rival), two score updates (40:25, 120:90)
    and the result: won, 300 to 120."""
    return [
        ev.BattleEvent(
            msg_id=room.next_msg_id(),
            battle_id=battle_id,
            action="started",
            duration=300,
            participants=(
                ev.BattleParticipant(
                    user_id=OURS, unique_id=room.unique_id, nickname="Us", room_id=room.room_id
                ),
                ev.BattleParticipant(user_id=RIVAL, unique_id="rival", nickname="R", room_id=2),
            ),
        ),
        *(
            ev.BattlePointsEvent(
                msg_id=room.next_msg_id(),
                battle_id=battle_id,
                reason="score_update",
                scores=_scores(ours, rival),
            )
            for ours, rival in ((40, 25), (120, 90))
        ),
        ev.BattleEndedEvent(
            msg_id=room.next_msg_id(),
            battle_id=battle_id,
            result="won",
            points=300,
            rival_points=120,
            winner_id=OURS,
            scores=_scores(300, 120),
        ),
    ]


def rank(room: FakeLiveRoom, hourly: int, weekly: int) -> ev.RankEvent:
    """This room at ``hourly`` on the hourly ranking and ``weekly`` on the weekly one."""
    return ev.RankEvent(
        msg_id=room.next_msg_id(),
        rank_type="hourly",
        rank=hourly,
        score=1000 * (50 - hourly),
        on_rank=True,
        ranks=(
            ev.RankEntry(rank_type="hourly", rank=hourly, score=1000 * (50 - hourly)),
            ev.RankEntry(rank_type="weekly", rank=weekly),
        ),
    )


def goal(room: FakeLiveRoom, current: int) -> ev.GoalEvent:
    """The LIVE goal "New microphone" at ``current`` of 100 (reached from 100 on)."""
    return ev.GoalEvent(
        msg_id=room.next_msg_id(),
        goal_id=4242,
        description="New microphone",
        current=current,
        target=100,
        progress=current,
        reached=current >= 100,
        source="progress_update",
    )

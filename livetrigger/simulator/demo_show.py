"""The scripted show of ``livetrigger demo``: about a minute of a small, lively LIVE.

Joins and chat, a ``!light on`` from a moderator, likes crossing 1,000, a 30-rose streak, a
500-diamond gift, a follow, a share, a LIVE goal filling up, a comment a moderator deletes, a
battle the room wins, a climb up the hourly ranking, and the end of the stream. Each step is
``(seconds after the previous step, event)``; ``speed`` divides the waits.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from typing import TypedDict

from livetrigger import events as ev
from livetrigger.simulator.wire import avatar_urls

DEMO_ROOM_ID = 7_140_000_000_000_000_001
DEMO_STREAMER = "demo_streamer"


class _Common(TypedDict):
    room_id: int
    msg_id: int


def _user(n: int, handle: str, nickname: str) -> ev.User:
    return ev.User(
        id=7_000_000_000_000_000_000 + n,
        unique_id=handle,
        nickname=nickname,
        avatar_url=avatar_urls(handle)[1],
    )


MIA = replace(_user(1, "mia.makes", "Mia ✨"), follow_role=ev.FollowRole.FRIEND, is_moderator=True)
LEO = replace(_user(2, "leo_plays", "Leo"), follow_role=ev.FollowRole.FOLLOWER, gifter_level=12)
ZOE = replace(_user(3, "zoe.zz", "Zoé 🌸"), is_subscriber=True, fan_club_level=4)
SAM = replace(_user(4, "sam_the_fan", "Sam"), top_gifter_rank=1, gifter_level=31)
NEWBIE = _user(5, "first.timer", "first timer")
VIEWERS = (MIA, LEO, ZOE, SAM, NEWBIE)


def demo_show(start_msg_id: int = 7_400_000_000_000_000_000) -> Iterator[tuple[float, ev.Event]]:
    """The demo's steps, message ids counting up from ``start_msg_id``."""
    ids = itertools.count(start_msg_id)
    room = DEMO_ROOM_ID

    def common() -> _Common:
        return {"room_id": room, "msg_id": next(ids)}

    yield 0.5, ev.RoomMessageEvent(**common(), text="Welcome to the LIVE!")
    for i, viewer in enumerate(VIEWERS):
        yield 0.6, ev.JoinEvent(**common(), user=viewer, viewers=40 + i)
    yield 0.8, ev.ViewerCountEvent(**common(), viewers=45, total_viewers=52)
    yield 1.0, ev.ChatEvent(**common(), user=LEO, text="hi from Lisbon 👋")
    yield 1.0, ev.ChatEvent(**common(), user=ZOE, text="what are we building today?")
    yield 1.5, ev.ChatEvent(**common(), user=MIA, text="!light on")
    yield 1.0, ev.ChatEvent(**common(), user=NEWBIE, text="!light off")

    total = 0
    for _ in range(12):  # likes arrive in batches; the total crosses 1,000
        total += 95
        yield 0.4, ev.LikeEvent(**common(), user=ZOE, count=95, total=total)

    streak = 900_001
    for step in range(1, 31):  # a 30-rose streak: progress events, then exactly one end
        yield (
            0.15,
            ev.GiftEvent(
                **common(),
                user=LEO,
                gift_id=5655,
                gift_name="Rose",
                diamonds=1,
                repeat_count=step,
                streak_id=streak,
                streak=ev.StreakState.START if step == 1 else ev.StreakState.PROGRESS,
                streakable=True,
                total_diamonds=step,
            ),
        )
    yield (
        0.8,
        ev.GiftEvent(
            **common(),
            user=LEO,
            gift_id=5655,
            gift_name="Rose",
            diamonds=1,
            repeat_count=30,
            streak_id=streak,
            streak=ev.StreakState.END,
            streakable=True,
            total_diamonds=30,
        ),
    )
    yield (
        1.5,
        ev.GiftEvent(
            **common(),
            user=SAM,
            gift_id=7934,
            gift_name="Galaxy",
            diamonds=500,
            repeat_count=1,
            streak_id=900_002,
            streak=ev.StreakState.SINGLE,
            streakable=False,
            total_diamonds=500,
        ),
    )
    yield 1.2, ev.FollowEvent(**common(), user=NEWBIE, follow_count=1_201)
    yield 1.0, ev.ShareEvent(**common(), user=ZOE, share_target="whatsapp")
    yield 1.0, ev.ChatEvent(**common(), user=SAM, text="that galaxy was for the lamp 😄")
    for current, source in ((31, "progress_update"), (80, "progress_update"), (100, "commit")):
        yield (
            0.8,
            ev.GoalEvent(
                **common(),
                user=replace(ev.ANONYMOUS, id=LEO.id, unique_id=LEO.unique_id),
                goal_id=8_800,
                description="New ring light",
                current=current,
                target=100,
                progress=current,
                reached=current >= 100,
                source=source,
                contribute_count=1,
                contribute_score=current,
            ),
        )
    rude = common()
    yield 1.0, ev.ChatEvent(**rude, user=NEWBIE, text="buy followers at spam.example")
    yield (
        0.8,
        ev.MessageDeletedEvent(
            **common(), deleted_msg_id=rude["msg_id"], deleted_msg_ids=(rude["msg_id"],)
        ),
    )
    yield (
        1.5,
        ev.BattleEvent(
            **common(),
            battle_id=31_337,
            action="started",
            duration=300,
            participants=(
                ev.BattleParticipant(
                    user_id=11, unique_id=DEMO_STREAMER, nickname="Demo", room_id=room
                ),
                ev.BattleParticipant(
                    user_id=22, unique_id="rival_host", nickname="Rival", room_id=2
                ),
            ),
        ),
    )
    for points in ((10, 5), (40, 25), (120, 90)):
        yield (
            1.0,
            ev.BattlePointsEvent(
                **common(),
                battle_id=31_337,
                reason="score_update",
                scores=(
                    ev.BattleScore(host_id=11, points=points[0]),
                    ev.BattleScore(host_id=22, points=points[1]),
                ),
            ),
        )
    # the finish with TikTok's verdict: the room sees `battle` (finished) and `battle_ended`
    yield (
        1.0,
        ev.BattleEndedEvent(
            **common(),
            battle_id=31_337,
            result="won",
            points=120,
            rival_points=90,
            winner_id=11,
            scores=(ev.BattleScore(host_id=11, points=120), ev.BattleScore(host_id=22, points=90)),
        ),
    )
    for place, score in ((31, 900), (12, 4_200), (8, 6_100), (3, 9_800)):  # a rank climb
        yield (
            0.8,
            ev.RankEvent(
                **common(),
                rank_type="hourly",
                rank=place,
                score=score,
                on_rank=True,
                text="Hourly ranking",
                ranks=(ev.RankEntry(rank_type="hourly", rank=place, score=score),),
            ),
        )
    yield 1.0, ev.ViewerCountEvent(**common(), viewers=61, total_viewers=88)
    yield 1.5, ev.ChatEvent(**common(), user=MIA, text="!light off")
    yield 2.0, ev.StreamEndedEvent(**common(), reason=ev.StreamEndReason.HOST)

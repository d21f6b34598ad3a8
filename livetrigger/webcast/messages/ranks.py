"""Rankings and the LIVE goal: the room's place on TikTok's hourly / weekly / ... rankings,
ranking lines in the chat, ranking rewards, and the goal filling up."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.events import ANONYMOUS
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages.common import DecodeContext, common_fields
from livetrigger.webcast.users import convert_user

# ProfitRankType
RANK_TYPES = {
    0: "hourly",
    1: "weekly",
    2: "hourly_star",
    3: "weekly_rising_activity",
    4: "weekly_rising",
    5: "weekly_rookie",
    6: "e_commerce_weekly",
    7: "e_commerce_daily",
    8: "daily",
    9: "first_gift",
    10: "game",
    11: "daily_game",
    12: "hall_of_fame",
    13: "league",
    14: "daily_rookie",
    15: "team",
    16: "class",
}
_GOAL_SOURCES = {
    1: "commit",
    2: "progress_update",
    3: "pin",
    4: "unpin",
    5: "review",
    6: "suspend",
    7: "challenge_prompt",
}


def rank_type(n: int) -> str:
    """The name of a ranking type (``ProfitRankType``), rank_<n> for one not known yet."""
    return RANK_TYPES.get(n, f"rank_{n}")


def _text(t: pb.Text) -> str:
    return t.default_pattern or t.key


def rank_update(
    ctx: DecodeContext,
    e: ev.RankEvent,
    m: pb.WebcastRankUpdateMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill the room's places: the first ranking listed, and all of them in ``ranks``."""
    ranks = tuple(
        ev.RankEntry(rank_type=rank_type(u.rank_type), rank=u.own_rank, score=u.current_score)
        for u in m.updates
    )
    first = m.updates[0] if m.updates else pb.RankUpdate()
    ev.RankEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        rank_type=rank_type(first.rank_type),
        rank=first.own_rank,
        score=first.current_score,
        on_rank=first.owneronrank or first.own_rank > 0,
        text=_text(first.default_content),
        ranks=ranks,
    )


def hourly_rank(
    ctx: DecodeContext,
    e: ev.RankEvent,
    m: pb.WebcastHourlyRankMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill the older form of a ranking change (one ranking)."""
    d = m.data
    kind = rank_type(d.rank_type)
    ev.RankEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        rank_type=kind,
        rank=d.own_rank,
        on_rank=d.own_rank > 0,
        text=_text(d.content),
        ranks=(ev.RankEntry(rank_type=kind, rank=d.own_rank),),
    )


def rank_text(
    ctx: DecodeContext,
    e: ev.RankTextEvent,
    m: pb.WebcastRankTextMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a ranking line in the chat; its viewer and place come from the text's pieces."""
    shown = m.common.display_text
    if not shown.key and m.content.key:
        shown = m.content
    user, rank = ANONYMOUS, 0
    for piece in shown.pieces:
        if piece.HasField("user_value") and user is ANONYMOUS:
            user = convert_user(piece.user_value.user)
        elif piece.string_value.isdigit() and not rank:
            rank = int(piece.string_value[:9])
    ev.RankTextEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        user=user,
        rank=rank,
        scene=m.scene,
        display_key=shown.key,
        text=shown.default_pattern,
    )


def rank_reward(
    ctx: DecodeContext,
    e: ev.RankRewardEvent,
    m: pb.WebcastHourlyRankRewardMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill the hourly ranking's rewards: who won them."""
    ev.RankRewardEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        winner_ids=tuple(w.user_id for w in m.winners),
        text=next((w.notify.content for w in m.winners if w.notify.content), "")
        or m.common.display_text.default_pattern,
    )


def game_rank(
    ctx: DecodeContext,
    e: ev.GameRankEvent,
    m: pb.WebcastGameRankNotifyMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a gaming ranking notice."""
    ev.GameRankEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        notify_type=m.msg_type,
        text=_text(m.notify_text),
    )


def goal(
    ctx: DecodeContext,
    e: ev.GoalEvent,
    m: pb.WebcastGoalUpdateMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill the LIVE goal: current and target summed over its parts, percent, reached."""
    g = m.goal
    current = sum(s.progress for s in g.sub_goals)
    target = sum(s.target for s in g.sub_goals)
    user = ANONYMOUS
    if m.contributor_id or m.contributor_display_id:
        user = ev.User(id=m.contributor_id, unique_id=m.contributor_display_id)
    ev.GoalEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        user=user,
        goal_id=g.id or (int(g.id_str[:18]) if g.id_str.isdigit() else 0),
        description=g.description,
        current=current,
        target=target,
        progress=current * 100 // target if target > 0 else 0,
        reached=target > 0 and current >= target,
        source=_GOAL_SOURCES.get(m.update_source, f"source_{m.update_source}"),
        contribute_count=m.contribute_count,
        contribute_score=m.contribute_score,
    )

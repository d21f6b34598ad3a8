"""Ranks (hourly, weekly, the room's text and rewards) and the LIVE goal."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.simulator.encode.common import Encoded, Quirks, common
from livetrigger.webcast._pb import webcast_pb2 as pb

_RANK_TYPES = {"hourly": 0, "weekly": 1, "daily": 8, "weekly_rookie": 5, "daily_rookie": 14}


def rank(e: ev.RankEvent, q: Quirks) -> Encoded:
    method = "WebcastRankUpdateMessage"
    r = pb.WebcastRankUpdateMessage(common=common(e, method), group_type=1)
    entries = e.ranks or (ev.RankEntry(rank_type=e.rank_type, rank=e.rank, score=e.score),)
    for i, entry in enumerate(entries):
        u = r.updates.add(
            rank_type=_RANK_TYPES.get(entry.rank_type, 0),
            own_rank=entry.rank,
            current_score=entry.score,
            countdown=1_800,
        )
        if i == 0:
            u.owneronrank = e.on_rank
            u.default_content.key = f"pm_mt_live_{entry.rank_type}rank"
            u.default_content.default_pattern = e.text
    return method, r


def rank_text(e: ev.RankTextEvent, q: Quirks) -> Encoded:
    method = "WebcastRankTextMessage"
    r = pb.WebcastRankTextMessage(
        common=common(e, method, e.display_key, e.text), scene=e.scene, rank_type=0
    )
    if e.rank:
        r.common.display_text.pieces.add(type=1, string_value=str(e.rank))
    return method, r


def rank_reward(e: ev.RankRewardEvent, q: Quirks) -> Encoded:
    method = "WebcastHourlyRankRewardMessage"
    r = pb.WebcastHourlyRankRewardMessage(common=common(e, method))
    for i, winner in enumerate(e.winner_ids):
        w = r.winners.add(user_id=winner, asset_id=1)
        if i == 0:
            w.notify.content = e.text
    return method, r


_GOAL_SOURCES = {"commit": 1, "progress_update": 2, "pin": 3, "unpin": 4, "suspend": 6}


def goal(e: ev.GoalEvent, q: Quirks) -> Encoded:
    method = "WebcastGoalUpdateMessage"
    g = pb.WebcastGoalUpdateMessage(
        common=common(e, method),
        contributor_id=e.user.id,
        contributor_display_id=e.user.unique_id,
        contributor_id_str=str(e.user.id) if e.user.id else "",
        contribute_count=e.contribute_count,
        contribute_score=e.contribute_score,
        update_source=_GOAL_SOURCES.get(e.source, 0),
    )
    g.indicator.key = "pm_mt_goal_indicator"
    g.goal.id = e.goal_id
    g.goal.id_str = str(e.goal_id)
    g.goal.description = e.description
    g.goal.status = 2 if e.reached else 1
    sub = g.goal.sub_goals.add(type=1, progress=e.current, target=e.target, id=e.goal_id + 1)
    sub.gift.name = "Rose"
    sub.gift.diamond_count = 1
    if e.user.id:
        g.contribute_subgoal.CopyFrom(sub)
    return method, g

"""Battles: start and scores, the result per host, tasks, punishment, notices, item cards."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.simulator.encode.common import Encoded, Quirks, common
from livetrigger.webcast._pb import webcast_pb2 as pb

BATTLE_ACTIONS = {"invite": 1, "started": 4, "finished": 5, "cut_short": 6, "accept": 7}


def battle(e: ev.BattleEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkMicBattle"
    b = pb.WebcastLinkMicBattle(
        common=common(e, method), battle_id=e.battle_id, action=BATTLE_ACTIONS.get(e.action, 0)
    )
    b.battle_settings.battle_id = e.battle_id
    b.battle_settings.duration = e.duration
    for p in e.participants:
        w = b.anchors_info.add(key=p.user_id)
        w.value.user.user_id = p.user_id
        w.value.user.nick_name = p.nickname
        w.value.user.display_id = p.unique_id
        w.value.user.room_id = p.room_id
    return method, b


ARMIES_REASONS = {"score_update": 1, "battle_end": 2, "keep_alive": 4}


def battle_points(e: ev.BattlePointsEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkMicArmies"
    a = pb.WebcastLinkMicArmies(
        common=common(e, method),
        battle_id=e.battle_id,
        trigger_reason=ARMIES_REASONS.get(e.reason, 0),
    )
    for score in e.scores:
        a.armies[score.host_id].hostscore = score.points
        a.armies[score.host_id].anchor_id_str = str(score.host_id)
    return method, a


def battle_ended(e: ev.BattleEndedEvent, q: Quirks) -> Encoded:
    # a finish with TikTok's verdict per host; this room's host is the one with our points
    method = "WebcastLinkMicBattle"
    b = pb.WebcastLinkMicBattle(common=common(e, method), battle_id=e.battle_id, action=5)
    b.battle_settings.battle_id = e.battle_id
    ours = next((s.host_id for s in e.scores if s.points == e.points), 0)
    ours_code = {"won": 0, "lost": 1, "draw": 2}.get(e.result, 2)
    for s in e.scores:
        if s.host_id == ours:
            code = ours_code
        else:
            code = 0 if s.host_id == e.winner_id else 2 if e.result == "draw" else 1
        b.battle_result[s.host_id].CopyFrom(
            pb.BattleResult(user_id=s.host_id, result=code, score=s.points)
        )
        w = b.anchors_info.add(key=s.host_id)
        w.value.user.user_id = s.host_id
        if s.host_id == ours and e.result:
            w.value.user.room_id = e.room_id
    return method, b


def battle_task(e: ev.BattleTaskEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkmicBattleTaskMessage"
    stages = {"start": 0, "update": 1, "settle": 2, "reward": 3}
    t = pb.WebcastLinkmicBattleTaskMessage(
        common=common(e, method), battle_id=e.battle_id, task_message_type=stages.get(e.stage, 0)
    )
    t.task_update.progress = e.progress
    t.task_update.prompt_key = e.prompt_key
    return method, t


def battle_punish_ended(e: ev.BattlePunishEndedEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkMicBattlePunishFinish"
    return method, pb.WebcastLinkMicBattlePunishFinish(
        common=common(e, method),
        battle_id=e.battle_id,
        reason=1 if e.reason == "cut_short" else 0,
        channel_id=e.channel_id,
        op_uid=e.operator_id,
    )


def battle_notice(e: ev.BattleNoticeEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkmicBattleNoticeMessage"
    n = pb.WebcastLinkmicBattleNoticeMessage(common=common(e, method), notice_type=e.notice_type)
    n.rule_guide.content.key = e.text
    n.rule_guide.button.key = "View"
    return method, n


_CARDS = {
    "obtain_guide": 1,
    "critical_strike": 2,
    "smoke": 3,
    "award_notice": 4,
    "extra_time": 5,
    "special_effect": 6,
    "potion": 7,
    "wave": 8,
}


def battle_item_card(e: ev.BattleItemCardEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkMicBattleItemCard"
    return method, pb.WebcastLinkMicBattleItemCard(
        common=common(e, method), battle_id=e.battle_id, msg_type=_CARDS.get(e.card, 0)
    )

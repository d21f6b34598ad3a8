"""Battles between hosts (LinkMic): their start, end and steps, the running scores, the
result for this room, and the tasks, cards and punishment around them."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from livetrigger import events as ev
from livetrigger.events import Event
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages.common import Built, DecodeContext, common_fields

_BATTLE_ACTIONS = {
    1: "invite",
    2: "reject",
    3: "cancel",
    4: "started",
    5: "finished",
    6: "cut_short",
    7: "accept",
    8: "quit_apply",
    9: "decline_quit",
    10: "decline_off_quit",
    11: "leave",
}
_ENDING_ACTIONS = (5, 6)
_ARMIES_REASONS = {
    1: "score_update",
    2: "battle_end",
    3: "opt_out_update",
    4: "keep_alive",
    5: "effect_update",
}
_ARMIES_BATTLE_END = 2
_RESULTS = {0: "won", 1: "lost", 2: "draw"}  # BattleResult.result, for the host it names
_TASK_STAGES = {0: "start", 1: "update", 2: "settle", 3: "reward"}
_PUNISH_REASONS = {0: "time_up", 1: "cut_short"}
_CARDS = {
    1: "obtain_guide",
    2: "critical_strike",
    3: "smoke",
    4: "award_notice",
    5: "extra_time",
    6: "special_effect",
    7: "potion",
    8: "wave",
    9: "special_effect_notice",
    10: "top2",
    11: "top3",
    12: "vault_glove",
}
_BATTLES_KEPT = 64


@dataclass(slots=True)
class Battles:
    """What a room's decoder remembers of its battles: which host is this room (learnt from a
    battle's hosts: the one whose room id is ours), each battle's last scores, and which
    battles already had their result (the finish and the final scores both carry it)."""

    host_id: int = 0
    scores: dict[int, dict[int, int]] = field(default_factory=dict)
    ended: deque[int] = field(default_factory=lambda: deque(maxlen=_BATTLES_KEPT))

    def note_scores(self, battle_id: int, scores: dict[int, int]) -> None:
        """Keep a battle's latest scores (the finish may come without them)."""
        if battle_id not in self.scores and len(self.scores) >= _BATTLES_KEPT:
            del self.scores[next(iter(self.scores))]
        self.scores[battle_id] = scores

    def first_end(self, battle_id: int) -> bool:
        """True the first time a battle ends (its result is told once)."""
        if battle_id in self.ended:
            return False
        self.ended.append(battle_id)
        return True


def _ours_and_rival(host: int, scores: dict[int, int]) -> tuple[int, int]:
    if not host:
        return 0, 0  # which side is ours is not known yet
    ours = scores.get(host, 0)
    rival = max((p for h, p in scores.items() if h != host), default=0)
    return ours, rival


def _ended(
    ctx: DecodeContext,
    head: dict[str, Any],
    battle_id: int,
    scores: dict[int, int],
    results: dict[int, int],
) -> ev.BattleEndedEvent:
    """The result for this room: TikTok's own verdict for our host when it sent one, else
    the final scores compared."""
    host = ctx.battles.host_id
    ours, rival = _ours_and_rival(host, scores)
    if host and host in results:
        result = _RESULTS.get(results[host], "")
    elif host and host in scores:
        result = "won" if ours > rival else "lost" if ours < rival else "draw"
    else:
        result = ""
    winners = [h for h, r in results.items() if r == 0]
    if not winners and scores:
        best = max(scores.values())
        winners = [h for h, p in scores.items() if p == best]
    return ev.BattleEndedEvent(
        **head,
        battle_id=battle_id,
        result=result,
        points=ours,
        rival_points=rival,
        winner_id=winners[0] if len(winners) == 1 else 0,
        scores=_score_tuple(scores),
    )


def _score_tuple(scores: dict[int, int]) -> tuple[ev.BattleScore, ...]:
    return tuple(ev.BattleScore(host_id=h, points=p) for h, p in sorted(scores.items()))


def _participants(
    anchors: Iterable[pb.BattleUserInfoWrapper],
) -> tuple[ev.BattleParticipant, ...]:
    return tuple(
        ev.BattleParticipant(
            user_id=a.value.user.user_id or a.key,
            unique_id=a.value.user.display_id,
            nickname=a.value.user.nick_name,
            room_id=a.value.user.room_id,
        )
        for a in anchors
    )


def battle(
    ctx: DecodeContext, m: pb.WebcastLinkMicBattle, msg_id: int, at: float, history: bool
) -> Built:
    """A battle step (invite, started, finished, ...) with its hosts; a finish is also the
    battle's ``battle_ended``, once."""
    head = common_fields(m.common, msg_id, at, history)
    battle_id = m.battle_id or m.battle_settings.battle_id
    participants = _participants(m.anchors_info)
    for p in participants:
        if p.room_id and p.room_id == m.common.room_id:
            ctx.battles.host_id = p.user_id
    step: Event = ev.BattleEvent(
        **head,
        battle_id=battle_id,
        action=_BATTLE_ACTIONS.get(m.action, f"action_{m.action}"),
        duration=m.battle_settings.duration,
        participants=participants,
    )
    if m.action not in _ENDING_ACTIONS or not ctx.battles.first_end(battle_id):
        return step
    results = {k: r.result for k, r in m.battle_result.items()}
    scores = {k: r.score for k, r in m.battle_result.items()}
    if not any(scores.values()):
        scores = ctx.battles.scores.get(battle_id, scores)
    return step, _ended(ctx, head, battle_id, scores, results)


def armies(
    ctx: DecodeContext, m: pb.WebcastLinkMicArmies, msg_id: int, at: float, history: bool
) -> Built:
    """A battle's scores, one per host in host id order, and this room's; the final ones
    (``battle_end``) also make the battle's ``battle_ended`` if its finish did not."""
    head = common_fields(m.common, msg_id, at, history)
    scores = {host: armies.hostscore for host, armies in m.armies.items()}
    ctx.battles.note_scores(m.battle_id, scores)
    ours, rival = _ours_and_rival(ctx.battles.host_id, scores)
    points = ev.BattlePointsEvent(
        **head,
        battle_id=m.battle_id,
        reason=_ARMIES_REASONS.get(m.trigger_reason, f"reason_{m.trigger_reason}"),
        scores=_score_tuple(scores),
        points=ours,
        rival_points=rival,
    )
    if m.trigger_reason != _ARMIES_BATTLE_END or not ctx.battles.first_end(m.battle_id):
        return points
    return points, _ended(ctx, head, m.battle_id, scores, {})


def task(
    ctx: DecodeContext,
    e: ev.BattleTaskEvent,
    m: pb.WebcastLinkmicBattleTaskMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a battle task step: its stage, progress and TikTok's text key."""
    ev.BattleTaskEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        battle_id=m.battle_id,
        stage=_TASK_STAGES.get(m.task_message_type, f"stage_{m.task_message_type}"),
        progress=m.task_update.progress,
        prompt_key=m.task_update.prompt_key,
    )


def punish_finished(
    ctx: DecodeContext,
    e: ev.BattlePunishEndedEvent,
    m: pb.WebcastLinkMicBattlePunishFinish,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill the end of a battle's punishment time."""
    ev.BattlePunishEndedEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        battle_id=m.battle_id,
        reason=_PUNISH_REASONS.get(m.reason, f"reason_{m.reason}"),
        channel_id=m.channel_id,
        operator_id=m.op_uid,
    )


def notice(
    ctx: DecodeContext,
    e: ev.BattleNoticeEvent,
    m: pb.WebcastLinkmicBattleNoticeMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a battle notice (rules, guides) with its text."""
    text = m.rule_guide.content.key or m.rule_guide.content.default_pattern
    ev.BattleNoticeEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        notice_type=m.notice_type,
        text=text or m.common.display_text.default_pattern,
    )


def item_card(
    ctx: DecodeContext,
    e: ev.BattleItemCardEvent,
    m: pb.WebcastLinkMicBattleItemCard,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a battle card obtained or used."""
    ev.BattleItemCardEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        battle_id=m.battle_id,
        card=_CARDS.get(m.msg_type, f"card_{m.msg_type}"),
    )

"""Battles between hosts (LinkMic): their start, end and steps, and the running scores."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages.common import DecodeContext, common_fields

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
_ARMIES_REASONS = {
    1: "score_update",
    2: "battle_end",
    3: "opt_out_update",
    4: "keep_alive",
    5: "effect_update",
}


def battle(
    ctx: DecodeContext,
    e: ev.BattleEvent,
    m: pb.WebcastLinkMicBattle,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a battle step (invite, started, finished, ...) with its hosts."""
    ev.BattleEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        battle_id=m.battle_id or m.battle_settings.battle_id,
        action=_BATTLE_ACTIONS.get(m.action, f"action_{m.action}"),
        duration=m.battle_settings.duration,
        participants=tuple(
            ev.BattleParticipant(
                user_id=a.value.user.user_id or a.key,
                unique_id=a.value.user.display_id,
                nickname=a.value.user.nick_name,
                room_id=a.value.user.room_id,
            )
            for a in m.anchors_info
        ),
    )


def armies(
    ctx: DecodeContext,
    e: ev.BattlePointsEvent,
    m: pb.WebcastLinkMicArmies,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a battle's scores, one per host, in host id order."""
    ev.BattlePointsEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        battle_id=m.battle_id,
        reason=_ARMIES_REASONS.get(m.trigger_reason, f"reason_{m.trigger_reason}"),
        scores=tuple(
            ev.BattleScore(host_id=host, points=armies.hostscore)
            for host, armies in sorted(m.armies.items())
        ),
    )

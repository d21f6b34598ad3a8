"""Why a rule did or did not fire for an event: the condition that decided, in words.

``explain(engine, event, now)`` walks every rule of a room in the engine's own order (enabled,
kind, history, streak mode, gift, user, command, ``when``, ``if``, pause, counter, rate limit)
and stops at the first condition that says no. It reads the engine's state and never changes
it: counters run on a copy. The rule's generated matcher stays the judge of whether the
filters pass, so a verdict can never disagree with what the engine does; the walk only finds
the words for it. Used by ``simulate --explain`` / ``--why`` and the dashboard.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from livetrigger import events as ev
from livetrigger.rules.counting import build_counter
from livetrigger.rules.engine import Engine
from livetrigger.rules.matcher import Scope, build_matcher
from livetrigger.rules.model import CompiledRule

_OPS = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": "one of",
    "not_in": "none of",
    "contains": "contains",
    "startswith": "starts with",
    "endswith": "ends with",
    "regex": "matches",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One rule's answer to one event."""

    rule_id: str
    fires: bool
    decided_by: str  # enabled, kind, history, streak, gift, user, command, when, if, paused,
    # counter, rate_limit, or "fires"
    reason: str

    def line(self) -> str:
        mark = "✓ fires" if self.fires else f"✗ {self.decided_by}"
        return f"{self.rule_id}: {mark}: {self.reason}"


def explain(engine: Engine, event: ev.Event, now: float) -> list[Verdict]:
    """A verdict for every rule of the engine, in config order."""
    return [_one(engine, rule, event, now) for rule in engine.rules]


def _one(engine: Engine, rule: CompiledRule, event: ev.Event, now: float) -> Verdict:
    def no(decided_by: str, reason: str) -> Verdict:
        return Verdict(rule.id, False, decided_by, reason)

    if not rule.enabled:
        return no("enabled", "the rule is disabled (enabled: false)")
    if event.kind not in rule.kinds:
        kinds = ", ".join(sorted(rule.kinds))
        return no("kind", f"it listens to {kinds}, and this is a {event.kind} event")
    args = build_matcher(rule)(event)
    if args is None:
        return _why_filtered(rule, event)
    if rule.expression is not None:
        ctx = engine._context(rule, event, args, now, None)
        try:
            holds = bool(rule.expression(ctx))
        except Exception as exc:  # a user's expression failing is a no-match, as in the engine
            return no("if", f"`if` failed: {exc}")
        if not holds:
            return no("if", "`if` is false for this event")
    if engine.paused:
        return no("paused", "triggers are paused (the pause switch or the kill switch)")
    state = copy.deepcopy(engine._state[rule.id])
    counter = build_counter(rule)
    if counter is not None and not counter(state, event):
        return no("counter", _counter_words(rule, state))
    free_at = engine._free_at(rule, state, event)
    if free_at > now:
        left = free_at - now
        what = "queued until then" if rule.overflow == "queue" else "dropped"
        return no("rate_limit", f"rate limit (cooldown or max_fires): {left:.1f}s left; {what}")
    args_text = f" with args {args}" if args else ""
    return Verdict(rule.id, True, "fires", f"every condition holds{args_text}")


def _why_filtered(rule: CompiledRule, event: ev.Event) -> Verdict:
    def no(decided_by: str, reason: str) -> Verdict:
        return Verdict(rule.id, False, decided_by, reason)

    if event.is_history and not rule.include_history:
        return no(
            "history",
            "the event is history (sent before livetrigger connected); "
            "add include_history: true to fire on it",
        )
    if isinstance(event, ev.GiftEvent):
        streak = event.streak
        if rule.streak == "end" and streak not in (ev.StreakState.END, ev.StreakState.SINGLE):
            return no(
                "streak",
                f"a gift streak step ({streak.value}, {event.repeat_count} so far); the rule "
                "fires once at the streak's end (streak: end; `each` fires every step)",
            )
        if rule.streak == "start" and streak not in (ev.StreakState.START, ev.StreakState.SINGLE):
            return no("streak", f"a gift streak step ({streak.value}); the rule wants its start")
        if rule.gifts is not None and not (
            event.gift_id in rule.gifts or event.gift_name.lower() in rule.gifts
        ):
            wanted = ", ".join(sorted(str(g) for g in rule.gifts))
            return no(
                "gift", f"gift {event.gift_name!r} (id {event.gift_id}) is not one of {wanted}"
            )
    if rule.user is not None:
        reason = _user_words(rule, event.user)
        if reason:
            return no("user", reason)
    args: dict[str, str] = {}
    if rule.command is not None:
        found = rule.command.match(getattr(event, "text", ""))
        if found is None:
            return no("command", f"the comment does not match the command `{rule.command.source}`")
        args = found
    scope: Any = Scope(event, args) if args else event
    for check in rule.checks:
        try:
            value = check.get(scope)
        except Exception:  # a path this kind lacks reads as missing
            value = None
        if not check.test(value):
            return no("when", _when_words(check.path, value, check.op, check.arg, event))
    # the matcher said no, yet each part says yes: report it plainly rather than guess
    return no("filters", "the rule's filters do not match this event")


def _user_words(rule: CompiledRule, user: ev.User) -> str:
    spec = rule.user
    assert spec is not None
    handle = user.unique_id.lower()
    only = {u.lstrip("@").lower() for u in spec.users}
    if only and handle not in only:
        return f"@{user.unique_id} is not one of the rule's users ({', '.join(sorted(only))})"
    if handle in {u.lstrip("@").lower() for u in spec.exclude_users}:
        return f"@{user.unique_id} is excluded (exclude_users)"
    for flag in ("follower", "friend", "moderator", "subscriber"):
        want = getattr(spec, flag)
        have = getattr(user, f"is_{flag}")
        if want is not None and have is not bool(want):
            article = "an" if flag[0] in "aeiou" else "a"
            state = "is not" if want else "is"
            return f"@{user.unique_id} {state} {article} {flag} (user.{flag}: {str(want).lower()})"
    if spec.top_gifter_rank is not None and (
        user.top_gifter_rank is None or user.top_gifter_rank > spec.top_gifter_rank
    ):
        return (
            f"@{user.unique_id}'s top gifter rank is {user.top_gifter_rank}; the rule wants "
            f"rank {spec.top_gifter_rank} or better"
        )
    if spec.gifter_level is not None and user.gifter_level < spec.gifter_level:
        return f"gifter level {user.gifter_level} < {spec.gifter_level}"
    if spec.fan_club_level is not None and user.fan_club_level < spec.fan_club_level:
        return f"fan club level {user.fan_club_level} < {spec.fan_club_level}"
    return ""


def _when_words(path: str, value: Any, op: str | None, arg: Any, event: ev.Event) -> str:
    shown = f"{value!r}" if not isinstance(value, str) else repr(value[:60])
    need = f"{_OPS.get(op, op)} {arg!r}" if op else "the condition"
    text = f"{path} is {shown}, needs {need}"
    if path == "diamonds" and isinstance(event, ev.GiftEvent) and event.repeat_count > 1:
        text += (
            f" (diamonds is per unit; this gift's total is total_diamonds = "
            f"{event.total_diamonds}: write total_diamonds)"
        )
    return text


def _counter_words(rule: CompiledRule, state: Any) -> str:
    if rule.every is not None:
        source = rule.every.field or rule.every.sum
        next_at = (int(state.value // rule.every.step) + 1) * rule.every.step
        return (
            f"every {rule.every.step} of {source}: the count is at {state.value:g}, "
            f"the next firing at {next_at}"
        )
    if rule.threshold is not None:
        if state.reached:
            return f"threshold {rule.threshold.at} already reached this {rule.threshold.per}"
        return f"threshold: {rule.threshold.sum} adds up to {state.value:g} of {rule.threshold.at}"
    return "the counter did not reach a milestone"


def traps(rule: CompiledRule) -> list[str]:
    """Config that is valid but most likely not what was meant (``check`` warns)."""
    out: list[str] = []
    ordered = ("gt", "gte", "eq")
    for check in rule.checks:
        if (
            check.path == "diamonds"
            and check.op in ordered
            and "gift" in rule.kinds
            and isinstance(check.arg, int | float)
            and check.arg > 1
        ):
            out.append(
                f"rule {rule.id}: `diamonds` is the value of ONE unit; a streak of 100 roses has "
                f"diamonds 1 and total_diamonds 100. Did you mean total_diamonds: "
                f"{{{check.op}: {check.arg}}}?"
            )
    if (
        rule.command is not None
        and rule.user is not None
        and rule.user.users
        and len(rule.user.users) == 1
        and rule.user.moderator
    ):
        out.append(
            f"rule {rule.id}: only @{rule.user.users[0].lstrip('@')} and only as a moderator "
            "can use this command; the streamer is no moderator of their own room"
        )
    return out

"""Why a rule did or did not fire for an event: the condition that decided, in words.

``explain(engine, event, now)`` walks every rule of a room in the engine's own order (enabled,
kind, history, streak mode, gift, user, command, ``when``, ``if``, pause, counter, cooldown,
rate limit) and stops at the first condition that says no. It reads the engine's state and
never changes it: counters run on a trial copy. The rule's matcher stays the judge of whether
the filters pass, so a verdict can never disagree with what the engine does; the walk only
finds the words for it.

Only the rules whose filters pass need the engine's state (counters, cooldowns, the pause) for
their verdict; every other verdict depends on the rule and the event alone. ``arrival`` keeps
exactly that: the rules as they were and the verdicts that read the state, taken when the event
arrived, so a verdict asked for later is the one of that moment (the dashboard). Used by
``simulate --explain`` / ``--why`` and the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from livetrigger import events as ev
from livetrigger.rules.counting import ONCE, Counter, RuleState
from livetrigger.rules.engine import Engine
from livetrigger.rules.matcher import Scope
from livetrigger.rules.model import CompiledRule
from livetrigger.text.printable import escape_controls

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
    # counter, cooldown, rate_limit, or "fires"
    reason: str

    def line(self) -> str:
        mark = "✓ fires" if self.fires else f"✗ {self.decided_by}"
        return f"{self.rule_id}: {mark}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "fires": self.fires,
            "decided_by": self.decided_by,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Arrival:
    """Every rule's verdict on one event as it stood when the event arrived: the rules of that
    moment (a tuple the engine had; kept by reference, not copied) and the verdicts that read
    the engine's state. The others are worded when asked: they depend on nothing that
    changes."""

    at: float  # when, on the wall clock (the page shows it)
    rules: tuple[CompiledRule, ...]
    decided: Mapping[str, Verdict]

    def verdicts(self, event: ev.Event) -> list[Verdict]:
        """A verdict for every rule, in config order."""
        return [self.decided.get(r.id) or _filtered(r, event) for r in self.rules]


def arrival(engine: Engine, event: ev.Event, now: float, wall: float | None = None) -> Arrival:
    """Take the verdicts on ``event`` that read the engine's state, before the engine runs it
    at ``now`` (its clock; ``wall``: the same moment on the wall clock, by default ``now``).
    Costs what the engine's own look at the event costs: the same candidate rules (its
    indexes) and matchers."""
    decided: dict[str, Verdict] = {}
    for rule, match, counter, _gated in engine.candidates(event):
        args = match(event)
        if args is not None:
            decided[rule.id] = _stateful(engine, rule, counter, event, args, now)
    return Arrival(now if wall is None else wall, engine.rules, decided)


def explain(engine: Engine, event: ev.Event, now: float) -> list[Verdict]:
    """A verdict for every rule of the engine, in config order."""
    return arrival(engine, event, now).verdicts(event)


def _filtered(rule: CompiledRule, event: ev.Event) -> Verdict:
    """The verdict of a rule whose filters did not pass (the matcher said so)."""
    if not rule.enabled:
        return Verdict(rule.id, False, "enabled", "the rule is disabled (enabled: false)")
    if event.kind not in rule.kinds:
        kinds = ", ".join(sorted(rule.kinds))
        return Verdict(
            rule.id, False, "kind", f"it listens to {kinds}, and this is a {event.kind} event"
        )
    return _why_filtered(rule, event)


def _stateful(
    engine: Engine,
    rule: CompiledRule,
    counter: Counter | None,
    event: ev.Event,
    args: dict[str, str],
    now: float,
) -> Verdict:
    """The verdict of a rule whose filters pass: ``if``, the pause, its counter and rate
    controls decide, read from the engine's state as it is now."""

    def no(decided_by: str, reason: str) -> Verdict:
        return Verdict(rule.id, False, decided_by, reason)

    if rule.expression is not None:
        # the engine's own context for `if` (its `now` is the event's arrival)
        ctx = engine._context(rule, event, args, event.received_at, None)
        try:
            holds = bool(rule.expression(ctx))
        except Exception as exc:  # a user's expression failing is a no-match, as in the engine
            return no("if", f"`if` failed: {exc}")
        if not holds:
            return no("if", "`if` is false for this event")
    if engine.paused:
        return no("paused", "triggers are paused (the pause switch or the kill switch)")
    state = engine._state[rule.id].trial(event.user.id, new_stream=event.kind == "live")
    milestones = ONCE if counter is None else counter(state, event)
    if not milestones:
        return no("counter", _counter_words(rule, state, event))
    held = _held_back(rule, state, event, now)
    if held is not None:
        return no(*held)
    words = ["every condition holds" + (f" with {_args(args)}" if args else "")]
    if counter is not None:
        shown = ", ".join(str(m) for m in milestones)
        words.append(f"{_counter_name(rule)}: {_where(rule, state, event)[1]}, milestone {shown}")
    if rule.max_fires is not None:
        count, window = rule.max_fires
        n = sum(1 for t in state.fire_times if t > now - window) + 1
        words.append(f"firing {n} of max {count} in {_span(window)}")
    return Verdict(rule.id, True, "fires", "; ".join(words))


def _args(args: dict[str, str]) -> str:
    """A command's arguments as a viewer typed them: ``state=on, level=3`` (controls escaped:
    the text is a viewer's)."""
    return ", ".join(escape_controls(f"{k}={v}") for k, v in args.items())


def _held_back(
    rule: CompiledRule, state: RuleState, event: ev.Event, now: float
) -> tuple[str, str] | None:
    """What of cooldown, cooldown_per_user and max_fires holds the firing back (the one that
    frees it last, as the engine waits for all), or None."""
    found: list[tuple[float, str, str]] = []
    if rule.cooldown is not None and state.last_fire + rule.cooldown > now:
        ago = now - state.last_fire
        free = state.last_fire + rule.cooldown
        found.append(
            (free, "cooldown", f"on cooldown ({_span(rule.cooldown)}): it fired {ago:.1f}s ago")
        )
    if rule.cooldown_per_user is not None:
        last = state.user_last_fire.get(event.user.id)
        if last is not None and last + rule.cooldown_per_user > now:
            found.append(
                (
                    last + rule.cooldown_per_user,
                    "cooldown",
                    f"@{event.user.unique_id} is on cooldown_per_user "
                    f"({_span(rule.cooldown_per_user)}): it fired for them {now - last:.1f}s ago",
                )
            )
    if rule.max_fires is not None:
        count, window = rule.max_fires
        times = state.fire_times
        if len(times) >= count and times[-count] + window > now:
            n = sum(1 for t in times if t > now - window)
            found.append(
                (
                    times[-count] + window,
                    "rate_limit",
                    f"rate limit: {n} of max {count} in {_span(window)}",
                )
            )
    if not found:
        return None
    free, decided_by, words = max(found, key=lambda f: f[0])
    if rule.overflow != "queue":
        then = "dropped"
    elif len(state.queue) < rule.queue_size:
        then = f"queued ({len(state.queue) + 1} waiting)"
    else:
        then = "the queue is full: dropped"
    return decided_by, f"{words}, {free - now:.1f}s left; {then}"


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


def _span(seconds: float) -> str:
    """A configured duration as it is written: 30s, 2m, 1h."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _counter_name(rule: CompiledRule) -> str:
    per = " per viewer" if (rule.every or rule.threshold) and _per_user(rule) else ""
    if rule.every is not None:
        return f"every {rule.every.step} of {rule.every.field or rule.every.sum}{per}"
    if rule.threshold is not None:
        return f"threshold {rule.threshold.at} of {rule.threshold.sum}{per}"
    return "the counter"


def _per_user(rule: CompiledRule) -> bool:
    shape = rule.every or rule.threshold
    return shape is not None and shape.per == "user"


def _where(rule: CompiledRule, state: RuleState, event: ev.Event) -> tuple[float, str]:
    """The counter's value for this event (the viewer's own with ``per: user``), in words."""
    if _per_user(rule):
        value = state.user_values.get(event.user.id, 0.0)
        return value, f"@{event.user.unique_id} is at {value:g}"
    return state.value, f"the count is at {state.value:g}"


def _counter_words(rule: CompiledRule, state: RuleState, event: ev.Event) -> str:
    """Where a counter stands after counting the event (a trial state), and what it waits for."""
    name = _counter_name(rule)
    if isinstance(event, ev.GiftEvent) and not event.is_final:
        return f"{name}: a gift streak counts once, when it ends"
    value, where = _where(rule, state, event)
    if rule.every is not None:
        next_at = (int(value // rule.every.step) + 1) * rule.every.step
        return f"{name}: {where}, the next firing at {next_at}"
    if rule.threshold is not None:
        if value >= rule.threshold.at:
            who = f"@{event.user.unique_id}" if _per_user(rule) else "it"
            return f"{name}: {who} reached it already this stream"
        return f"{name}: {where}, it fires at {rule.threshold.at}"
    return f"{name} did not reach a milestone"


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

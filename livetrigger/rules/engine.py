"""The rules engine: pure, synchronous, clock passed in.

``evaluate(event, now)`` returns the action requests the event triggers. State (cooldowns,
counters, queued firings) lives here, keyed by rule id, so a reload that keeps a rule keeps
its counters. One engine per room.

Order of the checks for one rule, cheapest first: kind (an index), history, gift streak mode,
gift filter, user filter, chat command, ``when``, ``if``; then counters decide how many times it
fires (``every`` can fire several times for one event), then rate controls let each firing
through, queue it, or drop it (counted).
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livetrigger import actions as act
from livetrigger import events as ev
from livetrigger.rules.compile import CompiledRule, Context, RenderError, sample_event
from livetrigger.rules.fields import getter

log = logging.getLogger(__name__)

MAX_FIRES_PER_EVENT = 100  # a like total jumping by millions must not flood the sinks
PER_USER_STATE = 50_000  # users remembered per rule for per-user cooldowns and sums


@dataclass(frozen=True, slots=True)
class Firing:
    """One firing of one rule, with its rendered requests."""

    rule_id: str
    event: ev.Event
    requests: tuple[act.ActionRequest, ...]
    milestone: int | None = None


@dataclass(slots=True)
class RuleStats:
    fired: int = 0
    rate_limited: int = 0  # dropped by cooldown / max_fires with overflow: drop
    queue_dropped: int = 0  # overflow: queue, but the queue was full
    render_errors: int = 0


@dataclass(slots=True)
class _State:
    last_fire: float = -math.inf
    user_last_fire: OrderedDict[int, float] = field(default_factory=OrderedDict)
    fire_times: deque[float] = field(default_factory=deque)
    value: float = 0.0  # stream-wide counter (sum, or last seen field value)
    seen: bool = False
    user_values: OrderedDict[int, float] = field(default_factory=OrderedDict)
    reached: bool = False  # threshold fired this stream
    user_reached: set[int] = field(default_factory=set)
    queue: deque[tuple[Context, ev.Event, int | None]] = field(default_factory=deque)


class Engine:
    """Matches events against one room's compiled rules."""

    def __init__(self, rules: Sequence[CompiledRule], *, room: str, base_topic: str = "") -> None:
        self.room = room
        self.base_topic = base_topic
        self.paused = False
        self.stats: dict[str, RuleStats] = {}
        self._state: dict[str, _State] = {}
        self._rules: tuple[CompiledRule, ...] = ()
        self._by_kind: dict[str, tuple[CompiledRule, ...]] = {}
        self.replace_rules(rules)

    # -- configuration ----------------------------------------------------------------------

    @property
    def rules(self) -> tuple[CompiledRule, ...]:
        return self._rules

    def replace_rules(self, rules: Sequence[CompiledRule]) -> None:
        """Swap in a new rule set (reload); rules that keep their id keep their state."""
        self._rules = tuple(rules)
        by_kind: dict[str, list[CompiledRule]] = {}
        for rule in self._rules:
            for kind in rule.kinds:
                by_kind.setdefault(kind, []).append(rule)
        self._by_kind = {k: tuple(v) for k, v in by_kind.items()}
        # chat commands are indexed by their command word: a busy room's comments then skip
        # every command rule whose word they do not start with
        order = {id(r): i for i, r in enumerate(self._rules)}
        self._order = order
        self._chat_plain = tuple(
            r
            for r in self._by_kind.get("chat", ())
            if r.command is None or r.command.first_word is None
        )
        commands: dict[str, list[CompiledRule]] = {}
        for r in self._by_kind.get("chat", ()):
            if r.command is not None and r.command.first_word is not None:
                commands.setdefault(r.command.first_word, []).append(r)
        self._chat_commands = {k: tuple(v) for k, v in commands.items()}
        ids = {r.id for r in self._rules}
        self._state = {k: v for k, v in self._state.items() if k in ids}
        self._counters_view = _Counters(self._state)
        self.stats = {r.id: self.stats.get(r.id, RuleStats()) for r in self._rules}
        for rule in self._rules:
            self._state.setdefault(rule.id, _State())

    def counters(self) -> dict[str, float]:
        return {rid: st.value for rid, st in self._state.items()}

    # -- matching ---------------------------------------------------------------------------

    def evaluate(self, event: ev.Event, now: float) -> list[act.ActionRequest]:
        return [r for f in self.firings(event, now) for r in f.requests]

    def firings(self, event: ev.Event, now: float) -> list[Firing]:
        """Every firing ``event`` causes (empty while paused: counters still advance, so
        resuming does not release a burst of stale milestones)."""
        if event.kind == "live":
            self._new_stream()
        if event.kind == "chat" and self._chat_commands:
            rules = self._chat_candidates(event)
        else:
            rules = self._by_kind.get(event.kind, ())
        if not rules:
            return []
        out: list[Firing] = []
        for rule in rules:
            if not rule.enabled:
                continue
            args = self._match(rule, event)
            if args is None:
                continue
            state = self._state[rule.id]
            milestones = self._count(rule, state, event)
            if not milestones:
                continue
            for milestone in milestones:
                ctx = self._context(rule, event, args, now, milestone)
                if self.paused:
                    continue
                if self._allowed(rule, state, event, now):
                    firing = self._fire(rule, state, ctx, event, now, milestone)
                    if firing is not None:
                        out.append(firing)
                elif rule.overflow == "queue":
                    if len(state.queue) < rule.queue_size:
                        state.queue.append((ctx, event, milestone))
                    else:
                        self.stats[rule.id].queue_dropped += 1
                        log.warning("rule %s: queue full, firing dropped", rule.id)
                else:
                    self.stats[rule.id].rate_limited += 1
                    log.debug("rule %s: rate limited", rule.id)
        return out

    def _chat_candidates(self, event: ev.Event) -> tuple[CompiledRule, ...]:
        text = getattr(event, "text", "")
        word = text.split(None, 1)[0].lower() if text[:1] and not text[:1].isspace() else ""
        matched = self._chat_commands.get(word)
        if not matched:
            return self._chat_plain
        order = self._order
        return tuple(sorted((*self._chat_plain, *matched), key=lambda r: order[id(r)]))

    def due(self, now: float) -> list[Firing]:
        """Queued firings whose rate limit has passed (call at ``next_due()``)."""
        out: list[Firing] = []
        for rule in self._rules:
            state = self._state[rule.id]
            while state.queue and not self.paused:
                ctx, event, milestone = state.queue[0]
                if not self._allowed(rule, state, event, now):
                    break
                state.queue.popleft()
                ctx["now"] = now
                firing = self._fire(rule, state, ctx, event, now, milestone)
                if firing is not None:
                    out.append(firing)
        return out

    def next_due(self) -> float | None:
        """The earliest time a queued firing may go, or None when nothing is queued."""
        best: float | None = None
        for rule in self._rules:
            state = self._state[rule.id]
            if not state.queue:
                continue
            _, event, _ = state.queue[0]
            t = self._free_at(rule, state, event)
            best = t if best is None else min(best, t)
        return best

    def queued(self) -> int:
        return sum(len(s.queue) for s in self._state.values())

    def test_fire(self, rule_id: str, now: float) -> Firing | None:
        """Run a rule's actions with a sample event, ignoring conditions and limits."""
        rule = next((r for r in self._rules if r.id == rule_id), None)
        if rule is None:
            return None
        event = sample_event(sorted(rule.kinds)[0], now)
        args = dict.fromkeys(rule.command.arguments, "test") if rule.command else {}
        ctx = self._context(rule, event, args, now, None)
        return self._fire(rule, self._state[rule.id], ctx, event, now, None, count=False)

    # -- internals --------------------------------------------------------------------------

    def _new_stream(self) -> None:
        for state in self._state.values():
            state.value = 0.0
            state.seen = False
            state.user_values.clear()
            state.reached = False
            state.user_reached.clear()

    def _match(self, rule: CompiledRule, event: ev.Event) -> dict[str, str] | None:
        if event.is_history and not rule.include_history:
            return None
        if isinstance(event, ev.GiftEvent):
            streak = event.streak
            if rule.streak == "end" and not event.is_final:
                return None
            if rule.streak == "start" and streak not in (
                ev.StreakState.START,
                ev.StreakState.SINGLE,
            ):
                return None
            if rule.gifts is not None and not (
                event.gift_id in rule.gifts or event.gift_name.lower() in rule.gifts
            ):
                return None
        if rule.user_filter is not None and not rule.user_filter(event.user):
            return None
        args: dict[str, str] = {}
        if rule.command is not None:
            found = rule.command.match(getattr(event, "text", ""))
            if found is None:
                return None
            args = found
        scope = _Scope(event, args) if args else event
        for get, test in rule.checks:
            if not test(get(scope)):
                return None
        if rule.expression is not None:
            ctx = self._context(rule, event, args, event.received_at, None)
            try:
                if not rule.expression(ctx):
                    return None
            except Exception as exc:  # a runtime error in a user's expression is a no-match
                self.stats[rule.id].render_errors += 1
                log.warning("rule %s: `if` failed: %s", rule.id, exc)
                return None
        return args

    def _count(self, rule: CompiledRule, state: _State, event: ev.Event) -> list[int | None]:
        """How many times (and at which milestones) the rule fires for this event."""
        every, threshold = rule.every, rule.threshold
        if every is None and threshold is None:
            return [None]
        if isinstance(event, ev.GiftEvent) and not event.is_final:
            return []  # sums count a streak once, when it ends
        spec = every or threshold
        assert spec is not None
        per_user = spec.per == "user"
        key = event.user.id
        if every is not None and every.field is not None:
            value = _getter(every.field)(event)
            if not isinstance(value, (int, float)):
                return []
            before = _get(state, per_user, key)
            first = not (state.seen if not per_user else key in state.user_values)
            _set(state, per_user, key, max(before, float(value)))
            state.seen = True
            step = every.step
            lo, hi = int(before // step), int(value // step)
            if hi <= lo:
                return []
            if first:  # joined mid-stream: only the milestone we are at, not all of them
                return [hi * step]
            return [m * step for m in range(max(lo + 1, hi - MAX_FIRES_PER_EVENT + 1), hi + 1)]
        source = every.sum if every is not None else spec.sum
        assert source is not None
        amount = _getter(source)(event)
        if not isinstance(amount, (int, float)) or amount <= 0:
            return []
        before = _get(state, per_user, key)
        after = before + amount
        _set(state, per_user, key, after)
        if every is not None:
            step = every.step
            lo, hi = int(before // step), int(after // step)
            return [m * step for m in range(max(lo + 1, hi - MAX_FIRES_PER_EVENT + 1), hi + 1)]
        assert threshold is not None
        if after < threshold.at:
            return []
        if per_user:
            if key in state.user_reached:
                return []
            state.user_reached.add(key)
        else:
            if state.reached:
                return []
            state.reached = True
        return [threshold.at]

    def _allowed(self, rule: CompiledRule, state: _State, event: ev.Event, now: float) -> bool:
        return self._free_at(rule, state, event) <= now

    def _free_at(self, rule: CompiledRule, state: _State, event: ev.Event) -> float:
        t = -math.inf
        if rule.cooldown is not None:
            t = max(t, state.last_fire + rule.cooldown)
        if rule.cooldown_per_user is not None:
            last = state.user_last_fire.get(event.user.id)
            if last is not None:
                t = max(t, last + rule.cooldown_per_user)
        if rule.max_fires is not None:
            count, window = rule.max_fires
            times = state.fire_times
            if len(times) >= count:
                t = max(t, times[-count] + window)
        return t

    def _fire(
        self,
        rule: CompiledRule,
        state: _State,
        ctx: Context,
        event: ev.Event,
        now: float,
        milestone: int | None,
        *,
        count: bool = True,
    ) -> Firing | None:
        if count:
            state.last_fire = now
            if rule.cooldown_per_user is not None:
                users = state.user_last_fire
                users[event.user.id] = now
                users.move_to_end(event.user.id)
                if len(users) > PER_USER_STATE:
                    users.popitem(last=False)
            if rule.max_fires is not None:
                state.fire_times.append(now)
                while len(state.fire_times) > rule.max_fires[0]:
                    state.fire_times.popleft()
        stats = self.stats[rule.id]
        stats.fired += 1
        requests: list[act.ActionRequest] = []
        for i, action in enumerate(rule.actions):
            try:
                requests.append(action.build(ctx, rule.id, self.room, event))
            except RenderError as exc:
                stats.render_errors += 1
                log.warning("rule %s: action %d (%s) skipped: %s", rule.id, i, action.kind, exc)
            except Exception as exc:  # template runtime errors: count, log, keep going
                stats.render_errors += 1
                log.warning(
                    "rule %s: action %d (%s) failed to render: %s", rule.id, i, action.kind, exc
                )
        return Firing(rule.id, event, tuple(requests), milestone)

    def _context(
        self,
        rule: CompiledRule,
        event: ev.Event,
        args: dict[str, str],
        now: float,
        milestone: int | None,
    ) -> Context:
        ctx: Context = {name: getattr(event, name) for name in _field_names(event)}
        if isinstance(event, ev.GiftEvent):
            ctx["is_final"] = event.is_final
        state = self._state.get(rule.id)
        ctx.update(
            event=event,
            kind=event.kind,
            rule=rule.id,
            room=self.room,
            args=args,
            counter=state.value if state else 0,
            counters=self._counters_view,
            milestone=milestone,
            now=now,
            base=self.base_topic,
        )
        return ctx


class _Scope:
    """An event seen by ``when`` with the command's ``args`` alongside its fields."""

    __slots__ = ("_event", "args")

    def __init__(self, event: ev.Event, args: dict[str, str]) -> None:
        self._event = event
        self.args = args

    def __getattr__(self, name: str) -> Any:
        return getattr(self._event, name)


_NAMES: dict[type, tuple[str, ...]] = {}
_GETTERS: dict[str, Callable[[Any], Any]] = {}


def _getter(path: str) -> Callable[[Any], Any]:
    get = _GETTERS.get(path)
    if get is None:
        get = _GETTERS[path] = getter(path)
    return get


class _Counters(Mapping[str, float]):
    """A live, read-only view of the room's counters for templates (built once, not per
    render: a context is made for every firing)."""

    def __init__(self, states: dict[str, _State]) -> None:
        self._states = states

    def __getitem__(self, key: str) -> float:
        return self._states[key].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._states)

    def __len__(self) -> int:
        return len(self._states)


def _field_names(event: ev.Event) -> Iterable[str]:
    cls = type(event)
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(cls.__dataclass_fields__)
    return names


def _get(state: _State, per_user: bool, key: int) -> float:
    return state.user_values.get(key, 0.0) if per_user else state.value


def _set(state: _State, per_user: bool, key: int, value: float) -> None:
    if not per_user:
        state.value = value
        return
    users = state.user_values
    users[key] = value
    users.move_to_end(key)
    if len(users) > PER_USER_STATE:
        users.popitem(last=False)

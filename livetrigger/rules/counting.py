"""Per-rule state and the counters of ``every`` and ``threshold`` rules.

A counter decides how many times (and at which milestones) a matched event fires its rule:
``every: {field: total, step: 1000}`` fires once per multiple the field crossed, ``every:
{sum: count, step: 500}`` once per multiple of a running sum, ``threshold`` once per stream
(or per user) when a sum reaches it. Each rule gets a counter made for its own shape when it
is loaded, so the engine's hot path does no lookups or branches on the rule's record.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from livetrigger import events as ev
from livetrigger.rules.fields import getter

if TYPE_CHECKING:
    from livetrigger.rules.model import CompiledRule

MAX_FIRES_PER_EVENT = 100  # a like total jumping by millions must not flood the sinks
PER_USER_STATE = 50_000  # users remembered per rule for per-user cooldowns and sums
PERSISTED_USERS = 2_000  # of those, the most recent kept across a restart (bounds the file)
STATE_VERSION = 1

Milestones = Sequence[int | None]
Counter = Callable[["RuleState", ev.Event], Milestones]
ONCE: Milestones = (None,)  # a rule without a counter fires once per matching event
NEVER: Milestones = ()


@dataclass(slots=True)
class RuleState:
    last_fire: float = -math.inf
    user_last_fire: OrderedDict[int, float] = field(default_factory=OrderedDict)
    fire_times: deque[float] = field(default_factory=deque)
    value: float = 0.0  # stream-wide counter (sum, or last seen field value)
    seen: bool = False
    user_values: OrderedDict[int, float] = field(default_factory=OrderedDict)
    reached: bool = False  # threshold fired this stream
    user_reached: set[int] = field(default_factory=set)
    queue: deque[tuple[dict[str, Any], ev.Event, int | None]] = field(default_factory=deque)

    def trial(self, user_id: int, *, new_stream: bool = False) -> RuleState:
        """A copy a counter may run on for one event of one viewer, leaving this state as it
        was (``explain``; ``new_stream``: as a stream's start leaves it). Counters change only
        the stream's figures and that viewer's entry, so those are copied; the rest is shared
        and only read. O(1), unlike a deep copy of up to PER_USER_STATE viewers."""
        if new_stream:
            return RuleState(self.last_fire, self.user_last_fire, self.fire_times, queue=self.queue)
        users: OrderedDict[int, float] = OrderedDict()
        if user_id in self.user_values:
            users[user_id] = self.user_values[user_id]
        return RuleState(
            last_fire=self.last_fire,
            user_last_fire=self.user_last_fire,
            fire_times=self.fire_times,
            value=self.value,
            seen=self.seen,
            user_values=users,
            reached=self.reached,
            user_reached=self.user_reached,
            queue=self.queue,
        )

    def new_stream(self) -> None:
        self.value = 0.0
        self.seen = False
        self.user_values.clear()
        self.reached = False
        self.user_reached.clear()


def state_to_dict(state: RuleState, to_wall: float) -> dict[str, Any]:
    """The parts of a rule's state worth keeping across a restart, JSON-able. Its times are
    on the engine's clock; ``to_wall`` (the wall clock minus that clock) makes them wall-clock
    times, the one clock the next process shares."""

    def wall(t: float) -> float:
        return t + to_wall

    def recent(users: OrderedDict[int, float]) -> list[list[float]]:
        return [[k, v] for k, v in list(users.items())[-PERSISTED_USERS:]]

    def recent_times(users: OrderedDict[int, float]) -> list[list[float]]:
        return [[k, wall(v)] for k, v in list(users.items())[-PERSISTED_USERS:]]

    return {
        "last_fire": None if state.last_fire == -math.inf else wall(state.last_fire),
        "user_last_fire": recent_times(state.user_last_fire),
        "fire_times": [wall(t) for t in state.fire_times],
        "value": state.value,
        "seen": state.seen,
        "user_values": recent(state.user_values),
        "reached": state.reached,
        "user_reached": sorted(state.user_reached)[-PERSISTED_USERS:],
    }


def state_from_dict(raw: Any, wall: float, to_clock: float) -> RuleState:
    """The inverse of ``state_to_dict``, read at ``wall`` (``to_clock``: the engine's clock
    minus the wall clock). A time after ``wall`` (the clock went back since it was saved)
    counts as ``wall``; ``ValueError`` on anything that is not a rule's state."""

    def clock(t: Any) -> float:
        return min(float(t), wall) + to_clock

    try:
        last = raw["last_fire"]
        return RuleState(
            last_fire=-math.inf if last is None else clock(last),
            user_last_fire=OrderedDict((int(k), clock(v)) for k, v in raw["user_last_fire"]),
            fire_times=deque(clock(t) for t in raw["fire_times"]),
            value=float(raw["value"]),
            seen=bool(raw["seen"]),
            user_values=OrderedDict((int(k), float(v)) for k, v in raw["user_values"]),
            reached=bool(raw["reached"]),
            user_reached={int(k) for k in raw["user_reached"]},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"rule state is damaged: {type(exc).__name__}: {exc}") from None


def remember(users: OrderedDict[int, float], key: int, value: float) -> None:
    """Store a per-user value, forgetting the least recently seen user past the bound."""
    users[key] = value
    users.move_to_end(key)
    if len(users) > PER_USER_STATE:
        users.popitem(last=False)


def crossed(before: float, after: float, step: int) -> Milestones:
    """The multiples of ``step`` in (before, after], at most MAX_FIRES_PER_EVENT of them."""
    lo, hi = int(before // step), int(after // step)
    if hi <= lo:
        return NEVER
    return [m * step for m in range(max(lo + 1, hi - MAX_FIRES_PER_EVENT + 1), hi + 1)]


def build_counter(rule: CompiledRule) -> Counter | None:
    """The rule's counter, or None when every matching event fires it once."""
    every, threshold = rule.every, rule.threshold
    if every is not None and every.field is not None:
        return _field_every(getter(every.field), every.step, every.per == "user")
    if every is not None:
        assert every.sum is not None
        return _sum_every(getter(every.sum), every.step, every.per == "user")
    if threshold is not None:
        return _sum_threshold(getter(threshold.sum), threshold.at, threshold.per == "user")
    return None


def _unfinished_streak(event: ev.Event) -> bool:
    # sums count a streak once, when it ends
    return isinstance(event, ev.GiftEvent) and not event.is_final


def _field_every(get: Callable[[Any], Any], step: int, per_user: bool) -> Counter:
    def count(state: RuleState, event: ev.Event) -> Milestones:
        if _unfinished_streak(event):
            return NEVER
        value = get(event)
        if not isinstance(value, (int, float)):
            return NEVER
        if per_user:
            key, users = event.user.id, state.user_values
            first = key not in users
            before = users.get(key, 0.0)
            remember(users, key, max(before, float(value)))
        else:
            first = not state.seen
            before = state.value
            if value > before:
                state.value = float(value)
        state.seen = True
        if value // step <= before // step:
            return NEVER  # the common case: no multiple crossed
        if first:  # joined mid-stream: only the milestone we are at, not all of them
            return [int(value // step) * step]
        return crossed(before, value, step)

    return count


def _add(state: RuleState, event: ev.Event, amount: float, per_user: bool) -> tuple[float, float]:
    if per_user:
        key, users = event.user.id, state.user_values
        before = users.get(key, 0.0)
        remember(users, key, before + amount)
        return before, before + amount
    before = state.value
    state.value = before + amount
    return before, state.value


def _amount(get: Callable[[Any], Any], event: ev.Event) -> float | None:
    if _unfinished_streak(event):
        return None
    amount = get(event)
    if not isinstance(amount, (int, float)) or amount <= 0:
        return None
    return amount


def _sum_every(get: Callable[[Any], Any], step: int, per_user: bool) -> Counter:
    def count(state: RuleState, event: ev.Event) -> Milestones:
        amount = _amount(get, event)
        if amount is None:
            return NEVER
        before, after = _add(state, event, amount, per_user)
        return crossed(before, after, step)

    return count


def _sum_threshold(get: Callable[[Any], Any], at: int, per_user: bool) -> Counter:
    def count(state: RuleState, event: ev.Event) -> Milestones:
        amount = _amount(get, event)
        if amount is None:
            return NEVER
        before, after = _add(state, event, amount, per_user)
        if after < at:
            return NEVER
        if per_user:
            # reached once the viewer's own sum was there already: no set of every viewer who
            # ever reached it (it grew for the whole stream, one entry per viewer); the sums
            # are bounded (PER_USER_STATE, least recently active forgotten first).
            # user_reached is only what a state file of an older version still lists.
            if before >= at or event.user.id in state.user_reached:
                return NEVER
        elif state.reached:
            return NEVER
        else:
            state.reached = True
        return [at]

    return count

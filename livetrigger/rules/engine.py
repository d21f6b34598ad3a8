"""The rules engine: pure, synchronous, clock passed in.

``evaluate(event, now)`` returns the action requests the event triggers. State (cooldowns,
counters, queued firings) lives here, keyed by rule id, so a reload that keeps a rule keeps
its counters. One engine per room.

Two clocks come in. ``now`` is the engine's own: cooldowns, ``max_fires`` windows and queued
firings are ages on it. The daemon passes its monotonic clock, so NTP stepping the wall clock
neither holds a cooldown for an hour nor releases them all at once. ``wall`` is what templates
show as ``now`` (epoch seconds; by default ``now``: simulate runs one made-up clock for both).
A restart keeps cooldowns as wall-clock times, the one clock it keeps: ``snapshot`` and
``restore`` convert at that boundary.

Order of the checks for one rule, cheapest first: kind, gift id or name, chat command word and
the viewer a rule is pinned to (indexes: a rule that cannot match an event is never looked at;
rules/pins.py), the chat keyword gate (rules/textgate.py), then the rule's own generated
matcher (history, gift streak mode, gift filter, user filter, chat command, ``when``;
rules/matcher.py), ``if``; then its counter decides how many times it fires (``every`` can
fire several times for one event; rules/counting.py), then rate controls let each firing
through, queue it, or drop it (counted).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from livetrigger import actions as act
from livetrigger import events as ev
from livetrigger.actions.kind import Context, RenderError
from livetrigger.rules.compile import sample_event
from livetrigger.rules.counting import (
    ONCE,
    STATE_VERSION,
    Counter,
    RuleState,
    build_counter,
    remember,
    state_from_dict,
    state_to_dict,
)
from livetrigger.rules.matcher import Matcher, build_matcher
from livetrigger.rules.model import CompiledRule
from livetrigger.rules.pins import ViewerIndex, pin
from livetrigger.rules.textgate import TextGate
from livetrigger.text.topics import TopicLevels

log = logging.getLogger(__name__)

# a rule that may react to a kind: its matcher, its counter when it has one, and whether the
# chat keyword gate must be open for it to match
Candidate = tuple[CompiledRule, Matcher, Counter | None, bool]


@dataclass(frozen=True, slots=True)
class Firing:
    """One firing of one rule, with its rendered requests."""

    rule_id: str
    event: ev.Event
    requests: tuple[act.ActionRequest, ...]
    milestone: int | None = None


SAMPLE_WORDS = ("on", "off", "toggle", "1", "5", "test")


@dataclass(slots=True)
class RuleStats:
    fired: int = 0
    rate_limited: int = 0  # dropped by cooldown / max_fires with overflow: drop
    queue_dropped: int = 0  # overflow: queue, but the queue was full
    render_errors: int = 0


class Engine:
    """Matches events against one room's compiled rules."""

    def __init__(self, rules: Sequence[CompiledRule], *, room: str, base_topic: str = "") -> None:
        self.room = room
        self.base_topic = TopicLevels(base_topic)  # the config's own levels: kept as they are
        self.paused = False
        self.stats: dict[str, RuleStats] = {}
        self._state: dict[str, RuleState] = {}
        self._rules: tuple[CompiledRule, ...] = ()
        self._by_kind: dict[str, tuple[Candidate, ...]] = {}
        self._pinned: dict[str, ViewerIndex[Candidate]] = {}
        self.replace_rules(rules)

    # -- configuration ----------------------------------------------------------------------

    @property
    def rules(self) -> tuple[CompiledRule, ...]:
        return self._rules

    def replace_rules(self, rules: Sequence[CompiledRule]) -> None:
        """Swap in a new rule set (reload); rules that keep their id keep their state."""
        self._rules = tuple(rules)
        enabled = [r for r in self._rules if r.enabled]
        self._gate = TextGate(enabled)
        by_kind: dict[str, list[Candidate]] = {}
        # rules pinned to viewers stay out of the indexes below: an event runs only those of
        # its own viewer (rules/pins.py), so a rule per regular costs the others nothing
        pinned: dict[str, list[tuple[str, frozenset[Any], Candidate]]] = {}
        for rule in enabled:
            gated = rule.id in self._gate.gated
            candidate = (rule, build_matcher(rule), build_counter(rule), gated)
            viewer = pin(rule)
            for kind in rule.kinds:
                if viewer is None:
                    by_kind.setdefault(kind, []).append(candidate)
                else:
                    pinned.setdefault(kind, []).append((*viewer, candidate))
        self._by_kind = {k: tuple(v) for k, v in by_kind.items()}
        self._pinned = {k: ViewerIndex(v) for k, v in pinned.items()}
        self._order = {r.id: i for i, r in enumerate(enabled)}
        # gift rules are indexed by the gifts they name (names lowered, ids as numbers): a
        # gift-per-rule config then runs the few rules of the gift sent, not all of them
        gift_any: list[Candidate] = []
        gift_by: dict[str | int, list[Candidate]] = {}
        for c in self._by_kind.get("gift", ()):
            if c[0].gifts is None:
                gift_any.append(c)
            for key in c[0].gifts or ():
                gift_by.setdefault(key, []).append(c)
        self._gift_any = tuple(gift_any)
        self._gift_by = {k: tuple(v) for k, v in gift_by.items()}
        # chat commands are indexed by their command word: a busy room's comments then skip
        # every command rule whose word they do not start with; each list also comes without
        # its keyword-gated rules, for the comments the gate keeps out
        chat = self._by_kind.get("chat", ())
        plain = tuple(c for c in chat if c[0].command is None or c[0].command.first_word is None)
        self._chat_plain = (plain, _ungated(plain))
        words = {
            c[0].command.first_word
            for c in chat
            if c[0].command is not None and c[0].command.first_word is not None
        }
        self._chat_commands = {}
        for word in words:
            some = tuple(
                c for c in chat if c[0].command is None or c[0].command.first_word in (None, word)
            )
            self._chat_commands[word] = (some, _ungated(some))
        self._chat_gated = any(c[3] for c in chat) or any(
            c[3] for _, _, c in pinned.get("chat", ())
        )
        ids = {r.id for r in self._rules}
        self._state = {k: v for k, v in self._state.items() if k in ids}
        self._counters_view = _Counters(self._state)
        self.stats = {r.id: self.stats.get(r.id, RuleStats()) for r in self._rules}
        for rule in self._rules:
            self._state.setdefault(rule.id, RuleState())

    def counters(self) -> dict[str, float]:
        return {rid: st.value for rid, st in self._state.items()}

    # -- across restarts --------------------------------------------------------------------

    def snapshot(self, now: float, wall: float) -> dict[str, Any]:
        """Counters, rate-limit clocks and fired counts per rule (JSON-able; times as wall
        clock: ``now`` on the engine's clock is ``wall``). Queued firings are not kept."""
        return {
            "version": STATE_VERSION,
            "rules": {rid: state_to_dict(st, wall - now) for rid, st in self._state.items()},
            # kept with the last firing's time, so the dashboard's "fired N · last ..." agree
            "fired": {rid: st.fired for rid, st in self.stats.items() if st.fired},
        }

    def restore(self, data: dict[str, Any], now: float, wall: float) -> None:
        """Take back a ``snapshot``: rules that still exist continue their counters and
        cooldowns, each for the time it had left (``now`` on the engine's clock is ``wall``).
        A time after ``wall`` (the clock was set back across the restart) counts as ``wall``:
        its cooldown holds for its length, no longer. Raises ``ValueError`` on a foreign or
        damaged snapshot."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"rule state version {data.get('version')!r} is not ours")
        rules = data.get("rules")
        if not isinstance(rules, dict):
            raise ValueError("rule state has no rules")
        restored = {
            rid: state_from_dict(raw, wall, now - wall)
            for rid, raw in rules.items()
            if rid in self._state
        }
        for rid, state in restored.items():
            state.queue = self._state[rid].queue
            self._state[rid] = state
        fired = data.get("fired", {})  # absent in a snapshot saved before it was kept
        if not isinstance(fired, dict):
            raise ValueError("rule state's fired counts are damaged")
        for rid, count in fired.items():
            if rid in self.stats and isinstance(count, int) and count >= 0:
                self.stats[rid].fired = count
        self._counters_view = _Counters(self._state)

    # -- matching ---------------------------------------------------------------------------

    def evaluate(
        self, event: ev.Event, now: float, wall: float | None = None
    ) -> list[act.ActionRequest]:
        return [r for f in self.firings(event, now, wall) for r in f.requests]

    def firings(self, event: ev.Event, now: float, wall: float | None = None) -> list[Firing]:
        """Every firing ``event`` causes at ``now`` on the engine's clock, rendered with
        ``wall`` as the templates' ``now`` (empty while paused: counters still advance, so
        resuming does not release a burst of stale milestones)."""
        shown = now if wall is None else wall
        if event.kind == "live":
            self._new_stream()
        gate_open: bool | None = None
        if event.kind == "chat":
            if self._chat_gated:
                gate_open = self._gate.admits(getattr(event, "text", None))
            candidates = self._chat_candidates(event)[0 if gate_open in (None, True) else 1]
        elif type(event) is ev.GiftEvent and self._gift_by:
            candidates = self._gift_candidates(event)
        else:
            candidates = self._by_kind.get(event.kind, ())
        candidates = self._with_viewer(event, candidates)
        if not candidates:
            return []
        out: list[Firing] = []
        states, paused = self._state, self.paused
        for rule, match, count, gated in candidates:
            if gated:
                if gate_open is None:
                    gate_open = self._gate.admits(getattr(event, "text", None))
                if not gate_open:
                    continue
            args = match(event)
            if args is None:
                continue
            if rule.expression is not None and not self._expression_holds(rule, event, args):
                continue
            state = states[rule.id]
            milestones = ONCE if count is None else count(state, event)
            if paused:
                continue
            for milestone in milestones:
                if self._free_at(rule, state, event) <= now:
                    ctx = self._context(rule, event, args, shown, milestone)
                    out.append(self._fire(rule, state, ctx, event, now, milestone))
                elif rule.overflow == "queue":
                    if len(state.queue) < rule.queue_size:
                        ctx = self._context(rule, event, args, shown, milestone)
                        state.queue.append((ctx, event, milestone))
                    else:
                        self.stats[rule.id].queue_dropped += 1
                        log.warning("rule %s: queue full, firing dropped", rule.id)
                else:
                    self.stats[rule.id].rate_limited += 1
                    log.debug("rule %s: rate limited", rule.id)
        return out

    def candidates(self, event: ev.Event) -> tuple[Candidate, ...]:
        """The rules ``firings`` looks at for ``event`` (its indexes: kind, gift, command
        word, viewer; not the keyword gate, which only ever agrees with a rule's matcher), with
        their matchers and counters: what ``explain`` reuses instead of building its own."""
        if event.kind == "chat":
            found = self._chat_candidates(event)[0]
        elif type(event) is ev.GiftEvent and self._gift_by:
            found = self._gift_candidates(event)
        else:
            found = self._by_kind.get(event.kind, ())
        return self._with_viewer(event, found)

    def _with_viewer(
        self, event: ev.Event, candidates: tuple[Candidate, ...]
    ) -> tuple[Candidate, ...]:
        """``candidates`` and the rules pinned to the event's viewer, in file order."""
        viewers = self._pinned.get(event.kind)
        if viewers is None:
            return candidates
        mine = viewers.of(event.user)
        return self._in_order(candidates, mine) if mine else candidates

    def _chat_candidates(
        self, event: ev.Event
    ) -> tuple[tuple[Candidate, ...], tuple[Candidate, ...]]:
        if not self._chat_commands:
            return self._chat_plain
        text = getattr(event, "text", "")
        word = text.split(None, 1)[0].lower() if text[:1] and not text[:1].isspace() else ""
        return self._chat_commands.get(word, self._chat_plain)

    def _gift_candidates(self, event: ev.GiftEvent) -> tuple[Candidate, ...]:
        """The rules for any gift and those naming this one (by id or name), in file order."""
        by_id = self._gift_by.get(event.gift_id, ())
        by_name = self._gift_by.get(event.gift_name.lower(), ())
        if not by_id and not by_name:
            return self._gift_any
        if not self._gift_any and not (by_id and by_name):
            return by_id or by_name
        some = {c[0].id: c for c in (*self._gift_any, *by_id, *by_name)}
        return tuple(sorted(some.values(), key=lambda c: self._order[c[0].id]))

    def _in_order(
        self, candidates: tuple[Candidate, ...], more: list[Candidate]
    ) -> tuple[Candidate, ...]:
        """``candidates`` and ``more`` (no rule in both) as one list in file order."""
        if not candidates and len(more) == 1:
            return (more[0],)
        order = self._order
        return tuple(sorted((*candidates, *more), key=lambda c: order[c[0].id]))

    def due(self, now: float, wall: float | None = None) -> list[Firing]:
        """Queued firings whose rate limit has passed at ``now`` (call at ``next_due()``),
        rendered with ``wall`` as the templates' ``now``."""
        out: list[Firing] = []
        for rule in self._rules:
            state = self._state[rule.id]
            while state.queue and not self.paused:
                ctx, event, milestone = state.queue[0]
                if not self._allowed(rule, state, event, now):
                    break
                state.queue.popleft()
                ctx["now"] = now if wall is None else wall
                out.append(self._fire(rule, state, ctx, event, now, milestone))
        return out

    def next_due(self) -> float | None:
        """The earliest time (the engine's clock) a queued firing may go, or None when nothing
        is queued."""
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

    def test_fire(self, rule_id: str, wall: float) -> Firing | None:
        """Run a rule's actions with a sample event received at ``wall``, ignoring conditions
        and limits (so no clock of the engine's is read or moved)."""
        rule = next((r for r in self._rules if r.id == rule_id), None)
        if rule is None:
            return None
        event = sample_event(sorted(rule.kinds)[0], wall)
        args = self._sample_args(rule, event) if rule.command else {}
        ctx = self._context(rule, event, args, wall, None)
        return self._fire(rule, self._state[rule.id], ctx, event, wall, None, count=False)

    def _sample_args(self, rule: CompiledRule, event: ev.Event) -> dict[str, str]:
        """Plausible command arguments for a test: the first words from a small vocabulary
        that the rule's ``if`` accepts (``!light {state}`` with ``if: args.state in ['on',
        'off']`` gets ``on``), else ``test``."""
        assert rule.command is not None
        names = rule.command.arguments[:3]
        if rule.expression is None or not names:
            return dict.fromkeys(names, "test")
        for combo in itertools.product(SAMPLE_WORDS, repeat=len(names)):
            args = dict(zip(names, combo, strict=True))
            try:
                if rule.expression(self._context(rule, event, args, event.received_at, None)):
                    return args
            except Exception:
                continue
        return dict.fromkeys(names, "test")

    # -- internals --------------------------------------------------------------------------

    def _new_stream(self) -> None:
        for state in self._state.values():
            state.new_stream()

    def _expression_holds(self, rule: CompiledRule, event: ev.Event, args: dict[str, str]) -> bool:
        assert rule.expression is not None
        ctx = self._context(rule, event, args, event.received_at, None)
        try:
            return bool(rule.expression(ctx))
        except Exception as exc:  # a runtime error in a user's expression is a no-match
            self.stats[rule.id].render_errors += 1
            log.warning("rule %s: `if` failed: %s", rule.id, exc)
            return False

    def _allowed(self, rule: CompiledRule, state: RuleState, event: ev.Event, now: float) -> bool:
        return self._free_at(rule, state, event) <= now

    def _free_at(self, rule: CompiledRule, state: RuleState, event: ev.Event) -> float:
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
        state: RuleState,
        ctx: Context,
        event: ev.Event,
        now: float,
        milestone: int | None,
        *,
        count: bool = True,
    ) -> Firing:
        if count:
            state.last_fire = now
            if rule.cooldown_per_user is not None:
                users = state.user_last_fire
                remember(users, event.user.id, now)
                # a viewer whose cooldown is over decides nothing: forget them (oldest first),
                # so the memory is the viewers of one cooldown, not the stream's last 50,000
                horizon = now - rule.cooldown_per_user
                while users and next(iter(users.values())) <= horizon:
                    users.popitem(last=False)
            if rule.max_fires is not None:
                state.fire_times.append(now)
                while len(state.fire_times) > rule.max_fires[0]:
                    state.fire_times.popleft()
        stats = self.stats[rule.id]
        if count:  # a test press is not a firing (the dashboard's "fired" count)
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
        wall: float,
        milestone: int | None,
    ) -> Context:
        """What templates and ``if`` see; ``wall`` is their ``now`` (epoch seconds)."""
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
            now=wall,
            base=self.base_topic,
        )
        return ctx


_NAMES: dict[type, tuple[str, ...]] = {}


def _ungated(candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    return tuple(c for c in candidates if not c[3])


class _Counters(Mapping[str, float]):
    """A live, read-only view of the room's counters for templates (built once, not per
    render: a context is made for every firing)."""

    def __init__(self, states: dict[str, RuleState]) -> None:
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

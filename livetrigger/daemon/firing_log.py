"""One log line per firing, written when all of its actions are done: what fired, for whom,
and how each action went with its latency — what a streamer watching the terminal needs.

    room demo: rule big_gift fired (gift Galaxy from @sam): gpio:lamp ok 0.7 ms,
    mqtt ok 1.3 ms, http:receiver failed 5002.1 ms

Viewer-supplied text (a handle, a gift name) is shortened and stripped of control
characters; nicknames are left out (the handle says who).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from livetrigger import actions as act
from livetrigger import events as ev
from livetrigger.rules.engine import Firing

log = logging.getLogger("livetrigger.firings")

MAX_PENDING = 10_000  # firings whose actions are still out; past this the oldest is written


@dataclass(slots=True)
class _Pending:
    room: str
    firing: Firing
    test: bool
    outcomes: list[tuple[act.ActionRequest, str, float]] = field(default_factory=list)


def _plain(text: str, limit: int = 40) -> str:
    cleaned = "".join(c if c.isprintable() else "?" for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _what(event: ev.Event) -> str:
    who = f" from @{_plain(event.user.unique_id)}" if event.user.unique_id else ""
    if isinstance(event, ev.GiftEvent):
        count = f" ×{event.repeat_count}" if event.repeat_count > 1 else ""
        return f"gift {_plain(event.gift_name)}{count}{who}"
    return f"{event.kind}{who}"


class FiringLog:
    """Collects the outcomes of each firing's actions and writes one INFO line per firing."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self.log = logger
        self._by_request: dict[int, _Pending] = {}
        self._open: OrderedDict[int, _Pending] = OrderedDict()

    def fired(self, room: str, firing: Firing, *, test: bool = False) -> None:
        entry = _Pending(room, firing, test)
        if not firing.requests:
            self._write(entry)
            return
        for request in firing.requests:
            self._by_request[id(request)] = entry
        self._open[id(entry)] = entry
        if len(self._open) > MAX_PENDING:
            _, oldest = self._open.popitem(last=False)
            self._forget(oldest)
            self._write(oldest)

    def done(self, request: act.ActionRequest, outcome: str, seconds: float) -> None:
        entry = self._by_request.pop(id(request), None)
        if entry is None:
            return
        entry.outcomes.append((request, outcome, seconds))
        if len(entry.outcomes) == len(entry.firing.requests):
            self._open.pop(id(entry), None)
            self._write(entry)

    def _forget(self, entry: _Pending) -> None:
        for request in entry.firing.requests:
            self._by_request.pop(id(request), None)

    def _write(self, entry: _Pending) -> None:
        if not self.log.isEnabledFor(logging.INFO):
            return
        f = entry.firing
        label = "test of rule" if entry.test else "rule"
        milestone = f" at {f.milestone}" if f.milestone is not None else ""
        parts = [f"{r.target} {o} {s * 1000:.1f} ms" for r, o, s in entry.outcomes]
        missing = len(f.requests) - len(entry.outcomes)
        if missing:
            parts.append(f"{missing} still running")
        actions = ", ".join(parts) if parts else "no actions"
        self.log.info(
            "room %s: %s %s fired%s (%s): %s",
            entry.room,
            label,
            f.rule_id,
            milestone,
            _what(f.event),
            actions,
        )

"""The stream over time, for the dashboard's charts: per room, the current session in 10 s
buckets (diamonds, likes, viewers, the rules fired, action latency p50/p99), bounded.

A session begins with the room's ``live`` event (a new live room id) and is kept after its
``stream_ended`` until the next one begins, so the chart of a finished stream stays up; a
chart restored after a restart belongs to the session the room connects to, or goes. Only
the newest ``SPAN`` seconds are kept (``SPAN / STEP`` buckets at most), and a bucket names at
most ``MAX_RULES`` rules (more are counted together), so a long or busy stream costs the same
as a short one. Pure: the caller passes the wall-clock time; no viewer text is kept, only
numbers and the config's rule ids.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from livetrigger import events as ev

STEP = 10.0  # seconds per bucket
SPAN = 4 * 3600.0  # seconds of a session kept: the newest four hours
MAX_RULES = 20  # rule ids named per bucket; the firings of further ones are counted in `other`
MAX_LATENCIES = 1000  # action latencies kept per open bucket; a busier one keeps its newest
VERSION = 1  # of the snapshot
COLUMNS = ("at", "diamonds", "likes", "viewers", "actions", "p50_us", "p99_us")


def percentile(ordered: list[float], p: float) -> float:
    """The ``p``-th percentile of sorted values (as LatencyStats computes it)."""
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass(slots=True)
class Bucket:
    """``STEP`` seconds of a room's stream, from ``t`` (wall clock)."""

    t: float
    diamonds: int = 0
    likes: int = 0
    viewers: int | None = None  # the last count seen in it
    fired: dict[str, int] = field(default_factory=dict)
    other: int = 0  # firings of rules past MAX_RULES
    actions: int = 0  # actions done (their latency counted)
    p50: float | None = None
    p99: float | None = None
    # ms, newest last: this process's only (a snapshot keeps p50/p99, not the values)
    _latencies: list[float] = field(default_factory=list, repr=False)

    def fire(self, rule_id: str) -> None:
        if rule_id in self.fired or len(self.fired) < MAX_RULES:
            self.fired[rule_id] = self.fired.get(rule_id, 0) + 1
        else:
            self.other += 1

    def add_latencies(self, ms: Iterable[float]) -> None:
        values = self._latencies
        for value in ms:
            values.append(value)
            self.actions += 1
        del values[:-MAX_LATENCIES]
        if values:
            ordered = sorted(values)
            self.p50 = round(percentile(ordered, 50), 3)
            self.p99 = round(percentile(ordered, 99), 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "diamonds": self.diamonds,
            "likes": self.likes,
            "viewers": self.viewers,
            "fired": dict(self.fired),
            "other": self.other,
            "actions": self.actions,
            "p50": self.p50,
            "p99": self.p99,
        }


class RoomSeries:
    """One room's session, bucket by bucket."""

    def __init__(self, step: float = STEP, span: float = SPAN) -> None:
        self.step = step
        self.span = span
        self.session: int | None = None  # the live room id of the session
        self.start: float | None = None
        self.ended: float | None = None
        self.buckets: deque[Bucket] = deque()
        self._dirty = False  # changed since the page was last sent its news
        self._since = math.inf  # the oldest bucket changed since then

    @property
    def open(self) -> bool:
        """In a session that has not ended (its actions' latency is charted)."""
        return self.session is not None and self.ended is None

    def follow(self, event: ev.Event, now: float) -> None:
        """The session an event belongs to: ``live`` or ``connected`` with another room id
        (or ``live`` after an end) begins a new one; a room met mid-session (a restart with
        no chart saved) begins at its ``connected``. Other events' room ids are not trusted
        for this: a battle's messages may carry the other room's."""
        if event.is_history:
            return
        if event.kind in ("live", "connected") and event.room_id:
            if event.room_id != self.session or (event.kind == "live" and self.ended):
                self._begin(event.room_id, now)
        elif event.kind == "stream_ended" and self.open:
            self.ended = now
            self._dirty = True

    def _begin(self, session: int, now: float) -> None:
        self.session, self.start, self.ended = session, now, None
        self.buckets.clear()
        self._dirty, self._since = True, -math.inf

    def on_event(self, event: ev.Event, now: float) -> None:
        """Count an event into the bucket of ``now``."""
        self.follow(event, now)
        if not self.open or event.is_history:
            return
        if isinstance(event, ev.GiftEvent):
            if event.is_final:  # a streak counts once, at its end (as Home Assistant's total)
                self.bucket(now).diamonds += event.total_diamonds
        elif isinstance(event, ev.LikeEvent):
            self.bucket(now).likes += max(0, event.count)
        elif isinstance(event, ev.ViewerCountEvent):
            self.bucket(now).viewers = event.viewers
        elif isinstance(event, ev.JoinEvent) and event.viewers > 0:
            self.bucket(now).viewers = event.viewers  # a join carries the count too, when known

    def fired(self, rule_id: str, now: float) -> None:
        """A rule fired (also just after its session ended: a rule on ``stream_ended``)."""
        if self.session is not None:
            self.bucket(now).fire(rule_id)

    def latencies(self, ms: list[float], now: float) -> None:
        if ms and self.open:
            self.bucket(now).add_latencies(ms)

    def bucket(self, now: float) -> Bucket:
        """The bucket of ``now`` to change, new if needed; the oldest go past the bounds. A
        wall clock stepped back counts into the newest bucket: the timeline never runs back."""
        buckets = self.buckets
        if not buckets or now >= buckets[-1].t + self.step:
            t = math.floor(now / self.step) * self.step
            buckets.append(Bucket(t))
            limit = max(1, int(self.span / self.step))
            while len(buckets) > limit or buckets[0].t <= t - self.span:
                buckets.popleft()
        newest = buckets[-1]
        self._dirty, self._since = True, min(self._since, newest.t)
        return newest

    def as_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "start": self.start,
            "ended": self.ended,
            "buckets": [b.as_dict() for b in self.buckets],
        }

    def changed(self) -> list[Bucket] | None:
        """The buckets changed since the last call (the newest one or two; all of a session
        that just began), or None when nothing changed."""
        if not self._dirty:
            return None
        fresh = [b for b in self.buckets if b.t >= self._since]
        self._dirty, self._since = False, math.inf
        return fresh

    # -- across restarts ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any] | None:
        """The session in columns of integers (written with the room's document, up to once
        a second: a full 4 h session is ~40 KB, encoded in ~1 ms)."""
        if self.session is None:
            return None
        buckets = self.buckets
        return {
            "version": VERSION,
            "step": self.step,
            "session": self.session,
            "start": self.start,
            "ended": self.ended,
            "at": [round(b.t / self.step) for b in buckets],
            "diamonds": [b.diamonds for b in buckets],
            "likes": [b.likes for b in buckets],
            "viewers": [b.viewers for b in buckets],
            "actions": [b.actions for b in buckets],
            "p50_us": [_us(b.p50) for b in buckets],
            "p99_us": [_us(b.p99) for b in buckets],
            "fired": [[i, b.fired, b.other] for i, b in enumerate(buckets) if b.fired or b.other],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Take back a ``snapshot``; ``ValueError`` on anything foreign."""
        if data.get("version") != VERSION:
            raise ValueError(f"series version {data.get('version')!r} is not ours")
        if data.get("step") != self.step:
            raise ValueError(f"series of {data.get('step')!r} s buckets, not {self.step:g} s")
        try:
            session = int(data["session"])
            start = float(data["start"])
            ended = None if data.get("ended") is None else float(data["ended"])
            columns = [data[k] for k in COLUMNS]
            if not all(isinstance(c, list) and len(c) == len(columns[0]) for c in columns):
                raise TypeError("the columns differ in length")
            buckets = [
                Bucket(
                    t=int(at) * self.step,
                    diamonds=int(diamonds),
                    likes=int(likes),
                    viewers=None if viewers is None else int(viewers),
                    actions=int(actions),
                    p50=None if p50 is None else int(p50) / 1000,
                    p99=None if p99 is None else int(p99) / 1000,
                )
                for at, diamonds, likes, viewers, actions, p50, p99 in zip(*columns, strict=True)
            ]
            for i, fired, other in data["fired"]:
                if int(i) < 0:
                    raise IndexError(f"no bucket {i}")
                if not isinstance(fired, dict) or not all(isinstance(k, str) for k in fired):
                    raise TypeError("fired is not a map of rule ids")
                buckets[int(i)].fired = {k: int(v) for k, v in list(fired.items())[:MAX_RULES]}
                buckets[int(i)].other = int(other)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"the series is damaged: {exc}") from None
        if any(b.t < a.t + self.step / 2 for a, b in itertools.pairwise(buckets)):
            raise ValueError("the series is damaged: buckets out of order")
        limit = max(1, int(self.span / self.step))
        self.session, self.start, self.ended = session, start, ended
        self.buckets = deque(buckets[-limit:])
        self._dirty, self._since = False, math.inf


def _us(ms: float | None) -> int | None:
    return None if ms is None else round(ms * 1000)


class Series:
    """Every room's series; what the dashboard serves at ``/api/series`` and pushes."""

    def __init__(self, step: float = STEP, span: float = SPAN) -> None:
        self.step = step
        self.span = span
        self.rooms: dict[str, RoomSeries] = {}

    def room(self, name: str) -> RoomSeries:
        found = self.rooms.get(name)
        if found is None:
            found = self.rooms[name] = RoomSeries(self.step, self.span)
        return found

    def remove(self, name: str) -> None:
        self.rooms.pop(name, None)

    def on_event(self, room: str, event: ev.Event, now: float) -> None:
        self.room(room).on_event(event, now)

    def fired(self, room: str, event: ev.Event, rule_id: str, now: float) -> None:
        """A rule fired for ``event`` (the session may begin with it: a rule on ``live``
        fires before the event is counted)."""
        series = self.room(room)
        series.follow(event, now)
        series.fired(rule_id, now)

    def latencies(self, ms: list[float], now: float) -> None:
        """Actions done since the last call, daemon-wide (the rooms share the queues): into
        every room in a session."""
        for series in self.rooms.values():
            series.latencies(ms, now)

    def as_dict(self, now: float) -> dict[str, Any]:
        return {
            "step": self.step,
            "span": self.span,
            "now": now,
            "rooms": {name: s.as_dict() for name, s in self.rooms.items()},
        }

    def updates(self, now: float) -> list[dict[str, Any]]:
        """One message per room whose newest buckets changed since the last call: its
        session, and those buckets (the page replaces what it had for their times)."""
        out = []
        for name, series in self.rooms.items():
            fresh = series.changed()
            if fresh is None:
                continue
            out.append(
                {
                    "room": name,
                    "now": now,
                    "session": series.session,
                    "start": series.start,
                    "ended": series.ended,
                    "buckets": [b.as_dict() for b in fresh],
                }
            )
        return out

"""Gifts, and the streaks they come in (protocol.md §4).

A streakable gift (``gift.type == 1``) arrives once per step with a growing ``repeat_count``
and then once more with ``repeat_end == 1``. We turn that into ``start`` → ``progress``… →
exactly one ``end``, keyed by ``group_id``. Repeated or late steps of a streak already ended
are dropped. Any other gift is ``single``; when its ``group_id`` is set, later messages of the
same group are dropped too, so a gift whose type TikTok left out still fires once (with the
count known at that moment) rather than twice.

Streaks are per room, not per socket: a streak cut by a reconnect goes on when its steps
resume, and ``GiftStreaks.expire`` ends one whose end frame never came.
"""

from __future__ import annotations

import base64
import time
import zlib
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from livetrigger import events as ev
from livetrigger.events import Event, StreakState
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages.common import DecodeContext, common_fields
from livetrigger.webcast.users import pick_picture

STREAKABLE_GIFT_TYPE = 1
# TikTok's combo button counts down a few seconds after the last tap and the end frame follows
# at once; 15 s of silence is well past any combo pause seen, yet fires a cut streak soon.
DEFAULT_STREAK_TIMEOUT = 15.0


class CatalogueGift(NamedTuple):
    """One gift of the room's gift list: what a gift message may leave out."""

    name: str
    diamonds: int
    streakable: bool = False


@dataclass(slots=True)
class _OpenStreak:
    count: int
    last_at: float  # wall clock of the last step: the end event's time, and kept on disk
    view: pb.GiftView  # the last step, to build the end event from if the end never comes
    msg_id: int
    history: bool
    mono: float = 0.0  # monotonic clock of the last step: the timeout runs on it


class _BoundedIdSet:
    """Remembers the last ``size`` ids: O(1) membership, oldest forgotten first."""

    __slots__ = ("_ids", "_order")

    def __init__(self, size: int) -> None:
        self._ids: set[int] = set()
        self._order: deque[int] = deque(maxlen=size)

    def __contains__(self, key: int) -> bool:
        return key in self._ids

    def add(self, key: int) -> None:
        if len(self._order) == self._order.maxlen:
            self._ids.discard(self._order[0])
        self._order.append(key)
        self._ids.add(key)

    def __len__(self) -> int:
        return len(self._ids)

    def recent(self, n: int) -> list[int]:
        return list(self._order)[-n:]


class GiftStreaks:
    """The open streaks of one room and the groups already ended (the decoder holds one)."""

    def __init__(
        self, window: int, timeout: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.timeout = timeout
        self.clock = clock  # timeouts are ages inside the process: a wall-clock step moves none
        # streaks taken over from a previous process wait for the room's first fetch (it may
        # carry steps or the end sent while no process was connected) or the session's end
        self.hold = False
        self._active: OrderedDict[int, _OpenStreak] = OrderedDict()
        self._window = window
        self._closed = _BoundedIdSet(window)
        self._pending_ends: list[Event] = []  # streaks pushed out of the window
        # due streaks whose timeout end waits for a state write that shows them ended
        self._closing: set[int] = set()
        # after an unclean stop: each restored streak's own history flag, until the first
        # fetch says whether its end could have come and fired unseen (``settle``)
        self._doubted: dict[int, bool] = {}

    def step(
        self,
        ctx: DecodeContext,
        key: int,
        count: int,
        m: pb.GiftView,
        msg_id: int,
        at: float,
        history: bool,
    ) -> StreakState | None:
        """Where this step puts its streak; None: drop it (a repeat, or after the end)."""
        if key in self._closed:
            return None  # a repeated end, a step after the end, or an end after a timeout
        active = self._active
        if m.repeat_end != 0:
            active.pop(key, None)
            self._closed.add(key)
            return StreakState.END
        last = active.get(key)
        if last is not None and count <= last.count:
            return None  # the same step delivered again under another message id
        active[key] = _OpenStreak(count, at, m, msg_id, history, self.clock())
        active.move_to_end(key)
        if last is not None:
            return StreakState.PROGRESS
        if len(active) > self._window:
            # far more open streaks than any room has: end the oldest now rather than lose it
            old_key, oldest = active.popitem(last=False)
            self._closed.add(old_key)
            self._pending_ends.append(self._timeout_end(ctx, oldest))
        return StreakState.START

    def close_group(self, key: int) -> bool:
        """Mark a single gift's group as fired; False if it already was (drop this one)."""
        if key in self._closed:
            return False
        self._closed.add(key)
        return True

    def next_deadline(self) -> float | None:
        """Monotonic time the oldest open streak times out (None: no streak open)."""
        if not self._active or self.hold:
            return None
        return min(s.mono for s in self._active.values()) + self.timeout

    def close_due(self, now: float) -> bool:
        """Count the streaks due at ``now`` (monotonic) as ended in ``snapshot`` from here on,
        before their end events exist: the write that shows them ended comes first, so a
        SIGKILL after the end fired cannot fire it again. True if any is due."""
        if self.hold:
            return False
        limit = now - self.timeout
        self._closing = {k for k, s in self._active.items() if s.mono <= limit}
        return bool(self._closing)

    def keep_due(self) -> None:
        """The write ``close_due`` waited for was given up (a stop): they are open again."""
        self._closing.clear()

    def expire(self, ctx: DecodeContext, now: float) -> list[Event]:
        """End events for streaks with no step for ``timeout`` (monotonic ``now``)."""
        out: list[Event] = list(self._pending_ends)
        self._pending_ends.clear()
        self._closing.clear()
        if self.hold:
            return out
        limit = now - self.timeout
        for key in [k for k, s in self._active.items() if s.mono <= limit]:
            streak = self._active.pop(key)
            self._closed.add(key)
            out.append(self._timeout_end(ctx, streak))
        return out

    def _timeout_end(self, ctx: DecodeContext, streak: _OpenStreak) -> ev.GiftEvent:
        ctx.stats.streaks_timed_out += 1
        return gift_event(
            ctx,
            streak.view,
            streak.msg_id,
            streak.last_at,
            streak.history,
            StreakState.END,
            True,
            timed_out=True,
        )

    def mark_history(self) -> None:
        """Count every open streak as history: its end may already have fired elsewhere."""
        for streak in self._active.values():
            streak.history = True

    def doubt(self) -> None:
        """After an unclean stop: every open streak counts as history until ``settle``."""
        self._doubted = {key: s.history for key, s in self._active.items()}
        self.mark_history()

    def settle(self, complete: bool) -> None:
        """The first fetch after an unclean stop has been decoded. ``complete``: it holds
        every message since the saved state, so a restored streak still open has not ended
        (no end frame came, and a timeout end is on disk before it fires): its end is owed
        and it takes back its own flag. Otherwise it stays history (may be lost, never
        doubled)."""
        doubted, self._doubted = self._doubted, {}
        if not complete:
            return
        for key, history in doubted.items():
            streak = self._active.get(key)
            if streak is not None:
                streak.history = history

    def snapshot(self, ids: int) -> tuple[list[int], list[list[Any]]]:
        """The last ``ids`` ended groups and every open streak, JSON-able; a streak whose
        timeout end waits for this write counts as ended."""
        closing = self._closing
        return self._closed.recent(ids) + sorted(closing), [
            [
                key,
                s.count,
                s.last_at,
                s.msg_id,
                s.history,
                base64.b64encode(s.view.SerializeToString()).decode("ascii"),
            ]
            for key, s in self._active.items()
            if key not in closing
        ]

    @staticmethod
    def parse(streaks: Any) -> list[tuple[int, _OpenStreak]]:
        """Read back ``snapshot``'s open streaks; raises on anything damaged."""
        return [
            (
                int(k),
                _OpenStreak(
                    int(c),
                    float(t),
                    pb.GiftView.FromString(base64.b64decode(v, validate=True)),
                    int(mid),
                    bool(h),
                ),
            )
            for k, c, t, mid, h, v in streaks
        ]

    def restore(
        self, closed: list[int], streaks: list[tuple[int, _OpenStreak]], wall_now: float
    ) -> None:
        """Take back ended groups and what ``parse`` read; open ones wait for the first fetch.
        Their last step's age crossed the restart on the wall clock (``wall_now``); from here
        on it runs on this process's monotonic clock."""
        for key in closed:
            self._closed.add(key)
        now = self.clock()
        for key, streak in streaks[-self._window :]:
            streak.mono = now - max(0.0, wall_now - streak.last_at)
            self._active[key] = streak
        self.hold = bool(self._active)


def gift(ctx: DecodeContext, m: pb.GiftView, msg_id: int, at: float, history: bool) -> Event | None:
    """A gift event placed in its streak, or None for a step to drop."""
    gift_id = m.gift.id or m.gift_id
    streakable = _streakable(ctx, m, gift_id)
    count = max(m.repeat_count, 1)
    key = streak_key(m, gift_id)
    if streakable:
        state = ctx.streaks.step(ctx, key, count, m, msg_id, at, history)
        if state is None:
            ctx.stats.streak_steps_dropped += 1
            return None
    else:
        if m.group_id and not ctx.streaks.close_group(key):
            ctx.stats.streak_steps_dropped += 1
            return None
        state = StreakState.SINGLE
    return gift_event(ctx, m, msg_id, at, history, state, streakable)


def _streakable(ctx: DecodeContext, m: pb.GiftView, gift_id: int) -> bool:
    if m.HasField("gift") and m.gift.type:
        return m.gift.type == STREAKABLE_GIFT_TYPE
    known = ctx.gift_catalogue.get(gift_id)  # the message left the gift out (fact 7)
    return known is not None and known.streakable


def gift_event(
    ctx: DecodeContext,
    m: pb.GiftView,
    msg_id: int,
    at: float,
    history: bool,
    state: StreakState,
    streakable: bool,
    *,
    timed_out: bool = False,
) -> ev.GiftEvent:
    """The gift event of one message, with what it left out taken from the gift list."""
    g = m.gift
    gift_id = g.id or m.gift_id
    count = max(m.repeat_count, 1)
    name, diamonds = g.name, g.diamond_count
    if (not name or not diamonds) and gift_id in ctx.gift_catalogue:
        known = ctx.gift_catalogue[gift_id]
        name, diamonds = name or known.name, diamonds or known.diamonds
    head = common_fields(m.common, msg_id, at, history)
    users = ctx.users
    return ev.GiftEvent(
        **head,
        user=users.get(m.user, m.user_identity),
        gift_id=gift_id,
        gift_name=name,
        diamonds=diamonds,
        repeat_count=count,
        streak_id=m.group_id,
        streak=state,
        streakable=streakable,
        streak_timed_out=timed_out,
        total_diamonds=diamonds * count,
        image_url=pick_picture(g.image.url_list),
        to_user=users.get(m.to_user) if m.to_user else None,
    )


def streak_key(m: pb.GiftView, gift_id: int) -> int:
    """The key of a gift's streak: its group id, else one made of sender and gift."""
    # stable across restarts, unlike hash() of bytes under hash randomisation
    if m.group_id:
        return int(m.group_id)
    digest = zlib.crc32(m.user) ^ (gift_id << 32)
    return -1 - digest  # negative: never collides with a real group id

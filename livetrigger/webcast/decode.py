"""Pure decoder: inner ``BaseProtoMessage`` → typed ``Event``.

It runs the message decoders of ``webcast.messages`` (the table is ``registry.MESSAGES``) and
owns the state the wire format forces on a client:

* **De-duplication.** The initial history batch and every reconnect replay messages we may
  already have handled. A bounded window of message ids drops repeats, so a trigger never
  fires twice for one message.
* **Gift streaks** (``messages.gifts``): steps of one streak become ``start`` → ``progress``…
  → exactly one ``end``; a streak whose end frame never comes times out.
* **The live watermark**: what the initial fetch of a reconnect holds that was sent while we
  were away is live, the rest history.
* **The horizon**, for a restart after SIGKILL or a power cut: the saved state vouches that
  nothing created after its horizon (server ms) has fired. Each save sets it ``HORIZON_MS``
  past the newest message handled, and a message beyond the horizon on disk waits for a save
  before it is decoded (``must_save_first``). So after an unclean stop, what the first fetch
  holds beyond the saved horizon was sent while no process was there, and fires once; what is
  at or before it may have fired and is history (the window at the kill).

Failures of one inner message are counted and surface as ``UnknownEvent`` with ``error`` set;
they never stop the rest of the frame.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from google.protobuf.message import DecodeError, Message

from livetrigger import events as ev
from livetrigger.events import Event
from livetrigger.events.base import SET_SOURCE
from livetrigger.webcast import frames
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages.battles import Battles
from livetrigger.webcast.messages.common import DecodeContext, DecoderStats
from livetrigger.webcast.messages.gifts import (
    DEFAULT_STREAK_TIMEOUT,
    STREAKABLE_GIFT_TYPE,
    CatalogueGift,
    GiftStreaks,
)
from livetrigger.webcast.messages.registry import MESSAGES
from livetrigger.webcast.users import UserCache

__all__ = [
    "DEFAULT_STREAK_TIMEOUT",
    "STREAKABLE_GIFT_TYPE",
    "CatalogueGift",
    "Decoder",
    "DecoderStats",
]

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1
PERSISTED_IDS = 2_048  # dedupe ids kept across a restart (the initial fetch holds far fewer)
# how far (server ms) past the newest message handled a save vouches nothing has fired: the
# window at a kill. The state is written every 0.5 s while a room changes, so a busy room's
# messages stay inside it; the first message after a quiet second waits for one write.
HORIZON_MS = 1_000

# what the hot loop reads per method: (view class, event class or chooser, decode); view None
# means skipped, event None means decode builds the event at once (see MessageDecoder)
_Handler = tuple[
    type[Message] | None, type[Event] | Callable[[Any], type[Event]] | None, Callable[..., Any]
]
_SKIPPED: _Handler = (None, None, lambda *_: None)


class Decoder:
    """Turns fetch results into events; one instance per room (it holds streak state).

    ``gift_catalogue`` maps gift id → ``CatalogueGift`` and fills in what a gift message left
    empty (name, value, and whether it streaks); the connection updates it from the gift list.

    Streaks are per room, not per socket: a streak cut by a reconnect goes on when its steps
    resume, and ``expire_streaks`` ends one whose end frame never came (``streak_timeout``
    after its last step). ``snapshot``/``restore`` carry the dedupe window, open streaks and
    the live watermark across a restart.
    """

    def __init__(
        self,
        *,
        dedup_window: int = 20_000,
        streak_window: int = 4_096,
        streak_timeout: float = DEFAULT_STREAK_TIMEOUT,
        skip_kinds: Iterable[str] = (),
    ) -> None:
        self.stats = DecoderStats()
        self.gift_catalogue: dict[int, CatalogueGift] = {}
        self.users = UserCache()
        self.streaks = GiftStreaks(streak_window, streak_timeout)
        self.battles = Battles()
        # newest create_time (server ms) seen live in room ``watermark_room``: what the initial
        # fetch of a reconnect may hold beyond it was sent while we were away
        self.watermark = 0
        self.watermark_room = 0
        # on disk for ``watermark_room``: nothing created after it has fired (server ms)
        self.horizon = 0
        self._wanted = 0  # the newest create_time a save on its way must cover
        # after an unclean stop, until the first fetch: the saved watermark, which that fetch
        # must reach back to for the restored streaks to be trusted (``settle_restored``)
        self._doubt_since: int | None = None
        self._complete = False
        # daemon.outbox_max_age (s): a gap message older than this at the fetch is history,
        # as a trigger that old is not sent (None: no limit)
        self.gap_max_age: float | None = None
        self.gap_too_old = 0  # of the last initial fetch
        self._seen_ids: set[int] = set()
        self._seen_order: deque[int] = deque(maxlen=dedup_window)
        # The cheapest decode is none: messages whose kinds nothing listens to are not parsed.
        skip = set(skip_kinds)
        self._handlers: dict[str, _Handler] = {
            method: _SKIPPED
            if entry.kinds and entry.kinds <= skip
            else (entry.view, entry.event, entry.decode)
            for method, entry in MESSAGES.items()
        }

    @property
    def streak_timeout(self) -> float:
        """Seconds without a step after which an open streak ends (``expire_streaks``)."""
        return self.streaks.timeout

    @streak_timeout.setter
    def streak_timeout(self, seconds: float) -> None:
        """Change the timeout; open streaks are judged by the new one from now on."""
        self.streaks.timeout = seconds

    @property
    def hold_streaks(self) -> bool:
        """True while streaks taken over from a previous process wait for the first fetch."""
        return self.streaks.hold

    @hold_streaks.setter
    def hold_streaks(self, hold: bool) -> None:
        """Hold (True) or release (False) the timeouts of the open streaks."""
        self.streaks.hold = hold

    # -- entry points ---------------------------------------------------------------------

    def decode_result(self, result: pb.ProtoMessageFetchResult, received_at: float) -> list[Event]:
        """Every event of one fetch result, in order, duplicates and dropped steps removed."""
        return self.decode_messages(result.messages, received_at)

    def decode_messages(
        self, messages: Iterable[pb.BaseProtoMessage], received_at: float
    ) -> list[Event]:
        """Every event of these inner messages, in order (``decode_result`` without a result)."""
        # The hot loop of the daemon: locals only, one protobuf parse per message, and
        # field copies deferred to the first read (events.deferred).
        out: list[Event] = []
        append = out.append
        stats = self.stats
        seen, seen_order = self._seen_ids, self._seen_order
        handlers = self._handlers
        new_event = object.__new__
        set_src = SET_SOURCE
        n = 0
        for msg in messages:
            n += 1
            msg_id = msg.msg_id
            if msg_id:
                if msg_id in seen:
                    stats.duplicates += 1
                    continue
                if len(seen_order) == seen_order.maxlen:
                    seen.discard(seen_order[0])
                seen_order.append(msg_id)
                seen.add(msg_id)
            method = msg.method
            spec = handlers.get(method)
            if spec is None:
                stats.count_unknown(method)
                append(
                    ev.UnknownEvent(
                        msg_id=msg_id, received_at=received_at, method=method, payload=msg.payload
                    )
                )
                continue
            view_cls, kind, decode = spec  # kind None: decode makes the event; else fills one
            if view_cls is None:
                continue  # nothing listens to what this message would become
            try:
                view = view_cls.FromString(msg.payload)
                if kind is None:
                    event = decode(self, view, msg_id, received_at, msg.is_history)
                    if event is None:
                        continue
                    if type(event) is tuple:  # one message, several events (rare)
                        out.extend(event)
                        continue
                else:
                    cls = kind if isinstance(kind, type) else kind(view)
                    event = new_event(cls)
                    set_src(event, (_fill_from, (self, decode, view, msg, received_at)))
            except (DecodeError, ValueError, RuntimeError, OverflowError) as exc:
                stats.failed += 1
                event = ev.UnknownEvent(
                    msg_id=msg_id,
                    received_at=received_at,
                    method=method,
                    payload=msg.payload,
                    error=f"{type(exc).__name__}: {exc}",
                )
            append(event)
        stats.messages += n
        return out

    def decode_message(self, msg: pb.BaseProtoMessage, received_at: float) -> Event | None:
        """One inner message → its event, or None (duplicate, dropped streak step, skipped)."""
        events = self.decode_messages((msg,), received_at)
        return events[0] if events else None

    # -- streaks whose end frame never came ---------------------------------------------------

    def next_streak_deadline(self) -> float | None:
        """Monotonic time the oldest open streak times out (None: no streak open)."""
        return self.streaks.next_deadline()

    def expire_streaks(self, now: float) -> list[Event]:
        """End events for streaks with no step for ``streak_timeout`` (monotonic ``now``):
        the steps seen are gifts the viewer sent, so they fire once with the last count,
        marked ``streak_timed_out``; an end frame arriving later is dropped."""
        return self.streaks.expire(self, now)

    # -- what the initial fetch holds ---------------------------------------------------------

    def note_live(self, room_id: int, result: pb.ProtoMessageFetchResult) -> None:
        """Advance the watermark with a result received live (its newest message)."""
        if room_id != self.watermark_room:
            self._enter(room_id)
        created = _newest(result)
        if created:
            self.watermark = max(self.watermark, created)

    def _enter(self, room_id: int) -> None:
        self.watermark_room, self.watermark, self.horizon, self._wanted = room_id, 0, 0, 0

    def must_save_first(
        self, room_id: int, result: pb.ProtoMessageFetchResult, *, initial: bool = False
    ) -> bool:
        """True when this result (about to be decoded) may fire a message created beyond
        the horizon on disk: the caller saves the state first (which moves the horizon past
        it), so a SIGKILL after it fired cannot make the next process take it as new."""
        created = _newest(result)
        if not created:
            return False
        if initial:
            # only what ``mark_initial`` keeps live fires: nothing in another room
            if room_id != self.watermark_room or not self.watermark or created < self.watermark:
                return False
        elif room_id != self.watermark_room:
            self._enter(room_id)
        if created <= self.horizon:
            return False
        self._wanted = max(self._wanted, created)
        return True

    def mark_initial(self, room_id: int, result: pb.ProtoMessageFetchResult) -> int:
        """Mark the initial fetch's messages as history (TikTok's own flag is unreliable),
        except those sent after the last message we saw live in this same room — the gap of
        a reconnect or a clean restart. Returns how many were kept live."""
        known = room_id == self.watermark_room and self.watermark > 0
        kept = newest = too_old = 0
        oldest: int | None = None
        # server time on both sides: the local clock may be anything after a boot
        limit = result.now - int(self.gap_max_age * 1000) if self.gap_max_age else 0
        for msg in result.messages:
            created = frames.create_time_of(msg.payload)
            newest = max(newest, created)
            if created and (oldest is None or created < oldest):
                oldest = created
            if known and created >= self.watermark:
                if created < limit:
                    too_old += 1
                    msg.is_history = True
                    continue
                msg.is_history = False  # not yet seen (dedupe drops what was) and not old
                kept += 1
            else:
                msg.is_history = True
        self.gap_too_old = too_old
        if self._doubt_since is not None:
            # reaching back to the saved state, this fetch holds every message since: an
            # end frame the previous process may have fired after its last write is here
            self._complete = known and oldest is not None and oldest <= self._doubt_since
        # we are in the room from here on: a drop before anything comes live has a gap too
        # (the fetch's newest message, else the server's time, is where we were)
        if room_id != self.watermark_room:
            self._enter(room_id)
        self.watermark = max(self.watermark, newest or result.now)
        self.hold_streaks = False  # this fetch's steps and ends are decoded next
        return kept

    def settle_restored(self) -> None:
        """The first fetch after an unclean stop is decoded: the streaks restored open are
        owed their end if that fetch was complete (``GiftStreaks.settle``)."""
        if self._doubt_since is not None:
            self.streaks.settle(self._complete)
            self._doubt_since, self._complete = None, False

    def after_unclean_stop(self) -> None:
        """After SIGKILL or a power cut the state may be older than what already fired, but
        nothing created after its horizon has: the next initial fetch's messages beyond it
        are new (sent while no process was there), those at or before it history (may be
        lost, never doubled). A streak restored open cannot have timed out (a timeout end is
        on disk before it fires), but its end frame may have come and fired: it counts as
        history until the first fetch shows it could not have (``settle_restored``).
        State from before the horizon existed trusts nothing of the fetch."""
        if not self.horizon:
            self.watermark = 0
            self.streaks.mark_history()
            return
        self._doubt_since, self._complete = self.watermark, False
        self.watermark = self.horizon + 1
        self.streaks.doubt()

    # -- streaks whose timeout end waits for a write ------------------------------------------

    def close_due_streaks(self, now: float) -> bool:
        """Streaks due at ``now`` count as ended in snapshots from here on (their timeout
        end is on disk before it fires); True if any is due."""
        return self.streaks.close_due(now)

    def keep_due_streaks(self) -> None:
        """The write was given up: the due streaks are open again."""
        self.streaks.keep_due()

    # -- across restarts ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """JSON-able state worth keeping across a restart (bounded: a few hundred KB)."""
        closed, streaks = self.streaks.snapshot(PERSISTED_IDS)
        # once this is on disk (``saved``), messages up to the horizon may fire: a busy
        # room's next ones are inside it before they come
        horizon = self.horizon
        for newest in (self.watermark, self._wanted):
            if newest:
                horizon = max(horizon, newest + HORIZON_MS)
        return {
            "version": SNAPSHOT_VERSION,
            "seen": list(self._seen_order)[-PERSISTED_IDS:],
            "closed": closed,
            "watermark": [self.watermark_room, self.watermark],
            "horizon": horizon,
            "streaks": streaks,
        }

    def saved(self, data: dict[str, Any]) -> None:
        """A ``snapshot`` is on disk: its horizon holds from now on."""
        room, _mark = data.get("watermark") or (0, 0)
        if room == self.watermark_room:
            self.horizon = max(self.horizon, int(data.get("horizon") or 0))

    def restore(self, data: dict[str, Any]) -> None:
        """Take back a ``snapshot``. Raises ``ValueError`` on anything foreign (the caller
        logs it and starts fresh)."""
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"decoder state version {data.get('version')!r} is not ours")
        try:
            seen = [int(i) for i in data["seen"]]
            closed = [int(k) for k in data["closed"]]
            room, mark = (int(x) for x in data["watermark"])
            horizon = int(data.get("horizon") or 0)  # absent: written before it existed
            streaks = GiftStreaks.parse(data["streaks"])
        except (KeyError, TypeError, ValueError, DecodeError) as exc:
            raise ValueError(f"decoder state is damaged: {type(exc).__name__}: {exc}") from None
        for msg_id in seen:
            if msg_id not in self._seen_ids:
                if len(self._seen_order) == self._seen_order.maxlen:
                    self._seen_ids.discard(self._seen_order[0])
                self._seen_order.append(msg_id)
                self._seen_ids.add(msg_id)
        self.watermark_room, self.watermark, self.horizon = room, mark, horizon
        self.streaks.restore(closed, streaks, time.time())  # their age crossed on the wall


def _newest(result: pb.ProtoMessageFetchResult) -> int:
    """The create_time of a result's last message that has one (results come in order)."""
    for msg in reversed(result.messages):
        created = frames.create_time_of(msg.payload)
        if created:
            return created
    return 0


def _fill_from(
    event: Event,
    ctx: DecodeContext,
    fill: Callable[[DecodeContext, Event, Any, int, float, bool], None],
    view: Any,
    msg: pb.BaseProtoMessage,
    received_at: float,
) -> None:
    try:
        fill(ctx, event, view, msg.msg_id, received_at, msg.is_history)
    except Exception:
        # Runs on an event's first field read, far from the decoder's own error handling: a
        # field no converter foresaw must not raise there (issue 19). The event keeps its
        # kind and ids with every other field at its default, and counts as failed.
        type(event).__init__(event, msg_id=msg.msg_id, received_at=received_at)
        ctx.stats.failed += 1
        log.debug("a %s message had a field we could not read", msg.method, exc_info=True)

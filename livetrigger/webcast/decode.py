"""Pure decoder: inner ``BaseProtoMessage`` → typed ``Event``.

It owns the two pieces of state the wire format forces on a client:

* **De-duplication.** The initial history batch and every reconnect replay messages we may
  already have handled. A bounded window of message ids drops repeats, so a trigger never
  fires twice for one message.
* **Gift streaks** (protocol.md §4). A streakable gift (``gift.type == 1``) arrives once per
  step with a growing ``repeat_count`` and then once more with ``repeat_end == 1``. We turn that
  into ``start`` → ``progress``… → exactly one ``end``, keyed by ``group_id``. Repeated or
  late steps of a streak already ended are dropped. Any other gift is ``single``; when its
  ``group_id`` is set, later messages of the same group are dropped too, so a gift whose type
  TikTok left out still fires once (with the count known at that moment) rather than twice.

Failures of one inner message are counted and surface as ``UnknownEvent`` with ``error`` set;
they never stop the rest of the frame.
"""

from __future__ import annotations

import base64
import logging
import zlib
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from google.protobuf.message import DecodeError, Message

from livetrigger import events as ev
from livetrigger.events import ANONYMOUS, Event, StreakState
from livetrigger.events.base import SET_SOURCE
from livetrigger.webcast import frames
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.users import UserCache, convert_user, number, pick_picture

log = logging.getLogger(__name__)

STREAKABLE_GIFT_TYPE = 1
# TikTok's combo button counts down a few seconds after the last tap and the end frame follows
# at once; 15 s of silence is well past any combo pause seen, yet fires a cut streak soon.
DEFAULT_STREAK_TIMEOUT = 15.0
SNAPSHOT_VERSION = 1
PERSISTED_IDS = 2_048  # dedupe ids kept across a restart (the initial fetch holds far fewer)


class CatalogueGift(NamedTuple):
    """One gift of the room's gift list: what a gift message may leave out."""

    name: str
    diamonds: int
    streakable: bool = False


@dataclass(slots=True)
class _OpenStreak:
    count: int
    last_at: float  # wall clock of the last step
    view: pb.GiftView  # the last step, to build the end event from if the end never comes
    msg_id: int
    history: bool


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
_SUPER_FAN_BOX_BUSINESS_TYPE = 19


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


@dataclass(slots=True)
class DecoderStats:
    """Counters the daemon exposes (``livetrigger status``, Prometheus)."""

    messages: int = 0
    duplicates: int = 0
    unknown: int = 0
    failed: int = 0
    streak_steps_dropped: int = 0
    streaks_timed_out: int = 0


_Base = tuple[int, int, int, float, bool]  # room_id, msg_id, create_time, received_at, history


def _base(
    common: pb.CommonMessageData | pb.CommonView, msg_id: int, received_at: float, history: bool
) -> _Base:
    return (common.room_id, common.msg_id or msg_id, common.create_time, received_at, history)


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
        self.streak_timeout = streak_timeout
        # newest create_time (server ms) seen live in room ``watermark_room``: what the initial
        # fetch of a reconnect may hold beyond it was sent while we were away
        self.watermark = 0
        self.watermark_room = 0
        # streaks taken over from a previous process wait for the room's first fetch (it may
        # carry steps or the end sent while no process was connected) or the session's end
        self.hold_streaks = False
        self._seen_ids: set[int] = set()
        self._seen_order: deque[int] = deque(maxlen=dedup_window)
        self._active_streaks: OrderedDict[int, _OpenStreak] = OrderedDict()
        self._streak_window = streak_window
        self._closed_groups = _BoundedIdSet(streak_window)
        self._pending_ends: list[Event] = []  # streaks pushed out of the window
        # method → (view class, event class or classifier (None: build at once), builder)
        self._handlers: dict[str, _Spec] = {
            "WebcastChatMessage": (pb.ChatView, ev.ChatEvent, self._chat),
            "WebcastGiftMessage": (pb.GiftView, None, self._gift),  # eager: streak state
            "WebcastLikeMessage": (pb.LikeView, ev.LikeEvent, self._like),
            "WebcastMemberMessage": (pb.MemberView, _member_kind, self._member),
            "WebcastSocialMessage": (pb.SocialView, _social_kind, self._social),
            "WebcastRoomUserSeqMessage": (
                pb.RoomUserSeqView,
                ev.ViewerCountEvent,
                self._viewers,
            ),
            "WebcastSubNotifyMessage": (
                pb.WebcastSubNotifyMessage,
                ev.SubscribeEvent,
                self._subscribe,
            ),
            "WebcastQuestionNewMessage": (
                pb.WebcastQuestionNewMessage,
                ev.QuestionEvent,
                self._question,
            ),
            "WebcastLinkMicBattle": (pb.WebcastLinkMicBattle, ev.BattleEvent, self._battle),
            "WebcastLinkMicArmies": (
                pb.WebcastLinkMicArmies,
                ev.BattlePointsEvent,
                self._armies,
            ),
            "WebcastEmoteChatMessage": (
                pb.WebcastEmoteChatMessage,
                ev.EmoteEvent,
                self._emote,
            ),
            "WebcastEnvelopeMessage": (
                pb.WebcastEnvelopeMessage,
                ev.EnvelopeEvent,
                self._envelope,
            ),
            "WebcastControlMessage": (pb.WebcastControlMessage, None, self._control),  # eager
            "WebcastLiveIntroMessage": (
                pb.WebcastLiveIntroMessage,
                ev.LiveIntroEvent,
                self._intro,
            ),
            "WebcastRoomMessage": (
                pb.WebcastRoomMessage,
                ev.RoomMessageEvent,
                self._room_message,
            ),
            "WebcastBarrageMessage": (
                pb.WebcastBarrageMessage,
                ev.BarrageEvent,
                self._barrage,
            ),
        }
        skip = set(skip_kinds)
        if skip:
            self._skip_methods(skip)

    def _skip_methods(self, kinds: set[str]) -> None:
        # The cheapest decode is none: messages whose kinds nothing listens to are not parsed.
        method_kinds = {
            "WebcastChatMessage": {"chat"},
            "WebcastGiftMessage": {"gift"},
            "WebcastLikeMessage": {"like"},
            "WebcastMemberMessage": {"join", "social"},
            "WebcastSocialMessage": {"follow", "share", "social"},
            "WebcastRoomUserSeqMessage": {"viewers"},
            "WebcastSubNotifyMessage": {"subscribe"},
            "WebcastQuestionNewMessage": {"question"},
            "WebcastLinkMicBattle": {"battle"},
            "WebcastLinkMicArmies": {"battle_points"},
            "WebcastEmoteChatMessage": {"emote"},
            "WebcastEnvelopeMessage": {"envelope"},
            "WebcastLiveIntroMessage": {"live_intro"},
            "WebcastRoomMessage": {"room_message"},
            "WebcastBarrageMessage": {"barrage"},
        }
        for method, produced in method_kinds.items():
            if produced <= kinds:
                self._handlers[method] = (None, None, _skipped)

    # -- entry points ---------------------------------------------------------------------

    def decode_result(self, result: pb.ProtoMessageFetchResult, received_at: float) -> list[Event]:
        """Every event of one fetch result, in order, duplicates and dropped steps removed."""
        return self.decode_messages(result.messages, received_at)

    def decode_messages(
        self, messages: Iterable[pb.BaseProtoMessage], received_at: float
    ) -> list[Event]:
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
                stats.unknown += 1
                append(
                    ev.UnknownEvent(
                        msg_id=msg_id, received_at=received_at, method=method, payload=msg.payload
                    )
                )
                continue
            view_cls, kind, build = spec  # kind None: build makes the event; else it fills one
            if view_cls is None:
                continue  # nothing listens to what this message would become
            try:
                view = view_cls.FromString(msg.payload)
                if kind is None:
                    event = build(view, msg_id, received_at, msg.is_history)
                    if event is None:
                        continue
                else:
                    cls = kind if isinstance(kind, type) else kind(view)
                    event = new_event(cls)
                    set_src(event, (_fill_from, (build, view, msg, received_at)))
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

    # -- one method per message type --------------------------------------------------------

    def _chat(self, e: ev.ChatEvent, m: pb.ChatView, msg_id: int, at: float, history: bool) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        users = self.users
        ev.ChatEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            user=users.get(m.user, m.user_identity),
            text=m.content,
            mentions=tuple(users.get(u) for u in m.mention_users) if m.mention_users else (),
            emotes=tuple(
                ev.Emote(
                    emote_id=e.emote.emote_id,
                    image_url=pick_picture(e.emote.image.url_list),
                    index=e.index,
                )
                for e in m.emotes
            )
            if m.emotes
            else (),
            language=m.content_language,
        )

    def _gift(self, m: pb.GiftView, msg_id: int, at: float, history: bool) -> Event | None:
        gift_id = m.gift.id or m.gift_id
        streakable = self._streakable(m, gift_id)
        count = max(m.repeat_count, 1)
        key = _streak_key(m, gift_id)
        if streakable:
            state = self._streak_step(key, count, m, msg_id, at, history)
            if state is None:
                self.stats.streak_steps_dropped += 1
                return None
        else:
            if m.group_id:
                if key in self._closed_groups:
                    self.stats.streak_steps_dropped += 1
                    return None
                self._closed_groups.add(key)
            state = StreakState.SINGLE
        return self._gift_event(m, msg_id, at, history, state, streakable)

    def _streakable(self, m: pb.GiftView, gift_id: int) -> bool:
        if m.HasField("gift") and m.gift.type:
            return m.gift.type == STREAKABLE_GIFT_TYPE
        known = self.gift_catalogue.get(gift_id)  # the message left the gift out (fact 7)
        return known is not None and known.streakable

    def _gift_event(
        self,
        m: pb.GiftView,
        msg_id: int,
        at: float,
        history: bool,
        state: StreakState,
        streakable: bool,
        *,
        timed_out: bool = False,
    ) -> ev.GiftEvent:
        g = m.gift
        gift_id = g.id or m.gift_id
        count = max(m.repeat_count, 1)
        name, diamonds = g.name, g.diamond_count
        if (not name or not diamonds) and gift_id in self.gift_catalogue:
            known = self.gift_catalogue[gift_id]
            name, diamonds = name or known.name, diamonds or known.diamonds
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        return ev.GiftEvent(
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            user=self.users.get(m.user, m.user_identity),
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
            to_user=self.users.get(m.to_user) if m.to_user else None,
        )

    def _streak_step(
        self, key: int, count: int, m: pb.GiftView, msg_id: int, at: float, history: bool
    ) -> StreakState | None:
        if key in self._closed_groups:
            return None  # a repeated end, a step after the end, or an end after a timeout
        active = self._active_streaks
        if m.repeat_end != 0:
            active.pop(key, None)
            self._closed_groups.add(key)
            return StreakState.END
        last = active.get(key)
        if last is not None and count <= last.count:
            return None  # the same step delivered again under another message id
        active[key] = _OpenStreak(count, at, m, msg_id, history)
        active.move_to_end(key)
        if last is not None:
            return StreakState.PROGRESS
        if len(active) > self._streak_window:
            # far more open streaks than any room has: end the oldest now rather than lose it
            _old_key, oldest = active.popitem(last=False)
            self._closed_groups.add(_old_key)
            self._pending_ends.append(self._timeout_end(oldest))
        return StreakState.START

    # -- streaks whose end frame never came ---------------------------------------------------

    def next_streak_deadline(self) -> float | None:
        """Wall-clock time the oldest open streak times out (None: no streak open)."""
        if not self._active_streaks or self.hold_streaks:
            return None
        return min(s.last_at for s in self._active_streaks.values()) + self.streak_timeout

    def expire_streaks(self, now: float) -> list[Event]:
        """End events for streaks with no step for ``streak_timeout`` (wall clock ``now``):
        the steps seen are gifts the viewer sent, so they fire once with the last count,
        marked ``streak_timed_out``; an end frame arriving later is dropped."""
        out: list[Event] = list(self._pending_ends)
        self._pending_ends.clear()
        if self.hold_streaks:
            return out
        limit = now - self.streak_timeout
        for key in [k for k, s in self._active_streaks.items() if s.last_at <= limit]:
            streak = self._active_streaks.pop(key)
            self._closed_groups.add(key)
            out.append(self._timeout_end(streak))
        return out

    def _timeout_end(self, streak: _OpenStreak) -> ev.GiftEvent:
        self.stats.streaks_timed_out += 1
        return self._gift_event(
            streak.view,
            streak.msg_id,
            streak.last_at,
            streak.history,
            StreakState.END,
            True,
            timed_out=True,
        )

    # -- what the initial fetch holds ---------------------------------------------------------

    def note_live(self, room_id: int, result: pb.ProtoMessageFetchResult) -> None:
        """Advance the watermark with a result received live (its newest message)."""
        if room_id != self.watermark_room:
            self.watermark_room, self.watermark = room_id, 0
        for msg in reversed(result.messages):
            created = frames.create_time_of(msg.payload)
            if created:
                self.watermark = max(self.watermark, created)
                return

    def mark_initial(self, room_id: int, result: pb.ProtoMessageFetchResult) -> int:
        """Mark the initial fetch's messages as history (TikTok's own flag is unreliable),
        except those sent after the last message we saw live in this same room — the gap of
        a reconnect or a clean restart. Returns how many were kept live."""
        known = room_id == self.watermark_room and self.watermark > 0
        kept = newest = 0
        for msg in result.messages:
            created = frames.create_time_of(msg.payload)
            newest = max(newest, created)
            if known and created >= self.watermark:
                msg.is_history = False  # not yet seen (dedupe drops what was) and not old
                kept += 1
            else:
                msg.is_history = True
        # we are in the room from here on: a drop before anything comes live has a gap too
        # (the fetch's newest message, else the server's time, is where we were)
        if room_id != self.watermark_room:
            self.watermark_room, self.watermark = room_id, 0
        self.watermark = max(self.watermark, newest or result.now)
        self.hold_streaks = False  # this fetch's steps and ends are decoded next
        return kept

    def forget_watermark(self) -> None:
        """After an unclean stop the state may be older than what already fired: nothing in
        the next initial fetch is trusted as new, and a streak the state shows open may
        have ended (end frame or timeout) and fired since: when it times out now it counts
        as history (may be lost, never doubled). Its end frame, if it comes live, fires."""
        self.watermark = 0
        for streak in self._active_streaks.values():
            streak.history = True

    # -- across restarts ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """JSON-able state worth keeping across a restart (bounded: a few hundred KB)."""
        ids = list(self._seen_order)[-PERSISTED_IDS:]
        return {
            "version": SNAPSHOT_VERSION,
            "seen": ids,
            "closed": list(self._closed_groups.recent(PERSISTED_IDS)),
            "watermark": [self.watermark_room, self.watermark],
            "streaks": [
                [
                    key,
                    s.count,
                    s.last_at,
                    s.msg_id,
                    s.history,
                    base64.b64encode(s.view.SerializeToString()).decode("ascii"),
                ]
                for key, s in self._active_streaks.items()
            ],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Take back a ``snapshot``. Raises ``ValueError`` on anything foreign (the caller
        logs it and starts fresh)."""
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"decoder state version {data.get('version')!r} is not ours")
        try:
            seen = [int(i) for i in data["seen"]]
            closed = [int(k) for k in data["closed"]]
            room, mark = (int(x) for x in data["watermark"])
            streaks = [
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
                for k, c, t, mid, h, v in data["streaks"]
            ]
        except (KeyError, TypeError, ValueError, DecodeError) as exc:
            raise ValueError(f"decoder state is damaged: {type(exc).__name__}: {exc}") from None
        for msg_id in seen:
            if msg_id not in self._seen_ids:
                if len(self._seen_order) == self._seen_order.maxlen:
                    self._seen_ids.discard(self._seen_order[0])
                self._seen_order.append(msg_id)
                self._seen_ids.add(msg_id)
        for key in closed:
            self._closed_groups.add(key)
        self.watermark_room, self.watermark = room, mark
        for key, streak in streaks[-self._streak_window :]:
            self._active_streaks[key] = streak
        self.hold_streaks = bool(self._active_streaks)

    def _like(self, e: ev.LikeEvent, m: pb.LikeView, msg_id: int, at: float, history: bool) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        ev.LikeEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            user=self.users.get(m.user),
            count=m.count,
            total=m.total,
        )

    def _member(self, e: Event, m: pb.MemberView, msg_id: int, at: float, history: bool) -> None:
        # the class was chosen by _member_kind from the same message
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        user = self.users.get(m.user)
        if isinstance(e, ev.JoinEvent):
            ev.JoinEvent.__init__(
                e,
                room_id=room,
                msg_id=mid,
                create_time=created,
                received_at=at,
                is_history=hist,
                user=user,
                viewers=m.member_count,
            )
        elif isinstance(e, ev.SocialEvent):
            ev.SocialEvent.__init__(
                e,
                room_id=room,
                msg_id=mid,
                create_time=created,
                received_at=at,
                is_history=hist,
                user=user,
                display_key=m.common.display_text.key or f"member_action_{m.action}",
            )

    def _social(self, e: Event, m: pb.SocialView, msg_id: int, at: float, history: bool) -> None:
        # the class was chosen by _social_kind from the same message
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        user = self.users.get(m.user)
        if isinstance(e, ev.FollowEvent):
            ev.FollowEvent.__init__(
                e,
                room_id=room,
                msg_id=mid,
                create_time=created,
                received_at=at,
                is_history=hist,
                user=user,
                follow_count=m.follow_count,
            )
        elif isinstance(e, ev.ShareEvent):
            ev.ShareEvent.__init__(
                e,
                room_id=room,
                msg_id=mid,
                create_time=created,
                received_at=at,
                is_history=hist,
                user=user,
                share_target=m.share_target,
                share_count=m.share_count,
            )
        elif isinstance(e, ev.SocialEvent):
            ev.SocialEvent.__init__(
                e,
                room_id=room,
                msg_id=mid,
                create_time=created,
                received_at=at,
                is_history=hist,
                user=user,
                display_key=m.common.display_text.key,
            )

    def _viewers(
        self, e: ev.ViewerCountEvent, m: pb.RoomUserSeqView, msg_id: int, at: float, history: bool
    ) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        ev.ViewerCountEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            viewers=m.total,
            total_viewers=m.total_user,
            top_viewers=tuple(
                ev.TopViewer(user=self.users.get(c.user), coins=c.score, rank=c.rank)
                for c in m.ranks
            ),
        )

    def _subscribe(
        self,
        e: ev.SubscribeEvent,
        m: pb.WebcastSubNotifyMessage,
        msg_id: int,
        at: float,
        history: bool,
    ) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        ev.SubscribeEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            user=convert_user(m.user),
            sub_month=m.sub_month,
        )

    def _question(
        self,
        e: ev.QuestionEvent,
        m: pb.WebcastQuestionNewMessage,
        msg_id: int,
        at: float,
        history: bool,
    ) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        ev.QuestionEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            user=convert_user(m.data.user),
            question_id=m.data.question_id,
            text=m.data.content,
        )

    def _battle(
        self, e: ev.BattleEvent, m: pb.WebcastLinkMicBattle, msg_id: int, at: float, history: bool
    ) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        ev.BattleEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
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

    def _armies(
        self,
        e: ev.BattlePointsEvent,
        m: pb.WebcastLinkMicArmies,
        msg_id: int,
        at: float,
        history: bool,
    ) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        ev.BattlePointsEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            battle_id=m.battle_id,
            reason=_ARMIES_REASONS.get(m.trigger_reason, f"reason_{m.trigger_reason}"),
            scores=tuple(
                ev.BattleScore(host_id=host, points=armies.hostscore)
                for host, armies in sorted(m.armies.items())
            ),
        )

    def _emote(
        self, e: ev.EmoteEvent, m: pb.WebcastEmoteChatMessage, msg_id: int, at: float, history: bool
    ) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        identity = m.user_identity if m.HasField("user_identity") else None
        ev.EmoteEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            user=convert_user(m.user, identity),
            emotes=tuple(
                ev.Emote(emote_id=e.emote_id, image_url=pick_picture(e.image.url_list))
                for e in m.emote_list
            ),
        )

    def _envelope(
        self,
        e: ev.EnvelopeEvent,
        m: pb.WebcastEnvelopeMessage,
        msg_id: int,
        at: float,
        history: bool,
    ) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        info = m.envelope_info
        user = ANONYMOUS
        for piece in m.common.display_text.pieces:
            if piece.HasField("user_value"):
                user = convert_user(piece.user_value.user)
                break
        if user is ANONYMOUS and (info.send_user_id or info.send_user_name):
            user = ev.User(
                id=number(info.send_user_id),
                nickname=info.send_user_name,
                avatar_url=pick_picture(info.send_user_avatar.url_list),
            )
        ev.EnvelopeEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            user=user,
            envelope_id=info.envelope_id,
            diamonds=info.diamond_count,
            people=info.people_count,
            sender_name=info.send_user_name,
            super_fan_box=info.business_type == _SUPER_FAN_BOX_BUSINESS_TYPE
            or "ttlive_superfanbox" in m.common.display_text.key,
        )

    def _control(
        self, m: pb.WebcastControlMessage, msg_id: int, at: float, history: bool
    ) -> Event | None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        action = m.action
        if action == 1:
            return ev.StreamPausedEvent(
                room_id=room, msg_id=mid, create_time=created, received_at=at, is_history=hist
            )
        if action == 2:
            return ev.StreamResumedEvent(
                room_id=room, msg_id=mid, create_time=created, received_at=at, is_history=hist
            )
        if action in (3, 4):
            return ev.StreamEndedEvent(
                room_id=room,
                msg_id=mid,
                create_time=created,
                received_at=at,
                is_history=hist,
                reason=ev.StreamEndReason.HOST if action == 3 else ev.StreamEndReason.MODERATOR,
            )
        return None

    def _intro(
        self,
        e: ev.LiveIntroEvent,
        m: pb.WebcastLiveIntroMessage,
        msg_id: int,
        at: float,
        history: bool,
    ) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        ev.LiveIntroEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            user=convert_user(m.user),
            text=m.content,
        )

    def _room_message(
        self,
        e: ev.RoomMessageEvent,
        m: pb.WebcastRoomMessage,
        msg_id: int,
        at: float,
        history: bool,
    ) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        ev.RoomMessageEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            text=m.content,
        )

    def _barrage(
        self, e: ev.BarrageEvent, m: pb.WebcastBarrageMessage, msg_id: int, at: float, history: bool
    ) -> None:
        room, mid, created, at, hist = _base(m.common, msg_id, at, history)
        key = m.content.key or m.common.display_text.key
        ev.BarrageEvent.__init__(
            e,
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            user=convert_user(m.user),
            display_key=key,
            text=m.content.default_pattern,
            super_fan="ttlive_superfan" in key,
            super_fan_joined="ttlive_superfan_commentnotif_superfanjoined" in key,
        )


# eager kinds: build(view, msg_id, at, history) -> event or None; deferred kinds:
# fill(event, view, msg_id, at, history) sets the fields of an event made beforehand
_Spec = tuple[
    type[Message] | None, type[Event] | Callable[[Any], type[Event]] | None, Callable[..., Any]
]


def _fill_from(
    event: Event,
    fill: Callable[[Event, Any, int, float, bool], None],
    view: Any,
    msg: pb.BaseProtoMessage,
    received_at: float,
) -> None:
    try:
        fill(event, view, msg.msg_id, received_at, msg.is_history)
    except Exception:
        # Runs on an event's first field read, far from the decoder's own error handling: a
        # field no converter foresaw must not raise there (issue 19). The event keeps its
        # kind and ids with every other field at its default, and counts as failed.
        type(event).__init__(event, msg_id=msg.msg_id, received_at=received_at)
        owner = getattr(fill, "__self__", None)
        if isinstance(owner, Decoder):
            owner.stats.failed += 1
        log.debug("a %s message had a field we could not read", msg.method, exc_info=True)


def _streak_key(m: pb.GiftView, gift_id: int) -> int:
    # group_id names one streak; without it, the sender and gift do (stable across restarts,
    # unlike hash() of bytes under hash randomisation)
    if m.group_id:
        return int(m.group_id)
    digest = zlib.crc32(m.user) ^ (gift_id << 32)
    return -1 - digest  # negative: never collides with a real group id


def _skipped(m: Any, msg_id: int, at: float, history: bool) -> None:
    return None


def _member_kind(m: pb.MemberView) -> type[Event]:
    return ev.JoinEvent if m.action in (0, 1) else ev.SocialEvent


def _social_kind(m: pb.SocialView) -> type[Event]:
    key = m.common.display_text.key
    if "follow" in key:
        return ev.FollowEvent
    if "share" in key:
        return ev.ShareEvent
    return ev.SocialEvent

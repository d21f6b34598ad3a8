"""The fake room's state: who it is, whether it is live, and the log of what it sent."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from livetrigger import events as ev
from livetrigger.simulator import wire


class RoomState:
    """The room's identity across live sessions: a new room id for each one (protocol.md §9.1)."""

    def __init__(self, unique_id: str, room_id: int, live: bool, offline_room_id: str) -> None:
        self.unique_id = unique_id
        self.room_id = room_id
        self.first_room_id = room_id
        self.live = live
        self.offline_room_id = offline_room_id  # "last" or "empty": what the page shows offline
        self.ended_room_ids: list[int] = []
        self.sessions = 1 if live else 0
        self.title = "a fake LIVE"
        self.viewers = 42

    def go_live(self) -> bool:
        """Start a session (a new room id after an ended one); False if already live."""
        if self.live:
            return False
        if self.room_id in self.ended_room_ids:
            self.room_id = self.first_room_id + 1_000 * len(self.ended_room_ids)
        self.live = True
        self.sessions += 1
        return True

    def go_offline(self) -> None:
        """End the session: its room id is over for good."""
        if self.live and self.room_id not in self.ended_room_ids:
            self.ended_room_ids.append(self.room_id)
        self.live = False

    def status(self) -> int:
        """The room status TikTok reports: 2 live, 4 ended."""
        return 2 if self.live else 4

    def is_live_room(self, room_id: str) -> bool:
        """Whether ``room_id`` (as a client sent it) is the session that is live now."""
        return self.live and room_id == str(self.room_id)

    def shown_room_id(self) -> str:
        """The room id the live page and api-live show (§9.2: offline, the last one or none)."""
        return "" if not self.live and self.offline_room_id == "empty" else str(self.room_id)


class MessageLog:
    """What the room sent: every event for polls and cursors, the recent ones an initial fetch
    carries, and those waiting for a client to enter."""

    def __init__(self, history: Iterable[ev.Event], *, recent_limit: int, bare_gifts: bool) -> None:
        self.history = list(history)  # messages from before any client: every initial fetch
        self.recent_limit = recent_limit  # recent messages the initial fetch carries
        self.bare_gifts = bare_gifts  # gift messages without the embedded Gift (§9.8)
        self.sent: list[ev.Event] = []  # everything sent, stamped; a poll cursor indexes it
        self.recent: list[wire.WireMessage] = []
        self.pending: list[ev.Event] = []  # sent while no client was in the room
        self._created_ms = 0
        self._msg_ids = 7_300_000_000_000_000_000

    def next_msg_id(self) -> int:
        """A message id never used before in this room."""
        self._msg_ids += 1
        return self._msg_ids

    def stamp(self, event: ev.Event, room_id: int) -> ev.Event:
        """The event as TikTok sends it: with its room and a server time in ms, if it lacks them."""
        self._created_ms = max(self._created_ms + 1, int(time.time() * 1000))
        changes: dict[str, Any] = {}
        if not event.create_time:
            changes["create_time"] = self._created_ms
        if not event.room_id:
            changes["room_id"] = room_id
        if isinstance(event, ev.BattleEvent) and any(not p.room_id for p in event.participants):
            # a show's battle leaves this room's host without a room id: it is this room's
            here = changes.get("room_id", event.room_id)
            changes["participants"] = tuple(
                p if p.room_id else replace(p, room_id=here) for p in event.participants
            )
        return replace(event, **changes) if changes else event

    def encode(self, event: ev.Event) -> wire.WireMessage:
        """The event's wire message, with this room's quirks."""
        return wire.encode_event(event, embed_gift=not self.bare_gifts)

    def remember(self, events: list[ev.Event]) -> None:
        """Keep the chats, gifts and joins an initial fetch carries (§9.3)."""
        for event in events:
            if isinstance(event, ev.ChatEvent | ev.GiftEvent | ev.JoinEvent):
                self.recent.append(self.encode(event))
        del self.recent[: -self.recent_limit or len(self.recent)]

    def take_pending(self) -> list[ev.Event]:
        """The events that waited for a client, now remembered as sent to one."""
        pending, self.pending = self.pending, []
        self.remember(pending)
        return pending

    def initial(self, room_id: int, is_history: bool) -> list[wire.WireMessage]:
        """What a sign answer's initial fetch carries: the history, then the recent messages."""
        messages = [
            self.encode(replace(self.stamp(e, room_id), is_history=is_history))
            for e in self.history
        ]
        return messages + [replace(m, is_history=is_history) for m in self.recent]

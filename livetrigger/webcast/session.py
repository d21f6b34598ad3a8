"""The websocket session, sans I/O: bytes in → events out; what to send and when.

The connection shell feeds every binary message to ``receive`` and, whenever
``next_deadline()`` passes or a frame arrived, sends what ``frames_to_send`` returns. All time
is passed in. Order of outbound frames follows protocol.md §2.5: enter-room once right after
the socket opens, ACKs for every result that asks for one, heartbeats at the interval with a
sequence starting at 1 — heartbeats only after enter-room.
"""

from __future__ import annotations

import logging

from livetrigger import events as ev
from livetrigger.errors import ProtocolError
from livetrigger.webcast import frames
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.decode import Decoder

log = logging.getLogger(__name__)

MIN_HEARTBEAT, MAX_HEARTBEAT = 0.05, 300.0


class Session:
    """One websocket's worth of protocol state for one room."""

    def __init__(
        self,
        room_id: int,
        decoder: Decoder,
        *,
        heartbeat_interval: float = 10.0,
        max_frame_size: int = frames.DEFAULT_MAX_INFLATED,
    ) -> None:
        self.room_id = room_id
        self.decoder = decoder
        self.heartbeat_interval = heartbeat_interval
        self.max_frame_size = max_frame_size
        self.cursor = ""
        self.internal_ext = ""
        self.ended = False  # the stream ended (control message); do not reconnect
        self.last_frame_at: float | None = None
        self.frames_received = 0
        self.corrupt_frames = 0
        self._opened_at: float | None = None
        self._entered = False
        self._seq = 0
        self._next_heartbeat = 0.0
        self._outbox: list[bytes] = []
        self.gap_messages = 0  # initial-fetch messages sent while we were away (kept live)

    def advertised(self, options: dict[str, str]) -> None:
        """The push server's ``Handshake-Options``: its ``ping-interval`` (seconds) wins over
        the configured heartbeat interval, within sane bounds."""
        try:
            interval = float(options.get("ping-interval", ""))
        except ValueError:
            return
        if MIN_HEARTBEAT <= interval <= MAX_HEARTBEAT:
            self.heartbeat_interval = interval
        else:
            log.warning(
                "room %d: ignoring advertised ping-interval %r; heartbeat every %gs",
                self.room_id,
                options.get("ping-interval"),
                self.heartbeat_interval,
            )

    def opened(self, now: float) -> None:
        """The socket is open: enter the room now, heartbeat from here on."""
        self._opened_at = now
        self.last_frame_at = now
        self._outbox.append(frames.build_enter_room(self.room_id))
        self._entered = True
        self._next_heartbeat = now + self.heartbeat_interval

    def receive(self, data: bytes, now: float, received_at: float) -> list[ev.Event]:
        """Events in one websocket binary message (``received_at`` is wall-clock time for
        the events; ``now`` the monotonic clock of the session)."""
        result = self.take(data, now)
        return [] if result is None else self.events(result, received_at)

    def take(self, data: bytes, now: float) -> pb.ProtoMessageFetchResult | None:
        """The fetch result in one websocket binary message, ACKed, not yet decoded (None:
        nothing in it). ``events`` decodes it: the caller may save the state in between."""
        self.last_frame_at = now
        self.frames_received += 1
        try:
            inbound = frames.decode_ws_message(data, self.max_frame_size)
        except ProtocolError as exc:
            self.corrupt_frames += 1
            log.warning("room %d: corrupt frame dropped: %s", self.room_id, exc)
            return None
        if inbound is None:
            return None
        result = inbound.result
        self._track(result)
        if result.need_ack:
            self._outbox.append(frames.build_ack(inbound.log_id, result.internal_ext or "-"))
        return result

    def events(self, result: pb.ProtoMessageFetchResult, received_at: float) -> list[ev.Event]:
        """The events of a result ``take`` returned."""
        self.decoder.note_live(self.room_id, result)
        events = self.decoder.decode_result(result, received_at)
        if any(isinstance(e, ev.StreamEndedEvent) for e in events):
            self.ended = True
        return events

    def initial(self, result: pb.ProtoMessageFetchResult, received_at: float) -> list[ev.Event]:
        """Events in the sign server's first fetch result (never ACKed). They were sent
        before we connected, so they are history whatever TikTok's flag says, except what
        came after the last message this room's decoder saw live (a reconnect's gap)."""
        self._track(result)
        self.gap_messages = self.decoder.mark_initial(self.room_id, result)
        events = self.decoder.decode_result(result, received_at)
        self.decoder.settle_restored()
        if any(isinstance(e, ev.StreamEndedEvent) for e in events):
            self.ended = True
        return events

    def _track(self, result: pb.ProtoMessageFetchResult) -> None:
        if result.cursor:
            self.cursor = result.cursor
        if result.internal_ext:
            self.internal_ext = result.internal_ext

    def frames_to_send(self, now: float) -> list[bytes]:
        if self._entered and now >= self._next_heartbeat:
            self._seq += 1
            self._outbox.append(frames.build_heartbeat(self.room_id, self._seq))
            self._next_heartbeat = now + self.heartbeat_interval
        out, self._outbox = self._outbox, []
        return out

    def next_deadline(self) -> float:
        return self._next_heartbeat

    def stalled(self, now: float, stall_timeout: float) -> bool:
        return self.last_frame_at is not None and now - self.last_frame_at > stall_timeout

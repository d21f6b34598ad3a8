"""One connection to a live room, from the sign request to the drop: sign within the budget
(written ahead, so a kill cannot hand a request back), take the initial fetch, open the
websocket (or poll, when the handshake is refused and polling_fallback is on) and pump frames
until the socket ends. The scheduler (webcast/scheduler.py) decides when to connect again."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import httpx

from livetrigger import events as ev
from livetrigger.errors import HandshakeBlockedError, LivetriggerError, SignError
from livetrigger.webcast import frames, http_defaults
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.connection import open_socket, pump, ws_url
from livetrigger.webcast.session import Session

if TYPE_CHECKING:
    from livetrigger.webcast.scheduler import RoomScheduler

log = logging.getLogger(__name__)


class Link:
    """The connecting and connected part of a room's scheduler."""

    def __init__(self, scheduler: RoomScheduler) -> None:
        self.scheduler = scheduler
        self._catalogue_at: float | None = None  # monotonic: when the gift list was fetched

    async def connect(self, room_id: int) -> str:
        """Sign (within the budget), take the initial fetch, open the socket (or poll) and
        pump frames until it drops; what ended it (``closed``, ``stall``, ``ended``, ...)."""
        s = self.scheduler
        s._set_state("connecting")
        await self._respect_quota()
        ticket = s.quota.begin(s.clock())
        answered = False
        try:
            if s.before_sign is not None:
                # on disk before it is spent: a SIGKILL right after must not give it back
                await s.before_sign()
            s._counters["sign_requests"] += 1
            signed = await s.sign.fetch(room_id, s.user_agent)
            answered = True
        except SignError as exc:
            answered = exc.answered
            raise
        finally:
            # unanswered (network error, timeout, cancelled): it may still reach the server
            settle = s.quota.answered if answered else s.quota.unanswered
            settle(ticket, s.clock())
        if signed.room_id and signed.room_id != room_id:
            # the sign server knows better (x-room-id): the session is that room
            room_id = s.room_id = s._session_room = signed.room_id
        session = Session(
            room_id,
            s.decoder,
            heartbeat_interval=s.settings.heartbeat_interval,
            max_frame_size=s.settings.max_frame_size,
        )
        now = time.time()
        if s.on_raw is not None:
            s.on_raw(signed.result.SerializeToString(), "fetch", now)
        await self._save_first(room_id, signed.result)
        initial = session.initial(signed.result, now)
        if session.gap_messages:
            log.info(
                "room %s: %d message(s) sent while we were away, from the initial fetch",
                s.room.name,
                session.gap_messages,
            )
        if s.decoder.gap_too_old:
            log.info(
                "room %s: %d message(s) sent while we were away are older than "
                "daemon.outbox_max_age: not acted on",
                s.room.name,
                s.decoder.gap_too_old,
            )
        if initial and s.process_initial_data:
            s._emit_all(initial)
        if session.ended:
            s._end_session(ev.StreamEndReason.HOST)
            return "ended"
        await self._refresh_catalogue(room_id)
        url = ws_url(
            signed.result,
            room_id,
            s.user_agent,
            compress=s.settings.compress,
            rng=s.rng,
            push_server=s.settings.push_server,
        )
        cookies = {"tt-target-idc": s.settings.tt_target_idc, **signed.cookies}
        try:
            ws = await open_socket(
                url,
                cookies=cookies,
                user_agent=s.user_agent,
                timeout=s.settings.connect_timeout,
                max_size=s.settings.max_frame_size,
                headers=dict(s.settings.websocket_headers),
                proxy=s.settings.proxy,
            )
        except HandshakeBlockedError as exc:
            if not s.settings.polling_fallback:
                raise
            log.warning("room %s: %s; falling back to polling", s.room.name, exc)
            return await self._poll(room_id, session, cookies)
        s.backoff.reset()
        s._set_state("connected", f"room {room_id}")
        s._emit(await self._connected_event(room_id))
        reason = "closed"
        s._ws, s._reconnect_asked = ws, False
        try:
            tap = s.on_raw
            reason = await pump(
                ws,
                session,
                s._emit_all,
                stall_timeout=s.settings.stall_timeout,
                clock=s.clock,
                on_raw=(lambda data, at: tap(data, "ws", at)) if tap is not None else None,
                write_ahead=s.write_ahead,
            )
        finally:
            s._ws = None
            if s._reconnect_asked and reason != "ended":
                reason = "asked"
            if reason != "ended":
                ws.transport.abort()
            s._emit(
                ev.DisconnectedEvent(
                    room_id=room_id, reason=reason, will_reconnect=reason != "ended"
                )
            )
        if reason == "stall":
            log.warning(
                "room %s: no frame for %.0fs: connection stalled, reconnecting",
                s.room.name,
                s.settings.stall_timeout,
            )
        return reason

    async def _save_first(self, room_id: int, result: pb.ProtoMessageFetchResult) -> None:
        """The room's state on disk before a fetch fires messages beyond its horizon."""
        s = self.scheduler
        if s.write_ahead is not None and s.decoder.must_save_first(room_id, result, initial=True):
            await s.write_ahead()

    async def _connected_event(self, room_id: int) -> ev.ConnectedEvent:
        s = self.scheduler
        title, viewers = "", 0
        if s.settings.fetch_room_info:
            try:
                info = await s.rooms.room_info(room_id)
                title, viewers = str(info.get("title", "")), int(info.get("user_count", 0) or 0)
            except (LivetriggerError, ValueError, TypeError) as exc:
                log.info("room %s: room info unavailable (%s)", s.room.name, exc)
        return ev.ConnectedEvent(
            room_id=room_id, unique_id=s.room.unique_id, title=title, viewers=viewers
        )

    async def _poll(self, room_id: int, session: Session, cookies: dict[str, str]) -> str:
        """The polling fallback (the seed's requestPollingIntervalMs): fetch with the cursor at
        an interval. Slower than the websocket and needs the same signed cookies; off by
        default (tiktok.polling_fallback)."""
        s = self.scheduler
        url = f"{s.settings.webcast_url.rstrip('/')}/webcast/im/fetch/"
        s.backoff.reset()
        s._set_state("connected", f"room {room_id} (polling)")
        s._emit(ev.ConnectedEvent(room_id=room_id, unique_id=s.room.unique_id))
        failures = 0
        cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        while True:
            params = http_defaults.client_params(s.user_agent)
            params.update(
                room_id=str(room_id),
                cursor=session.cursor,
                internal_ext=session.internal_ext,
                resp_content_type="protobuf",
            )
            try:
                response = await s.rooms.http.get(
                    url,
                    params=params,
                    headers={**http_defaults.headers(s.user_agent), "Cookie": cookie_header},
                    timeout=s.settings.http_timeout,
                )
                response.raise_for_status()
                result = frames.parse_fetch_result(response.content)
            except (httpx.HTTPError, ValueError) as exc:
                failures += 1
                log.info("room %s: poll failed (%s)", s.room.name, exc)
                if failures >= 3:
                    s._emit(ev.DisconnectedEvent(room_id=room_id, reason="poll failed"))
                    return "closed"
                await s.sleep(s.settings.polling_interval)
                continue
            failures = 0
            received_at = time.time()
            await self._save_first(room_id, result)
            events = session.initial(result, received_at)
            if events:
                s._emit_all(events)
            if session.ended:
                s._emit(ev.DisconnectedEvent(room_id=room_id, reason="ended", will_reconnect=False))
                return "ended"
            wait = result.fetch_interval / 1000 if result.fetch_interval else 0
            await s.sleep(max(s.settings.polling_interval, wait))

    async def _refresh_catalogue(self, room_id: int) -> None:
        s = self.scheduler
        now = s.clock()
        if (
            self._catalogue_at is not None
            and now - self._catalogue_at < s.settings.gift_catalogue_refresh
        ):
            return
        try:
            s.decoder.gift_catalogue.update(await s.rooms.gift_catalogue(room_id))
            self._catalogue_at = now
        except LivetriggerError as exc:
            log.info(
                "room %s: gift list unavailable (%s); gifts keep their own names",
                s.room.name,
                exc,
            )
            self._catalogue_at = now

    async def _respect_quota(self) -> None:
        s = self.scheduler
        while True:
            now = s.clock()
            at = s.quota.next_allowed(now)
            if at <= now:
                return
            s._set_state("rate_limited", f"sign budget: next request in {at - now:.0f}s")
            await s.sleep(at - now)

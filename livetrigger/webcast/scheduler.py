"""The connection scheduler: wait for the streamer to go live, connect, reconnect, repeat.

States: ``waiting`` (polling the cheap unsigned live check) → ``connecting`` (signing and
opening the socket) → ``connected`` → on a drop ``reconnecting`` (backoff with jitter; the live
check first, so an ended stream costs no sign request) → on stream end back to ``waiting``.
``rate_limited`` while the sign budget or the sign server says wait; ``blocked`` while a
problem only the user can fix persists (bad API key, unknown user, refused handshake); it keeps
retrying slowly there, so a fixed network or key recovers without a restart.

Every sign request passes the SignQuota first, so the budget holds whatever fails.
Lifecycle events (waiting, live, connected, disconnected) flow to ``on_event`` like any other.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

import httpx

from livetrigger import events as ev
from livetrigger.errors import (
    HandshakeBlockedError,
    LivetriggerError,
    RoomError,
    SignAuthError,
    SignError,
    SignRateLimitError,
    UserNotFoundError,
)
from livetrigger.settings import RoomSettings, TikTokSettings
from livetrigger.webcast import frames, http_defaults
from livetrigger.webcast.connection import open_socket, pump, ws_url
from livetrigger.webcast.decode import Decoder
from livetrigger.webcast.retry import Backoff, SignQuota, jittered
from livetrigger.webcast.room import RoomClient
from livetrigger.webcast.session import Session
from livetrigger.webcast.sign import EulerSignProvider, SignProvider

log = logging.getLogger(__name__)

BLOCKED_RETRY = 600.0  # a problem the user must fix: look again every 10 minutes
STATES = (
    "waiting",
    "connecting",
    "connected",
    "reconnecting",
    "blocked",
    "rate_limited",
    "stopped",
)


class RoomScheduler:
    """Keeps one room connected whenever it is live. ``run()`` until cancelled."""

    def __init__(
        self,
        room: RoomSettings,
        settings: TikTokSettings,
        *,
        http: httpx.AsyncClient,
        on_event: Callable[[ev.Event], None],
        decoder: Decoder | None = None,
        sign_provider: SignProvider | None = None,
        quota: SignQuota | None = None,
        process_initial_data: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        on_raw: Callable[[bytes, str, float], None] | None = None,
    ) -> None:
        self.room = room
        self.on_raw = on_raw  # every raw frame (kind "ws" or "fetch"), for `record`
        self.settings = settings
        self.on_event = on_event
        self.decoder = decoder or Decoder()
        self.rooms = RoomClient(http, settings)
        self.sign = sign_provider or EulerSignProvider(http, settings)
        self.quota = quota or SignQuota(settings.sign_budget)
        self.process_initial_data = (
            settings.process_initial_data if process_initial_data is None else process_initial_data
        )
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.user_agent = settings.user_agent or http_defaults.DEFAULT_USER_AGENT
        self.backoff = Backoff(settings.reconnect_initial, settings.reconnect_max, rng=self.rng)
        self.room_id: int | None = room.room_id
        self.last_error = ""
        self._state = "waiting"
        self._state_listeners: list[Callable[[str, str], None]] = []
        self._reconnect_now = asyncio.Event()
        self._catalogue_at: float | None = None
        self._counters = {"reconnects": 0, "sign_requests": 0, "stall_detections": 0}

    # -- observation ------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    def on_state(self, listener: Callable[[str, str], None]) -> None:
        """``listener(state, detail)`` on every state change (systemd STATUS=, Home Assistant)."""
        self._state_listeners.append(listener)

    def _set_state(self, state: str, detail: str = "") -> None:
        if state != self._state:
            log.info("room %s: %s%s", self.room.name, state, f" ({detail})" if detail else "")
        self._state = state
        for listener in self._state_listeners:
            listener(state, detail)

    def stats(self) -> dict[str, int]:
        return {**self._counters, "sign_requests_left_today": self.quota.left_today(self.clock())}

    def reconnect_now(self) -> None:
        """Skip the current wait (Home Assistant's "reconnect" button)."""
        self._reconnect_now.set()

    async def send_chat(self, text: str) -> None:
        if self.room_id is None:
            raise RoomError("not connected to a room yet")
        await self.sign.send_chat(self.room_id, text)

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            self._set_state("stopped")

    async def _run(self) -> None:
        live_known = False  # the last check said live (so a reconnect keeps the same stream)
        while True:
            try:
                room_id = await self._room_id()
                if not live_known:
                    await self._wait_for_live(room_id)
                    self._emit(ev.LiveStartedEvent(room_id=room_id, unique_id=self.room.unique_id))
                    live_known = True
                reason = await self._connect_once(room_id)
            except asyncio.CancelledError:
                raise
            except (SignAuthError, UserNotFoundError) as exc:
                await self._blocked(str(exc))
                continue
            except SignRateLimitError as exc:
                wait = exc.retry_after if exc.retry_after is not None else self.backoff.next()
                self._set_state("rate_limited", f"sign server: retry in {wait:.0f}s")
                log.warning("room %s: %s", self.room.name, exc)
                await self._pause(wait)
                continue
            except HandshakeBlockedError as exc:
                self.last_error = str(exc)
                log.error("room %s: %s", self.room.name, exc)
                self._set_state("blocked", exc.handshake_msg)
                await self._pause(max(self.backoff.next(), 30.0))
                live_known = await self._still_live()
                continue
            except (RoomError, SignError) as exc:
                self.last_error = str(exc)
                delay = self.backoff.next()
                log.warning("room %s: %s; retrying in %.1fs", self.room.name, exc, delay)
                self._set_state("reconnecting", f"in {delay:.0f}s")
                await self._pause(delay)
                live_known = await self._still_live()
                continue
            if reason == "ended":
                live_known = False
                self.backoff.reset()
                continue
            self._counters["reconnects"] += 1
            if reason == "stall":
                self._counters["stall_detections"] += 1
            delay = self.backoff.next()
            self._set_state("reconnecting", f"{reason}; in {delay:.1f}s")
            await self._pause(delay)
            live_known = await self._still_live()

    async def _room_id(self) -> int:
        if self.room_id is None:
            self.room_id, _live = await self.rooms.resolve(self.room.unique_id)
            log.info(
                "room %s: @%s has room id %d", self.room.name, self.room.unique_id, self.room_id
            )
        return self.room_id

    async def _still_live(self) -> bool:
        try:
            return await self.rooms.is_live(await self._room_id())
        except LivetriggerError as exc:
            log.info("room %s: live check failed (%s)", self.room.name, exc)
            return False

    async def _wait_for_live(self, room_id: int) -> None:
        announced = False
        while True:
            try:
                if await self.rooms.is_live(room_id):
                    return
            except (RoomError, httpx.HTTPError) as exc:
                log.info("room %s: live check failed (%s)", self.room.name, exc)
            if not announced:
                self._set_state("waiting", "not live")
                self._emit(ev.WaitingForLiveEvent(room_id=room_id, unique_id=self.room.unique_id))
                announced = True
            await self._pause(jittered(self.settings.live_check_interval, self.rng))

    async def _connect_once(self, room_id: int) -> str:
        self._set_state("connecting")
        await self._respect_quota()
        self.quota.record(self.clock())
        self._counters["sign_requests"] += 1
        signed = await self.sign.fetch(room_id, self.user_agent)
        if signed.room_id and signed.room_id != room_id:
            room_id = self.room_id = signed.room_id
        session = Session(
            room_id,
            self.decoder,
            heartbeat_interval=self.settings.heartbeat_interval,
            max_frame_size=self.settings.max_frame_size,
        )
        now = time.time()
        if self.on_raw is not None:
            self.on_raw(signed.result.SerializeToString(), "fetch", now)
        initial = session.initial(signed.result, now)
        if initial and self.process_initial_data:
            self._emit_all(initial)
        await self._refresh_catalogue(room_id)
        url = ws_url(
            signed.result,
            room_id,
            self.user_agent,
            compress=self.settings.compress,
            rng=self.rng,
            push_server=self.settings.push_server,
        )
        cookies = {"tt-target-idc": self.settings.tt_target_idc, **signed.cookies}
        try:
            ws = await open_socket(
                url,
                cookies=cookies,
                user_agent=self.user_agent,
                timeout=self.settings.connect_timeout,
                max_size=self.settings.max_frame_size,
                headers=dict(self.settings.websocket_headers),
                proxy=self.settings.proxy,
            )
        except HandshakeBlockedError as exc:
            if not self.settings.polling_fallback:
                raise
            log.warning("room %s: %s; falling back to polling", self.room.name, exc)
            return await self._poll(room_id, session, cookies)
        self.backoff.reset()
        self._set_state("connected", f"room {room_id}")
        self._emit(await self._connected_event(room_id))
        reason = "closed"
        try:
            tap = self.on_raw
            reason = await pump(
                ws,
                session,
                self._emit_all,
                stall_timeout=self.settings.stall_timeout,
                clock=self.clock,
                on_raw=(lambda data, at: tap(data, "ws", at)) if tap is not None else None,
            )
        finally:
            if reason != "ended":
                ws.transport.abort()
            self._emit(
                ev.DisconnectedEvent(
                    room_id=room_id, reason=reason, will_reconnect=reason != "ended"
                )
            )
        if reason == "stall":
            log.warning(
                "room %s: no frame for %.0fs: connection stalled, reconnecting",
                self.room.name,
                self.settings.stall_timeout,
            )
        return reason

    async def _connected_event(self, room_id: int) -> ev.ConnectedEvent:
        title, viewers = "", 0
        if self.settings.fetch_room_info:
            try:
                info = await self.rooms.room_info(room_id)
                title, viewers = str(info.get("title", "")), int(info.get("user_count", 0) or 0)
            except (LivetriggerError, ValueError, TypeError) as exc:
                log.info("room %s: room info unavailable (%s)", self.room.name, exc)
        return ev.ConnectedEvent(
            room_id=room_id, unique_id=self.room.unique_id, title=title, viewers=viewers
        )

    async def _poll(self, room_id: int, session: Session, cookies: dict[str, str]) -> str:
        """The polling fallback (the seed's requestPollingIntervalMs): fetch with the cursor at
        an interval. Slower than the websocket and needs the same signed cookies; off by
        default (tiktok.polling_fallback)."""
        url = f"{self.settings.webcast_url.rstrip('/')}/webcast/im/fetch/"
        self.backoff.reset()
        self._set_state("connected", f"room {room_id} (polling)")
        self._emit(ev.ConnectedEvent(room_id=room_id, unique_id=self.room.unique_id))
        failures = 0
        cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        while True:
            params = http_defaults.client_params(self.user_agent)
            params.update(
                room_id=str(room_id),
                cursor=session.cursor,
                internal_ext=session.internal_ext,
                resp_content_type="protobuf",
            )
            try:
                response = await self.rooms.http.get(
                    url,
                    params=params,
                    headers={**http_defaults.headers(self.user_agent), "Cookie": cookie_header},
                    timeout=self.settings.http_timeout,
                )
                response.raise_for_status()
                result = frames.parse_fetch_result(response.content)
            except (httpx.HTTPError, ValueError) as exc:
                failures += 1
                log.info("room %s: poll failed (%s)", self.room.name, exc)
                if failures >= 3:
                    self._emit(ev.DisconnectedEvent(room_id=room_id, reason="poll failed"))
                    return "closed"
                await self.sleep(self.settings.polling_interval)
                continue
            failures = 0
            events = session.initial(result, time.time())
            if events:
                self._emit_all(events)
            if session.ended:
                self._emit(
                    ev.DisconnectedEvent(room_id=room_id, reason="ended", will_reconnect=False)
                )
                return "ended"
            wait = result.fetch_interval / 1000 if result.fetch_interval else 0
            await self.sleep(max(self.settings.polling_interval, wait))

    async def _refresh_catalogue(self, room_id: int) -> None:
        now = self.clock()
        if (
            self._catalogue_at is not None
            and now - self._catalogue_at < self.settings.gift_catalogue_refresh
        ):
            return
        try:
            self.decoder.gift_catalogue.update(await self.rooms.gift_catalogue(room_id))
            self._catalogue_at = now
        except LivetriggerError as exc:
            log.info(
                "room %s: gift list unavailable (%s); gifts keep their own names",
                self.room.name,
                exc,
            )
            self._catalogue_at = now

    async def _respect_quota(self) -> None:
        while True:
            now = self.clock()
            at = self.quota.next_allowed(now)
            if at <= now:
                return
            self._set_state("rate_limited", f"sign budget: next request in {at - now:.0f}s")
            await self.sleep(at - now)

    async def _blocked(self, why: str) -> None:
        self.last_error = why
        log.error("room %s: %s", self.room.name, why)
        self._set_state("blocked", why)
        await self._pause(BLOCKED_RETRY)
        self.room_id = self.room.room_id  # look the user up again

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless reconnect_now() cuts it short."""
        if self._reconnect_now.is_set():
            self._reconnect_now.clear()
            return
        sleeper = asyncio.ensure_future(self.sleep(seconds))
        waker = asyncio.ensure_future(self._reconnect_now.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        self._reconnect_now.clear()

    def _emit(self, event: ev.Event) -> None:
        if not event.received_at:
            from dataclasses import replace  # noqa: PLC0415

            event = replace(event, received_at=time.time())
        self.on_event(event)

    def _emit_all(self, events: list[ev.Event]) -> None:
        for event in events:
            try:
                self.on_event(event)
            except Exception:  # one bad consumer must not drop the socket
                log.exception("room %s: event handler failed", self.room.name)

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
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

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
from livetrigger.webcast import http_defaults
from livetrigger.webcast.decode import Decoder
from livetrigger.webcast.link import Link
from livetrigger.webcast.retry import Backoff, SignQuota, jittered
from livetrigger.webcast.room import RoomClient
from livetrigger.webcast.sign import EulerSignProvider, SignProvider

log = logging.getLogger(__name__)

BLOCKED_RETRY = 600.0  # a problem the user must fix: look again every 10 minutes
STREAK_WRITE_GAP = 0.5  # seconds between two writes made for streaks' timeout ends
_WHY = {
    "waiting": "the streamer is not live",
    "connecting": "asking the sign server and opening the socket",
    "stopped": "the daemon is stopping",
}
_REASONS = {"closed": "the server closed the socket", "stall": "no frame: connection stalled"}
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
        stop_when_blocked: bool = False,
    ) -> None:
        self.room = room
        self.on_raw = on_raw  # every raw frame (kind "ws" or "fetch"), for `record`
        # awaited after a sign request is counted and before it is made (the daemon saves it)
        self.before_sign: Callable[[], Awaitable[None]] | None = None
        # awaited before messages beyond the saved horizon are decoded and before a streak's
        # timeout end fires: the daemon writes the room's state (None: nothing is saved)
        self.write_ahead: Callable[[], Awaitable[None]] | None = None
        # interactive commands (watch, record) end on what only the user can fix; the daemon
        # keeps looking slowly, so a fixed key or network recovers without a restart
        self.stop_when_blocked = stop_when_blocked
        self.settings = settings
        self.on_event = on_event
        self.decoder = decoder or Decoder()
        self.decoder.streak_timeout = settings.streak_timeout
        self.rooms = RoomClient(http, settings)
        self.sign = sign_provider or EulerSignProvider(http, settings)
        self.quota = quota or SignQuota(settings.sign_budget, in_flight_bound=settings.http_timeout)
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
        self._detail = "starting"
        self._state_listeners: list[Callable[[str, str], None]] = []
        self._wake: asyncio.Event | None = None  # set while a wait may be cut short
        self._ws: ClientConnection | None = None  # the open socket, while connected
        self._reconnect_asked = False
        self._session_room: int | None = None  # the live session we are in (its room id)
        self._ended_rooms: set[int] = set()  # sessions over: their ids never come back
        self._resume_check = False
        self._live_check_failures = 0
        self._counters = {"reconnects": 0, "sign_requests": 0, "stall_detections": 0}
        self.link = Link(self)  # one connection at a time: signing, the socket, polling

    # -- observation ------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    def on_state(self, listener: Callable[[str, str], None]) -> None:
        """``listener(state, detail)`` on every state change (systemd STATUS=, Home Assistant)."""
        self._state_listeners.append(listener)

    @property
    def state_reason(self) -> str:
        """Why the room is in its state, in words (empty while connected)."""
        if self._state == "connected":
            return ""
        return self._detail or _WHY.get(self._state, "")

    def _set_state(self, state: str, detail: str = "") -> None:
        self._detail = detail
        if state != self._state:
            log.info("room %s: %s%s", self.room.name, state, f" ({detail})" if detail else "")
        self._state = state
        for listener in self._state_listeners:
            listener(state, detail)

    def stats(self) -> dict[str, int]:
        return {**self._counters, "sign_requests_left_today": self.quota.left_today(self.clock())}

    def reconnect_now(self) -> None:
        """Reconnect at once (Home Assistant's "reconnect" button, the status socket): drops a
        connected socket, or cuts a backoff or live-check wait short. A press while nothing
        can be cut short (connecting) is ignored, never remembered for later."""
        if self._ws is not None:
            log.info("room %s: reconnecting now, as asked", self.room.name)
            self._reconnect_asked = True
            self._ws.transport.abort()
        elif self._wake is not None:
            log.info("room %s: retrying now, as asked", self.room.name)
            self._wake.set()
        else:
            log.info(
                "room %s: reconnect asked while %s; nothing to cut short",
                self.room.name,
                self._state,
            )

    def apply_settings(self, settings: TikTokSettings) -> None:
        """New ``tiktok`` settings (SIGHUP): every later request uses them, and the room
        reconnects now so the socket does too."""
        self.settings = settings
        self.rooms.settings = settings
        self.rooms.user_agent = settings.user_agent or http_defaults.DEFAULT_USER_AGENT
        if isinstance(self.sign, EulerSignProvider):
            self.sign.settings = settings
        self.user_agent = self.rooms.user_agent
        self.backoff = Backoff(settings.reconnect_initial, settings.reconnect_max, rng=self.rng)
        self.decoder.streak_timeout = settings.streak_timeout
        self.reconnect_now()

    async def send_chat(self, text: str) -> None:
        if self.room_id is None:
            raise RoomError("not connected to a room yet")
        await self.sign.send_chat(self.room_id, text)

    # -- across restarts ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The room's place in its streamer's sessions (JSON-able), for the state directory."""
        return {
            "version": 1,
            "room_id": self.room_id,
            "session_room": self._session_room,
            "ended_rooms": list(self._ended_rooms)[-16:],
            "decoder": self.decoder.snapshot(),
        }

    def saved(self, data: dict[str, Any]) -> None:
        """This ``snapshot`` is on disk (the decoder's horizon holds from now on)."""
        self.decoder.saved(data.get("decoder") or {})

    def restore(self, data: dict[str, Any], *, clean_shutdown: bool = True) -> None:
        """Continue where a previous process stopped: a live session it was in is checked
        first and continued (no second ``live`` event) when still live, ended (``lost``) when
        not. After an unclean stop only what the initial fetch holds beyond the saved
        horizon is new (``Decoder.after_unclean_stop``). Raises ``ValueError`` on a foreign
        snapshot."""
        if data.get("version") != 1:
            raise ValueError(f"room state version {data.get('version')!r} is not ours")
        try:
            room_id = _opt_int(data.get("room_id"))
            session_room = _opt_int(data.get("session_room"))
            ended = [int(r) for r in data.get("ended_rooms") or []]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"room state is damaged: {exc}") from None
        self.decoder.restore(data.get("decoder") or {})
        if not clean_shutdown:
            self.decoder.after_unclean_stop()
        if self.room.room_id is None or room_id == self.room.room_id:
            self.room_id = room_id if room_id is not None else self.room_id
        self._ended_rooms.update(ended)
        self._session_room = session_room
        self._resume_check = session_room is not None

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        ticker = asyncio.create_task(self._end_cut_streaks())
        try:
            await self._run()
        finally:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
            self._set_state("stopped")

    async def _run(self) -> None:
        while True:
            try:
                if self._resume_check:
                    self._resume_check = False
                    await self._after_drop(resuming=True)
                if self._session_room is None:
                    await self._wait_for_live()
                assert self._session_room is not None
                reason = await self.link.connect(self._session_room)
            except asyncio.CancelledError:
                raise
            except (SignAuthError, UserNotFoundError) as exc:
                if self.stop_when_blocked:
                    self.last_error = str(exc)
                    raise
                await self._blocked(str(exc))
                continue
            except SignRateLimitError as exc:
                wait = exc.retry_after if exc.retry_after is not None else self.backoff.next()
                self.last_error = str(exc)
                self._set_state("rate_limited", f"sign server: retry in {wait:.0f}s")
                log.warning("room %s: %s", self.room.name, exc)
                await self._pause(wait)
                continue
            except HandshakeBlockedError as exc:
                self.last_error = str(exc)
                log.error("room %s: %s", self.room.name, exc)
                await self._after_drop()  # a room that is over refuses too: not "blocked"
                if self._session_room is None:
                    continue
                self._set_state("blocked", exc.handshake_msg or str(exc))
                await self._pause(max(self.backoff.next(), 30.0))
                continue
            except (RoomError, SignError) as exc:
                self.last_error = str(exc)
                delay = self.backoff.next()
                log.warning("room %s: %s; retrying in %.1fs", self.room.name, exc, delay)
                self._set_state("reconnecting", f"{exc}; retry in {delay:.0f}s")
                await self._pause(delay)
                await self._after_drop()
                continue
            if reason == "ended":
                self._end_session(None)
                self.backoff.reset()
                continue
            self._counters["reconnects"] += 1
            if reason == "stall":
                self._counters["stall_detections"] += 1
            if reason == "asked":
                self._set_state("reconnecting", "reconnect asked")
            else:
                delay = self.backoff.next()
                self._set_state("reconnecting", f"{_REASONS.get(reason, reason)}; in {delay:.1f}s")
                await self._pause(delay)
            await self._after_drop()

    def _end_session(self, reason: ev.StreamEndReason | None) -> None:
        """The session is over: a stream that ended without a control message gets its
        ``stream_ended`` (reason ``lost``) here, once."""
        old = self._session_room
        self.decoder.hold_streaks = False  # no fetch of this session will come now
        if old is None:
            return
        self._ended_rooms.add(old)
        self._session_room = None
        if reason is not None:
            log.info(
                "room %s: the stream in room %d is over (%s) without TikTok saying so",
                self.room.name,
                old,
                reason.value,
            )
            self._emit(ev.StreamEndedEvent(room_id=old, reason=reason))

    async def _after_drop(self, *, resuming: bool = False) -> None:
        """After a drop (or at a restart inside a session): still live in the same room?
        Otherwise the stream was lost: end it, and if a new session is already live, the
        next loop announces it."""
        session = self._session_room
        if session is None:
            return
        try:
            found = await self.rooms.live_status(self.room.unique_id, session)
        except UserNotFoundError:
            raise
        except LivetriggerError as exc:
            self._live_check_failed(exc)
            return  # assume still live: the next connect attempt tells
        self._live_check_failures = 0
        if found.live and found.room_id == session:
            if resuming:
                log.info("room %s: continuing the live session in room %d", self.room.name, session)
            return
        self._end_session(ev.StreamEndReason.LOST)

    def _live_check_failed(self, exc: Exception) -> None:
        self._live_check_failures += 1
        self.last_error = f"live check failed: {exc}"
        # one failure is normal weather; a run of them is worth a warning with the reason
        level = logging.WARNING if self._live_check_failures >= 3 else logging.INFO
        log.log(
            level,
            "room %s: live check failed %d time(s) in a row: %s",
            self.room.name,
            self._live_check_failures,
            exc,
        )

    async def _wait_for_live(self) -> None:
        """Poll until the streamer is live, looking the room id up again each time (every
        session has a new one); then announce the session (``live``)."""
        announced = False
        while True:
            candidate = self.room_id if self.room_id not in self._ended_rooms else None
            try:
                found = await self.rooms.live_status(self.room.unique_id, candidate)
            except UserNotFoundError:
                raise
            except (LivetriggerError, httpx.HTTPError) as exc:
                self._live_check_failed(exc)
            else:
                self._live_check_failures = 0
                if found.room_id is not None and found.room_id != self.room_id:
                    log.info(
                        "room %s: @%s has room id %d",
                        self.room.name,
                        self.room.unique_id,
                        found.room_id,
                    )
                    self.room_id = found.room_id
                if found.live and found.room_id is not None:
                    self._session_room = found.room_id
                    self._ended_rooms.discard(found.room_id)
                    self._emit(
                        ev.LiveStartedEvent(room_id=found.room_id, unique_id=self.room.unique_id)
                    )
                    return
            if not announced:
                self._set_state(
                    "waiting",
                    f"@{self.room.unique_id or self.room_id} is not live; looking every "
                    f"{self.settings.live_check_interval:g}s"
                    if not self._live_check_failures
                    else self.last_error,
                )
                self._emit(
                    ev.WaitingForLiveEvent(room_id=self.room_id or 0, unique_id=self.room.unique_id)
                )
                announced = True
            await self._pause(jittered(self.settings.live_check_interval, self.rng))

    async def _end_cut_streaks(self) -> None:
        """Streaks whose end frame never came end after ``streak_timeout`` — on the socket,
        between sockets, and while waiting — so this runs beside the connection, on the
        monotonic clock (the decoder's), whatever the scheduler's injected clock does.

        A timeout end is a decision of this process, which no fetch shows the next one: the
        state that says the streak ended is written before the end fires (at most one write
        per ``STREAK_WRITE_GAP``, batching the streaks due meanwhile)."""
        while True:
            deadline = self.decoder.next_streak_deadline()
            wait = 1.0 if deadline is None else min(1.0, max(0.01, deadline - time.monotonic()))
            await asyncio.sleep(wait)
            now = time.monotonic()
            write = self.write_ahead
            wrote = write is not None and self.decoder.close_due_streaks(now)
            if write is not None and wrote:
                try:
                    await write()
                except BaseException:
                    self.decoder.keep_due_streaks()  # a stop: the stop's write keeps them open
                    raise
            ended = self.decoder.expire_streaks(now)
            if ended:
                log.info(
                    "room %s: %d gift streak(s) ended by timeout (no end frame)",
                    self.room.name,
                    len(ended),
                )
                self._emit_all(ended)
            if wrote:
                await asyncio.sleep(STREAK_WRITE_GAP)

    async def _blocked(self, why: str) -> None:
        self.last_error = why
        log.error(
            "room %s: %s; looking again in %.0f minutes", self.room.name, why, BLOCKED_RETRY / 60
        )
        self._set_state("blocked", why)
        await self._pause(BLOCKED_RETRY)

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless reconnect_now() cuts it short."""
        wake = self._wake = asyncio.Event()
        sleeper = asyncio.ensure_future(self.sleep(seconds))
        waker = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._wake = None
            sleeper.cancel()
            waker.cancel()

    def _emit(self, event: ev.Event) -> None:
        if not event.received_at:
            from dataclasses import replace  # noqa: PLC0415

            event = replace(event, received_at=time.time())
        self.on_event(event)

    def _emit_all(self, events: list[ev.Event]) -> None:
        for event in events:
            if isinstance(event, ev.StreamEndedEvent) and not event.is_history:
                # over from here, not when the socket closes: the state saved with this
                # event must not resume the session after a SIGKILL (a second `ended`)
                self._end_session(None)
            try:
                self.on_event(event)
            except Exception:  # one bad consumer must not drop the socket
                log.exception("room %s: event handler failed", self.room.name)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)

"""The fake live room: a loopback server that speaks TikTok's WebCast protocol.

Written from the protocol facts (protocol.md), not from our client, so a client test against
it is a protocol test. It serves:

- HTTP (one port): the live page with SIGI_STATE, the api-live JSON, the live check, room
  info, the gift list, the sign endpoint (a real ``ProtoMessageFetchResult`` plus
  ``X-Set-TT-Cookie``; can answer 429/5xx on demand) and chat sending;
- the websocket push server (another port): checks the URL params, the cookie the sign
  endpoint issued and that the User-Agent matches the one that was signed; answers a refused
  handshake with HTTP 200 + ``Handshake-Msg`` like TikTok; waits for enter-room before
  pushing; validates and records ACKs and heartbeats; gzips when the URL asks for it.

It also behaves the way TikTok does across days (protocol.md §9), including what a client
may not handle:

1. every live session gets a NEW room id; an ended id's check_alive is false and its room
   info says status 4 for good;
2. while offline the live page / api-live show the last room id or none (``offline_room_id``);
3. the sign endpoint's initial fetch carries the session's recent messages (chats, gifts,
   joins) from before the connection, without ``is_history`` (``history_flag``);
4. the upgrade answer advertises ``Handshake-Options: ping-interval=N``;
5. a stream can end with no control message (``vanish``: the sockets die, the room is off);
6. a streak's end frame may never come (show files: ``gift: {..., end: false}``);
7. check_alive can answer 5xx while the live page says live (``fail_check_alive``);
8. gift messages may leave the embedded gift out (``bare_gifts``); the gift list has it.

Tests, the demo and users script it from Python (``send``, ``go_offline``, ``drop``, ...)
or from a show file (see ``shows.py``).

``FakeLiveRoom`` is the facade; each part has one job: ``room_state`` (identity, liveness and
the log of what was sent), ``endpoints`` (HTTP), ``push`` (the websocket), ``faults`` (what a
test switches on), ``playback`` (shows) and ``encode`` (one encoder per event kind).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any, Generic, TypeVar, overload

from livetrigger import events as ev
from livetrigger.settings import TikTokSettings
from livetrigger.simulator import httpd, playback
from livetrigger.simulator.demo_show import DEMO_ROOM_ID, DEMO_STREAMER
from livetrigger.simulator.endpoints import WebEndpoints
from livetrigger.simulator.faults import Faults
from livetrigger.simulator.gifts import GIFTS
from livetrigger.simulator.push import WS_PATH, Client, PushServer, decode_pushed
from livetrigger.simulator.room_state import MessageLog, RoomState

__all__ = ["GIFTS", "Client", "FakeLiveRoom", "decode_pushed"]

T = TypeVar("T")


class Part(Generic[T]):
    """A FakeLiveRoom attribute kept by one of its parts (``Part[int]("state")``)."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, room: None, owner: type) -> Part[T]: ...
    @overload
    def __get__(self, room: object, owner: type | None = None) -> T: ...
    def __get__(self, room: object, owner: type | None = None) -> T | Part[T]:
        if room is None:
            return self
        value: T = getattr(getattr(room, self.part), self.name)
        return value

    def __set__(self, room: object, value: T) -> None:
        setattr(getattr(room, self.part), self.name, value)


class FakeLiveRoom:
    """A live room on 127.0.0.1. ``async with FakeLiveRoom() as room: room.tiktok_settings()``."""

    # the room's identity and liveness
    unique_id = Part[str]("state")
    room_id = Part[int]("state")
    first_room_id = Part[int]("state")
    live = Part[bool]("state")
    offline_room_id = Part[str]("state")
    ended_room_ids = Part[list[int]]("state")
    sessions = Part[int]("state")
    title = Part[str]("state")
    viewers = Part[int]("state")
    # what it sent and will send
    history = Part[list[ev.Event]]("log")
    recent_limit = Part[int]("log")
    bare_gifts = Part[bool]("log")
    # faults switched on
    heartbeat_replies = Part[bool]("faults")
    stalled = Part[bool]("faults")
    blocked_handshake = Part[str | None]("faults")
    check_alive_failure = Part[int | None]("faults")
    # the HTTP endpoints and what clients asked them
    history_flag = Part[bool]("web")
    sign_api_key = Part[str | None]("web")
    http_requests = Part[list[httpd.Request]]("web")
    sign_requests = Part[list[tuple[float, dict[str, str]]]]("web")
    signed_rooms = Part[list[int]]("web")
    live_checks = Part[int]("web")
    polls = Part[int]("web")
    chat_messages = Part[list[str]]("web")
    # the websocket push server and its clients
    ping_interval = Part[float]("push")
    queue_until_entered = Part[bool]("push")
    resume_from_cursor = Part[bool]("push")
    clients = Part[list[Client]]("push")
    closed_clients = Part[list[Client]]("push")
    connections = Part[int]("push")
    handshakes = Part[list[dict[str, str]]]("push")
    handshake_refusals = Part[int]("push")

    def __init__(
        self,
        *,
        unique_id: str = DEMO_STREAMER,
        room_id: int = DEMO_ROOM_ID,
        live: bool = True,
        host: str = "127.0.0.1",
        heartbeat_replies: bool = True,
        history: Iterable[ev.Event] = (),
        http_port: int = 0,
        ws_port: int = 0,
        ping_interval: float = 10.0,
        offline_room_id: str = "last",
        history_flag: bool = False,
        recent_limit: int = 6,
        bare_gifts: bool = False,
        queue_until_entered: bool = True,
        resume_from_cursor: bool = False,
    ) -> None:
        self.host = host
        self.http_port = http_port
        self.ws_port = ws_port
        self.state = RoomState(unique_id, room_id, live, offline_room_id)
        self.log = MessageLog(history, recent_limit=recent_limit, bare_gifts=bare_gifts)
        self.faults = Faults(heartbeat_replies=heartbeat_replies)
        tokens: dict[str, str] = {}  # the sign endpoint issues them, the push server checks
        self.web = WebEndpoints(
            self.state,
            self.log,
            self.faults,
            tokens,
            lambda: self.push_url,
            history_flag=history_flag,
        )
        self.push = PushServer(
            self.state,
            self.log,
            self.faults,
            tokens,
            ping_interval=ping_interval,
            queue_until_entered=queue_until_entered,
            resume_from_cursor=resume_from_cursor,
        )
        self._http: asyncio.Server | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen: the HTTP endpoints and the push server, each on its port."""
        self._http = await httpd.serve(self.route, self.host, self.http_port)
        self.http_port = self._http.sockets[0].getsockname()[1]
        self.ws_port = await self.push.start(self.host, self.ws_port)

    async def aclose(self) -> None:
        """Stop listening; every websocket is closed."""
        await self.push.aclose()
        if self._http is not None:
            self._http.close()
            await self._http.wait_closed()
            self._http = None

    async def __aenter__(self) -> FakeLiveRoom:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def base_url(self) -> str:
        """The URL of the HTTP endpoints (web_url, webcast_url and sign_url)."""
        return f"http://{self.host}:{self.http_port}"

    @property
    def push_url(self) -> str:
        """The websocket URL the sign endpoint hands out."""
        return f"ws://{self.host}:{self.ws_port}{WS_PATH}"

    def tiktok_settings(self, **overrides: Any) -> TikTokSettings:
        """Settings that point every base URL of livetrigger at this room."""
        base: dict[str, Any] = {
            "web_url": self.base_url,
            "webcast_url": self.base_url,
            "sign_url": self.base_url,
            "live_check_interval": 0.2,
            "reconnect_initial": 0.05,
            "reconnect_max": 0.5,
            "heartbeat_interval": 0.5,
            "stall_timeout": 3.0,
        }
        base.update(overrides)
        return TikTokSettings(**base)

    def route(self, req: httpd.Request) -> bytes:
        """The answer to one HTTP request (also called by ``router.RoomRouter``)."""
        return self.web.route(req)

    # -- scripting --------------------------------------------------------------------------

    def next_msg_id(self) -> int:
        """A message id never used before in this room."""
        return self.log.next_msg_id()

    def go_live(self) -> None:
        """Start a live session; after an ended one it has a new room id (fact 1)."""
        if self.state.go_live():
            self.log.recent.clear()

    def go_offline(self) -> None:
        """The session ends (nothing sent to the sockets; see ``end_stream``, ``vanish``)."""
        self.state.go_offline()

    async def vanish(self) -> None:
        """The stream ends with no control message: offline, and every socket dies (fact 4)."""
        self.go_offline()
        await self.drop()

    def fail_check_alive(self, status: int | None = 503) -> None:
        """check_alive answers ``status`` until called with None (fact 6)."""
        self.faults.check_alive_failure = status

    def fail_sign(self, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """The next ``times`` sign requests answer ``status`` (429: with Retry-After)."""
        self.faults.fail_sign(status, times, retry_after)

    def stall(self, stalled: bool = True) -> None:
        """Stop (or resume) sending anything, heartbeat replies included; sockets stay open."""
        self.faults.stalled = stalled

    async def send(self, *sent: ev.Event) -> None:
        """Push events to every entered client. With none entered they wait for one
        (``queue_until_entered``) or only reach later initial fetches, as on TikTok."""
        events = [self.log.stamp(e, self.state.room_id) for e in sent]
        self.log.sent.extend(events)
        await self.push.deliver(events)

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are to every connected client."""
        await self.push.send_raw(data)

    async def end_stream(self) -> None:
        """The host ends the LIVE: offline, and a control message to everyone connected."""
        self.go_offline()
        await self.send(ev.StreamEndedEvent(room_id=self.room_id, msg_id=self.next_msg_id()))

    async def drop(self) -> None:
        """Cut every socket without a close frame, as a dying Wi-Fi would."""
        self.push.drop()

    async def wait_for_client(self, timeout: float = 30.0, *, room_id: int | None = None) -> Client:
        """The first client to have entered the room (with ``room_id``: that session's room);
        TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for client in self.clients:
                if client.entered.is_set() and room_id in (None, client.room_id):
                    return client
            await asyncio.sleep(0.01)
        raise TimeoutError("no client entered the room")

    async def play(
        self, show: Iterable[playback.Step], speed: float = 1.0, *, fresh: bool = False
    ) -> None:
        """Run a show: (seconds to wait, event or action) steps. Actions: go_live,
        go_offline, end_stream, drop, stall, resume (``playback.ACTIONS`` has them all).
        ``fresh``: every event goes out as a new message (new ids), so a show can be played
        again."""
        await playback.play(self, show, speed, fresh=fresh)

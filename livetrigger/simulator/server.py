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
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from http.cookies import SimpleCookie
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response as WsResponse

from livetrigger import events as ev
from livetrigger.settings import TikTokSettings
from livetrigger.simulator import wire
from livetrigger.simulator.demo_show import DEMO_ROOM_ID, DEMO_STREAMER
from livetrigger.simulator.httpd import Request, read_request, response
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.frames import inflate

log = logging.getLogger(__name__)

WS_PATH = "/webcast/im/ws_proxy/ws_reuse_supplement/"
REQUIRED_WS_PARAMS = ("room_id", "cursor", "internal_ext", "aid", "version_code", "live_id")
GIFTS = [
    {"id": 5655, "name": "Rose", "diamond_count": 1, "combo": True, "type": 1},
    {"id": 5269, "name": "TikTok", "diamond_count": 1, "combo": True, "type": 1},
    {"id": 7934, "name": "Galaxy", "diamond_count": 500, "combo": False, "type": 2},
    {"id": 6369, "name": "Lion", "diamond_count": 29999, "combo": False, "type": 2},
]


@dataclass
class Client:
    """One websocket client as the server sees it."""

    ws: ServerConnection
    compress: bool
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    heartbeats: list[int] = field(default_factory=list)  # sequence numbers in order
    heartbeat_times: list[float] = field(default_factory=list)  # monotonic, when each came
    acks: list[tuple[int, str]] = field(default_factory=list)
    pending_acks: dict[int, str] = field(default_factory=dict)  # log id → expected payload
    errors: list[str] = field(default_factory=list)
    cursor: int | None = None  # where in the room's log its fetch left off ("p-N")


class FakeLiveRoom:
    """A live room on 127.0.0.1. ``async with FakeLiveRoom() as room: room.tiktok_settings()``."""

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
        self.unique_id = unique_id
        self.room_id = room_id
        self.first_room_id = room_id
        self.live = live
        self.ping_interval = ping_interval  # advertised in Handshake-Options
        self.offline_room_id = offline_room_id  # "last" or "empty": what the page shows offline
        self.history_flag = history_flag  # set is_history on the initial fetch (TikTok: not always)
        self.recent_limit = recent_limit  # recent messages the initial fetch carries
        self.bare_gifts = bare_gifts  # gift messages without the embedded Gift
        # convenience for tests: events sent while no client is in the room wait for one;
        # TikTok does not do that (False: they only reach the initial fetch's recent messages)
        self.queue_until_entered = queue_until_entered
        # TikTok's push resumes at the cursor of the fetch the client signed: what was sent
        # between the sign and the enter-room is pushed on entering, not lost
        self.resume_from_cursor = resume_from_cursor
        self.signed_rooms: list[int] = []  # room id of every sign answered with a fetch
        self.sign_api_key: str | None = None  # when set, the sign endpoint wants this key
        self.ended_room_ids: list[int] = []
        self.sessions = 1 if live else 0
        self.check_alive_failure: int | None = None  # HTTP status check_alive answers with
        self._recent: list[wire.WireMessage] = []
        self._created_ms = 0
        self.host = host
        self.heartbeat_replies = heartbeat_replies
        self.history = list(history)
        self.title = "a fake LIVE"
        self.viewers = 42
        # what clients did
        self.sign_requests: list[tuple[float, dict[str, str]]] = []
        self.live_checks = 0
        self.chat_messages: list[str] = []
        self.connections = 0
        self.clients: list[Client] = []
        self.closed_clients: list[Client] = []
        self.handshake_refusals = 0
        # knobs
        self.blocked_handshake: str | None = None  # e.g. "415 DEVICE_BLOCKED"
        self.stalled = False
        self._sign_failures: list[tuple[int, float | None]] = []
        self._tokens: dict[str, str] = {}  # ttwid cookie → user agent it was signed for
        self._pending: list[ev.Event] = []
        self._poll_log: list[ev.Event] = []  # everything sent, for clients that poll
        self.polls = 0
        self.http_requests: list[Request] = []
        self.handshakes: list[dict[str, str]] = []  # websocket handshake headers, as sent
        self._log_ids = 1000
        self._msg_ids = 7_300_000_000_000_000_000
        self._seq = 0
        self._http: asyncio.Server | None = None
        self._ws: Server | None = None
        self.http_port = http_port
        self.ws_port = ws_port

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._http = await asyncio.start_server(self._http_client, self.host, self.http_port)
        self.http_port = self._http.sockets[0].getsockname()[1]
        self._ws = await serve(
            self._ws_handler,
            self.host,
            self.ws_port,
            process_request=self._check_handshake,
            process_response=self._advertise,
            ping_interval=None,
            max_size=1 << 20,
            compression=None,
        )
        self.ws_port = next(iter(self._ws.sockets)).getsockname()[1]

    async def aclose(self) -> None:
        if self._ws is not None:
            self._ws.close()
            with contextlib.suppress(Exception):
                await self._ws.wait_closed()
            self._ws = None
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
        return f"http://{self.host}:{self.http_port}"

    @property
    def push_url(self) -> str:
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

    # -- scripting --------------------------------------------------------------------------

    def next_msg_id(self) -> int:
        self._msg_ids += 1
        return self._msg_ids

    def go_live(self) -> None:
        """Start a live session; after an ended one it has a new room id (fact 1)."""
        if self.live:
            return
        if self.room_id in self.ended_room_ids:
            self.room_id = self.first_room_id + 1_000 * len(self.ended_room_ids)
        self.live = True
        self.sessions += 1
        self._recent.clear()

    def go_offline(self) -> None:
        """The session ends (nothing sent to the sockets; see ``end_stream``, ``vanish``)."""
        if self.live and self.room_id not in self.ended_room_ids:
            self.ended_room_ids.append(self.room_id)
        self.live = False

    async def vanish(self) -> None:
        """The stream ends with no control message: offline, and every socket dies (fact 4)."""
        self.go_offline()
        await self.drop()

    def fail_check_alive(self, status: int | None = 503) -> None:
        """check_alive answers ``status`` until called with None (fact 6)."""
        self.check_alive_failure = status

    def _stamp(self, event: ev.Event) -> ev.Event:
        # TikTok stamps every message with its room and a server time in ms
        from dataclasses import replace  # noqa: PLC0415

        self._created_ms = max(self._created_ms + 1, int(time.time() * 1000))
        changes: dict[str, Any] = {}
        if not event.create_time:
            changes["create_time"] = self._created_ms
        if not event.room_id:
            changes["room_id"] = self.room_id
        return replace(event, **changes) if changes else event

    def _encode(self, event: ev.Event) -> wire.WireMessage:
        return wire.encode_event(event, embed_gift=not self.bare_gifts)

    def fail_sign(self, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """The next ``times`` sign requests answer ``status`` (429: with Retry-After)."""
        self._sign_failures.extend([(status, retry_after)] * times)

    def stall(self, stalled: bool = True) -> None:
        """Stop (or resume) sending anything, heartbeat replies included; sockets stay open."""
        self.stalled = stalled

    async def send(self, *sent: ev.Event) -> None:
        """Push events to every entered client. With none entered they wait for one
        (``queue_until_entered``) or only reach later initial fetches, as on TikTok."""
        events = [self._stamp(e) for e in sent]
        self._poll_log.extend(events)
        entered = [c for c in self.clients if c.entered.is_set()]
        if not entered and self.queue_until_entered:
            self._pending.extend(events)
            return
        self._remember(events)
        for client in entered:
            await self._push(client, list(events))

    def _remember(self, events: list[ev.Event]) -> None:
        for event in events:
            if isinstance(event, ev.ChatEvent | ev.GiftEvent | ev.JoinEvent):
                self._recent.append(self._encode(event))
        del self._recent[: -self.recent_limit or len(self._recent)]

    async def send_raw(self, data: bytes) -> None:
        for client in self.clients:
            with contextlib.suppress(ConnectionClosed):
                await client.ws.send(data)

    async def end_stream(self) -> None:
        """The host ends the LIVE: offline, and a control message to everyone connected."""
        self.go_offline()
        await self.send(ev.StreamEndedEvent(room_id=self.room_id, msg_id=self.next_msg_id()))

    async def drop(self) -> None:
        """Cut every socket without a close frame, as a dying Wi-Fi would."""
        for client in list(self.clients):
            client.ws.transport.abort()

    async def wait_for_client(self, timeout: float = 30.0) -> Client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for client in self.clients:
                if client.entered.is_set():
                    return client
            await asyncio.sleep(0.01)
        raise TimeoutError("no client entered the room")

    async def play(self, show: Iterable[tuple[float, ev.Event | str]], speed: float = 1.0) -> None:
        """Run a show: (seconds to wait, event or action) steps. Actions: go_live,
        go_offline, end_stream, drop, stall, resume."""
        for delay, step in show:
            if delay > 0:
                await asyncio.sleep(delay / speed)
            if isinstance(step, str):
                await self._action(step)
            elif isinstance(step, ev.StreamEndedEvent):
                self.go_offline()
                await self.send(step)
            else:
                await self.send(step)

    async def _action(self, name: str) -> None:
        if name == "go_live":
            self.go_live()
        elif name == "go_offline":
            self.go_offline()
        elif name == "end_stream":
            await self.end_stream()
        elif name == "drop":
            await self.drop()
        elif name == "vanish":
            await self.vanish()
        elif name == "fail_check_alive":
            self.fail_check_alive(503)
        elif name == "heal_check_alive":
            self.fail_check_alive(None)
        elif name == "stall":
            self.stall(True)
        elif name == "resume":
            self.stall(False)
        else:
            raise ValueError(f"unknown show action {name!r}")

    # -- HTTP -------------------------------------------------------------------------------

    async def _http_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while (request := await read_request(reader)) is not None:
                writer.write(self.route(request))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    def route(self, req: Request) -> bytes:
        """The answer to one HTTP request (also called by ``router.RoomRouter``)."""
        self.http_requests.append(req)
        path = req.path
        if path == f"/@{self.unique_id}/live":
            return self._live_page()
        if path.startswith("/@") and path.endswith("/live"):
            page = '<html><script id="SIGI_STATE" type="application/json">{}</script></html>'
            return response(200, page.encode(), {"content-type": "text/html"})
        if path == "/api-live/user/room/":
            if req.query.get("uniqueId") != self.unique_id:
                return _json({"statusCode": 19881007, "message": "user_not_found"})
            return _json(
                {
                    "statusCode": 0,
                    "data": {
                        "user": {"roomId": self._shown_room_id()},
                        "liveRoom": {"status": self._status()},
                    },
                }
            )
        if path == "/webcast/room/check_alive/":
            self.live_checks += 1
            if self.check_alive_failure is not None:
                return response(self.check_alive_failure, b"upstream error")
            ids = req.query.get("room_ids", "").split(",")
            return _json(
                {
                    "data": [
                        {
                            "room_id": int(i) if i.isdigit() else i,
                            "alive": self.live and i == str(self.room_id),
                        }
                        for i in ids
                    ],
                    "status_code": 0,
                }
            )
        if path == "/webcast/room/info/":
            return _json(
                {
                    "data": {
                        "status": 2
                        if self.live and req.query.get("room_id") == str(self.room_id)
                        else 4,
                        "title": self.title,
                        "user_count": self.viewers,
                        "id_str": str(self.room_id),
                        "owner": {"display_id": self.unique_id},
                    },
                    "status_code": 0,
                }
            )
        if path == "/webcast/gift/list/":
            return _json({"data": {"gifts": GIFTS}, "status_code": 0})
        if path == "/webcast/fetch":
            return self._sign(req)
        if path == "/webcast/im/fetch/":
            return self._poll(req)
        if path == "/webcast/chat" and req.method == "POST":
            body = json.loads(req.body or b"{}")
            if not body.get("session_id"):
                return _json({"code": 401, "message": "no session"}, 401)
            self.chat_messages.append(str(body.get("content", "")))
            return _json({"code": 200})
        return response(404, b"not found")

    def _status(self) -> int:
        return 2 if self.live else 4

    def _shown_room_id(self) -> str:
        return "" if not self.live and self.offline_room_id == "empty" else str(self.room_id)

    def _live_page(self) -> bytes:
        state = {
            "LiveRoom": {
                "liveRoomUserInfo": {
                    "user": {
                        "roomId": self._shown_room_id(),
                        "uniqueId": self.unique_id,
                        "status": self._status(),
                    },
                    "liveRoom": {"status": self._status(), "title": self.title},
                }
            }
        }
        page = (
            "<!doctype html><html><head><title>LIVE</title></head><body>"
            f'<script id="SIGI_STATE" type="application/json">{json.dumps(state)}</script>'
            f"<h1>{html.escape(self.title)}</h1></body></html>"
        )
        return response(200, page.encode(), {"content-type": "text/html; charset=utf-8"})

    def _sign(self, req: Request) -> bytes:
        self.sign_requests.append((time.monotonic(), req.query))
        if self._sign_failures:
            status, retry_after = self._sign_failures.pop(0)
            headers = {"content-type": "application/json"}
            if retry_after is not None:
                headers["Retry-After"] = f"{retry_after:g}"
            body = json.dumps(
                {"message": "Too many connections", "limit_label": "rate_limit_minute"}
            )
            return response(status, body.encode(), headers)
        if self.sign_api_key is not None and req.headers.get("x-api-key") != self.sign_api_key:
            return _json({"message": "The provided API Key is invalid."}, 401)
        q = req.query
        if not q.get("room_id") or not q.get("user_agent"):
            return _json({"message": "room_id and user_agent are required"}, 400)
        if q["room_id"] != str(self.room_id) or not self.live:
            return _json({"message": f"room {q['room_id']} is not live"}, 400)
        token = secrets.token_hex(8)
        self._tokens[token] = q["user_agent"]
        self.signed_rooms.append(self.room_id)
        history = [
            self._encode(replace(self._stamp(e), is_history=self.history_flag))
            for e in self.history
        ]
        history += [replace(m, is_history=self.history_flag) for m in self._recent]
        result = wire.fetch_result(
            history,
            cursor=f"p-{len(self._poll_log)}",
            internal_ext=f"internal_src:fake|first_req_ms:{int(time.time() * 1000)}",
            push_server=self.push_url,
            route_params={"room_tag": "", "wrss": token},
            is_first=True,
            now_ms=int(time.time() * 1000),
        )
        cookie = f"ttwid={token}; tt_chain_token={secrets.token_hex(6)}"
        return response(
            200,
            result.SerializeToString(),
            {
                "content-type": "application/protobuf",
                "X-Set-TT-Cookie": cookie,
                "X-Request-Id": secrets.token_hex(4),
            },
        )

    def _poll(self, req: Request) -> bytes:
        """The polling path: events after the cursor, for clients without a websocket."""
        self.polls += 1
        cookies = SimpleCookie()
        cookies.load(req.headers.get("cookie", ""))
        if "ttwid" not in cookies or cookies["ttwid"].value not in self._tokens:
            return response(403, b"")
        if req.query.get("room_id") != str(self.room_id):
            return response(400, b"")
        cursor = req.query.get("cursor", "")
        start = (
            int(cursor[2:])
            if cursor.startswith("p-") and cursor[2:].isdigit()
            else len(self._poll_log)
        )
        events = [] if self.stalled else self._poll_log[start:]
        result = wire.fetch_result(
            (wire.encode_event(e) for e in events),
            cursor=f"p-{start + len(events)}",
            internal_ext=f"internal_src:fake|poll:{start}",
        )
        result.fetch_interval = 200
        return response(200, result.SerializeToString(), {"content-type": "application/protobuf"})

    # -- websocket --------------------------------------------------------------------------

    def _check_handshake(
        self, connection: ServerConnection, request: WsRequest
    ) -> WsResponse | None:
        problem = self._handshake_problem(request)
        if problem is None:
            return None
        self.handshake_refusals += 1
        # TikTok refuses with a plain 200 and says why in headers
        resp = connection.respond(200, "")
        resp.headers["Handshake-Status"] = problem.split(" ", 1)[0]
        resp.headers["Handshake-Msg"] = problem.split(" ", 1)[1]
        return resp

    def _advertise(
        self, connection: ServerConnection, request: WsRequest, resp: WsResponse
    ) -> None:
        if resp.status_code == 101:
            resp.headers["Handshake-Options"] = f"ping-interval={self.ping_interval:g}"

    def _handshake_problem(self, request: WsRequest) -> str | None:
        self.handshakes.append({k.lower(): v for k, v in request.headers.raw_items()})
        if self.blocked_handshake:
            return self.blocked_handshake
        from urllib.parse import parse_qsl, urlsplit  # noqa: PLC0415

        parts = urlsplit(request.path)
        if parts.path != WS_PATH:
            return "404 unknown path"
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        missing = [p for p in REQUIRED_WS_PARAMS if p not in params]
        if missing:
            return f"417 missing params {','.join(missing)}"
        if params["room_id"] != str(self.room_id):
            return "417 illegal room_id"
        if not self.live:
            return "417 room is not live"
        cookies = SimpleCookie()
        cookies.load(request.headers.get("Cookie", ""))
        token = cookies["ttwid"].value if "ttwid" in cookies else ""
        if token not in self._tokens:
            return "417 illegal secret key"
        if request.headers.get("User-Agent") != self._tokens[token]:
            return "415 DEVICE_BLOCKED"
        return None

    async def _ws_handler(self, ws: ServerConnection) -> None:
        from urllib.parse import parse_qsl, urlsplit  # noqa: PLC0415

        params = dict(parse_qsl(urlsplit(ws.request.path).query) if ws.request else [])
        client = Client(ws, compress=params.get("compress") == "gzip")
        cursor = params.get("cursor", "")
        if cursor.startswith("p-") and cursor[2:].isdigit():
            client.cursor = int(cursor[2:])
        self.clients.append(client)
        self.connections += 1
        try:
            async for data in ws:
                if isinstance(data, str):
                    client.errors.append("text frame")
                    continue
                await self._inbound(client, data)
        except ConnectionClosed:
            pass
        finally:
            self.clients.remove(client)
            self.closed_clients.append(client)

    async def _inbound(self, client: Client, data: bytes) -> None:
        frame = pb.WebcastPushFrame()
        try:
            frame.ParseFromString(data)
        except Exception:
            client.errors.append("unparseable frame")
            return
        kind = frame.payload_type
        if kind == "im_enter_room":
            enter = pb.WebcastImEnterRoomMessage()
            enter.ParseFromString(frame.payload)
            if enter.room_id != self.room_id:
                client.errors.append(f"entered room {enter.room_id}")
                return
            client.entered.set()
            if self.resume_from_cursor and client.cursor is not None:
                await self._push(client, self._poll_log[client.cursor :])
            if self._pending:
                pending, self._pending = self._pending, []
                self._remember(pending)
                await self._push(client, pending)
        elif kind == "hb":
            hb = pb.HeartBeatMessage()
            hb.ParseFromString(frame.payload)
            if not client.entered.is_set():
                client.errors.append("heartbeat before enter-room")
            expected = (client.heartbeats[-1] + 1) if client.heartbeats else 1
            if hb.send_packet_seq_id != expected or hb.room_id != self.room_id:
                client.errors.append(f"heartbeat seq {hb.send_packet_seq_id}, expected {expected}")
            client.heartbeats.append(hb.send_packet_seq_id)
            client.heartbeat_times.append(time.monotonic())
            if self.heartbeat_replies and not self.stalled:
                reply = pb.WebcastPushFrame(payload_type="hb", payload_encoding="pb", log_id=0)
                with contextlib.suppress(ConnectionClosed):
                    await client.ws.send(reply.SerializeToString())
        elif kind == "ack":
            want = client.pending_acks.pop(frame.log_id, None)
            got = frame.payload.decode("utf-8", "replace")
            if want is None:
                client.errors.append(f"ack for unknown log id {frame.log_id}")
            elif got != want:
                client.errors.append(f"ack payload {got!r}, expected {want!r}")
            client.acks.append((frame.log_id, got))
        else:
            client.errors.append(f"unexpected payload type {kind!r}")

    async def _push(self, client: Client, events: list[ev.Event]) -> None:
        if self.stalled or not events:
            return
        self._log_ids += 1
        self._seq += 1
        ext = f"internal_src:fake|seq:{self._seq}"
        result = wire.fetch_result(
            (self._encode(e) for e in events),
            internal_ext=ext,
            need_ack=True,
            cursor=f"c-{self._seq}",
        )
        data = wire.push_frame(result, log_id=self._log_ids, compress=client.compress)
        client.pending_acks[self._log_ids] = ext
        with contextlib.suppress(ConnectionClosed):
            await client.ws.send(data)


def _json(body: Any, status: int = 200) -> bytes:
    return response(status, json.dumps(body).encode(), {"content-type": "application/json"})


def decode_pushed(data: bytes) -> pb.ProtoMessageFetchResult:
    """For tests: the fetch result inside a frame this server pushed."""
    frame = pb.WebcastPushFrame()
    frame.ParseFromString(data)
    payload = frame.payload
    if payload[:2] == b"\x1f\x8b":
        payload = inflate(payload)
    result = pb.ProtoMessageFetchResult()
    result.ParseFromString(payload)
    return result


__all__ = ["FakeLiveRoom", "Headers"]

"""The fake room's websocket push server, held to what TikTok's checks and expects.

It checks the URL params, the cookie the sign endpoint issued and that the User-Agent is the
one that was signed; refuses a handshake with HTTP 200 + ``Handshake-Msg`` like TikTok;
advertises ``Handshake-Options: ping-interval=N``; waits for enter-room before pushing;
validates and records ACKs and heartbeats; gzips when the URL asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response as WsResponse

from livetrigger import events as ev
from livetrigger.simulator import wire
from livetrigger.simulator.endpoints import signed_token
from livetrigger.simulator.faults import Faults
from livetrigger.simulator.room_state import MessageLog, RoomState
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.frames import inflate

WS_PATH = "/webcast/im/ws_proxy/ws_reuse_supplement/"
REQUIRED_WS_PARAMS = ("room_id", "cursor", "internal_ext", "aid", "version_code", "live_id")


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
    room_id: int = 0  # the session's room it entered


class PushServer:
    """The websocket side of the room: who is connected, and what reaches them."""

    def __init__(
        self,
        state: RoomState,
        log: MessageLog,
        faults: Faults,
        tokens: dict[str, str],
        *,
        ping_interval: float,
        queue_until_entered: bool,
        resume_from_cursor: bool,
    ) -> None:
        self.state = state
        self.log = log
        self.faults = faults
        self.tokens = tokens  # ttwid cookie → the user agent it was signed for
        self.ping_interval = ping_interval  # advertised in Handshake-Options
        # convenience for tests: events sent while no client is in the room wait for one;
        # TikTok does not do that (False: they only reach the initial fetch's recent messages)
        self.queue_until_entered = queue_until_entered
        # TikTok's push resumes at the cursor of the fetch the client signed: what was sent
        # between the sign and the enter-room is pushed on entering, not lost
        self.resume_from_cursor = resume_from_cursor
        self.clients: list[Client] = []
        self.closed_clients: list[Client] = []
        self.connections = 0
        self.handshakes: list[dict[str, str]] = []  # websocket handshake headers, as sent
        self.handshake_refusals = 0
        self._log_ids = 1000
        self._seq = 0
        self._server: Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: any free port); returns the port."""
        self._server = await serve(
            self._handler,
            host,
            port,
            process_request=self._check_handshake,
            process_response=self._advertise,
            ping_interval=None,
            max_size=1 << 20,
            compression=None,
        )
        listening: int = next(iter(self._server.sockets)).getsockname()[1]
        return listening

    async def aclose(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    def entered(self) -> list[Client]:
        """The clients that entered the room."""
        return [c for c in self.clients if c.entered.is_set()]

    async def deliver(self, events: list[ev.Event]) -> None:
        """Push stamped events to every entered client, or keep them for the first to enter."""
        entered = self.entered()
        if not entered and self.queue_until_entered:
            self.log.pending.extend(events)
            return
        self.log.remember(events)
        for client in entered:
            await self.push(client, list(events))

    async def push(self, client: Client, events: list[ev.Event]) -> None:
        """One push frame carrying ``events``, with an ACK expected for it."""
        if self.faults.stalled or not events:
            return
        self._log_ids += 1
        self._seq += 1
        ext = f"internal_src:fake|seq:{self._seq}"
        result = wire.fetch_result(
            (self.log.encode(e) for e in events),
            internal_ext=ext,
            need_ack=True,
            cursor=f"c-{self._seq}",
        )
        data = wire.push_frame(result, log_id=self._log_ids, compress=client.compress)
        client.pending_acks[self._log_ids] = ext
        with contextlib.suppress(ConnectionClosed):
            await client.ws.send(data)

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are to every connected client."""
        for client in self.clients:
            with contextlib.suppress(ConnectionClosed):
                await client.ws.send(data)

    def drop(self) -> None:
        """Cut every socket without a close frame."""
        for client in list(self.clients):
            client.ws.transport.abort()

    # -- the handshake ----------------------------------------------------------------------

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
        if self.faults.blocked_handshake:
            return self.faults.blocked_handshake
        parts = urlsplit(request.path)
        if parts.path != WS_PATH:
            return "404 unknown path"
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        missing = [p for p in REQUIRED_WS_PARAMS if p not in params]
        if missing:
            return f"417 missing params {','.join(missing)}"
        if params["room_id"] != str(self.state.room_id):
            return "417 illegal room_id"
        if not self.state.live:
            return "417 room is not live"
        token = signed_token(request.headers.get("Cookie", ""), self.tokens)
        if token is None:
            return "417 illegal secret key"
        if request.headers.get("User-Agent") != self.tokens[token]:
            return "415 DEVICE_BLOCKED"
        return None

    # -- a connection -----------------------------------------------------------------------

    async def _handler(self, ws: ServerConnection) -> None:
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
            await self._enter(client, frame.payload)
        elif kind == "hb":
            await self._heartbeat(client, frame.payload)
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

    async def _enter(self, client: Client, payload: bytes) -> None:
        enter = pb.WebcastImEnterRoomMessage()
        enter.ParseFromString(payload)
        if enter.room_id != self.state.room_id:
            client.errors.append(f"entered room {enter.room_id}")
            return
        client.room_id = enter.room_id
        client.entered.set()
        if self.resume_from_cursor and client.cursor is not None:
            await self.push(client, self.log.sent[client.cursor :])
        if self.log.pending:
            await self.push(client, self.log.take_pending())

    async def _heartbeat(self, client: Client, payload: bytes) -> None:
        hb = pb.HeartBeatMessage()
        hb.ParseFromString(payload)
        if not client.entered.is_set():
            client.errors.append("heartbeat before enter-room")
        expected = (client.heartbeats[-1] + 1) if client.heartbeats else 1
        if hb.send_packet_seq_id != expected or hb.room_id != self.state.room_id:
            client.errors.append(f"heartbeat seq {hb.send_packet_seq_id}, expected {expected}")
        client.heartbeats.append(hb.send_packet_seq_id)
        client.heartbeat_times.append(time.monotonic())
        if self.faults.heartbeat_replies and not self.faults.stalled:
            reply = pb.WebcastPushFrame(payload_type="hb", payload_encoding="pb", log_id=0)
            with contextlib.suppress(ConnectionClosed):
                await client.ws.send(reply.SerializeToString())


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

"""The websocket shell: opens the push server socket and pumps bytes through a Session.

It decides nothing about the protocol (the Session says what to send and when); it only
moves bytes, keeps time, and notices a socket that went silent (stall detection): TikTok's
push server answers heartbeats, so no frame at all for ``stall_timeout`` means the path is
dead even when TCP has not noticed — the usual state after a Wi-Fi drop.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from livetrigger import events as ev
from livetrigger.errors import HandshakeBlockedError, RoomError
from livetrigger.system.trust import websocket_context
from livetrigger.text.networds import describe_network_error
from livetrigger.webcast import http_defaults
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.session import Session

log = logging.getLogger(__name__)


def ws_url(
    result: pb.ProtoMessageFetchResult,
    room_id: int,
    user_agent: str,
    *,
    compress: bool,
    rng: random.Random,
    push_server: str | None = None,
) -> str:
    """push_server + default params + connection params + route params + the trailing
    ``version_code=270000`` production URLs carry (protocol.md §1.7)."""
    base = push_server or result.push_server
    if not base:
        raise RoomError("the sign server gave no websocket URL (push_server); retrying")
    params = http_defaults.ws_params(user_agent, rng)
    params.update(
        {
            "room_id": str(room_id),
            "cursor": result.cursor,
            "internal_ext": result.internal_ext,
            "compress": "gzip" if compress else "",
        }
    )
    for key, value in result.route_params.items():
        if value:
            params[key] = value
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}{urlencode(params)}&version_code=270000"


def handshake_options(header: str | None) -> dict[str, str]:
    """``Handshake-Options: ping-interval=10; x=y`` → a dict."""
    out: dict[str, str] = {}
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key:
            out[key.strip().lower()] = value.strip()
    return out


async def open_socket(
    url: str,
    *,
    cookies: dict[str, str],
    user_agent: str,
    timeout: float,
    max_size: int,
    headers: dict[str, str] | None = None,
    proxy: str | None = None,
) -> ClientConnection:
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    # one trust store for every wss:// connection (websockets would load one per connection)
    tls = websocket_context() if urlsplit(url).scheme.lower() == "wss" else None
    try:
        return await connect(
            url,
            ssl=tls,
            additional_headers={**(headers or {}), "Cookie": cookie},
            proxy=proxy or True,  # True: the environment's proxy settings, like httpx
            user_agent_header=user_agent,
            open_timeout=timeout,
            ping_interval=None,  # TikTok does not answer websocket pings
            ping_timeout=None,
            close_timeout=2,
            max_size=max_size,
            compression=None,
        )
    except InvalidStatus as exc:
        answer = exc.response.headers
        msg = answer.get("Handshake-Msg", "")
        status = answer.get("Handshake-Status", str(exc.response.status_code))
        raise HandshakeBlockedError(
            f"the push server refused the websocket ({status} {msg}); TikTok may be blocking "
            "this client: wait, update livetrigger, or use a sign API key",
            status=exc.response.status_code,
            handshake_msg=msg,
        ) from None
    except (InvalidHandshake, OSError, TimeoutError) as exc:
        raise RoomError(f"cannot open the websocket: {describe_network_error(exc)}") from None


async def pump(
    ws: ClientConnection,
    session: Session,
    on_events: Callable[[list[ev.Event]], None],
    *,
    stall_timeout: float,
    clock: Callable[[], float] = time.monotonic,
    on_raw: Callable[[bytes, float], None] | None = None,
    write_ahead: Callable[[], Awaitable[None]] | None = None,
) -> str:
    """Run the socket until it ends; returns why: ``ended`` (the stream ended), ``closed``
    (the server closed it), ``stall`` (no frame for ``stall_timeout``).

    ``write_ahead`` saves the room's state: awaited before a result that may fire messages
    beyond the saved horizon is decoded (``Decoder.must_save_first``).

    The heartbeat interval is what the server advertised in ``Handshake-Options``; a stall is
    only called after at least two unanswered heartbeats, whatever ``stall_timeout`` says."""
    if ws.response is not None:
        session.advertised(handshake_options(ws.response.headers.get("Handshake-Options")))
    stall_timeout = max(stall_timeout, 2.5 * session.heartbeat_interval)
    session.opened(clock())
    for frame in session.frames_to_send(clock()):
        await ws.send(frame)
    while True:
        now = clock()
        deadline = min(session.next_deadline(), (session.last_frame_at or now) + stall_timeout)
        try:
            async with asyncio.timeout(max(0.0, deadline - now)):
                data = await ws.recv()
        except TimeoutError:
            data = None
        except ConnectionClosed:
            return "closed"
        now = clock()
        if data is not None and not isinstance(data, str):
            received_at = time.time()
            if on_raw is not None:
                on_raw(data, received_at)
            result = session.take(data, now)
            if result is not None:
                if write_ahead is not None and session.decoder.must_save_first(
                    session.room_id, result
                ):
                    await write_ahead()
                events = session.events(result, received_at)
                if events:
                    on_events(events)
            if session.ended:
                await ws.close()
                return "ended"
        elif session.stalled(now, stall_timeout):
            ws.transport.abort()
            return "stall"
        try:
            for frame in session.frames_to_send(now):
                await ws.send(frame)
        except ConnectionClosed:
            return "closed"

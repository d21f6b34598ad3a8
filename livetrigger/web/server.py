"""The dashboard server: static pages, a JSON API, and a live event feed (server-sent events).

Safety, in order of the threats (docs/dashboard.md):

- **Other machines**: it listens on loopback unless ``web.host`` says otherwise, and a LAN
  address is refused by the config without ``web.token``.
- **Other web pages in the user's browser (CSRF, DNS rebinding)**: the ``Host`` header must
  name this server; every API call carries the token in an ``X-Livetrigger-Token`` header
  (a header a cross-site page cannot send without a CORS pre-flight this server never grants)
  and changes happen only on POST. Without a configured token, a random one is made per
  process and written into the page, which other origins cannot read.
- **Other users of this machine**: the page carries the token only to a connection of the
  daemon's user or root (``peer.py``), who can open the status socket too; the rest type it
  or take it from ``livetrigger status --dashboard``. Presses are rate-limited as Home
  Assistant's (``livetrigger.system.limits``).
- **Strangers holding connections**: a connection without the token holds no slot: its head
  has a short deadline and the oldest of too many unfinished ones is answered 408 and closed;
  a body is read only after the token was checked.
- **Viewers**: their nicknames and comments reach the page as JSON and are rendered as text,
  never as HTML; the page's Content-Security-Policy allows no inline script.
- **Secrets**: nothing the API returns holds one; config problems are the loader's messages,
  which never echo secret values.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import time
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from livetrigger import events as ev
from livetrigger.rules.explain import Arrival, Verdict
from livetrigger.settings import WebSettings
from livetrigger.system.limits import RECONNECT_INTERVAL, TEST_INTERVAL, CommandLimiter
from livetrigger.web.hosts import HostCheck, address
from livetrigger.web.http import (
    HttpError,
    Request,
    json_response,
    read_body,
    read_head,
    response,
)
from livetrigger.web.peer import socket_owner

if TYPE_CHECKING:
    from livetrigger.system.press import PressResult
    from livetrigger.web.series import Series

log = logging.getLogger(__name__)

FEED_SIZE = 200  # events the page can show and explain
MAX_STREAMS = 8  # open event streams (browser tabs)
MAX_PENDING = 32  # connections still sending their request's head (anyone can open one)
MAX_CONNECTIONS = 32  # requests with a valid token being answered at once
WRITE_DEADLINE = 10.0  # for an answer to be taken by the client
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/charts.js": ("charts.js", "text/javascript; charset=utf-8"),
    "/devices.js": ("devices.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
QUIET_KINDS = frozenset({"viewers", "like"})  # many a second: the feed shows them sampled


class DaemonPort(Protocol):
    """What the dashboard may ask of the daemon: nothing a rule or the config cannot do."""

    def dashboard_state(self) -> dict[str, Any]: ...

    def set_paused(self, paused: bool) -> None: ...

    def set_room_paused(self, room: str, paused: bool) -> None: ...

    def reconnect_room(self, room: str) -> None: ...

    def test_fire(self, rule_id: str, room: str | None = None) -> PressResult: ...

    def reload(self) -> Awaitable[bool]: ...

    def config_verdict(self) -> Awaitable[dict[str, Any]]: ...


class Dashboard:
    """``async with Dashboard(settings, daemon):`` serves until closed."""

    def __init__(
        self, settings: WebSettings, daemon: DaemonPort, series: Series | None = None
    ) -> None:
        self.settings = settings
        self.daemon = daemon
        self.series = series  # the charts' stream over time (the dashboard feature keeps it)
        # a configured token is typed by the user; without one, the page carries its own
        self.token = settings.token or secrets.token_urlsafe(24)
        self.embed_token = settings.token is None
        self.port = settings.port
        self.hosts = HostCheck(settings.host, settings.allowed_hosts)
        self.limiter = CommandLimiter(time.monotonic, "dashboard")
        self._server: asyncio.Server | None = None
        self._feed: deque[_Entry] = deque(maxlen=FEED_SIZE)
        self._seq = 0
        self._streams: set[asyncio.Queue[bytes | None]] = set()
        self._pending: dict[asyncio.Task[Any], None] = {}  # still sending a head, oldest first
        self._evicted: set[asyncio.Task[Any]] = set()
        self._busy = 0  # requests with a valid token being answered
        self.evicted = 0
        self._last_quiet: dict[str, float] = {}
        self.requests = 0
        self.refused = 0

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Dashboard:
        self._server = await asyncio.start_server(
            self._client, self.settings.host, self.settings.port, limit=16 * 1024
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("dashboard on http://%s:%d/", self._url_host(), self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for q in list(self._streams):
            q.put_nowait(None)
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()
            self._server = None

    def _url_host(self) -> str:
        host = self.settings.host
        return f"[{host}]" if ":" in host else host

    # -- the feed -----------------------------------------------------------------------------

    def on_event(
        self,
        room: str,
        event: ev.Event,
        fired: tuple[str, ...] = (),
        verdicts: Arrival | None = None,
    ) -> None:
        """Every event of every room with the rules it fired and each rule's verdict as it
        stood when the event arrived (cheap: serialised only when a page listens or asks)."""
        if event.kind in QUIET_KINDS and not fired:
            now = time.monotonic()
            key = f"{room}/{event.kind}"
            if now - self._last_quiet.get(key, -1e9) < 1.0:
                return  # viewer counts and like batches: at most one a second per room
            self._last_quiet[key] = now
        self._seq += 1
        self._feed.append(_Entry(self._seq, room, event, fired, verdicts))
        if self._streams:
            data = _sse(self._item(self._seq, room, event, fired))
            for q in list(self._streams):
                if q.qsize() < 500:  # a stalled tab loses events, never the daemon memory
                    q.put_nowait(data)

    def push(self, name: str, items: list[dict[str, Any]]) -> None:
        """Named messages on the live feed (the charts' ``series``): the page's feed handler
        never sees them, and a stalled tab loses them as it loses events."""
        if not self._streams:
            return
        for item in items:
            data = f"event: {name}\ndata: {json.dumps(item, ensure_ascii=False)}\n\n".encode()
            for q in list(self._streams):
                if q.qsize() < 500:
                    q.put_nowait(data)

    @staticmethod
    def _item(seq: int, room: str, event: ev.Event, fired: tuple[str, ...]) -> dict[str, Any]:
        body = ev.event_to_dict(event)
        return {"id": seq, "room": room, "kind": event.kind, "event": body, "fired": fired}

    # -- serving ------------------------------------------------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn.of(writer)
        try:
            answer: bytes | None
            try:
                request = await self._read_head(reader)
                if request is None:
                    return
                self.requests += 1
                answer = await self._handle(request, reader, writer, conn)
            except HttpError as exc:
                answer = json_response(exc.status, {"error": str(exc)})
            except Exception:  # a request must never hurt the daemon
                log.exception("dashboard request failed")
                answer = json_response(500, {"error": "internal error (see the log)"})
            if answer is not None:
                writer.write(answer)
                async with asyncio.timeout(WRITE_DEADLINE):
                    await writer.drain()
        except (ConnectionError, TimeoutError):
            pass  # the client left, or does not read what it asked for
        finally:
            writer.close()
            try:
                async with asyncio.timeout(WRITE_DEADLINE):
                    await writer.wait_closed()
            except TimeoutError:
                writer.transport.abort()  # an answer it never reads holds nothing
            except (ConnectionError, OSError):
                pass

    async def _read_head(self, reader: asyncio.StreamReader) -> Request | None:
        """A request's head. Anyone who can connect may be here, so this holds no slot: past
        MAX_PENDING connections still sending theirs, the oldest is answered 408 and closed
        (a browser sends its head at once; a slow-loris never finishes)."""
        task = asyncio.current_task()
        assert task is not None
        self._pending[task] = None
        if len(self._pending) > MAX_PENDING:
            oldest = next(iter(self._pending))
            del self._pending[oldest]
            self._evicted.add(oldest)
            oldest.cancel()
        try:
            return await read_head(reader)
        except asyncio.CancelledError:
            if task not in self._evicted:
                raise
            task.uncancel()
            self.evicted += 1
            raise HttpError(408, "too many connections are slow to send a request") from None
        finally:
            self._pending.pop(task, None)
            self._evicted.discard(task)

    def _check_host(self, request: Request, local: str | None) -> None:
        if not self.hosts.allows(request.headers.get("host", ""), local):
            self.refused += 1
            # DNS rebinding: a foreign name pointing at us is not this dashboard
            raise HttpError(
                421, "this dashboard answers only to its own names (see web.allowed_hosts)"
            )

    def _check_token(self, request: Request, *, allow_query: bool = False) -> None:
        given = request.headers.get("x-livetrigger-token", "")
        if not given and allow_query:
            given = request.query.get("token", "")
        if not given or not hmac.compare_digest(given.encode(), self.token.encode()):
            self.refused += 1
            raise HttpError(401, "a valid X-Livetrigger-Token header is needed")

    async def _handle(
        self,
        request: Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        conn: Conn,
    ) -> bytes | None:
        """The answer to a request (None: the event stream, answered as it goes)."""
        self._check_host(request, conn.local)
        path, method = request.path, request.method
        if path in STATIC:
            if method != "GET":
                raise HttpError(405, "GET only")
            return await self._static(path, conn)
        if not path.startswith("/api/"):
            raise HttpError(404, "no such page")
        # EventSource cannot send headers; the body is read only after the token was checked
        self._check_token(request, allow_query=path == "/api/stream")
        if self._busy >= MAX_CONNECTIONS:
            raise HttpError(503, "too many requests at once; try again")
        self._busy += 1
        try:
            if path == "/api/stream":
                await self._stream(writer)
                return None
            if method == "GET":
                return await self._get(path, request)
            if method != "POST":
                raise HttpError(405, "changes are POST requests")
            if request.headers.get("content-type", "").split(";")[0] != "application/json":
                raise HttpError(400, "send application/json")
            request = await read_body(reader, request)
            return await self._post(path, request.json(), conn.peer)
        finally:
            self._busy -= 1

    async def _static(self, path: str, conn: Conn) -> bytes:
        name, ctype = STATIC[path]
        body = resources.files("livetrigger.web").joinpath("static", name).read_bytes()
        if name == "index.html":
            token = self.token if await self._hands_token(conn) else ""
            body = body.replace(b"{{TOKEN}}", token.encode())
        return response(200, body, ctype)

    async def _hands_token(self, conn: Conn) -> bool:
        """Whether the page may carry the generated token: only to a user who can open the
        status socket (0600), so acting here needs what acting there needs. A typed token
        (web.token) is never handed out."""
        if not self.embed_token:
            return False
        owner = await asyncio.to_thread(conn.owner)
        return owner is not None and owner in (os.getuid(), 0)

    def link(self) -> str:
        """The page's address with the token in its fragment (``livetrigger status
        --dashboard``): the page keeps it in the tab and removes it from the address bar."""
        host = self.settings.host
        unspecified = address(host)
        if unspecified is not None and unspecified.is_unspecified:
            host = "::1" if unspecified.version == 6 else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/#token={quote(self.token, safe='')}"

    async def _get(self, path: str, request: Request) -> bytes:
        if path == "/api/state":
            return json_response(200, self.daemon.dashboard_state())
        if path == "/api/feed":
            return json_response(
                200, [self._item(e.seq, e.room, e.event, e.fired) for e in self._feed]
            )
        if path == "/api/config":
            return json_response(200, await self.daemon.config_verdict())
        if path == "/api/series":
            if self.series is None:
                return json_response(200, {"rooms": {}})
            return json_response(200, self.series.as_dict(time.time()))
        if path.startswith("/api/explain/"):
            wanted = path.removeprefix("/api/explain/")
            entry = next((e for e in self._feed if str(e.seq) == wanted), None)
            if entry is None:
                raise HttpError(404, "that event is no longer in the feed")
            return json_response(200, entry.explained())
        raise HttpError(404, "no such endpoint")

    async def _post(self, path: str, body: dict[str, Any], peer: str = "?") -> bytes:
        room = body.get("room")
        if room is not None and not isinstance(room, str):
            raise HttpError(400, "room must be a string")
        rule = body.get("rule")
        paused = body.get("paused")
        # what is asked, and how often it may be: the limits of Home Assistant's buttons
        key: tuple[str, ...]
        asked: dict[str, str | bool] = {} if room is None else {"room": room}
        if path == "/api/pause":
            if not isinstance(paused, bool):
                raise HttpError(400, 'send {"paused": true|false}')
            key, interval = ("pause", room or "*"), 0.0
            asked["paused"] = paused
        elif path == "/api/reconnect":
            if room is None:
                raise HttpError(400, 'send {"room": name}')
            key, interval = ("reconnect", room), RECONNECT_INTERVAL
        elif path == "/api/test":
            if not isinstance(rule, str):
                raise HttpError(400, 'send {"rule": id}')
            key, interval = ("test", room or "*", rule), TEST_INTERVAL
            asked["rule"] = rule
        elif path == "/api/reload":
            # only the burst limit: a person fixing the file presses it again at once
            key, interval = ("reload",), 0.0
        else:
            raise HttpError(404, "no such endpoint")
        why = self.limiter.allow(key, interval)
        if why is not None:
            self.limiter.refuse(f"{path} from {peer}", why)
            return json_response(
                429, {"ok": False, "outcome": "rate_limited", "error": f"not now: {why}"}
            )
        # what was asked, never the rest of the body (any size or depth a client sends)
        log.info("dashboard (from %s): %s %s", peer, path, json.dumps(asked)[:200])
        if path == "/api/pause":
            if room is None:
                self.daemon.set_paused(bool(paused))
            else:
                self.daemon.set_room_paused(room, bool(paused))
        elif path == "/api/reconnect":
            self.daemon.reconnect_room(str(room))
        elif path == "/api/test":
            # the page says what happened: a refused test is not {"ok": true}
            result = self.daemon.test_fire(str(rule), room)
            status = 200 if result.fired else 404 if result.outcome.startswith("no_") else 409
            return json_response(status, result.as_dict())
        else:
            ok = await self.daemon.reload()
            return json_response(200 if ok else 409, await self.daemon.config_verdict())
        return json_response(200, {"ok": True})

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        if len(self._streams) >= MAX_STREAMS:
            raise HttpError(429, "too many open feeds; close a tab")
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._streams.add(queue)
        try:
            head = response(200, b"", "text/event-stream", {"Connection": "keep-alive"})
            writer.write(head.replace(b"Content-Length: 0\r\n", b""))
            await writer.drain()
            while True:
                try:
                    async with asyncio.timeout(15):
                        data = await queue.get()
                except TimeoutError:
                    data = b": keep-alive\n\n"  # also notices a tab that went away
                if data is None:
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return
        finally:
            self._streams.discard(queue)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One event of the feed, with what was decided when it arrived."""

    seq: int
    room: str
    event: ev.Event
    fired: tuple[str, ...]
    verdicts: Arrival | None  # None: the event came without (never from the daemon)

    def explained(self) -> dict[str, Any]:
        """Each rule's verdict as it stood when the event arrived (``at``): the rules and
        their state of that moment, whenever it is asked."""
        said = self.verdicts.verdicts(self.event) if self.verdicts is not None else []
        out = [_engine_wins(v, v.rule_id in self.fired).as_dict() for v in said]
        at = self.verdicts.at if self.verdicts is not None else self.event.received_at
        return {"id": self.seq, "room": self.room, "at": at, "verdicts": out}


def _engine_wins(verdict: Verdict, fired: bool) -> Verdict:
    """explain agrees with the engine (its tests hold it to that); should it ever not, the
    page says what the engine did."""
    if verdict.fires == fired:
        return verdict
    said = "it fired for this event" if fired else "the engine did not fire it"
    return Verdict(verdict.rule_id, fired, "fires" if fired else "engine", said)


def _sse(item: dict[str, Any]) -> bytes:
    return (
        f"id: {item['id']}\ndata: {json.dumps(item, ensure_ascii=False, default=str)}\n\n".encode()
    )


@dataclass(frozen=True, slots=True)
class Conn:
    """A request's connection: who sent it (for the log line of a change, and whose socket it
    is) and the address of this machine it reached (the Host check)."""

    peername: tuple[str, int] | None
    sockname: tuple[str, int] | None

    @classmethod
    def of(cls, writer: asyncio.StreamWriter) -> Conn:
        def pair(name: object) -> tuple[str, int] | None:
            return (str(name[0]), int(name[1])) if isinstance(name, tuple) else None

        return cls(pair(writer.get_extra_info("peername")), pair(writer.get_extra_info("sockname")))

    @property
    def peer(self) -> str:
        return self.peername[0] if self.peername else "?"

    @property
    def local(self) -> str | None:
        return self.sockname[0] if self.sockname else None

    def owner(self) -> int | None:
        """The local user whose socket this is (None: another machine, or not knowable)."""
        if self.peername is None or self.sockname is None:
            return None
        return socket_owner(self.peername, self.sockname)

"""Just enough HTTP/1.1 for the simulator's local servers: one request at a time per
connection, Content-Length bodies, keep-alive."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

MAX_BODY = 1 << 20


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request as read off the connection."""

    method: str
    target: str  # path and query as sent
    headers: dict[str, str]  # lowercase names
    body: bytes

    @property
    def path(self) -> str:
        """The target's path, without the query."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """The target's query parameters (the last of a repeated name wins)."""
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on the connection, or None when the client hung up."""
    line = await reader.readline()
    if not line:
        return None
    method, target, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length > MAX_BODY:
        raise ValueError("body too large")
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, headers, body)


def response(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None, reason: str = "X"
) -> bytes:
    """A whole HTTP/1.1 response with a Content-Length."""
    head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return (
        f"HTTP/1.1 {status} {reason}\r\n{head}content-length: {len(body)}\r\n\r\n".encode() + body
    )


Route = Callable[[Request], bytes]  # the answer to one request


async def serve(route: Route, host: str, port: int) -> asyncio.Server:
    """Listen on ``host:port`` (0: any free port) and answer every request with ``route``."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (request := await read_request(reader)) is not None:
                writer.write(route(request))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            # the server's loop is ending with a client's keep-alive connection open (`watch`
            # when `fake-room` ends): Python 3.11's start_server prints a cancelled handler
            # as a traceback, so end it as a hang-up instead
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    return await asyncio.start_server(connection, host, port)

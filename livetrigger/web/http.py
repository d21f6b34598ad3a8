"""A small, bounded HTTP/1.1 server core on asyncio streams for the dashboard.

Why not a framework: the dashboard serves a handful of JSON endpoints, four static files and
one server-sent-events stream from inside a daemon that should fit a Raspberry Pi Zero. A
framework (aiohttp, starlette + an ASGI server) costs 40-90 ms of import and 8-15 MiB of
memory (BENCHMARKS.md) for features this needs none of. What it does need is kept strict:
deadlines for a request's head and body (no slow-loris), bounded header count and sizes,
bounded bodies read only when the server asks (after the token was checked), one request per
connection (``Connection: close``) except the event stream.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MAX_LINE = 8 * 1024
MAX_HEADERS = 64
MAX_BODY = 64 * 1024
HEAD_DEADLINE = 5.0  # request line and headers: a browser sends them in one packet
BODY_DEADLINE = 10.0

REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    421: "Misdirected Request",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str
    headers: dict[str, str]  # lowercase names
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    @property
    def length(self) -> int:
        """The body's announced length (checked when the head was read)."""
        return int(self.headers.get("content-length", "0"))

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            value = json.loads(self.body)
        except ValueError:
            raise HttpError(400, "the body is not JSON") from None
        except RecursionError:  # 64 KiB of "[" is 65,536 levels
            raise HttpError(400, "the body is nested too deeply") from None
        if not isinstance(value, dict):
            raise HttpError(400, "the body must be a JSON object")
        return value


async def read_head(reader: asyncio.StreamReader) -> Request | None:
    """The request line and headers (None: the client left), within HEAD_DEADLINE; the body
    stays unread until ``read_body``."""
    try:
        async with asyncio.timeout(HEAD_DEADLINE):
            return await _read_head(reader)
    except TimeoutError:
        raise HttpError(408, "the request took too long to arrive") from None
    except (asyncio.LimitOverrunError, ValueError):
        raise HttpError(400, "malformed request") from None


async def read_body(reader: asyncio.StreamReader, request: Request) -> Request:
    """The request with its body, within BODY_DEADLINE."""
    if not request.length:
        return request
    try:
        async with asyncio.timeout(BODY_DEADLINE):
            body = await reader.readexactly(request.length)
    except TimeoutError:
        raise HttpError(408, "the body took too long to arrive") from None
    except asyncio.IncompleteReadError:
        raise HttpError(400, "the body ended early") from None
    return dataclasses.replace(request, body=body)


async def _read_head(reader: asyncio.StreamReader) -> Request | None:
    line = await reader.readline()
    if not line:
        return None
    if len(line) > MAX_LINE:
        raise HttpError(400, "request line too long")
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError(400, "malformed request line")
    method, target = parts[0], parts[1]
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        h = await reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        if len(h) > MAX_LINE:
            raise HttpError(400, "header too long")
        name, sep, value = h.decode("latin-1").partition(":")
        if not sep:
            raise HttpError(400, "malformed header")
        headers[name.strip().lower()] = value.strip()
    else:
        raise HttpError(400, "too many headers")
    length = headers.get("content-length", "0")
    if not length.isdigit():
        raise HttpError(400, "bad Content-Length")
    if int(length) > MAX_BODY:
        raise HttpError(413, "body too large")
    return Request(method, target, headers, b"")


def response(
    status: int,
    body: bytes = b"",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> bytes:
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    all_headers = {
        **SECURITY_HEADERS,
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "Cache-Control": "no-store",
        "Connection": "close",
        **(headers or {}),
    }
    head += [f"{k}: {v}" for k, v in all_headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def json_response(status: int, value: Any) -> bytes:
    return response(status, json.dumps(value, ensure_ascii=False, default=str).encode())

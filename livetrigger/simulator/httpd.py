"""Just enough HTTP/1.1 for the simulator's local servers: one request at a time per
connection, Content-Length bodies, keep-alive."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

MAX_BODY = 1 << 20


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str  # path and query as sent
    headers: dict[str, str]  # lowercase names
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
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
    head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return (
        f"HTTP/1.1 {status} {reason}\r\n{head}content-length: {len(body)}\r\n\r\n".encode() + body
    )

"""A tiny local HTTP server that records webhook calls: the demo's stand-in for Home Assistant,
Node-RED or any automation endpoint. It speaks just enough HTTP/1.1 (keep-alive, Content-Length
bodies) for livetrigger's webhook sink, and verifies the HMAC signature when given the secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from livetrigger.simulator.httpd import read_request, response


@dataclass(frozen=True, slots=True)
class ReceivedCall:
    """One request the receiver took."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None = None  # None: no secret configured


@dataclass
class WebhookReceiver:
    """``async with WebhookReceiver() as rx: rx.url`` — calls land in ``rx.calls``."""

    secret: str | None = None
    signature_header: str = "x-livetrigger-signature"
    on_call: Callable[[ReceivedCall], None] | None = None
    calls: list[ReceivedCall] = field(default_factory=list)
    # each call with the status it was answered: a 5xx or 429 says "not taken, send it again",
    # so a test counting what the receiver took counts only what got a 2xx
    answered: list[tuple[ReceivedCall, int]] = field(default_factory=list)
    # test knobs: answers to give, in order ((status, headers)), then 200; a delay before each
    responses: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    delay: float = 0.0
    tls: ssl.SSLContext | None = None  # a server context: https:// instead of http://
    _server: asyncio.AbstractServer | None = None
    port: int = 0

    @property
    def url(self) -> str:
        """The base URL to send webhooks to."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    async def __aenter__(self) -> WebhookReceiver:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, asyncio.CancelledError):
            pass  # a client that hangs up mid-request (or the server closing) is not our problem
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        request = await read_request(reader)
        if request is None:
            return False
        headers, body = request.headers, request.body
        call = ReceivedCall(
            request.method, request.target, headers, body, self._check(headers, body)
        )
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        if self.delay:
            await asyncio.sleep(self.delay)
        code, extra = self.responses.pop(0) if self.responses else (200, {})
        if call.signature_ok is False:
            code = 401
        self.answered.append((call, code))
        writer.write(response(code, b"", extra))
        await writer.drain()
        return headers.get("connection", "").lower() != "close"

    def _check(self, headers: dict[str, str], body: bytes) -> bool | None:
        if self.secret is None:
            return None
        sent = headers.get(self.signature_header.lower(), "")
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(sent, expected)

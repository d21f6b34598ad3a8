"""Webhooks: one pooled httpx.AsyncClient for every endpoint.

Each attempt has a total deadline (``timeout``) on top of httpx's connect/read limits, so a
server that drips one byte a second cannot hold the endpoint's worker. Retries use exponential
backoff on connection errors, timeouts, 5xx and 429 (``Retry-After`` honoured, capped), and
never on other 4xx: those are configuration problems that retrying cannot fix.

A call waiting for its next attempt is back in the outbox (``journal``) until that attempt
starts: the endpoint turned it away, so a restart meanwhile must send it, not lose it as if
it were on the wire.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import hmac
import logging
import time
from collections.abc import Sequence
from typing import Protocol

import httpx

from livetrigger import __version__
from livetrigger.actions import ActionRequest, HttpCall
from livetrigger.errors import SinkError
from livetrigger.settings import WebhookSettings
from livetrigger.system.trust import http_context
from livetrigger.text.networds import describe_network_error
from livetrigger.text.webvalues import endpoint_url, header_problem

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 60.0


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _failure(exc: BaseException, deadline: float) -> str:
    """Why an attempt failed, in words: name not found, refused, timed out, TLS and why."""
    if isinstance(exc, TimeoutError) and not isinstance(exc, httpx.TransportError):
        return f"timed out (no answer within {deadline:g}s)"
    words = describe_network_error(exc)
    return f"timed out ({words})" if isinstance(exc, httpx.TimeoutException) else words


class CallJournal(Protocol):
    """The outbox's side of a call's retries (livetrigger/state/outbox.py)."""

    def retrying(self, request: ActionRequest) -> None: ...

    def done(self, request: ActionRequest) -> None: ...

    def settled(self, request: ActionRequest) -> None: ...


class WebhookSink:
    """The ``http:<endpoint>`` targets."""

    def __init__(
        self,
        endpoints: Sequence[WebhookSettings],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        journal: CallJournal | None = None,
    ) -> None:
        self.endpoints = {e.name: e for e in endpoints}
        self._transport = transport
        self.journal = journal
        self._clients: dict[bool, httpx.AsyncClient] = {}

    def _client(self, verify: bool) -> httpx.AsyncClient:
        client = self._clients.get(verify)
        if client is None:
            client = self._clients[verify] = httpx.AsyncClient(
                transport=self._transport,
                verify=http_context() if verify else False,
                headers={"User-Agent": f"livetrigger/{__version__}"},
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
                follow_redirects=False,
            )
        return client

    def reconfigure(self, endpoints: Sequence[WebhookSettings]) -> None:
        self.endpoints = {e.name: e for e in endpoints}

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def handle(self, request: ActionRequest) -> None:
        if not isinstance(request, HttpCall):
            raise SinkError(f"webhook sink cannot carry out {type(request).__name__}")
        try:
            await self._call(request)
        finally:
            if self.journal is not None:
                self.journal.settled(request)

    async def _call(self, request: HttpCall) -> None:
        ep = self.endpoints.get(request.endpoint)
        if ep is None:
            raise SinkError(f"webhook: no endpoint named {request.endpoint!r}")
        headers = dict(ep.headers)
        headers.update(request.headers)
        headers["Content-Type"] = request.content_type
        if ep.secret:
            headers[ep.signature_header] = signature(ep.secret, request.body)
        for name, value in headers.items():  # rendered values are encoded; this is the backstop
            if problem := header_problem(name, value):
                raise SinkError(f"webhook {ep.name}: not sent: {problem}")
        url = endpoint_url(ep.url, request.path)
        method = request.method or ep.method
        timeout = httpx.Timeout(ep.timeout, connect=ep.connect_timeout)
        client = self._client(ep.verify_tls)
        delay = ep.retry_initial
        for attempt in range(ep.retries + 1):
            if attempt and self.journal is not None:
                self.journal.done(request)  # on the wire again: a restart must not resend it
            last = attempt == ep.retries
            try:
                async with asyncio.timeout(ep.timeout):
                    response = await client.request(
                        method,
                        url,
                        params=list(request.query) or None,
                        headers=headers,
                        content=request.body,
                        timeout=timeout,
                    )
            except (httpx.LocalProtocolError, httpx.InvalidURL, UnicodeEncodeError) as exc:
                # the request itself cannot be sent (the URL may hold a secret: not printed)
                raise SinkError(
                    f"webhook {ep.name}: not sent: the request is malformed "
                    f"({type(exc).__name__}); not retried"
                ) from None
            except (httpx.TransportError, TimeoutError) as exc:
                why = _failure(exc, ep.timeout)
                if last:
                    raise SinkError(
                        f"webhook {ep.name}: {why} after {attempt + 1} attempts", retryable=True
                    ) from None
                log.info("webhook %s: %s; retrying in %.1fs", ep.name, why, delay)
            else:
                status = response.status_code
                if status < 400:
                    return
                if status != 429 and status < 500:
                    raise SinkError(
                        f"webhook {ep.name}: HTTP {status} (not retried: fix URL or receiver)"
                    )
                if last:
                    raise SinkError(
                        f"webhook {ep.name}: HTTP {status} after {attempt + 1} attempts",
                        retryable=True,
                    )
                wait = retry_after(response.headers.get("Retry-After"))
                if wait is not None:
                    delay = min(wait, MAX_RETRY_AFTER)
                log.info("webhook %s: HTTP %d; retrying in %.1fs", ep.name, status, delay)
            if self.journal is not None:
                self.journal.retrying(request)  # not taken: a restart now sends it
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

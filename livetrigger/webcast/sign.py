"""Signing: the sign server performs TikTok's first fetch and returns its protobuf body plus
the cookies the websocket needs (protocol.md §1.5). Euler-style API; any provider that
implements ``SignProvider`` can replace it.

The API key travels in a header and is never logged. The session id is sent to the sign host
only when ``session_id_sign_host`` names that host exactly, as the peers require.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Protocol

import httpx

from livetrigger import __version__
from livetrigger.errors import SignAuthError, SignError, SignRateLimitError
from livetrigger.settings import TikTokSettings
from livetrigger.text.networds import describe_network_error
from livetrigger.webcast import frames
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.retry import retry_after_seconds

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SignedFetch:
    result: pb.ProtoMessageFetchResult
    cookies: dict[str, str] = field(default_factory=dict)
    room_id: int | None = None  # the server may correct the room id


class SignProvider(Protocol):
    async def fetch(self, room_id: int, user_agent: str, cursor: str = "") -> SignedFetch: ...

    async def send_chat(self, room_id: int, text: str) -> None: ...


class EulerSignProvider:
    """``GET {sign_url}/webcast/fetch`` → ProtoMessageFetchResult + ``X-Set-TT-Cookie``."""

    def __init__(self, http: httpx.AsyncClient, settings: TikTokSettings) -> None:
        self.http = http
        self.settings = settings
        self.requests = 0

    def _headers(self) -> dict[str, str]:
        h = {"User-Agent": f"livetrigger/{__version__}", "Accept": "application/protobuf"}
        h.update(self.settings.sign_headers)
        if self.settings.sign_api_key:
            h["X-Api-Key"] = self.settings.sign_api_key
        return h

    def _session_allowed(self) -> bool:
        s = self.settings
        host = httpx.URL(s.sign_url).host
        return bool(s.session_id) and s.session_id_sign_host == host

    async def fetch(self, room_id: int, user_agent: str, cursor: str = "") -> SignedFetch:
        s = self.settings
        params = {
            "client": "livetrigger",
            "room_id": str(room_id),
            "user_agent": user_agent,
            "platform": "web",
            "client_enter": "true",
            "cursor": cursor,
        }
        params.update(s.sign_params)
        if self._session_allowed():
            params["session_id"] = s.session_id or ""
            params["tt_target_idc"] = s.tt_target_idc
        self.requests += 1
        response = await self._request("GET", "/webcast/fetch", params=params)
        if not response.content:
            raise SignError(
                "the sign server returned nothing: TikTok may be detecting it; retry later",
                answered=True,
            )
        try:
            result = frames.parse_fetch_result(response.content)
        except ValueError as exc:
            raise SignError(
                f"the sign server's answer is not a fetch result: {exc}", answered=True
            ) from None
        raw_cookie = response.headers.get("X-Set-TT-Cookie", "")
        if not raw_cookie:
            raise SignError(
                "the sign server sent no TikTok cookies (X-Set-TT-Cookie)", answered=True
            )
        jar = SimpleCookie()
        jar.load(raw_cookie)
        cookies = {k: m.value for k, m in jar.items()}
        corrected = response.headers.get("X-Room-Id")
        return SignedFetch(result, cookies, int(corrected) if corrected else None)

    async def send_chat(self, room_id: int, text: str) -> None:
        s = self.settings
        if not s.session_id:
            raise SignAuthError("sending chat needs tiktok.session_id (a logged-in account)")
        if not self._session_allowed():
            raise SignAuthError(
                "sending chat passes the session id to the sign server: set "
                f"tiktok.session_id_sign_host to {httpx.URL(s.sign_url).host!r} to allow it"
            )
        await self._request(
            "POST",
            "/webcast/chat",
            json={
                "room_id": str(room_id),
                "content": text,
                "session_id": s.session_id,
                "tt_target_idc": s.tt_target_idc,
            },
        )

    async def _request(self, method: str, path: str, **kw: object) -> httpx.Response:
        url = self.settings.sign_url.rstrip("/") + path
        try:
            response = await self.http.request(
                method,
                url,
                headers=self._headers(),
                timeout=self.settings.http_timeout,
                **kw,  # type: ignore[arg-type]
            )
        except httpx.HTTPError as exc:
            raise SignError(
                f"cannot reach the sign server: {describe_network_error(exc)}"
            ) from None
        status = response.status_code
        if status == 429:
            wait = retry_after_seconds(response.headers, time.time())
            raise SignRateLimitError(
                "the sign server's rate limit is reached"
                + (f"; retrying in {wait:.0f}s" if wait is not None else "")
                + " (an API key raises the limit)",
                retry_after=wait,
            )
        if status in (401, 402, 403):
            what = {
                401: "the API key is wrong",
                402: "this needs a paid plan",
                403: "the API key may not do this",
            }[status]
            raise SignAuthError(f"sign server HTTP {status}: {what}; check tiktok.sign_api_key")
        if status >= 400:
            raise SignError(f"sign server HTTP {status}", answered=True)
        return response

"""Room lookup over HTTP (httpx): username → room id, live status, room info, gift list.

Every base URL comes from TikTokSettings, so the same code talks to TikTok or to the fake
live room. Failures become typed errors whose messages say what to do.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx

from livetrigger.errors import (
    AgeRestrictedError,
    BlockedError,
    RoomError,
    UserNotFoundError,
)
from livetrigger.settings import TikTokSettings
from livetrigger.usernames import parse_username
from livetrigger.webcast import http_defaults

log = logging.getLogger(__name__)

OFFLINE_STATUS = 4
_SIGI = re.compile(r'<script id="SIGI_STATE" type="application/json">(.*?)</script>', re.S)


def normalise_username(text: str) -> str:
    """``@name``, ``name``, ``https://www.tiktok.com/@name/live`` → ``name``."""
    found = parse_username(text)
    if found is None:
        raise UserNotFoundError(f"{text!r} is not a TikTok username: write it like @streamer")
    return found


class RoomClient:
    """Unsigned HTTP calls about one or more rooms, through one shared httpx client."""

    def __init__(self, http: httpx.AsyncClient, settings: TikTokSettings) -> None:
        self.http = http
        self.settings = settings
        self.user_agent = settings.user_agent or http_defaults.DEFAULT_USER_AGENT

    async def _get(self, url: str, params: dict[str, str] | None = None) -> httpx.Response:
        query = http_defaults.client_params(self.user_agent)
        query.update(self.settings.client_params)
        if params:
            query.update(params)
        try:
            response = await self.http.get(
                url,
                params=query,
                headers={
                    **http_defaults.headers(self.user_agent),
                    **dict(self.settings.request_headers),
                },
                timeout=self.settings.http_timeout,
            )
        except httpx.HTTPError as exc:
            raise RoomError(f"cannot reach {httpx.URL(url).host}: {type(exc).__name__}") from None
        if response.status_code in (403, 429):
            raise BlockedError(
                f"TikTok answered HTTP {response.status_code}: this IP is being rate-limited or "
                "blocked; wait, use a proxy (tiktok.proxy), or give the room_id in the config"
            )
        if response.status_code >= 400:
            raise RoomError(f"{httpx.URL(url).path}: HTTP {response.status_code}")
        return response

    async def resolve(self, unique_id: str) -> tuple[int, bool]:
        """(room id, live) for a username: the live page first, then the api-live JSON."""
        try:
            return await self._from_live_page(unique_id)
        except UserNotFoundError:
            raise
        except RoomError as exc:
            log.info("room lookup via the live page failed (%s); trying the JSON API", exc)
        return await self._from_api(unique_id)

    async def _from_live_page(self, unique_id: str) -> tuple[int, bool]:
        url = f"{self.settings.web_url.rstrip('/')}/@{unique_id}/live"
        response = await self._get(url, {})
        m = _SIGI.search(response.text)
        if m is None:
            raise BlockedError(
                "the live page has no room data: TikTok may be blocking this IP or asking for a "
                "captcha; try later, use a proxy, or set the room_id in the config"
            )
        try:
            state = json.loads(m.group(1))
        except ValueError:
            raise BlockedError("the live page's room data is not JSON: captcha-blocked?") from None
        info = (state.get("LiveRoom") or {}).get("liveRoomUserInfo") or {}
        user = info.get("user") or {}
        if not user.get("roomId"):
            raise UserNotFoundError(
                f"@{unique_id} does not exist or has never gone live; check the spelling"
            )
        status = user.get("status", (info.get("liveRoom") or {}).get("status"))
        return int(user["roomId"]), status != OFFLINE_STATUS

    async def _from_api(self, unique_id: str) -> tuple[int, bool]:
        url = f"{self.settings.web_url.rstrip('/')}/api-live/user/room/"
        response = await self._get(url, {"uniqueId": unique_id, "sourceType": "54"})
        body = _json(response)
        if body.get("statusCode"):
            message = body.get("message") or body.get("statusCode")
            if "not_found" in str(message) or "not exist" in str(message):
                raise UserNotFoundError(f"@{unique_id}: user not found; check the spelling")
            raise RoomError(f"@{unique_id}: TikTok said {message!r}")
        data = body.get("data") or {}
        room_id = (data.get("user") or {}).get("roomId")
        if not room_id:
            raise UserNotFoundError(f"@{unique_id} has no live room")
        status = (data.get("liveRoom") or {}).get("status")
        return int(room_id), status != OFFLINE_STATUS

    async def is_live(self, room_id: int) -> bool:
        """The cheap, unsigned live check."""
        url = f"{self.settings.webcast_url.rstrip('/')}/webcast/room/check_alive/"
        body = _json(await self._get(url, {"room_ids": str(room_id)}))
        for item in body.get("data") or []:
            if str(item.get("room_id", room_id)) == str(room_id):
                return bool(item.get("alive"))
        return False

    async def room_info(self, room_id: int) -> dict[str, Any]:
        url = f"{self.settings.webcast_url.rstrip('/')}/webcast/room/info/"
        body = _json(await self._get(url, {"room_id": str(room_id)}))
        data = body.get("data") or {}
        if "prompts" in data or len(data) <= 1:
            raise AgeRestrictedError(
                "this room is age-restricted: set tiktok.session_id (a logged-in account)"
            )
        return dict(data)

    async def gift_catalogue(self, room_id: int) -> dict[int, tuple[str, int]]:
        url = f"{self.settings.webcast_url.rstrip('/')}/webcast/gift/list/"
        body = _json(await self._get(url, {"room_id": str(room_id)}))
        gifts = (body.get("data") or {}).get("gifts") or []
        out: dict[int, tuple[str, int]] = {}
        for g in gifts:
            try:
                out[int(g["id"])] = (str(g.get("name", "")), int(g.get("diamond_count", 0)))
            except (KeyError, TypeError, ValueError):
                continue
        return out


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise BlockedError(
            f"{response.url.path}: expected JSON, got {response.headers.get('content-type')!r} "
            "(a captcha page?)"
        ) from None
    if not isinstance(body, dict):
        raise RoomError(f"{response.url.path}: unexpected answer")
    return body

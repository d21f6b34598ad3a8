"""Room lookup over HTTP (httpx): username → room id, live status, room info, gift list.

Every base URL comes from TikTokSettings, so the same code talks to TikTok or to the fake
live room. Failures become typed errors whose messages say what to do.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx

from livetrigger.errors import (
    AgeRestrictedError,
    BlockedError,
    LivetriggerError,
    RoomError,
    UserNotFoundError,
)
from livetrigger.settings import TikTokSettings
from livetrigger.text.networds import describe_network_error
from livetrigger.text.usernames import parse_username
from livetrigger.webcast import http_defaults
from livetrigger.webcast.decode import STREAKABLE_GIFT_TYPE, CatalogueGift

log = logging.getLogger(__name__)

OFFLINE_STATUS = 4
USER_NOT_FOUND_CODE = 19881007  # api-live's statusCode for a name that does not exist


@dataclass(frozen=True, slots=True)
class RoomLookup:
    """What TikTok says of a streamer now: the room id shown (None: none shown, which happens
    while offline) and whether that room is live."""

    room_id: int | None
    live: bool
    source: str  # "live page", "api", "check_alive": for logs and status

    @property
    def live_room_id(self) -> int | None:
        return self.room_id if self.live else None


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
            raise RoomError(
                f"cannot reach {httpx.URL(url).host}: {describe_network_error(exc)}"
            ) from None
        if response.status_code in (403, 429):
            raise BlockedError(
                f"TikTok answered HTTP {response.status_code}: this IP is being rate-limited or "
                "blocked; wait, use a proxy (tiktok.proxy), or give the room_id in the config"
            )
        if response.status_code >= 400:
            raise RoomError(f"{httpx.URL(url).path}: HTTP {response.status_code}")
        return response

    async def resolve(self, unique_id: str) -> RoomLookup:
        """The streamer's current room: the live page first, then the api-live JSON.

        TikTok gives every live session a new room id; while offline the page shows the last
        one or none, so an empty id means offline, not "no such user" (protocol.md §9.2).
        Raises ``UserNotFoundError`` only when TikTok says the user does not exist."""
        try:
            return await self._from_live_page(unique_id)
        except UserNotFoundError:
            raise
        except RoomError as exc:
            log.info("room lookup via the live page failed (%s); trying the JSON API", exc)
        return await self._from_api(unique_id)

    async def _from_live_page(self, unique_id: str) -> RoomLookup:
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
        if not isinstance(state, dict):
            raise BlockedError("the live page's room data is not an object: captcha-blocked?")
        live_room = state.get("LiveRoom")
        if not isinstance(live_room, dict):
            raise UserNotFoundError(
                f"@{unique_id} does not exist or cannot go live (TikTok's page has no live room "
                "for this name); check the spelling"
            )
        info = _dict(live_room.get("liveRoomUserInfo"))
        user = _dict(info.get("user"))
        status = user.get("status", _dict(info.get("liveRoom")).get("status"))
        return RoomLookup(_room_id(user.get("roomId")), _is_live(status), "live page")

    async def _from_api(self, unique_id: str) -> RoomLookup:
        url = f"{self.settings.web_url.rstrip('/')}/api-live/user/room/"
        response = await self._get(url, {"uniqueId": unique_id, "sourceType": "54"})
        body = _json(response)
        if body.get("statusCode"):
            message = str(body.get("message") or body.get("statusCode"))
            if body.get("statusCode") == USER_NOT_FOUND_CODE or "not_found" in message:
                raise UserNotFoundError(f"@{unique_id}: TikTok says this user does not exist")
            raise RoomError(f"@{unique_id}: TikTok said {message!r}")
        data = _dict(body.get("data"))
        status = _dict(data.get("liveRoom")).get("status")
        return RoomLookup(_room_id(_dict(data.get("user")).get("roomId")), _is_live(status), "api")

    async def is_live(self, room_id: int) -> bool:
        """The cheap, unsigned live check of one room id (check_alive)."""
        url = f"{self.settings.webcast_url.rstrip('/')}/webcast/room/check_alive/"
        body = _json(await self._get(url, {"room_ids": str(room_id)}))
        for item in body.get("data") or []:
            if isinstance(item, dict) and str(item.get("room_id", room_id)) == str(room_id):
                return bool(item.get("alive"))
        return False

    async def live_status(self, unique_id: str, room_id: int | None) -> RoomLookup:
        """Is the streamer live, and in which room? check_alive on the room id we have when
        it says live (cheapest); otherwise — offline, failed (5xx), or no id yet — the live
        page / api-live, which also see a new session's new room id."""
        check_error: LivetriggerError | None = None
        if room_id is not None:
            try:
                if await self.is_live(room_id):
                    return RoomLookup(room_id, True, "check_alive")
            except LivetriggerError as exc:
                check_error = exc
        if not unique_id:
            if check_error is not None:
                raise check_error
            return RoomLookup(room_id, False, "check_alive")
        try:
            return await self.resolve(unique_id)
        except UserNotFoundError:
            raise
        except LivetriggerError as exc:
            if check_error is None:
                raise
            if str(check_error) == str(exc):  # one cause (the network): said once
                raise RoomError(f"{exc} (the live check and the live page both)") from None
            raise RoomError(
                f"the live check failed: {check_error}; the live page too: {exc}"
            ) from None

    async def room_info(self, room_id: int) -> dict[str, Any]:
        url = f"{self.settings.webcast_url.rstrip('/')}/webcast/room/info/"
        body = _json(await self._get(url, {"room_id": str(room_id)}))
        data = body.get("data") or {}
        if "prompts" in data or len(data) <= 1:
            raise AgeRestrictedError(
                "this room is age-restricted: set tiktok.session_id (a logged-in account)"
            )
        return dict(data)

    async def gift_catalogue(self, room_id: int) -> dict[int, CatalogueGift]:
        url = f"{self.settings.webcast_url.rstrip('/')}/webcast/gift/list/"
        body = _json(await self._get(url, {"room_id": str(room_id)}))
        gifts = (body.get("data") or {}).get("gifts") or []
        out: dict[int, CatalogueGift] = {}
        for g in gifts:
            try:
                out[int(g["id"])] = CatalogueGift(
                    str(g.get("name", "")),
                    int(g.get("diamond_count", 0)),
                    # type 1 is the combo gift; older lists say it with `combo`
                    int(g.get("type") or 0) == STREAKABLE_GIFT_TYPE or g.get("combo") is True,
                )
            except (AttributeError, KeyError, TypeError, ValueError):
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


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _room_id(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _is_live(status: Any) -> bool:
    # 4 is "ended" everywhere; a missing status with a room id is read as not live
    return status is not None and str(status) != str(OFFLINE_STATUS)

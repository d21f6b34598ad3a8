"""The fake room's HTTP side: the live page, api-live, the live check, room info, the gift list,
the sign endpoint, the polling fetch and chat sending, as TikTok answers them."""

from __future__ import annotations

import html
import json
import secrets
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

from livetrigger.simulator import wire
from livetrigger.simulator.faults import Faults
from livetrigger.simulator.gifts import GIFTS
from livetrigger.simulator.httpd import Request, response
from livetrigger.simulator.room_state import MessageLog, RoomState

EMPTY_PAGE = '<html><script id="SIGI_STATE" type="application/json">{}</script></html>'


def _json(body: Any, status: int = 200) -> bytes:
    return response(status, json.dumps(body).encode(), {"content-type": "application/json"})


def signed_token(cookie_header: str, tokens: dict[str, str]) -> str | None:
    """The ttwid a Cookie header carries, if the sign endpoint issued it."""
    cookies = SimpleCookie()
    cookies.load(cookie_header)
    token = cookies["ttwid"].value if "ttwid" in cookies else ""
    return token if token in tokens else None


class WebEndpoints:
    """Answers the room's HTTP requests and records what clients asked."""

    def __init__(
        self,
        state: RoomState,
        log: MessageLog,
        faults: Faults,
        tokens: dict[str, str],
        push_url: Callable[[], str],
        *,
        history_flag: bool,
    ) -> None:
        self.state = state
        self.log = log
        self.faults = faults
        self.tokens = tokens  # ttwid cookie → the user agent it was signed for
        self.push_url = push_url
        self.history_flag = history_flag  # set is_history on the initial fetch (TikTok: not always)
        self.sign_api_key: str | None = None  # when set, the sign endpoint wants this key
        # what clients did
        self.http_requests: list[Request] = []
        self.sign_requests: list[tuple[float, dict[str, str]]] = []
        self.signed_rooms: list[int] = []  # room id of every sign answered with a fetch
        self.live_checks = 0
        self.polls = 0
        self.chat_messages: list[str] = []

    def route(self, req: Request) -> bytes:
        """The answer to one HTTP request."""
        self.http_requests.append(req)
        path, state = req.path, self.state
        if path == f"/@{state.unique_id}/live":
            return self._live_page()
        if path.startswith("/@") and path.endswith("/live"):
            return response(200, EMPTY_PAGE.encode(), {"content-type": "text/html"})
        if path == "/api-live/user/room/":
            return self._api_live(req)
        if path == "/webcast/room/check_alive/":
            return self._check_alive(req)
        if path == "/webcast/room/info/":
            return self._room_info(req)
        if path == "/webcast/gift/list/":
            return _json({"data": {"gifts": GIFTS}, "status_code": 0})
        if path == "/webcast/fetch":
            return self._sign(req)
        if path == "/webcast/im/fetch/":
            return self._poll(req)
        if path == "/webcast/chat" and req.method == "POST":
            return self._chat(req)
        return response(404, b"not found")

    def _live_page(self) -> bytes:
        state = self.state
        sigi = {
            "LiveRoom": {
                "liveRoomUserInfo": {
                    "user": {
                        "roomId": state.shown_room_id(),
                        "uniqueId": state.unique_id,
                        "status": state.status(),
                    },
                    "liveRoom": {"status": state.status(), "title": state.title},
                }
            }
        }
        page = (
            "<!doctype html><html><head><title>LIVE</title></head><body>"
            f'<script id="SIGI_STATE" type="application/json">{json.dumps(sigi)}</script>'
            f"<h1>{html.escape(state.title)}</h1></body></html>"
        )
        return response(200, page.encode(), {"content-type": "text/html; charset=utf-8"})

    def _api_live(self, req: Request) -> bytes:
        if req.query.get("uniqueId") != self.state.unique_id:
            return _json({"statusCode": 19881007, "message": "user_not_found"})
        user = {"roomId": self.state.shown_room_id()}
        return _json(
            {"statusCode": 0, "data": {"user": user, "liveRoom": {"status": self.state.status()}}}
        )

    def _check_alive(self, req: Request) -> bytes:
        self.live_checks += 1
        if self.faults.check_alive_failure is not None:
            return response(self.faults.check_alive_failure, b"upstream error")
        ids = req.query.get("room_ids", "").split(",")
        alive = [
            {"room_id": int(i) if i.isdigit() else i, "alive": self.state.is_live_room(i)}
            for i in ids
        ]
        return _json({"data": alive, "status_code": 0})

    def _room_info(self, req: Request) -> bytes:
        state = self.state
        data = {
            "status": 2 if state.is_live_room(req.query.get("room_id", "")) else 4,
            "title": state.title,
            "user_count": state.viewers,
            "id_str": str(state.room_id),
            "owner": {"display_id": state.unique_id},
        }
        return _json({"data": data, "status_code": 0})

    def _chat(self, req: Request) -> bytes:
        body = json.loads(req.body or b"{}")
        if not body.get("session_id"):
            return _json({"code": 401, "message": "no session"}, 401)
        self.chat_messages.append(str(body.get("content", "")))
        return _json({"code": 200})

    def _sign(self, req: Request) -> bytes:
        self.sign_requests.append((time.monotonic(), req.query))
        failure = self.faults.next_sign_failure()
        if failure is not None:
            status, retry_after = failure
            headers = {"content-type": "application/json"}
            if retry_after is not None:
                headers["Retry-After"] = f"{retry_after:g}"
            body = json.dumps(
                {"message": "Too many connections", "limit_label": "rate_limit_minute"}
            )
            return response(status, body.encode(), headers)
        if self.sign_api_key is not None and req.headers.get("x-api-key") != self.sign_api_key:
            return _json({"message": "The provided API Key is invalid."}, 401)
        q = req.query
        if not q.get("room_id") or not q.get("user_agent"):
            return _json({"message": "room_id and user_agent are required"}, 400)
        if not self.state.is_live_room(q["room_id"]):
            return _json({"message": f"room {q['room_id']} is not live"}, 400)
        token = secrets.token_hex(8)
        self.tokens[token] = q["user_agent"]
        room_id = self.state.room_id
        self.signed_rooms.append(room_id)
        result = wire.fetch_result(
            self.log.initial(room_id, self.history_flag),
            cursor=f"p-{len(self.log.sent)}",
            internal_ext=f"internal_src:fake|first_req_ms:{int(time.time() * 1000)}",
            push_server=self.push_url(),
            route_params={"room_tag": "", "wrss": token},
            is_first=True,
            now_ms=int(time.time() * 1000),
        )
        cookie = f"ttwid={token}; tt_chain_token={secrets.token_hex(6)}"
        return response(
            200,
            result.SerializeToString(),
            {
                "content-type": "application/protobuf",
                "X-Set-TT-Cookie": cookie,
                "X-Request-Id": secrets.token_hex(4),
            },
        )

    def _poll(self, req: Request) -> bytes:
        """The polling path: events after the cursor, for clients without a websocket."""
        self.polls += 1
        if signed_token(req.headers.get("cookie", ""), self.tokens) is None:
            return response(403, b"")
        if req.query.get("room_id") != str(self.state.room_id):
            return response(400, b"")
        cursor = req.query.get("cursor", "")
        sent = self.log.sent
        start = int(cursor[2:]) if cursor.startswith("p-") and cursor[2:].isdigit() else len(sent)
        events = [] if self.faults.stalled else sent[start:]
        result = wire.fetch_result(
            (wire.encode_event(e) for e in events),
            cursor=f"p-{start + len(events)}",
            internal_ext=f"internal_src:fake|poll:{start}",
        )
        result.fetch_interval = 200
        return response(200, result.SerializeToString(), {"content-type": "application/protobuf"})

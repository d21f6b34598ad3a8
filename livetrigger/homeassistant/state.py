"""What Home Assistant shows about a room, accumulated from events (pure; time passed in).

State goes out as one JSON document per room; each sensor reads its value with a template.
Viewer and like counts change many times a second in a busy room, so they only mark the state
dirty and go out at most once per ``interval``; a change people act on (live, a gift, a follow,
the connection) goes out at once and carries the latest counts with it.
"""

from __future__ import annotations

from typing import Any

from livetrigger import events as ev

MAX_CHAT = 255  # Home Assistant states are capped at 255 characters
ROOM_FIGURES = ("rules_fired", "reconnects")  # the rest is the daemon's, on its own device


def _clip(text: str, n: int = MAX_CHAT) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class RoomState:
    def __init__(self, interval: float = 5.0, like_step: int = 1000) -> None:
        self.interval = interval
        self.like_step = like_step
        self.live = False
        self.viewers: int | None = None  # unknown while offline: no stale count
        self.likes = 0
        self.diamonds = 0
        self.follows = 0
        self.connection = "waiting"
        self.sign_left = 0
        self.last_gift = ""
        self.last_gift_attrs: dict[str, Any] = {}
        self.last_chat = ""
        self.last_chat_attrs: dict[str, Any] = {}
        # this room's own counters from the daemon's status (rules fired, reconnects), which
        # counts since its process started: what an earlier process showed is carried on top,
        # so a restart never takes Home Assistant's figure back
        self.figures: dict[str, float | None] = dict.fromkeys(ROOM_FIGURES)
        self._carried: dict[str, int] = dict.fromkeys(ROOM_FIGURES, 0)
        self._urgent = False
        self._dirty = False
        self._last_sent = float("-inf")

    def _user(self, u: ev.User) -> dict[str, Any]:
        return {"user": u.unique_id, "nickname": u.nickname}

    def apply(self, event: ev.Event) -> list[tuple[str, dict[str, Any]]]:
        """Update from one event; returns the HA event-entity messages it causes
        (event type, attributes)."""
        out: list[tuple[str, dict[str, Any]]] = []
        if event.is_history:
            return out
        if isinstance(event, ev.LiveStartedEvent):
            self.live = True
            self.diamonds = self.follows = self.likes = 0
            self._urgent = True
        elif isinstance(event, ev.StreamEndedEvent):
            self.live = False
            self.viewers = None
            self._urgent = True
            out.append(("stream_ended", {"reason": str(event.reason.value)}))
        elif isinstance(event, ev.ViewerCountEvent):
            self.viewers = event.viewers
            self._dirty = True
        elif isinstance(event, ev.LikeEvent):
            before = self.likes
            self.likes = max(self.likes, event.total)
            self._dirty = True
            if self.likes // self.like_step > before // self.like_step:
                out.append(
                    ("like_milestone", {"likes": self.likes // self.like_step * self.like_step})
                )
        elif isinstance(event, ev.GiftEvent):
            if event.is_final:
                self.diamonds += event.total_diamonds
                self.last_gift = _clip(event.gift_name, 100)
                self.last_gift_attrs = {
                    **self._user(event.user),
                    "count": event.repeat_count,
                    "diamonds": event.total_diamonds,
                }
                self._urgent = True
                out.append(("gift", {**self.last_gift_attrs, "gift": event.gift_name}))
        elif isinstance(event, ev.FollowEvent):
            self.follows += 1
            self._urgent = True
            out.append(("follow", self._user(event.user)))
        elif isinstance(event, ev.ShareEvent):
            out.append(("share", self._user(event.user)))
        elif isinstance(event, ev.SubscribeEvent):
            out.append(("subscribe", {**self._user(event.user), "months": event.sub_month}))
        elif isinstance(event, ev.ChatEvent):
            self.last_chat = _clip(event.text)
            self.last_chat_attrs = self._user(event.user)
            self._dirty = True
            if event.text.startswith("!"):
                out.append(
                    ("chat_command", {**self._user(event.user), "command": _clip(event.text)})
                )
        return out

    def set_connection(self, state: str, sign_left: int) -> None:
        if state != self.connection:
            self._urgent = True
        self.connection = state
        self.sign_left = sign_left
        if state == "connected":
            self.live = True

    def set_figures(self, figures: dict[str, float]) -> None:
        """This room's status counters (rules fired, reconnects): rate-limited like viewers."""
        new = {
            **self.figures,
            **{k: v + self._carried[k] for k, v in figures.items() if k in ROOM_FIGURES},
        }
        if new != self.figures:
            self.figures = new
            self._dirty = True

    def due(self, now: float) -> dict[str, Any] | None:
        """The state document to publish now, or None (nothing new, or too soon)."""
        if not (self._urgent or (self._dirty and now - self._last_sent >= self.interval)):
            return None
        self._urgent = self._dirty = False
        self._last_sent = now
        return self.document()

    def next_due(self) -> float | None:
        return self._last_sent + self.interval if self._dirty else None

    def document(self) -> dict[str, Any]:
        """The one state message: every key a template reads is present from the first
        message on; what is not known is null (Home Assistant shows unknown)."""
        return {
            "live": "ON" if self.live else "OFF",
            "viewers": self.viewers if self.live else None,
            "likes": self.likes,
            "diamonds": self.diamonds,
            "follows": self.follows,
            "connection": self.connection,
            "last_gift": self.last_gift or None,
            "last_gift_attrs": self.last_gift_attrs,
            "last_chat": self.last_chat or None,
            "last_chat_attrs": self.last_chat_attrs,
            **self.figures,
        }

    # -- across restarts ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The stream's figures, so a restart mid-stream publishes the same values."""
        return {
            "version": 1,
            "live": self.live,
            "viewers": self.viewers,
            "likes": self.likes,
            "diamonds": self.diamonds,
            "follows": self.follows,
            "last_gift": self.last_gift,
            "last_gift_attrs": self.last_gift_attrs,
            "last_chat": self.last_chat,
            "last_chat_attrs": self.last_chat_attrs,
            "figures": {k: int(v) for k, v in self.figures.items() if v is not None},
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Take back a ``snapshot``; ``ValueError`` on anything foreign."""
        if data.get("version") != 1:
            raise ValueError(f"room figures version {data.get('version')!r} is not ours")
        try:
            live, likes = bool(data["live"]), int(data["likes"])
            diamonds, follows = int(data["diamonds"]), int(data["follows"])
            viewers = None if data.get("viewers") is None else int(data["viewers"])
            gift, chat = _clip(str(data["last_gift"]), 100), _clip(str(data["last_chat"]))
            gift_attrs, chat_attrs = dict(data["last_gift_attrs"]), dict(data["last_chat_attrs"])
            # (a snapshot from before the figures were kept has none: they start at 0)
            saved = dict(data.get("figures") or {})
            carried = {k: int(saved.get(k) or 0) for k in ROOM_FIGURES}
            if min(carried.values()) < 0:
                raise ValueError(f"negative figures {carried}")
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"room figures are damaged: {exc}") from None
        self.live, self.viewers, self.likes = live, viewers, likes
        self.diamonds, self.follows = diamonds, follows
        self.last_gift, self.last_gift_attrs = gift, gift_attrs
        self.last_chat, self.last_chat_attrs = chat, chat_attrs
        self._carried = carried
        self.figures = {k: carried[k] if k in saved else self.figures[k] for k in ROOM_FIGURES}
        self._urgent = True

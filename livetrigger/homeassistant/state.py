"""What Home Assistant shows about a room, accumulated from events (pure; time passed in).

State goes out as one JSON document per room; each sensor reads its value with a template.
Viewer and like counts change many times a second in a busy room, so they only mark the state
dirty and go out at most once per ``interval``; a change people act on (live, a gift, a follow,
the connection) goes out at once and carries the latest counts with it. A battle's running
score and a goal's progress are rate-limited the same way; a battle's start and result, a rank
change and a goal reached go out at once.

Battle, rank and goal belong to one stream: unknown until their first message, cleared when
the stream ends (no stale score or rank on an offline room) and at the next one's start.
"""

from __future__ import annotations

from typing import Any

from livetrigger import events as ev

MAX_CHAT = 255  # Home Assistant states are capped at 255 characters
ROOM_FIGURES = ("rules_fired", "reconnects")  # the rest is the daemon's, on its own device
BATTLE_RESULTS = ("won", "lost", "draw")
NO_BATTLE = "none"  # the Battle result while no battle has ended (or one is under way)
HOURLY = "hourly"  # the Rank sensor's ranking; the others are its attributes
MAX_RANKINGS = 16  # ranking types kept per stream (their names come off the wire)


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
        self._clear_stream_extras()
        self._urgent = False
        self._dirty = False
        self._last_sent = float("-inf")

    def _clear_stream_extras(self) -> None:
        """No battle, rank or goal known: a new stream, or none."""
        self.battle_id: int | None = None
        self.battle_points: int | None = None
        self.rival_points: int | None = None
        self.battle_result: str | None = NO_BATTLE  # None: ended, our side unknown
        self.ranks: dict[str, int] = {}  # ranking type -> this room's place (0: not on it)
        self.rank_score: int | None = None  # on the hourly ranking
        self.goal_id: int | None = None
        self.goal_current: int | None = None
        self.goal_target: int | None = None
        self.goal_reached = False
        self.goal_description = ""

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
            self._clear_stream_extras()
            self._urgent = True
        elif isinstance(event, ev.StreamEndedEvent):
            self.live = False
            self.viewers = None
            self._clear_stream_extras()
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
        elif isinstance(event, ev.BattleEvent | ev.BattlePointsEvent | ev.BattleEndedEvent):
            out.extend(self._battle(event))
        elif isinstance(event, ev.RankEvent):
            self._rank(event)
        elif isinstance(event, ev.GoalEvent):
            out.extend(self._goal(event))
        return out

    def _battle(
        self, event: ev.BattleEvent | ev.BattlePointsEvent | ev.BattleEndedEvent
    ) -> list[tuple[str, dict[str, Any]]]:
        """A battle's start (scores 0:0, no result yet), running score and result."""
        new = event.battle_id != self.battle_id
        if isinstance(event, ev.BattleEvent):
            if event.action == "started" and (new or self.battle_points is None):
                self.battle_id, self.battle_result = event.battle_id, NO_BATTLE
                self.battle_points = self.rival_points = 0
                self._urgent = True
            return []
        if new:  # a battle whose start was not seen (joined late)
            self.battle_id, self.battle_result = event.battle_id, NO_BATTLE
            self._urgent = True
        if event.points or event.rival_points or not any(s.points for s in event.scores):
            self.battle_points, self.rival_points = event.points, event.rival_points
        else:  # 0:0 beside real scores: which side is ours is not known (joined late)
            self.battle_points = self.rival_points = None
        if isinstance(event, ev.BattlePointsEvent):
            self._dirty = True
            return []
        # the result: the decoder tells it once per battle; "" is "our side unknown"
        result = event.result if event.result in BATTLE_RESULTS else None
        self.battle_result = result
        self._urgent = True
        if result is None:
            return []
        return [(f"battle_{result}", self._battle_attrs())]

    def _battle_attrs(self) -> dict[str, Any]:
        return {
            "battle_id": self.battle_id,
            "points": self.battle_points,
            "rival_points": self.rival_points,
        }

    def _rank(self, event: ev.RankEvent) -> None:
        """This room's places: every ranking the message lists (the hourly one is the
        sensor's state, the others its attributes)."""
        entries = event.ranks or (
            ev.RankEntry(rank_type=event.rank_type, rank=event.rank, score=event.score),
        )
        before = (dict(self.ranks), self.rank_score)
        for entry in entries:
            kind = _clip(entry.rank_type, 40)
            if kind in self.ranks or len(self.ranks) < MAX_RANKINGS:
                self.ranks[kind] = max(0, entry.rank)
            if kind == HOURLY:
                self.rank_score = entry.score
        if (self.ranks, self.rank_score) != before:
            self._urgent = True

    def _goal(self, event: ev.GoalEvent) -> list[tuple[str, dict[str, Any]]]:
        """The LIVE goal's progress; reaching it (once per goal) is an event."""
        reached_now = event.reached and not (self.goal_reached and event.goal_id == self.goal_id)
        self.goal_id, self.goal_description = event.goal_id, _clip(event.description)
        self.goal_current, self.goal_target = event.current, event.target
        self.goal_reached = event.reached
        if not reached_now:
            self._dirty = True
            return []
        self._urgent = True
        return [("goal_reached", self._goal_attrs())]

    def _goal_attrs(self) -> dict[str, Any]:
        return {
            "goal_id": self.goal_id,
            "description": self.goal_description,
            "current": self.goal_current,
            "target": self.goal_target,
            "reached": self.goal_reached,
        }

    @property
    def goal_progress(self) -> int | None:
        """Percent of the target (past 100 when exceeded); unknown without a target."""
        if not self.goal_target or self.goal_current is None:
            return None
        return self.goal_current * 100 // self.goal_target

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
            "battle_points": self.battle_points,
            "rival_points": self.rival_points,
            "battle_result": self.battle_result,
            "battle_attrs": self._battle_attrs(),
            # 0 is "not on the ranking": unknown, never a place an automation would take for
            # the top (the attributes say on_rank false)
            "rank": self.ranks.get(HOURLY) or None,
            "rank_attrs": {
                "rank_type": HOURLY,
                "score": self.rank_score,
                "on_rank": bool(self.ranks.get(HOURLY)),
                "ranks": dict(self.ranks),
            },
            "goal_progress": self.goal_progress,
            "goal_attrs": self._goal_attrs(),
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
            "battle": {
                **self._battle_attrs(),
                "result": self.battle_result,
            },
            "rank": {"ranks": dict(self.ranks), "score": self.rank_score},
            "goal": self._goal_attrs(),
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
            # (nor battle, rank and goal: unknown, as at a stream's start)
            extras = _stream_extras(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"room figures are damaged: {exc}") from None
        self.live, self.viewers, self.likes = live, viewers, likes
        self.diamonds, self.follows = diamonds, follows
        self.last_gift, self.last_gift_attrs = gift, gift_attrs
        self.last_chat, self.last_chat_attrs = chat, chat_attrs
        self._carried = carried
        self.figures = {k: carried[k] if k in saved else self.figures[k] for k in ROOM_FIGURES}
        self._clear_stream_extras()
        for name, value in extras.items():
            setattr(self, name, value)
        self._urgent = True


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a number")
    return value


def _stream_extras(data: dict[str, Any]) -> dict[str, Any]:
    """The battle, rank and goal of a snapshot, as ``RoomState`` attributes (``ValueError``
    on anything foreign)."""
    out: dict[str, Any] = {}
    battle, rank, goal = data.get("battle"), data.get("rank"), data.get("goal")
    if battle is not None:
        result = battle["result"]
        if result is not None and result not in (*BATTLE_RESULTS, NO_BATTLE):
            raise ValueError(f"battle result {result!r}")
        out.update(
            battle_id=_opt_int(battle["battle_id"]),
            battle_points=_opt_int(battle["points"]),
            rival_points=_opt_int(battle["rival_points"]),
            battle_result=result,
        )
    if rank is not None:
        ranks = dict(rank["ranks"])
        if len(ranks) > MAX_RANKINGS:
            raise ValueError(f"{len(ranks)} rankings")
        out.update(
            ranks={_clip(str(k), 40): max(0, _opt_int(v) or 0) for k, v in ranks.items()},
            rank_score=_opt_int(rank["score"]),
        )
    if goal is not None:
        out.update(
            goal_id=_opt_int(goal["goal_id"]),
            goal_description=_clip(str(goal["description"])),
            goal_current=_opt_int(goal["current"]),
            goal_target=_opt_int(goal["target"]),
            goal_reached=bool(goal["reached"]),
        )
    return out

"""Show files for the fake live room: a YAML (or JSON) script of what happens in the room
(docs/fake-room.md documents it for users).

::

    users:
      mia: {nickname: "Mia", moderator: true, follow_role: friend}
      leo: {nickname: "Leo", gifter_level: 12}
    steps:
      - chat: {user: mia, text: "!light on"}
      - wait: 1.5                              # seconds before the next step
        gift: {user: leo, gift: Rose, count: 30}   # a streak: 30 steps, then its end
      - like: {user: mia, count: 95}
      - follow: {user: leo}
      - share: {user: mia}
      - viewers: {count: 61}
      - gift: {user: leo, gift: Rose, count: 7, end: false}   # the end frame never comes
      - battle: {rival: rival_host, points: [[10, 5], [120, 90]], result: won}
                              # start, one score step per pair (ours, theirs), the result
      - rank: {rank: 8, type: hourly, score: 6100}   # this room's place on a ranking
      - goal: {current: 80, target: 100, user: leo}  # the LIVE goal (reached at target)
      - delete: {user: leo}   # a moderator deletes leo's last comment in the show
      - do: end_stream        # or go_live, go_offline, vanish, drop, stall, resume,
                              # fail_check_alive, heal_check_alive (see FakeLiveRoom)

Steps without ``wait`` follow the previous one after 0.5 s. Unknown keys are errors with the
step number, so a typo does not silently skip a gift.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from livetrigger import events as ev
from livetrigger.errors import ConfigError, ConfigFileError
from livetrigger.simulator.gifts import known_gift
from livetrigger.simulator.playback import ACTIONS, Step

KINDS = (
    "chat",
    "gift",
    "like",
    "follow",
    "share",
    "join",
    "viewers",
    "subscribe",
    "question",
    "battle",
    "rank",
    "goal",
    "delete",
)
SHOW_DOC = "docs/fake-room.md"  # the format, with an example the tests play
OUR_HOST, RIVAL_HOST = 7_100_000_000_000_000_001, 7_100_000_000_000_000_002


def _user(name: str, spec: dict[str, Any], n: int) -> ev.User:
    role = {
        "none": ev.FollowRole.NONE,
        "follower": ev.FollowRole.FOLLOWER,
        "friend": ev.FollowRole.FRIEND,
    }[str(spec.get("follow_role", "none"))]
    return ev.User(
        id=8_000_000_000_000_000_000 + n,
        unique_id=name,
        nickname=str(spec.get("nickname", name)),
        follow_role=role,
        is_moderator=bool(spec.get("moderator", False)),
        is_subscriber=bool(spec.get("subscriber", False)),
        gifter_level=int(spec.get("gifter_level", 0)),
        top_gifter_rank=spec.get("top_gifter_rank"),
    )


def load_show(path: str | Path, room_id: int = 0) -> list[Step]:
    """Parse a show file into (delay, event or action) steps; ConfigError names the step."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigFileError(f"{name}: cannot read the show: {reason}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not a YAML show: {exc}") from None
    return parse_show(data, name, room_id)


def parse_show(data: Any, name: str = "<show>", room_id: int = 0) -> list[Step]:
    """Steps from a show already read (a mapping); ConfigError lists every problem."""
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        # a list of `at:` events is the likeliest mistake: simulate takes that
        other = "; a list of `at:` events is simulate's --events format" * isinstance(data, list)
        raise ConfigError(
            f"{name}: a show needs `steps:` (a list){other}",
            (
                "for example:",
                "  steps:",
                "    - gift: {gift: Rose, count: 5}",
                f"every step kind, and a whole show: {SHOW_DOC}",
            ),
        )
    users = {
        str(k): _user(str(k), v or {}, i)
        for i, (k, v) in enumerate((data.get("users") or {}).items())
    }
    ids = itertools.count(7_500_000_000_000_000_000)
    last_chat: dict[int, int] = {}  # user id -> msg id of their last comment (for delete)
    problems: list[str] = []
    steps: list[Step] = []
    for i, raw in enumerate(data["steps"]):
        where = f"{name}: steps[{i}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: a step is a mapping like {{chat: {{user: x, text: hi}}}}")
            continue
        wait = float(raw.get("wait", 0.5))
        kinds = [k for k in raw if k != "wait"]
        if len(kinds) != 1 or (kinds[0] not in KINDS and kinds[0] != "do"):
            problems.append(f"{where}: give one of {', '.join(KINDS)} or do (got {kinds})")
            continue
        kind = kinds[0]
        spec = raw[kind]
        if kind == "do":
            if spec not in ACTIONS:
                problems.append(f"{where}: do: one of {', '.join(ACTIONS)} (got {spec!r})")
                continue
            steps.append((wait, str(spec)))
            continue
        spec = spec or {}
        who = spec.get("user")
        user = users.get(str(who)) if who is not None else ev.ANONYMOUS
        if user is None:
            problems.append(f"{where}: unknown user {who!r} (define it under users:)")
            continue
        try:
            if kind in ("battle", "rank", "goal", "delete"):
                steps.extend(_room_events(kind, spec, user, wait, ids, room_id, last_chat))
            else:
                made = _events(kind, spec, user, wait, ids, room_id)
                if kind == "chat":
                    last_chat[user.id] = made[0][1].msg_id  # type: ignore[union-attr]
                steps.extend(made)
        except (KeyError, ValueError, TypeError) as exc:
            problems.append(f"{where}: {kind}: {exc}")
    if problems:
        raise ConfigError(f"{name}: {len(problems)} problem(s) in the show", tuple(problems))
    return steps


def _events(
    kind: str, spec: dict[str, Any], user: ev.User, wait: float, ids: Iterator[int], room_id: int
) -> list[Step]:
    base: dict[str, Any] = {"room_id": room_id, "user": user}
    if kind == "chat":
        return [(wait, ev.ChatEvent(**base, msg_id=next(ids), text=str(spec["text"])))]
    if kind == "question":
        return [(wait, ev.QuestionEvent(**base, msg_id=next(ids), text=str(spec["text"])))]
    if kind == "like":
        count = int(spec.get("count", 1))
        return [
            (
                wait,
                ev.LikeEvent(
                    **base, msg_id=next(ids), count=count, total=int(spec.get("total", 0))
                ),
            )
        ]
    if kind == "follow":
        return [(wait, ev.FollowEvent(**base, msg_id=next(ids)))]
    if kind == "share":
        return [(wait, ev.ShareEvent(**base, msg_id=next(ids)))]
    if kind == "join":
        return [(wait, ev.JoinEvent(**base, msg_id=next(ids)))]
    if kind == "subscribe":
        return [
            (
                wait,
                ev.SubscribeEvent(**base, msg_id=next(ids), sub_month=int(spec.get("months", 1))),
            )
        ]
    if kind == "viewers":
        return [
            (
                wait,
                ev.ViewerCountEvent(room_id=room_id, msg_id=next(ids), viewers=int(spec["count"])),
            )
        ]
    gift_name = str(spec.get("gift", "Rose"))
    known = known_gift(gift_name)
    gift_id = int(spec.get("id", known["id"] if known else 1))
    diamonds = int(spec.get("diamonds", known["diamond_count"] if known else 1))
    combo = bool(known["combo"]) if known else False
    count = int(spec.get("count", 1))
    group = next(ids)
    common: dict[str, Any] = {
        **base,
        "gift_id": gift_id,
        "gift_name": gift_name,
        "diamonds": diamonds,
        "streak_id": group,
        "streakable": combo,
    }
    if not combo:
        return [
            (
                wait,
                ev.GiftEvent(
                    **common,
                    msg_id=next(ids),
                    repeat_count=count,
                    streak=ev.StreakState.SINGLE,
                    total_diamonds=diamonds * count,
                ),
            )
        ]
    out: list[Step] = []
    for n in range(1, count + 1):
        state = ev.StreakState.START if n == 1 else ev.StreakState.PROGRESS
        out.append(
            (
                wait if n == 1 else 0.1,
                ev.GiftEvent(
                    **common,
                    msg_id=next(ids),
                    repeat_count=n,
                    streak=state,
                    total_diamonds=diamonds * n,
                ),
            )
        )
    if spec.get("end", True) is False:
        return out  # the viewer's app closed: TikTok never sends the end (protocol.md §9.6)
    out.append(
        (
            0.5,
            ev.GiftEvent(
                **common,
                msg_id=next(ids),
                repeat_count=count,
                streak=ev.StreakState.END,
                total_diamonds=diamonds * count,
            ),
        )
    )
    return out


def _room_events(
    kind: str,
    spec: dict[str, Any],
    user: ev.User,
    wait: float,
    ids: Iterator[int],
    room_id: int,
    last_chat: dict[int, int],
) -> list[Step]:
    """The steps of issue 27's kinds: a battle (start, scores, result), a rank, the goal,
    a deleted comment."""
    if kind == "rank":
        place, score = int(spec["rank"]), int(spec.get("score", 0))
        rank_type = str(spec.get("type", "hourly"))
        return [
            (
                wait,
                ev.RankEvent(
                    room_id=room_id,
                    msg_id=next(ids),
                    rank_type=rank_type,
                    rank=place,
                    score=score,
                    on_rank=place > 0,
                    text=f"{rank_type.capitalize()} ranking",
                    ranks=(ev.RankEntry(rank_type=rank_type, rank=place, score=score),),
                ),
            )
        ]
    if kind == "goal":
        current, target = int(spec["current"]), int(spec.get("target", 100))
        if target <= 0:
            raise ValueError("target must be above 0")
        contributor = ev.User(id=user.id, unique_id=user.unique_id) if user.id else ev.ANONYMOUS
        return [
            (
                wait,
                ev.GoalEvent(
                    room_id=room_id,
                    msg_id=next(ids),
                    user=contributor,
                    goal_id=int(spec.get("id", 1)),
                    description=str(spec.get("description", "")),
                    current=current,
                    target=target,
                    progress=current * 100 // target,
                    reached=current >= target,
                    source="progress_update",
                ),
            )
        ]
    if kind == "delete":
        msg = last_chat.get(user.id, 0)
        return [
            (
                wait,
                ev.MessageDeletedEvent(
                    room_id=room_id,
                    msg_id=next(ids),
                    deleted_msg_id=msg,
                    deleted_msg_ids=(msg,) if msg else (),
                ),
            )
        ]
    # battle: the room's host has no room id here: the fake room gives it the room's own
    pairs = [(int(a), int(b)) for a, b in spec.get("points", [])]
    battle_id = next(ids)
    out: list[Step] = [
        (
            wait,
            ev.BattleEvent(
                room_id=room_id,
                msg_id=next(ids),
                battle_id=battle_id,
                action="started",
                duration=int(spec.get("duration", 300)),
                participants=(
                    ev.BattleParticipant(user_id=OUR_HOST, unique_id="", nickname="", room_id=0),
                    ev.BattleParticipant(
                        user_id=RIVAL_HOST,
                        unique_id=str(spec.get("rival", "rival_host")),
                        nickname=str(spec.get("rival", "rival_host")),
                        room_id=1,
                    ),
                ),
            ),
        )
    ]
    for ours, theirs in pairs:
        out.append(
            (
                1.0,
                ev.BattlePointsEvent(
                    room_id=room_id,
                    msg_id=next(ids),
                    battle_id=battle_id,
                    reason="score_update",
                    scores=(
                        ev.BattleScore(host_id=OUR_HOST, points=ours),
                        ev.BattleScore(host_id=RIVAL_HOST, points=theirs),
                    ),
                ),
            )
        )
    ours, theirs = pairs[-1] if pairs else (0, 0)
    result = str(
        spec.get("result", "won" if ours > theirs else "lost" if ours < theirs else "draw")
    )
    if result not in ("won", "lost", "draw"):
        raise ValueError(f"result: won, lost or draw (got {result!r})")
    winner = {"won": OUR_HOST, "lost": RIVAL_HOST}.get(result, 0)
    out.append(
        (
            1.0,
            ev.BattleEndedEvent(
                room_id=room_id,
                msg_id=next(ids),
                battle_id=battle_id,
                result=result,
                points=ours,
                rival_points=theirs,
                winner_id=winner,
                scores=(
                    ev.BattleScore(host_id=OUR_HOST, points=ours),
                    ev.BattleScore(host_id=RIVAL_HOST, points=theirs),
                ),
            ),
        )
    )
    return out

"""The realistic message mix shared by the benchmarks.

60% chat, 20% like, 10% join, 8% gift, 2% viewer count; 10 messages per frame; users with a
nickname, a handle, an avatar url_list and badges, drawn from a pool like a busy room's.
"""

from __future__ import annotations

import random

from livetrigger import events as ev
from livetrigger.simulator import wire

MIX = (("chat", 60), ("like", 20), ("join", 10), ("gift", 8), ("viewers", 2))
ROOM = 7140000000000000001


def make_users(rng: random.Random, n: int = 500) -> list[ev.User]:
    users = []
    for i in range(n):
        handle = f"viewer_{i:04d}_{rng.randrange(10**6):06d}"
        users.append(
            ev.User(
                id=7_000_000_000_000_000_000 + rng.randrange(10**15),
                unique_id=handle,
                nickname=rng.choice(["Ana ✨", "Ben", "Chloé", "Dmitri 🎮", "Emi", "Fatima"])
                + f" {i}",
                avatar_url=wire.avatar_urls(handle)[1],
                follow_role=ev.FollowRole(rng.choice([0, 0, 1, 1, 2])),
                is_moderator=rng.random() < 0.02,
                is_subscriber=rng.random() < 0.1,
                gifter_level=rng.choice([0, 0, 3, 12, 25]),
                fan_club_level=rng.choice([0, 0, 0, 5, 14]),
                top_gifter_rank=rng.choice([None] * 20 + [1, 2, 3]),
            )
        )
    return users


def make_events(count: int, seed: int = 7) -> list[ev.Event]:
    rng = random.Random(seed)
    users = make_users(rng)
    kinds = [k for k, w in MIX for _ in range(w)]
    out: list[ev.Event] = []
    likes = 0
    for i in range(count):
        kind = rng.choice(kinds)
        user = rng.choice(users)
        base = {
            "room_id": ROOM,
            "msg_id": 7_400_000_000_000_000_000 + i,
            "create_time": 1_732_406_400_000 + i,
        }
        if kind == "chat":
            out.append(
                ev.ChatEvent(
                    **base,
                    user=user,
                    text=rng.choice(
                        [
                            "hello from Berlin!",
                            "!light on",
                            "love this song 😍",
                            "what game is this?",
                            "GG",
                        ]
                    ),
                )
            )
        elif kind == "like":
            n = rng.randint(1, 15)
            likes += n
            out.append(ev.LikeEvent(**base, user=user, count=n, total=likes))
        elif kind == "join":
            out.append(ev.JoinEvent(**base, user=user, viewers=rng.randint(100, 5000)))
        elif kind == "gift":
            out.append(
                ev.GiftEvent(
                    **base,
                    user=user,
                    gift_id=5655,
                    gift_name="Rose",
                    diamonds=1,
                    repeat_count=1,
                    streak_id=rng.randrange(10**12),
                    streak=ev.StreakState.SINGLE,
                    streakable=False,
                    total_diamonds=1,
                )
            )
        else:
            out.append(
                ev.ViewerCountEvent(
                    **base,
                    viewers=rng.randint(100, 5000),
                    top_viewers=tuple(
                        ev.TopViewer(user=u, coins=rng.randint(1, 9999), rank=r + 1)
                        for r, u in enumerate(rng.sample(users, 3))
                    ),
                )
            )
    return out


def make_frames(messages: int, per_frame: int = 10, compress: bool = False) -> list[bytes]:
    events = make_events(messages)
    return [
        wire.frame_of_events(
            events[i : i + per_frame],
            log_id=i + 1,
            compress=compress,
            need_ack=True,
            internal_ext=f"internal_src:dim|seq:{i}",
        )
        for i in range(0, len(events), per_frame)
    ]

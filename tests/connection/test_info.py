"""`livetrigger info` against the fake room: the whole gift catalogue with `--gifts` (the ids
and names a rule's `gift:` / `gift_id` matches), and as JSON; a gift name is printed escaped."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from livetrigger.simulator import endpoints
from livetrigger.simulator.server import FakeLiveRoom

ROOT = Path(__file__).resolve().parents[2]

# the room's catalogue for these tests: more than the five the plain look-up shows, two at one
# price (sorted by name then), and a name with a terminal escape in it
CATALOGUE = [
    {"id": 6369, "name": "Lion", "diamond_count": 29999, "combo": False, "type": 2},
    {"id": 5655, "name": "Rose", "diamond_count": 1, "combo": True, "type": 1},
    {"id": 7934, "name": "Galaxy", "diamond_count": 500, "combo": False, "type": 2},
    {"id": 5269, "name": "TikTok", "diamond_count": 1, "combo": True, "type": 1},
    {"id": 5487, "name": "Finger Heart", "diamond_count": 5, "combo": True, "type": 1},
    {"id": 6064, "name": "GG", "diamond_count": 1, "combo": True, "type": 1},
    {"id": 8913, "name": "Rosa\x1b[2J", "diamond_count": 10, "combo": False, "type": 2},
]


async def info(
    room: FakeLiveRoom, *options: str, user: str = "@demo_streamer"
) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "livetrigger",
        "info",
        user,
        "--base-url",
        room.base_url,
        *options,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)  # catches a hang only
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_info_looks_the_streamer_up() -> None:
    async with FakeLiveRoom() as room:
        code, out, _ = await info(room)
        missing, _, err = await info(room, user="@nobody_here")
    assert code == 0 and f"room id {room.room_id}, LIVE" in out
    assert "Rose (1" in out
    assert missing == 1 and "error:" in err


@pytest.fixture
def catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endpoints, "GIFTS", CATALOGUE)


async def test_gifts_lists_the_whole_catalogue_cheapest_first(catalogue: None) -> None:
    async with FakeLiveRoom() as room:
        code, out, err = await info(room, "--gifts")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("@demo_streamer: room id ") and lines[0].endswith("LIVE")
    assert "7 gifts, cheapest first" in out
    table = lines[lines.index(next(x for x in lines if x.lstrip().startswith("id "))) + 1 :]
    rows = [line.split(None, 2) for line in table]
    assert [(int(i), int(d)) for i, d, _ in rows] == [
        (6064, 1),
        (5655, 1),
        (5269, 1),
        (5487, 5),
        (8913, 10),
        (7934, 500),
        (6369, 29999),
    ]
    assert rows[1][2] == "Rose  (streak)" and rows[5][2] == "Galaxy"
    assert "\x1b" not in out and "Rosa\\x1b[2J" in out  # TikTok's text never drives the terminal


async def test_without_gifts_it_names_five_and_says_how_to_see_all(catalogue: None) -> None:
    async with FakeLiveRoom() as room:
        code, out, err = await info(room)
    assert code == 0, err
    assert "7 gifts, e.g. GG (1 💎), Rose (1 💎), TikTok (1 💎), Finger Heart (5 💎)" in out
    assert "Lion" not in out and "--gifts" in out


async def test_json_has_every_gift(catalogue: None) -> None:
    async with FakeLiveRoom() as room:
        code, out, err = await info(room, "--json")
    assert code == 0, err
    found = json.loads(out)
    assert (found["unique_id"], found["room_id"], found["live"]) == (
        "demo_streamer",
        room.room_id,
        True,
    )
    assert [g["id"] for g in found["gifts"]] == [6064, 5655, 5269, 5487, 8913, 7934, 6369]
    assert found["gifts"][1] == {"id": 5655, "name": "Rose", "diamonds": 1, "streakable": True}
    assert found["gifts"][4]["name"] == "Rosa\x1b[2J"  # the name as TikTok sent it, escaped
    assert "\x1b" not in out

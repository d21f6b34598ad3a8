"""The dashboard keeps each event's verdicts as they stood when the event arrived: a cooldown's
time left and a counter's count are those of that moment, however much later the event is
tapped (issue 26 item 9). A real daemon on the fake room, its dashboard asked over HTTP."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.browser import needs_chromium
from tests.support.dashboard import head, page, running, url_of

TOKEN = "verdict-t0k3n-verdict"


def config_text(room: FakeLiveRoom, tmp: Path) -> str:
    return (
        head(room, tmp, f"{{enabled: true, port: 0, token: {TOKEN}}}")
        + f"""\
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: calm
        on: follow
        cooldown: 1h
        do: [{{log: "thanks"}}]
      - id: thousand
        on: gift
        every: {{sum: total_diamonds, step: 1000}}
        do: [{{log: "{{{{ milestone }}}} diamonds"}}]
"""
    )


@asynccontextmanager
async def dashboard(
    tmp_path: Path,
) -> AsyncIterator[tuple[FakeLiveRoom, httpx.AsyncClient]]:
    async with FakeLiveRoom() as room:
        path = tmp_path / "config.yaml"
        path.write_text(config_text(room, tmp_path))
        async with (
            running(path, room) as daemon,
            httpx.AsyncClient(
                base_url=url_of(daemon), headers={"X-Livetrigger-Token": TOKEN}
            ) as http,
        ):
            yield room, http


def gift(room: FakeLiveRoom, who: str) -> ev.GiftEvent:
    return ev.GiftEvent(
        msg_id=room.next_msg_id(),
        gift_id=7934,
        gift_name="Castle",
        diamonds=300,
        total_diamonds=300,
        user=ev.User(id=len(who), unique_id=who, nickname=who),
    )


def follow(room: FakeLiveRoom, who: str) -> ev.FollowEvent:
    return ev.FollowEvent(
        msg_id=room.next_msg_id(), user=ev.User(id=len(who), unique_id=who, nickname=who)
    )


async def feed(http: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    """The feed once it holds ``count`` follows and gifts (waits for them, not for time)."""
    deadline = time.monotonic() + 60
    while True:
        items = [i for i in (await http.get("/api/feed")).json() if i["kind"] in ("follow", "gift")]
        if len(items) >= count:
            return items
        assert time.monotonic() < deadline, f"the feed has {len(items)} of {count} events"
        await asyncio.sleep(0.02)


async def why(http: httpx.AsyncClient, item: dict[str, Any]) -> dict[str, Any]:
    answer = await http.get(f"/api/explain/{item['id']}")
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def verdict(data: dict[str, Any], rule: str) -> dict[str, Any]:
    (found,) = [v for v in data["verdicts"] if v["rule"] == rule]
    return found


async def test_a_verdict_asked_later_is_the_one_at_arrival(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as (room, http):
        await room.send(follow(room, "bob"))
        await room.send(follow(room, "amy"))
        await room.send(gift(room, "cy"))
        first, second, castle = await feed(http, 3)
        assert first["fired"] == ["calm"] and second["fired"] == []

        fired, held, counted = (
            await why(http, first),
            await why(http, second),
            await why(http, castle),
        )
        assert verdict(counted, "thousand") == {
            "rule": "thousand",
            "fires": False,
            "decided_by": "counter",
            "reason": "every 1000 of total_diamonds: the count is at 300, the next firing at 1000",
        }
        assert verdict(fired, "calm")["decided_by"] == "fires"
        cooldown = verdict(held, "calm")
        assert cooldown["decided_by"] == "cooldown", cooldown
        # the time left is that of the follow's arrival: it fired at the first's arrival
        found = re.fullmatch(
            r"on cooldown \(1h\): it fired ([\d.]+)s ago, ([\d.]+)s left; dropped",
            cooldown["reason"],
        )
        assert found, cooldown
        ago, left = float(found[1]), float(found[2])
        # `ago` is on the rules' monotonic clock (shown to 0.1 s), `at` the wall clock's
        assert abs(ago - (held["at"] - fired["at"])) < 0.06 and abs(ago + left - 3600) < 0.11

        # more events move the counter on; the rules' state changes, the verdicts do not
        await room.send(gift(room, "dee"))
        await room.send(follow(room, "eve"))
        *_, later_gift, _ = await feed(http, 5)
        assert verdict(await why(http, later_gift), "thousand")["reason"].startswith(
            "every 1000 of total_diamonds: the count is at 600,"
        )
        assert await why(http, second) == held
        assert await why(http, castle) == counted
        assert await why(http, first) == fired


@needs_chromium
async def test_the_page_shows_the_verdict_of_the_arrival(tmp_path: Path) -> None:
    """Tapped after the counter moved on, an event shows its own moment's verdicts."""
    async with (
        dashboard(tmp_path) as (room, http),
        page(tmp_path, f"{str(http.base_url).rstrip('/')}/#token={TOKEN}") as b,
    ):
        await b.wait_for("document.body && document.body.dataset.live === '1'")
        await room.send(follow(room, "bob"))
        await room.send(follow(room, "amy"))
        await room.send(gift(room, "cy"))
        await room.send(gift(room, "dee"))
        _, held, castle, _ = await feed(http, 4)
        await b.wait_for(f"document.querySelector('#feed li[data-id=\"{castle['id']}\"]')")

        await b.click(f'#feed li[data-id="{castle["id"]}"]')
        counter = "#verdicts li[data-rule=thousand][data-decided-by=counter]"
        await b.wait_for(f"document.querySelector('{counter}')")
        text = await b.eval(f"document.querySelector('{counter}').textContent")
        assert "the count is at 300, the next firing at 1000" in text  # 600 by now
        assert "as it stood at" in await b.eval(
            "document.querySelector('#explain-title').textContent"
        )

        await b.click(f'#feed li[data-id="{held["id"]}"]')
        cooldown = "#verdicts li[data-rule=calm][data-decided-by=cooldown]"
        await b.wait_for(f"document.querySelector('{cooldown}')")
        text = await b.eval(f"document.querySelector('{cooldown}').textContent")
        assert text == "calm ✗ " + verdict(await why(http, held), "calm")["reason"]

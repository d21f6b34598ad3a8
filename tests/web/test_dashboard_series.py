"""The dashboard's charts over HTTP (issue 26, item 12): ``/api/series`` serves the session in
buckets under the dashboard's token, the live feed pushes their news as ``series`` messages,
and a restart inside the session keeps its chart (the state directory)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.dashboard import config_text, galaxy, running


@asynccontextmanager
async def served(path: Path) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """A daemon on the config, with its dashboard's address and token header."""
    async with running(path) as daemon:
        server = daemon.dashboard
        assert server is not None
        yield f"http://127.0.0.1:{server.port}", {"X-Livetrigger-Token": server.token}


async def series_when(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], ready: Any
) -> dict[str, Any]:
    """The room's series once ``ready(room)`` holds (polled; the timeout catches a hang)."""
    async with asyncio.timeout(60):
        while True:
            answer = await http.get(f"{url}/api/series", headers=headers)
            assert answer.status_code == 200
            room: dict[str, Any] = answer.json()["rooms"]["demo_streamer"]
            if ready(room):
                return room
            await asyncio.sleep(0.05)


def total(room: dict[str, Any], key: str) -> int:
    return sum(b[key] for b in room["buckets"])


async def next_series_message(lines: AsyncIterator[str]) -> dict[str, Any]:
    named = False
    async for line in lines:
        if line == "event: series":
            named = True
        elif named and line.startswith("data: "):
            message: dict[str, Any] = json.loads(line.removeprefix("data: "))
            return message
    raise AssertionError("the stream ended")


async def test_the_series_is_served_pushed_and_kept_across_a_restart(tmp_path: Path) -> None:
    async with FakeLiveRoom() as room:
        path = tmp_path / "config.yaml"
        path.write_text(config_text(room, tmp_path))
        async with served(path) as (url, headers), httpx.AsyncClient() as http:
            refused = await http.get(f"{url}/api/series")
            assert refused.status_code == 401  # the token, as for the rest of the API
            await room.wait_for_client()
            stream_url = f"{url}/api/stream?token={headers['X-Livetrigger-Token']}"
            async with http.stream("GET", stream_url, timeout=60) as stream:
                lines = stream.aiter_lines()
                await room.send(
                    galaxy(room),
                    ev.LikeEvent(msg_id=room.next_msg_id(), count=30, total=30),
                    ev.ViewerCountEvent(msg_id=room.next_msg_id(), viewers=12),
                )
                pushed: dict[str, int] = {}
                while pushed.get("diamonds", 0) < 500 or "big_gift" not in pushed:
                    message = await next_series_message(lines)
                    assert message["room"] == "demo_streamer"
                    for bucket in message["buckets"]:
                        pushed["diamonds"] = max(pushed.get("diamonds", 0), bucket["diamonds"])
                        pushed.update(dict.fromkeys(bucket["fired"], 1))
            first = await series_when(
                http, url, headers, lambda r: total(r, "actions") >= 1 and total(r, "likes") == 30
            )
            assert first["session"] == room.room_id and first["ended"] is None
            (marked,) = [b for b in first["buckets"] if b["fired"]]
            assert marked["fired"] == {"big_gift": 1} and marked["diamonds"] == 500
            assert 12 in [b["viewers"] for b in first["buckets"]]
            lamp = next(b for b in first["buckets"] if b["actions"])
            assert 0 < lamp["p50"] <= lamp["p99"]

        # the same session goes on after a restart: its chart is still there, and grows
        async with served(path) as (url, headers), httpx.AsyncClient() as http:
            answer = await http.get(f"{url}/api/series", headers=headers)
            again = answer.json()["rooms"]["demo_streamer"]
            assert {k: again[k] for k in ("session", "start")} == {
                k: first[k] for k in ("session", "start")
            }
            assert again["buckets"][: len(first["buckets"])] == first["buckets"]
            await room.wait_for_client()
            await room.send(galaxy(room, "leo"))
            grown = await series_when(http, url, headers, lambda r: total(r, "diamonds") == 1000)
            assert sum(b["fired"].get("big_gift", 0) for b in grown["buckets"]) == 2

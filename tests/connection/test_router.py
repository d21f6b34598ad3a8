"""Several fake rooms behind one RoomRouter, seen through livetrigger's own room client over
real sockets: each lookup reaches the room it names, before and after a stream change."""

from __future__ import annotations

import httpx
import pytest

from livetrigger.errors import RoomError
from livetrigger.simulator.router import RoomRouter
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.webcast.room import RoomClient


async def test_each_lookup_reaches_the_room_it_names() -> None:
    async with (
        FakeLiveRoom(unique_id="alpha", room_id=1_000_000) as alpha,
        FakeLiveRoom(unique_id="beta", room_id=2_000_000, live=False) as beta,
        RoomRouter([alpha, beta]) as router,
        httpx.AsyncClient() as http,
    ):
        settings = alpha.tiktok_settings(
            web_url=router.base_url, webcast_url=router.base_url, sign_url=router.base_url
        )
        client = RoomClient(http, settings)
        assert (await client.resolve("alpha")).live_room_id == 1_000_000
        beta_now = await client.resolve("beta")
        assert (beta_now.room_id, beta_now.live) == (2_000_000, False)
        assert await client.is_live(1_000_000)
        assert not await client.is_live(2_000_000)
        assert (await client.room_info(1_000_000))["owner"]["display_id"] == "alpha"

        # alpha's stream ends and a new one starts in a new room; beta goes live
        await alpha.end_stream()
        alpha.go_live()
        beta.go_live()
        assert (await client.resolve("alpha")).live_room_id == alpha.room_id != 1_000_000
        assert not await client.is_live(1_000_000)  # the ended id still reaches alpha
        assert (await client.room_info(1_000_000))["status"] == 4
        assert await client.is_live(2_000_000)
        assert alpha.live_checks == 2 and beta.live_checks == 2


@pytest.mark.parametrize(
    "rooms",
    [
        [FakeLiveRoom(unique_id="a", room_id=1), FakeLiveRoom(unique_id="a", room_id=2)],
        [FakeLiveRoom(unique_id="a", room_id=1), FakeLiveRoom(unique_id="b", room_id=1)],
        [],
    ],
)
def test_rooms_behind_one_router_need_distinct_names_and_ids(rooms: list[FakeLiveRoom]) -> None:
    with pytest.raises(ValueError, match="router"):
        RoomRouter(rooms)


async def test_a_room_that_cannot_be_reached_says_so_once() -> None:
    """The live check and the live page fail for one cause (nothing listens): one sentence,
    not "live check failed (cannot reach ...) and so did cannot reach ..."."""
    async with FakeLiveRoom() as room:
        settings = room.tiktok_settings()
    async with httpx.AsyncClient() as http:  # the room is gone: its port refuses
        client = RoomClient(http, settings)
        with pytest.raises(RoomError) as info:
            await client.live_status(room.unique_id, room.room_id)
    said = str(info.value)
    assert said.startswith("cannot reach 127.0.0.1: ")
    assert said.endswith("(the live check and the live page both)")
    assert said.count("cannot reach") == 1

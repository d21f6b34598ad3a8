"""The client against the fake live room, over real sockets: the protocol and the scheduler."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from livetrigger import events as ev
from livetrigger.errors import LivetriggerError
from livetrigger.settings import RoomSettings, SignBudget
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.webcast.scheduler import RoomScheduler
from livetrigger.webcast.sign import EulerSignProvider, SignedFetch

ROOM = RoomSettings(name="demo", unique_id="demo_streamer")


class Run:
    def __init__(self, scheduler: RoomScheduler, events: list[ev.Event]) -> None:
        self.scheduler = scheduler
        self.events = events

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; events so far: {self.kinds()}")
            await asyncio.sleep(0.01)


@asynccontextmanager
async def running(room: FakeLiveRoom, **settings: Any) -> AsyncIterator[Run]:
    events: list[ev.Event] = []
    async with httpx.AsyncClient() as http:
        scheduler = RoomScheduler(
            ROOM, room.tiktok_settings(**settings), http=http, on_event=events.append
        )
        task = asyncio.create_task(scheduler.run())
        try:
            yield Run(scheduler, events)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def chat(room: FakeLiveRoom, text: str) -> ev.ChatEvent:
    return ev.ChatEvent(msg_id=room.next_msg_id(), text=text, user=ev.User(id=1, unique_id="a"))


async def test_full_connect_flow_acks_and_heartbeats_validated_by_server() -> None:
    async with FakeLiveRoom(ping_interval=0.1) as room, running(room) as run:
        client = await room.wait_for_client()
        await room.send(chat(room, "one"), chat(room, "two"))
        await room.send(chat(room, "three"))
        await run.wait(lambda: run.kinds().count("chat") == 3)
        await run.wait(lambda: len(client.heartbeats) >= 3 and len(client.acks) >= 2)
        assert run.kinds()[:2] == ["live", "connected"]
        assert [e.text for e in run.events if isinstance(e, ev.ChatEvent)] == [
            "one",
            "two",
            "three",
        ]
        assert len(client.acks) == 2  # one per pushed frame that asked for it
        assert client.heartbeats[:3] == [1, 2, 3]
        assert client.errors == []
        query = room.sign_requests[0][1]
        assert query["room_id"] == str(room.room_id) and query["user_agent"]
        assert run.scheduler.state == "connected"


async def test_gzip_frames_are_inflated() -> None:
    async with FakeLiveRoom() as room, running(room, compress=True) as run:
        client = await room.wait_for_client()
        assert client.compress
        await room.send(chat(room, "zipped"))
        await run.wait(lambda: "chat" in run.kinds())


async def test_offline_waits_then_connects_when_live() -> None:
    async with FakeLiveRoom(live=False) as room, running(room, live_check_interval=0.05) as run:
        await run.wait(lambda: "waiting" in run.kinds())
        await run.wait(lambda: room.live_checks >= 3)
        assert room.sign_requests == []  # nothing signed while offline
        room.go_live()
        await room.wait_for_client()
        await run.wait(lambda: "connected" in run.kinds())
        assert run.kinds()[:3] == ["waiting", "live", "connected"]


async def test_stream_end_goes_back_to_waiting_without_signing() -> None:
    async with FakeLiveRoom() as room, running(room, live_check_interval=0.05) as run:
        await room.wait_for_client()
        await room.end_stream()
        await run.wait(lambda: run.scheduler.state == "waiting")
        asked = len(room.http_requests)
        await run.wait(lambda: len(room.http_requests) >= asked + 3)  # looking while waiting
        assert len(room.sign_requests) == 1
        assert run.kinds()[-3:] == ["stream_ended", "disconnected", "waiting"]
        room.go_live()
        await run.wait(lambda: run.kinds().count("connected") == 2)
        assert run.kinds().count("live") == 2


async def test_dropped_socket_is_detected_by_stall_watch_and_reconnected() -> None:
    async with (
        FakeLiveRoom(ping_interval=0.1) as room,
        running(room, stall_timeout=0.5) as run,
    ):
        await room.wait_for_client()
        room.stall(True)  # a frozen path: no frames, no close
        # how soon: bench/latency_under_load.py; here only that the stall watch caught it
        await run.wait(lambda: "disconnected" in run.kinds(), timeout=30)
        room.stall(False)
        await run.wait(lambda: run.kinds().count("connected") == 2)
        await room.send(chat(room, "after"))
        await run.wait(lambda: "chat" in run.kinds())
        assert run.scheduler.stats()["stall_detections"] == 1
        assert run.kinds().count("live") == 1  # the same stream


async def test_socket_cut_without_close_frame_reconnects() -> None:
    async with FakeLiveRoom() as room, running(room) as run:
        await room.wait_for_client()
        await room.drop()
        await run.wait(lambda: run.kinds().count("connected") == 2)
        assert run.scheduler.stats()["reconnects"] == 1


async def test_history_is_delivered_once_and_not_again_after_reconnect() -> None:
    history = [ev.ChatEvent(msg_id=11, text="earlier"), ev.ChatEvent(msg_id=12, text="before")]
    async with FakeLiveRoom(history=history) as room, running(room) as run:
        await room.wait_for_client()
        await room.drop()
        await run.wait(lambda: run.kinds().count("connected") == 2)
        chats = [e for e in run.events if isinstance(e, ev.ChatEvent)]
        assert [c.text for c in chats] == ["earlier", "before"]
        assert all(c.is_history for c in chats)


async def test_history_skipped_when_asked() -> None:
    async with (
        FakeLiveRoom(history=[ev.ChatEvent(msg_id=11, text="x")]) as room,
        running(room, process_initial_data=False) as run,
    ):
        await room.wait_for_client()
        await run.wait(lambda: "connected" in run.kinds())
        assert "chat" not in run.kinds()


async def test_429_with_retry_after_is_honoured() -> None:
    async with FakeLiveRoom() as room:
        room.fail_sign(429, retry_after=0.6)
        async with running(room) as run:
            await room.wait_for_client()
            (t1, _), (t2, _) = room.sign_requests
            assert t2 - t1 >= 0.6
            assert "connected" in run.kinds()


async def test_bad_key_is_reported_as_blocked_not_retried_in_a_loop() -> None:
    async with FakeLiveRoom() as room:
        room.fail_sign(401, times=5)
        async with running(room) as run:
            await run.wait(lambda: run.scheduler.state == "blocked")
            await asyncio.sleep(0.3)
            assert len(room.sign_requests) == 1
            assert "sign_api_key" in run.scheduler.last_error


async def test_blocked_handshake_gives_a_clear_error() -> None:
    async with FakeLiveRoom() as room:
        room.blocked_handshake = "415 DEVICE_BLOCKED"
        async with running(room) as run:
            await run.wait(lambda: run.scheduler.state == "blocked")
            assert "DEVICE_BLOCKED" in run.scheduler.last_error
            assert room.handshake_refusals == 1


async def test_unknown_user_is_blocked_with_advice() -> None:
    async with FakeLiveRoom(unique_id="someone_else") as room, running(room) as run:
        await run.wait(lambda: run.scheduler.state == "blocked")
        assert (
            "does not exist" in run.scheduler.last_error or "not found" in run.scheduler.last_error
        )


class FakeClock:
    """Time that only moves when the scheduler sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_5xx_storm_backs_off_and_never_exceeds_the_sign_budget() -> None:
    clock = FakeClock()
    budget = SignBudget(per_minute=3, per_hour=10, per_day=20)
    asked_at: list[float] = []
    async with FakeLiveRoom() as room, httpx.AsyncClient() as http:
        room.fail_sign(503, times=10_000)
        settings = room.tiktok_settings(
            sign_budget=budget, reconnect_initial=1.0, reconnect_max=60.0
        )
        provider = EulerSignProvider(http, settings)
        real_fetch = provider.fetch

        async def recording_fetch(room_id: int, user_agent: str, cursor: str = "") -> SignedFetch:
            asked_at.append(clock.now)
            return await real_fetch(room_id, user_agent, cursor)

        provider.fetch = recording_fetch  # type: ignore[method-assign]
        scheduler = RoomScheduler(
            ROOM,
            settings,
            http=http,
            on_event=lambda e: None,
            sign_provider=provider,
            clock=clock,
            sleep=clock.sleep,
        )
        task = asyncio.create_task(scheduler.run())
        deadline = time.monotonic() + 120  # only catches a hang
        while clock.now < 1000.0 + 2 * 86400 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert clock.now >= 1000.0 + 2 * 86400, "the storm did not run two simulated days"
    for t in asked_at:
        for span, limit in ((60, 3), (3600, 10), (86400, 20)):
            assert sum(1 for u in asked_at if u <= t < u + span) <= limit
    assert 40 <= len(asked_at) <= 60  # the daily budget used each simulated day, never more
    gaps = [b - a for a, b in itertools.pairwise(asked_at)]
    assert min(gaps) >= 1.0 * 0.5  # backoff, never a tight loop


@pytest.mark.parametrize("given", ["@demo_streamer", "https://www.tiktok.com/@demo_streamer/live"])
async def test_usernames_resolve(given: str) -> None:
    from livetrigger.webcast.room import RoomClient, normalise_username  # noqa: PLC0415

    async with FakeLiveRoom() as room, httpx.AsyncClient() as http:
        client = RoomClient(http, room.tiktok_settings())
        found = await client.resolve(normalise_username(given))
        room_id, live = found.room_id, found.live
        assert room_id == room.room_id and live
        catalogue = await client.gift_catalogue(room_id)
        assert catalogue[5655] == ("Rose", 1, True)


async def test_polling_fallback_when_the_websocket_is_refused() -> None:
    async with FakeLiveRoom() as room:
        room.blocked_handshake = "415 DEVICE_BLOCKED"
        async with running(room, polling_fallback=True, polling_interval=0.05) as run:
            await run.wait(lambda: "connected" in run.kinds())
            await room.send(chat(room, "polled one"), chat(room, "polled two"))
            await run.wait(lambda: run.kinds().count("chat") == 2)
            assert room.polls >= 1 and room.connections == 0
            await room.end_stream()
            await run.wait(lambda: run.scheduler.state == "waiting")
            assert [e.text for e in run.events if isinstance(e, ev.ChatEvent)] == [
                "polled one",
                "polled two",
            ]


async def test_chat_send_goes_through_the_sign_server_only_when_whitelisted() -> None:
    async with FakeLiveRoom() as room:
        async with running(room, session_id="sess-123") as run:
            await run.wait(lambda: "connected" in run.kinds())
            with pytest.raises(LivetriggerError, match="session_id_sign_host"):
                await run.scheduler.send_chat("hello")
        async with running(room, session_id="sess-123", session_id_sign_host="127.0.0.1") as run:
            await run.wait(lambda: "connected" in run.kinds())
            await run.scheduler.send_chat("hello room")
            assert room.chat_messages == ["hello room"]


async def test_custom_params_and_headers_reach_tiktok_and_the_sign_server() -> None:
    async with (
        FakeLiveRoom() as room,
        running(
            room,
            client_params=(("app_language", "de"),),
            request_headers=(("X-Extra", "1"),),
            websocket_headers=(("X-Ws", "2"),),
            sign_params=(("country", "DE"),),
            sign_headers=(("X-Sign", "3"),),
            fetch_room_info=True,
        ) as run,
    ):
        await run.wait(lambda: "connected" in run.kinds())
        lookups = [r for r in room.http_requests if r.path != "/webcast/fetch"]
        assert lookups and all(r.query.get("app_language") == "de" for r in lookups)
        assert all(r.headers.get("x-extra") == "1" for r in lookups)
        sign = next(r for r in room.http_requests if r.path == "/webcast/fetch")
        assert sign.query.get("country") == "DE" and sign.headers.get("x-sign") == "3"
        assert room.handshakes[0].get("x-ws") == "2"
        connected = next(e for e in run.events if isinstance(e, ev.ConnectedEvent))
        assert connected.title == room.title and connected.viewers == room.viewers

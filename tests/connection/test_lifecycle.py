"""A streamer across sessions, against the fake room behaving as TikTok does (protocol.md §9).

Each test drives the scheduler over real sockets through one lifecycle fact: new room ids per
session, an offline page without a room id, history in the initial fetch, the advertised
heartbeat interval, a stream that dies without a control message, a streak whose end never
comes, a failing check_alive, and gift messages without their embedded gift.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from livetrigger import events as ev
from livetrigger.settings import RoomSettings
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.webcast.scheduler import RoomScheduler

ROOM = RoomSettings(name="demo", unique_id="demo_streamer")
MIA = ev.User(id=11, unique_id="mia", nickname="Mia")


class Run:
    def __init__(self, scheduler: RoomScheduler, events: list[ev.Event]) -> None:
        self.scheduler = scheduler
        self.events = events

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def of(self, cls: type[ev.Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout  # only catches a hang
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; events so far: {self.kinds()}")
            await asyncio.sleep(0.01)


@asynccontextmanager
async def running(
    room: FakeLiveRoom, room_settings: RoomSettings = ROOM, **settings: Any
) -> AsyncIterator[Run]:
    events: list[ev.Event] = []
    base: dict[str, Any] = {"live_check_interval": 0.05}
    async with httpx.AsyncClient() as http:
        scheduler = RoomScheduler(
            room_settings,
            room.tiktok_settings(**{**base, **settings}),
            http=http,
            on_event=events.append,
        )
        task = asyncio.create_task(scheduler.run())
        try:
            yield Run(scheduler, events)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def realistic(**kw: Any) -> FakeLiveRoom:
    """A room that does not hold messages for a client that is not there, as TikTok."""
    return FakeLiveRoom(ping_interval=0.2, queue_until_entered=False, **kw)


def chat(room: FakeLiveRoom, text: str) -> ev.ChatEvent:
    return ev.ChatEvent(msg_id=room.next_msg_id(), text=text, user=MIA)


def rose(room: FakeLiveRoom, n: int, group: int, end: bool = False) -> ev.GiftEvent:
    return ev.GiftEvent(
        msg_id=room.next_msg_id(),
        user=MIA,
        gift_id=5655,
        gift_name="Rose",
        diamonds=1,
        repeat_count=n,
        streak_id=group,
        streakable=True,
        streak=ev.StreakState.END if end else ev.StreakState.PROGRESS,
    )


def connected_rooms(run: Run) -> list[int]:
    return [e.room_id for e in run.of(ev.ConnectedEvent)]


# -- fact 1: every live session has a new room id --------------------------------------------


async def test_follows_the_streamer_into_the_next_session_with_its_new_room_id() -> None:
    async with realistic() as room, running(room) as run:
        await run.wait(lambda: len(connected_rooms(run)) == 1)
        # "connected" is the client's view; this room drops what it sends before the server
        # has seen the enter-room frame, so the end would reach nobody (a loaded run timed out)
        await room.wait_for_client()
        first = room.room_id
        await room.end_stream()
        await run.wait(lambda: run.scheduler.state == "waiting")
        room.go_live()
        assert room.room_id != first
        await run.wait(lambda: len(connected_rooms(run)) == 2)
        assert connected_rooms(run) == [first, room.room_id]
        await room.wait_for_client()
        await room.send(chat(room, "second stream"))
        await run.wait(lambda: any(c.text == "second stream" for c in run.of(ev.ChatEvent)))
        assert [e.room_id for e in run.of(ev.LiveStartedEvent)] == [first, room.room_id]
        assert len(run.of(ev.StreamEndedEvent)) == 1


# -- fact 2: offline pages show the last room id or none ---------------------------------------


async def test_offline_page_without_room_id_means_waiting_not_unknown_user() -> None:
    async with realistic(live=False, offline_room_id="empty") as room, running(room) as run:
        await run.wait(lambda: "waiting" in run.kinds())
        assert run.scheduler.state == "waiting"
        assert "is not live" in run.scheduler.state_reason
        room.go_live()
        await run.wait(lambda: "connected" in run.kinds())
        assert "does not exist" not in run.scheduler.last_error


async def test_a_user_that_does_not_exist_is_blocked_with_the_reason() -> None:
    nobody = RoomSettings(name="nobody", unique_id="nobody_here")
    async with realistic() as room, running(room, nobody) as run:
        await run.wait(lambda: run.scheduler.state == "blocked")
        assert "does not exist" in run.scheduler.last_error
        assert "does not exist" in run.scheduler.state_reason
        assert room.sign_requests == []


# -- fact 3: the initial fetch carries messages from before the connection -------------------


async def test_initial_fetch_is_history_though_tiktok_does_not_flag_it() -> None:
    async with realistic() as room:
        room.history = [chat(room, "!light on (old)"), rose(room, 1, 77, end=True)]
        assert not room.history_flag
        async with running(room) as run:
            await room.wait_for_client()
            await room.send(chat(room, "new"))
            await run.wait(lambda: any(c.text == "new" for c in run.of(ev.ChatEvent)))
            old = [
                e
                for e in run.events
                if e.kind in ("chat", "gift") and e.msg_id in {h.msg_id for h in room.history}
            ]
            assert len(old) == 2 and all(e.is_history for e in old)
            assert not next(c for c in run.of(ev.ChatEvent) if c.text == "new").is_history


async def test_messages_sent_during_a_reconnect_gap_fire_once_and_older_ones_never() -> None:
    async with realistic() as room, running(room, reconnect_initial=0.5) as run:
        await room.wait_for_client()
        await room.send(chat(room, "before"))
        await run.wait(lambda: any(c.text == "before" for c in run.of(ev.ChatEvent)))
        await room.drop()
        await run.wait(lambda: "disconnected" in run.kinds())
        await room.send(chat(room, "during the gap"))  # nobody connected: only the recent list
        await run.wait(lambda: len(connected_rooms(run)) == 2)
        await room.wait_for_client()
        await room.send(chat(room, "after"))
        await run.wait(lambda: any(c.text == "after" for c in run.of(ev.ChatEvent)))
        texts = [(c.text, c.is_history) for c in run.of(ev.ChatEvent)]
        assert texts == [("before", False), ("during the gap", False), ("after", False)]


async def test_a_gap_right_after_connecting_fires_though_nothing_was_seen_live() -> None:
    # the socket drops before any message came live: the fetch itself says where we were
    async with realistic() as room, running(room, reconnect_initial=0.5) as run:
        room.history = [chat(room, "old")]
        await room.wait_for_client()
        await room.drop()
        await run.wait(lambda: "disconnected" in run.kinds())
        await room.send(chat(room, "during the gap"))
        await run.wait(lambda: len(connected_rooms(run)) == 2)
        await room.wait_for_client()
        await room.send(chat(room, "after"))
        await run.wait(lambda: any(c.text == "after" for c in run.of(ev.ChatEvent)))
        texts = [(c.text, c.is_history) for c in run.of(ev.ChatEvent)]
        assert texts == [("old", True), ("during the gap", False), ("after", False)]


# -- fact 4: the advertised heartbeat interval -------------------------------------------------


async def test_heartbeats_at_the_interval_the_server_advertises() -> None:
    async with FakeLiveRoom(ping_interval=0.1) as room, running(room, heartbeat_interval=60) as r:
        client = await room.wait_for_client()
        await r.wait(lambda: len(client.heartbeats) >= 3)  # 60 s apart would time out
        assert client.heartbeats[:3] == [1, 2, 3] and not client.errors


# -- fact 5: a stream that ends without a control message --------------------------------------


async def test_stream_that_dies_silently_ends_once_as_lost_then_waits() -> None:
    async with realistic() as room, running(room) as run:
        await run.wait(lambda: "connected" in run.kinds())
        await room.wait_for_client()
        await room.vanish()
        await run.wait(lambda: run.scheduler.state == "waiting")
        ended = run.of(ev.StreamEndedEvent)
        assert [(e.reason, e.is_history) for e in ended] == [(ev.StreamEndReason.LOST, False)]
        room.go_live()
        await run.wait(lambda: len(connected_rooms(run)) == 2)
        assert len(run.of(ev.StreamEndedEvent)) == 1


# -- fact 6: a streak whose end frame never comes ----------------------------------------------


async def test_streak_cut_by_a_drop_fires_once_with_the_last_count() -> None:
    async with realistic() as room, running(room, streak_timeout=0.3) as run:
        await room.wait_for_client()
        for n in range(1, 8):
            await room.send(rose(room, n, group=4242))
        await room.drop()  # the end frame would have come now
        await run.wait(lambda: any(g.is_final for g in run.of(ev.GiftEvent)))
        late_end = rose(room, 7, group=4242, end=True)
        await run.wait(lambda: len(connected_rooms(run)) == 2)
        await room.wait_for_client()
        await room.send(late_end, chat(room, "marker"))
        await run.wait(lambda: any(c.text == "marker" for c in run.of(ev.ChatEvent)))
        finals = [g for g in run.of(ev.GiftEvent) if g.is_final]
        assert [(g.repeat_count, g.streak_timed_out) for g in finals] == [(7, True)]


# -- fact 7: check_alive fails while the page says live -----------------------------------------


async def test_live_detected_from_the_page_when_check_alive_answers_5xx() -> None:
    async with realistic(live=False) as room, running(room) as run:
        room.fail_check_alive(503)
        await run.wait(lambda: "waiting" in run.kinds())
        room.go_live()
        await run.wait(lambda: "connected" in run.kinds())
        await room.drop()  # a drop while check_alive still fails: same session, no end
        await run.wait(lambda: len(connected_rooms(run)) == 2)
        assert run.of(ev.StreamEndedEvent) == []
        assert len(run.of(ev.LiveStartedEvent)) == 1


# -- fact 8: gift messages without the embedded gift -------------------------------------------


async def test_bare_gift_still_streaks_with_name_and_value_from_the_gift_list() -> None:
    async with realistic(bare_gifts=True) as room, running(room) as run:
        await room.wait_for_client()
        await room.send(rose(room, 1, 9), rose(room, 2, 9), rose(room, 2, 9, end=True))
        await run.wait(lambda: any(g.is_final for g in run.of(ev.GiftEvent)))
        gifts = run.of(ev.GiftEvent)
        assert [g.streak for g in gifts] == [
            ev.StreakState.START,
            ev.StreakState.PROGRESS,
            ev.StreakState.END,
        ]
        assert (gifts[-1].gift_name, gifts[-1].total_diamonds, gifts[-1].streakable) == (
            "Rose",
            2,
            True,
        )


# -- control: reconnect now --------------------------------------------------------------------


async def test_reconnect_now_while_connected_reconnects_at_once_and_is_not_remembered() -> None:
    async with realistic() as room, running(room, reconnect_initial=30) as run:
        await run.wait(lambda: "connected" in run.kinds())
        run.scheduler.reconnect_now()  # a 30 s backoff would time the wait out
        await run.wait(lambda: len(connected_rooms(run)) == 2)
        assert [e.reason for e in run.of(ev.DisconnectedEvent)] == ["asked"]
        await room.wait_for_client()
        await room.send(chat(room, "still here"))
        await run.wait(lambda: any(c.text == "still here" for c in run.of(ev.ChatEvent)))
        assert room.connections == 2


# -- across a restart ----------------------------------------------------------------------------


async def test_restored_scheduler_continues_the_session_without_refiring() -> None:
    async with realistic() as room:
        async with running(room) as first:
            await room.wait_for_client()
            await room.send(chat(room, "fired once"), rose(room, 1, 55), rose(room, 2, 55))
            await first.wait(lambda: len(first.of(ev.GiftEvent)) == 2)
            saved = first.scheduler.snapshot()
        await room.send(chat(room, "while restarting"))
        events: list[ev.Event] = []
        async with httpx.AsyncClient() as http:
            second = RoomScheduler(
                ROOM,
                room.tiktok_settings(live_check_interval=0.05),
                http=http,
                on_event=events.append,
            )
            second.restore(saved, clean_shutdown=True)
            task = asyncio.create_task(second.run())
            try:
                await room.wait_for_client()
                await room.send(rose(room, 3, 55, end=True))
                run = Run(second, events)
                await run.wait(lambda: any(g.is_final for g in run.of(ev.GiftEvent)))
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        live = [e for e in events if not e.is_history]
        assert "live" not in [e.kind for e in live]  # the same session goes on
        assert [c.text for c in live if isinstance(c, ev.ChatEvent)] == ["while restarting"]
        (end,) = [g for g in live if isinstance(g, ev.GiftEvent)]
        assert (end.streak, end.repeat_count) == (ev.StreakState.END, 3)


async def test_after_an_unclean_stop_a_restored_open_streak_fires_once_if_the_fetch_says_so() -> (
    None
):
    # a timeout end is on disk before it fires, so a streak the saved state shows open has
    # not timed out; its end frame may have come and fired after the last write, though:
    # only a first fetch reaching back to the saved state shows it did not (it would be
    # there). Then the streak is owed its end; otherwise it is history (may be lost).
    async with realistic() as room:
        async with running(room, streak_timeout=0.3) as first:
            await room.wait_for_client()
            await room.send(rose(room, 1, 66), rose(room, 2, 66))
            await first.wait(lambda: len(first.of(ev.GiftEvent)) == 2)
            saved = first.scheduler.snapshot()
        finals: dict[str, ev.GiftEvent] = {}
        for case in ("complete", "cut", "clean"):
            if case == "cut":  # the fetch holds the room's last 6: none from before the kill
                await room.send(*(chat(room, f"later {i}") for i in range(6)))
            events: list[ev.Event] = []
            async with httpx.AsyncClient() as http:
                again = RoomScheduler(
                    ROOM,
                    room.tiktok_settings(live_check_interval=0.05, streak_timeout=0.3),
                    http=http,
                    on_event=events.append,
                )
                again.restore(saved, clean_shutdown=case == "clean")
                task = asyncio.create_task(again.run())
                try:
                    run = Run(again, events)
                    await run.wait(lambda r=run: any(g.is_final for g in r.of(ev.GiftEvent)))
                finally:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            (finals[case],) = [g for g in events if isinstance(g, ev.GiftEvent) and g.is_final]
        assert [(g.repeat_count, g.streak_timed_out) for g in finals.values()] == [(2, True)] * 3
        assert {c: g.is_history for c, g in finals.items()} == {
            "complete": False,
            "cut": True,
            "clean": False,
        }


async def test_the_session_is_over_in_the_state_the_moment_stream_ended_is_handed_on() -> None:
    # the daemon writes its state at once on `stream_ended`: that state must not say "in a
    # session", or a SIGKILL right after makes the next process end it again (reason lost)
    async with realistic() as room:
        seen: list[object] = []
        async with running(room) as run:
            scheduler = run.scheduler
            scheduler.on_event = lambda e: (
                seen.append(scheduler.snapshot()["session_room"])
                if isinstance(e, ev.StreamEndedEvent)
                else None,
                run.events.append(e),
            )
            await room.wait_for_client()
            await room.end_stream()
            await run.wait(lambda: bool(seen))
        assert seen == [None]


async def test_a_restored_streak_waits_for_the_first_fetch_which_has_its_end() -> None:
    # stopped (SIGTERM) at step 2; step 3 and the end came while no process was connected:
    # the streak must not time out with 2 before the first fetch brings them
    async with realistic() as room:
        async with running(room) as first:
            await room.wait_for_client()
            await room.send(rose(room, 1, 88), rose(room, 2, 88))
            await first.wait(lambda: len(first.of(ev.GiftEvent)) == 2)
            saved = first.scheduler.snapshot()
        await room.send(rose(room, 3, 88), rose(room, 3, 88, end=True))
        events: list[ev.Event] = []
        async with httpx.AsyncClient() as http:
            again = RoomScheduler(
                ROOM,
                room.tiktok_settings(live_check_interval=0.05, streak_timeout=0.05),
                http=http,
                on_event=events.append,
            )
            again.restore(saved, clean_shutdown=True)
            task = asyncio.create_task(again.run())
            try:
                run = Run(again, events)
                await run.wait(lambda: any(g.is_final for g in run.of(ev.GiftEvent)))
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        finals = [g for g in events if isinstance(g, ev.GiftEvent) and g.is_final]
        assert [(g.repeat_count, g.streak_timed_out, g.is_history) for g in finals] == [
            (3, False, False)
        ]

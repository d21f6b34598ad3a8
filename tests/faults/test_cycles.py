"""Stream end / live again, 100 times: no leak of tasks, file descriptors or memory, and one
sign request per cycle (the budget is respected)."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from pathlib import Path

import httpx

from livetrigger import events as ev
from livetrigger.settings import RoomSettings, SignBudget
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.webcast.scheduler import RoomScheduler

CYCLES = 100
WARMUP = 10


def rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def fds() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


async def test_hundred_stream_cycles_leak_nothing() -> None:
    events: list[ev.Event] = []
    async with FakeLiveRoom() as room, httpx.AsyncClient() as http:
        settings = room.tiktok_settings(
            live_check_interval=0.02,
            sign_budget=SignBudget(per_minute=10_000, per_hour=10_000, per_day=10_000),
        )
        scheduler = RoomScheduler(
            RoomSettings(name="demo", unique_id="demo_streamer"),
            settings,
            http=http,
            on_event=events.append,
        )
        task = asyncio.create_task(scheduler.run())

        async def until(pred, timeout: float = 30) -> None:  # only catches a hang  # type: ignore[no-untyped-def]
            deadline = time.monotonic() + timeout
            while not pred():
                assert time.monotonic() < deadline
                await asyncio.sleep(0.005)

        baseline: tuple[int, int, int] = (0, 0, 0)
        for cycle in range(CYCLES):
            await until(lambda c=cycle: sum(e.kind == "connected" for e in events) == c + 1)
            await room.send(ev.ChatEvent(msg_id=room.next_msg_id(), text=f"c{cycle}"))
            await room.end_stream()
            await until(lambda: scheduler.state == "waiting")
            room.go_live()
            if cycle == WARMUP:
                gc.collect()
                baseline = (len(asyncio.all_tasks()), fds(), rss())
        await until(lambda: sum(e.kind == "connected" for e in events) == CYCLES + 1)
        gc.collect()
        tasks, files, memory = len(asyncio.all_tasks()), fds(), rss()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert tasks <= baseline[0], (tasks, baseline)
    assert files <= baseline[1] + 2, (files, baseline)
    assert memory < baseline[2] * 1.10, (memory, baseline)
    assert len(room.sign_requests) == CYCLES + 1
    assert sum(e.kind == "chat" for e in events) == CYCLES

"""A websocket frozen without a close (the fake room SIGSTOPped): the stall watch detects it
and events flow again after SIGCONT. (How soon, in seconds, is bench/latency_under_load.py's
figure: timeouts here only catch a hang.)"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from livetrigger import events as ev
from livetrigger.settings import RoomSettings, TikTokSettings
from livetrigger.webcast.scheduler import RoomScheduler

ROOT = Path(__file__).resolve().parents[2]
STALL = 1.0


async def test_sigstopped_room_is_detected_and_recovered(tmp_path: Path) -> None:
    show = tmp_path / "show.yaml"
    show.write_text(
        yaml.safe_dump(
            {
                "users": {"a": {"nickname": "A"}},
                "steps": [
                    {"wait": 0.2, "chat": {"user": "a", "text": f"m{i}"}} for i in range(400)
                ],
            }
        )
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "livetrigger",
            "fake-room",
            "--show",
            str(show),
            "--ping-interval",
            "0.2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        base = re.search(r"base URL (\S+)", first)
        assert base, first
        url = base.group(1)
        settings = TikTokSettings(
            web_url=url,
            webcast_url=url,
            sign_url=url,
            stall_timeout=STALL,
            heartbeat_interval=0.2,
            reconnect_initial=0.1,
            reconnect_max=0.5,
            http_timeout=1.0,
            connect_timeout=1.0,
            live_check_interval=0.2,
        )
        events: list[tuple[float, ev.Event]] = []
        async with httpx.AsyncClient() as http:
            scheduler = RoomScheduler(
                RoomSettings(name="demo", unique_id="demo_streamer"),
                settings,
                http=http,
                on_event=lambda e: events.append((time.monotonic(), e)),
            )
            task = asyncio.create_task(scheduler.run())

            async def until(pred, timeout: float) -> float:  # type: ignore[no-untyped-def]
                deadline = time.monotonic() + timeout
                while not pred():
                    assert time.monotonic() < deadline, [e.kind for _, e in events][-10:]
                    await asyncio.sleep(0.02)
                return time.monotonic()

            await until(lambda: any(e.kind == "chat" for _, e in events), 20)
            proc.send_signal(signal.SIGSTOP)
            stopped = time.monotonic()
            detected = await until(lambda: any(e.kind == "disconnected" for _, e in events), 30)
            assert detected >= stopped
            reason = next(e for _, e in events if isinstance(e, ev.DisconnectedEvent)).reason
            assert reason == "stall"
            await asyncio.sleep(1.0)  # frozen a while longer: reconnect attempts fail meanwhile
            n_before = len(events)
            proc.send_signal(signal.SIGCONT)
            await until(lambda: any(e.kind == "chat" for _, e in events[n_before:]), 30)
            assert scheduler.stats()["stall_detections"] >= 1
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.kill()
        proc.wait(5)

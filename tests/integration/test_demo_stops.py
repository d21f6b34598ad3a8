"""``livetrigger demo`` and ``livetrigger fake-room`` as a user runs them (issue 26): Ctrl-C or
SIGTERM stops them at once with 130 / 143 and no traceback, and ``--loop`` plays the show
again on every pass. Timeouts here only catch a hang."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from livetrigger import events as ev
from livetrigger.settings import RoomSettings, TikTokSettings
from livetrigger.webcast.scheduler import RoomScheduler
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "livetrigger" / "examples" / "config.example.yaml"
HANG = 120.0
SIGNALS = [(signal.SIGINT, 130), (signal.SIGTERM, 143)]


class Output:
    """A subprocess's stdout, read by a thread, so that waiting for a line can time out."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.closed = False
        self._changed = threading.Condition()
        self._stream = proc.stdout
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._stream is not None
        for line in self._stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    def wait_for(self, done: Callable[[], bool], what: str) -> None:
        with self._changed:
            self._changed.wait_for(lambda: done() or self.closed, HANG)
            assert done(), f"waiting for {what}; the output ends:\n{''.join(self.lines[-15:])}"


@contextmanager
def livetrigger(
    *args: str, own_group: bool = False
) -> Iterator[tuple[subprocess.Popen[str], Output]]:
    """The command running; ``own_group``: in a process group of its own, as a terminal
    starts it (its pid is the group's id)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "livetrigger", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=own_group,
    )
    try:
        yield proc, Output(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(HANG)
        assert proc.stderr is not None
        proc.stderr.close()


def stderr_of(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    return proc.stderr.read()


@pytest.mark.parametrize(("sig", "code"), SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_demo_stops_at_once_when_signalled(sig: signal.Signals, code: int) -> None:
    with livetrigger("demo", "--no-color") as (proc, out):
        out.wait_for(lambda: out.count("connected to @") > 0, "the daemon to join the room")
        proc.send_signal(sig)
        assert proc.wait(HANG) == code
        assert "Traceback" not in (err := stderr_of(proc)), err
    # at once: the show (about a minute at this speed) did not play on to its end
    assert out.count("stream ended") == 0 and out.count("done:") == 0, "".join(out.lines)


@pytest.mark.parametrize(("sig", "code"), SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_the_terminal_group_stops_the_demo_before_its_broker(
    sig: signal.Signals, code: int, tmp_path: Path
) -> None:
    # Ctrl-C signals the terminal's whole foreground group: a private broker in it died
    # with the demo, whose daemon then warned "mqtt: connection lost" on its way out
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto is not installed: the demo starts no broker")
    config = tmp_path / "demo.yaml"  # a broker port nothing listens on: the demo starts its own
    config.write_text(EXAMPLE.read_text().replace("port: 1883", f"port: {closed_port()}"))
    with livetrigger("demo", "-c", str(config), "--no-color", own_group=True) as (proc, out):
        out.wait_for(lambda: out.count("started a private one") > 0, "the private broker")
        out.wait_for(lambda: out.count("✓ mqtt ") > 0, "a message through the broker")
        os.killpg(proc.pid, sig)
        assert proc.wait(HANG) == code, "".join(out.lines)
        err = stderr_of(proc)
    assert "Traceback" not in err and "mqtt" not in err, err
    found = re.search(r"started a private one on :(\d+)", "".join(out.lines))
    assert found, out.lines
    with pytest.raises(ConnectionRefusedError):  # and the demo stopped its broker
        socket.create_connection(("127.0.0.1", int(found.group(1))), timeout=5).close()


def closed_port() -> int:
    """A loopback port nothing listens on (just freed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize(("sig", "code"), SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_fake_room_stops_at_once_when_signalled(sig: signal.Signals, code: int) -> None:
    with livetrigger("fake-room") as (proc, out):
        out.wait_for(lambda: out.count("base URL") > 0, "the room to listen")
        proc.send_signal(sig)
        assert proc.wait(HANG) == code
        assert "Traceback" not in (err := stderr_of(proc)), err


def test_demo_loop_fires_the_rules_again_on_the_second_pass() -> None:
    with livetrigger("demo", "--no-color", "--loop", "--speed", "10") as (proc, out):
        out.wait_for(
            lambda: (
                out.count("rule big_gift fired") >= 2 and out.count("rule rose_streak fired") >= 2
            ),
            "the second pass's gifts to fire their rules",
        )
        proc.send_signal(signal.SIGINT)
        assert proc.wait(HANG) == 130
        assert "Traceback" not in (err := stderr_of(proc)), err
    assert out.count("gpio lamp pulse 3s") >= 2  # and their actions ran


async def test_fake_room_loop_plays_the_show_again_to_a_client(tmp_path: Path) -> None:
    show = tmp_path / "show.yaml"
    steps = [
        {"wait": 0.1, "chat": {"user": "a", "text": "one"}},
        {"wait": 0.1, "chat": {"user": "a", "text": "two"}},
        {"wait": 0.1, "do": "end_stream"},
    ]
    show.write_text(yaml.safe_dump({"users": {"a": {"nickname": "A"}}, "steps": steps}))
    with livetrigger("fake-room", "--loop", "--show", str(show)) as (proc, out):
        out.wait_for(lambda: out.count("base URL") > 0, "the room to listen")
        found = re.search(r"base URL (\S+)", out.lines[0])
        assert found, out.lines
        url = found.group(1)
        settings = TikTokSettings(
            web_url=url,
            webcast_url=url,
            sign_url=url,
            live_check_interval=0.2,
            reconnect_initial=0.1,
            reconnect_max=0.5,
        )
        chats: list[str] = []

        def heard(event: ev.Event) -> None:
            if isinstance(event, ev.ChatEvent):
                chats.append(event.text)

        async with httpx.AsyncClient() as http:
            scheduler = RoomScheduler(
                RoomSettings(name="demo", unique_id="demo_streamer"),
                settings,
                http=http,
                on_event=heard,
            )
            task = asyncio.create_task(scheduler.run())
            try:
                await wait_until(lambda: len(chats) >= 6, "three passes of the show", HANG)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        assert chats[:6] == ["one", "two"] * 3
        proc.send_signal(signal.SIGINT)
        assert proc.wait(HANG) == 130

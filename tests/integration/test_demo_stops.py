"""``livetrigger demo`` and ``livetrigger fake-room`` as a user runs them (issue 26): Ctrl-C or
SIGTERM stops them at once with 130 / 143 and no traceback. Timeouts here only catch a hang."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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
def livetrigger(*args: str) -> Iterator[tuple[subprocess.Popen[str], Output]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "livetrigger", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
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
def test_fake_room_stops_at_once_when_signalled(sig: signal.Signals, code: int) -> None:
    with livetrigger("fake-room") as (proc, out):
        out.wait_for(lambda: out.count("base URL") > 0, "the room to listen")
        proc.send_signal(sig)
        assert proc.wait(HANG) == code
        assert "Traceback" not in (err := stderr_of(proc)), err

"""A stop signal stops a command whichever of its threads the kernel hands it to. A signal
sent to the process lands on any thread that does not block it; Python runs its handler in
the main thread, which waits for the worker: it must wake up for it (the demo ignored a
Ctrl-C now and then, and played its show to the end). Run in a child, so a signal that is
missed hangs the child, not the tests."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import asyncio, signal, sys, threading
from livetrigger.commands.interrupt import run_until_signalled

async def main() -> int:
    # the signal lands on the worker thread, as a process-wide one may
    signal.pthread_kill(threading.get_ident(), int(sys.argv[1]))
    await asyncio.Event().wait()
    return 0

sys.exit(run_until_signalled(main()))
"""


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_taken_by_another_thread_still_stops_the_command(
    sig: signal.Signals, code: int
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(int(sig))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,  # only catches the hang: the stop is at once
        check=False,
    )
    assert done.returncode == code, done.stderr

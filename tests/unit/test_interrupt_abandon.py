"""A second Ctrl-C ends a command at once, without its cleanup: ``on_abandon`` runs first, so
what the cleanup would have stopped and that no terminal signal reaches (the demo's broker,
in a session of its own) does not outlive it. Run in a child: the second signal ends it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import asyncio, sys
from livetrigger.commands.interrupt import run_until_signalled

async def main() -> int:
    print("running", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        print("cleaning up", flush=True)
        await asyncio.Event().wait()  # a cleanup that hangs: the user presses Ctrl-C again
    return 0

def abandon() -> None:
    print("abandoned", flush=True)

sys.exit(run_until_signalled(main(), on_abandon=abandon))
"""


def test_a_second_signal_calls_on_abandon_and_ends_the_process() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline() == "running\n"
        proc.send_signal(signal.SIGINT)
        assert proc.stdout.readline() == "cleaning up\n"
        proc.send_signal(signal.SIGINT)
        assert proc.stdout.readline() == "abandoned\n"
        assert proc.wait(60) == -signal.SIGINT
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()

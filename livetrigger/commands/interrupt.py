"""Running a command's coroutine so that SIGINT and SIGTERM stop it at once.

The coroutine runs on an event loop in a worker thread and the main thread keeps the signal
handlers, so a daemon started inside it (the demo's) cannot take them over: asyncio lets only
the main thread's loop handle signals, and the daemon is then stopped the way an embedding
app stops it, by the cancellation reaching the coroutine's ``finally``. The first signal
cancels the coroutine, its cleanup runs, and the command exits 128 + the signal's number
(130 for Ctrl-C, 143 for SIGTERM); a second one ends the process at once, after calling
``on_abandon`` (in the main thread: it kills what the cleanup would have stopped and would
outlive the process, such as the demo's broker in a session of its own). Given
``on_hangup``, SIGHUP calls it on the loop's thread (the demo's daemon reloads) instead of
ending the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Stop:
    """The signal that arrived, and the task it cancels."""

    def __init__(self, on_abandon: Callable[[], None] | None = None) -> None:
        self.signum: int | None = None
        self.on_abandon = on_abandon
        self._target: tuple[asyncio.AbstractEventLoop, asyncio.Task[int]] | None = None

    def attach(self, task: asyncio.Task[int]) -> None:
        """Cancel ``task`` on the next signal (called in the loop's thread)."""
        self._target = (task.get_loop(), task)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        """A signal handler: runs in the main thread."""
        if self.signum is not None:  # a second one: no more cleanup
            signal.signal(signum, signal.SIG_DFL)
            if self.on_abandon is not None:
                with contextlib.suppress(Exception):  # the process ends whatever it raises
                    self.on_abandon()
            os.kill(os.getpid(), signum)
            return
        self.signum = signum
        if self._target is not None:
            loop, task = self._target
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to cancel
                loop.call_soon_threadsafe(task.cancel)

    def forward(self, action: Callable[[], None]) -> Callable[[int, FrameType | None], None]:
        """A signal handler that runs ``action`` on the loop's thread (once there is a loop,
        and never once stopping)."""

        def handler(signum: int, frame: FrameType | None) -> None:
            if self._target is not None and self.signum is None:
                with contextlib.suppress(RuntimeError):  # the loop has closed
                    self._target[0].call_soon_threadsafe(action)

        return handler


def run_until_signalled(
    main: Coroutine[Any, Any, int],
    *,
    on_hangup: Callable[[], None] | None = None,
    on_abandon: Callable[[], None] | None = None,
) -> int:
    """Run ``main`` to its exit code, or until SIGINT/SIGTERM: then 130 or 143. SIGHUP
    calls ``on_hangup`` in the loop, when given; a second stop signal ``on_abandon``."""
    stop = _Stop(on_abandon)
    outcome: list[int] = []
    failure: list[BaseException] = []

    async def guarded() -> int:
        task = asyncio.current_task()
        assert task is not None
        stop.attach(task)
        if stop.signum is not None:  # it came before there was a task to cancel
            main.close()
            return 128 + stop.signum
        try:
            return await main
        except asyncio.CancelledError:
            if stop.signum is None:
                raise
            return 128 + stop.signum

    # The kernel gives a process's signal to any of its threads. Python runs the handler in
    # the main thread, but one blocked in join() only when join returns: a signal the
    # worker (or a library's thread) took would wait for the end of the show. The main
    # thread waits on a pipe instead, which the C handler writes to in whichever thread
    # took it (the wakeup fd), and the worker when it is done.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    finished = threading.Event()

    def work() -> None:
        try:
            outcome.append(asyncio.run(guarded()))
        except BaseException as exc:  # handed to the main thread, raised there
            failure.append(exc)
        finally:
            finished.set()
            with contextlib.suppress(BlockingIOError):  # full: the main thread is awake
                os.write(wake_w, b"\0")

    previous = {sig: signal.signal(sig, stop.on_signal) for sig in STOP_SIGNALS}
    if on_hangup is not None:
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, stop.forward(on_hangup))
    previous_fd = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    try:
        worker = threading.Thread(target=work, name="livetrigger-main")
        worker.start()
        while not finished.is_set():
            os.read(wake_r, 512)  # a signal's handlers run as it returns, in this thread
        worker.join()
    finally:
        signal.set_wakeup_fd(previous_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(wake_r)
        os.close(wake_w)
    if failure:
        raise failure[0]
    return outcome[0]

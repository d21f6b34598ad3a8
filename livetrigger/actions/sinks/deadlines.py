"""Deadlines kept by a thread of their own, for safety limits that must hold when the event
loop does not: a catastrophic regex or a slow template can block the loop for seconds, and
an asyncio timer then fires only when the loop is free again.

One daemon thread serves every deadline of a ``Deadlines``; it sleeps until the earliest one
and calls its callback (on that thread, so callbacks must be short and thread-safe).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class Deadline:
    """An armed deadline; ``cancel()`` before it is due and the callback never runs."""

    __slots__ = ("callback", "cancelled")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Deadlines:
    def __init__(self, name: str = "deadlines") -> None:
        self._name = name
        self._heap: list[tuple[float, int, Deadline]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Deadline:
        deadline = Deadline(callback)
        with self._wake:
            seq = next(self._seq)
            if seq % 1024 == 1023:  # drop the cancelled ones: at most one is live per output
                self._heap = [d for d in self._heap if not d[2].cancelled]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (time.monotonic() + seconds, seq, deadline))
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._wake.notify()
        return deadline

    def close(self) -> None:
        """Cancel everything and let the thread end."""
        with self._wake:
            self._closed = True
            for _, _, deadline in self._heap:
                deadline.cancel()
            self._heap.clear()
            self._wake.notify()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)

    def _run(self) -> None:
        while True:
            with self._wake:
                while True:
                    if self._closed:
                        return
                    while self._heap and self._heap[0][2].cancelled:
                        heapq.heappop(self._heap)  # cancelled ones leave without waking anyone
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        _, _, due = heapq.heappop(self._heap)
                        break
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
            if not due.cancelled:
                due.callback()

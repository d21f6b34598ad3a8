"""Writes of one document never overlap, even when a writer is cancelled mid-write (a room's
task at a reload or a stop, the writer task at shutdown): an older snapshot must never land
after a newer one. Found looking into a gift fired twice across a SIGTERM in soak seed 2."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from livetrigger.state.store import StateStore, StateWriter


class GatedStore(StateStore):
    """Each write waits for its own gate (in the order the writes come), on its thread."""

    def __init__(self, directory: Path, gates: list[threading.Event]) -> None:
        super().__init__(directory)
        self.gates = gates
        self.entered = 0
        self.finished = threading.Semaphore(0)
        self._count = threading.Lock()

    def write_bytes(self, name: str, payload: bytes) -> bool:
        with self._count:
            n, self.entered = self.entered, self.entered + 1
        self.gates[n].wait(60)
        try:
            return super().write_bytes(name, payload)
        finally:
            self.finished.release()


async def test_a_write_cancelled_midway_is_not_overtaken_by_a_newer_one(tmp_path: Path) -> None:
    gates = [threading.Event() for _ in range(4)]
    store = GatedStore(tmp_path, gates)
    state = {"n": 0}
    writer = StateWriter(store, interval=3600)
    writer.register("room.a", 1, lambda: dict(state))

    # a first write is done on its thread, its writer not yet resumed (holds the lock) ...
    state["n"] = 1
    writer.mark("room.a")
    first = asyncio.create_task(writer.write_changed())
    while store.entered < 1:
        await asyncio.sleep(0.001)
    gates[0].set()
    store.finished.acquire()  # blocks the loop: the future's completion is queued, not run
    # ... when two more writers check for a write in flight, then queue for the lock
    state["n"] = 2
    writer.mark("room.a")
    older = asyncio.create_task(writer.write_changed())
    newer = asyncio.create_task(writer.write_changed())
    await first
    while store.entered < 2:  # `older` writes n=2 and hangs on its gate
        await asyncio.sleep(0.001)
    older.cancel()  # e.g. the writer task at shutdown
    state["n"] = 3
    writer.mark("room.a")
    gates[2].set()
    # `newer` must wait for the cancelled write still running; a wrong write shows here
    await asyncio.wait({newer}, timeout=0.5)
    gates[1].set()  # the older write ends
    await newer
    for _ in range(store.entered - 1):  # every write but the first has finished
        await asyncio.to_thread(store.finished.acquire)
    assert store.load("room.a", 1) == {"n": 3}

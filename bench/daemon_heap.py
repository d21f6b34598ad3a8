"""What the running daemon keeps on the Python heap once it has started, by where it was
allocated (tracemalloc): start-up leftovers would show up here.

    .venv/bin/python bench/daemon_heap.py [--top 30]

Runs the daemon in this process against the fake room with bench/startup.py's 50-rule config,
snapshots the heap before the config is loaded and again once the room is connected and idle
(after a full collection), and prints the difference grouped by the innermost livetrigger
line that allocated it; what was allocated while importing a module is one line, "(imports)".
Memory that C libraries allocate themselves (OpenSSL, protobuf's upb) is not on
the Python heap and not counted: bench/memory_by_import.py gives RSS library by library.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from startup import rules_config

from livetrigger.config import load_config
from livetrigger.daemon import Daemon
from livetrigger.simulator.server import FakeLiveRoom

IGNORE = [
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "*/simulator/*"),  # the fake room runs in this process
]


def place(trace: tracemalloc.StatisticDiff) -> str:
    frames = list(trace.traceback)
    if any("importlib._bootstrap" in f.filename for f in frames):
        return "(imports)"
    ours = [f for f in frames if "/livetrigger/" in f.filename and "/simulator/" not in f.filename]
    f = ours[-1] if ours else frames[-1]
    short = "/".join(Path(f.filename).parts[-2:])
    return f"{short}:{f.lineno}" + ("" if ours else " (library)")


async def measure(top: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeLiveRoom(ping_interval=5) as room:
            cfg = Path(tmp) / "c.yaml"
            cfg.write_text(rules_config(room.base_url, tmp))
            gc.collect()
            before = tracemalloc.take_snapshot().filter_traces(IGNORE)
            daemon = Daemon(load_config(cfg))
            task = asyncio.create_task(daemon.run())
            try:
                await room.wait_for_client(60)
                await asyncio.sleep(2)
                gc.collect()
                after = tracemalloc.take_snapshot().filter_traces(IGNORE)
            finally:
                daemon.request_stop()
                await task
    by_place: dict[str, int] = {}
    for diff in after.compare_to(before, "traceback"):
        by_place[place(diff)] = by_place.get(place(diff), 0) + diff.size_diff
    total = sum(by_place.values())
    print(f"Python heap kept after start: {total / 1024:,.0f} KiB")
    for name, size in sorted(by_place.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{size / 1024:9.1f} KiB  {name}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    tracemalloc.start(30)
    asyncio.run(measure(args.top))


if __name__ == "__main__":
    main()

"""What each device kind's library adds to a running daemon: the time to import it and the
resident memory it holds, measured in fresh interpreters after ``livetrigger.daemon`` (which
imports none of them: tests/unit/test_import_weight.py holds that).

    .venv/bin/python bench/device_extras.py [--runs 3]

The modules are the ones each device kind names in ``livetrigger/devices/registry.py``, so a
new kind is measured without being listed here. Each figure is the median of ``--runs``
interpreters; RSS is read from /proc/self/statm.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import importlib, json, os, sys, time
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
import livetrigger.daemon
before, t0 = rss(), time.perf_counter()
importlib.import_module(sys.argv[1])
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "kib": (rss() - before) / 1024}))
"""


# where a kind's device imports more than the package `check` looks for
USED = {"osc": "pythonosc.udp_client", "sacn": "sacn.messages.data_packet"}


def kinds() -> list[tuple[str, str, str]]:
    sys.path.insert(0, str(ROOT))
    from livetrigger.devices.registry import DEVICE_KINDS

    return [(k.key, k.extra, USED.get(k.key, k.module)) for k in DEVICE_KINDS if k.module]


def measure(module: str, runs: int) -> tuple[float, float]:
    got = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, module],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        got.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return statistics.median(g["ms"] for g in got), statistics.median(g["kib"] for g in got)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| device kind | extra | module | import | memory |")
    print("| --- | --- | --- | ---: | ---: |")
    for key, extra, module in kinds():
        ms, kib = measure(module, args.runs)
        size = f"+{kib / 1024:.1f} MiB" if kib >= 1024 else f"+{kib:.0f} KiB"
        print(f"| {key} | {extra} | `{module}` | {ms:.0f} ms | {size} |")


if __name__ == "__main__":
    main()

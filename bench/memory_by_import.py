"""Where the daemon's resident memory goes, library by library: RSS after each import, in
the order the daemon first needs them, in one fresh interpreter (issue "Light on a Pi").

    .venv/bin/python bench/memory_by_import.py [--runs 3]

Each step's figure is the median of several fresh interpreters. A step's cost includes what
it pulls in that earlier steps did not (asyncio brings ssl, whose OpenSSL pages are most of
its share).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from bytecode_cache import as_installed

ROOT = Path(__file__).resolve().parents[1]

STEPS = [
    ("asyncio (+ ssl, OpenSSL)", "asyncio"),
    ("PyYAML", "yaml"),
    ("httpx", "httpx"),
    ("websockets", "websockets.asyncio.client"),
    ("protobuf + generated messages", "livetrigger.webcast._pb.webcast_pb2"),
    ("paho-mqtt", "paho.mqtt.client"),
    ("livetrigger.events", "livetrigger.events"),
    ("config models (livetrigger.config.schema)", "livetrigger.config.schema"),
    ("rules compiler", "livetrigger.rules.compile"),
    ("the rest of livetrigger.daemon", "livetrigger.daemon"),
    ("gpiozero (only with pins)", "livetrigger.actions.sinks.gpio"),
    ("prometheus-client (only with metrics)", "livetrigger.daemon.features.metrics"),
    ("jinja2 sandbox (only for templates beyond `{{ name.attr }}`)", "livetrigger.rules.jinja_templates"),
]

CHILD = """
import importlib, sys
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
print(rss())
for name in sys.argv[1:]:
    importlib.import_module(name)
    print(rss())
"""


def one_run() -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *(m for _, m in STEPS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [float(x) for x in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    as_installed()
    runs = [one_run() for _ in range(args.runs)]
    figures = [statistics.median(col) for col in zip(*runs, strict=True)]
    print(f"Python {sys.version.split()[0]}, median of {args.runs} fresh interpreters\n")
    print(f"| step | RSS after | added |\n| --- | --- | --- |\n| interpreter | {figures[0]:.1f} MiB | |")
    for (label, _), before, after in zip(STEPS, figures, figures[1:], strict=False):
        print(f"| {label} | {after:.1f} MiB | +{after - before:.1f} |")


if __name__ == "__main__":
    main()

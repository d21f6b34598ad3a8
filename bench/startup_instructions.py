"""Start-up cost in CPU instructions, counted by callgrind: a figure that does not move with
the load of a shared machine (bench/startup.py gives wall time and RSS, which do).

    .venv/bin/python bench/startup_instructions.py [--only check]     # needs valgrind; ~2 min

Each row runs one fresh interpreter under ``valgrind --tool=callgrind`` and reports the
instructions it executed, in millions, and the row minus the bare interpreter (``python -c
pass``): what livetrigger adds. Rows run in parallel; the counts do not depend on it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bytecode_cache import as_installed

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.yaml"
ROWS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "--version": ["-m", "livetrigger", "--version"],
    "check -q config.example.yaml": ["-m", "livetrigger", "check", "-q", str(EXAMPLE)],
    "import livetrigger.events": ["-c", "import livetrigger.events"],
    "import livetrigger.config.schema": ["-c", "import livetrigger.config.schema"],
    "import livetrigger.daemon": ["-c", "import livetrigger.daemon"],
}


def count(args: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/out",
            sys.executable,
            *args,
        ]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found, done.stderr[-2000:]
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", help="rows whose name contains this")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    as_installed()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed: apt-get install valgrind")
    names = [
        n for n in ROWS if n == "python -c pass" or not args.only or any(o in n for o in args.only)
    ]
    with ThreadPoolExecutor(args.jobs) as pool:
        counts = dict(zip(names, pool.map(lambda n: count(ROWS[n]), names), strict=True))
    base = counts["python -c pass"]
    print(f"Python {sys.version.split()[0]}; millions of instructions (callgrind)")
    print(f"{'what':<34} {'total':>8} {'added':>8}")
    for name, n in counts.items():
        added = "" if name == "python -c pass" else f"{(n - base) / 1e6:8.0f}"
        print(f"{name:<34} {n / 1e6:8.0f} {added:>8}")


if __name__ == "__main__":
    main()

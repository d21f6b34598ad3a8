"""Decode and matching cost in CPU instructions per message, counted by callgrind.

Wall-clock figures on a shared VM drift by 2x from one run to the next; instruction counts
do not (same binary, same input: the same count, whatever else the machine is doing). This
runs bench/rules.py's workload three times under ``valgrind --tool=callgrind`` — set-up
only, set-up + decode, set-up + decode + 50 rules — and reports the differences per message.

    .venv/bin/python bench/instructions.py [--messages 5000]      # needs valgrind; ~3 min
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

HERE = Path(__file__).resolve().parent
PHASES = ("setup", "decode", "match")


def one_pass(phase: str, messages: int, compress: bool) -> None:
    sys.path.insert(0, str(HERE))
    from rules import decode_only, make_matching, rules_yaml
    from workload import make_frames

    from livetrigger.config import load_config_text

    rules = load_config_text(rules_yaml(50)).rooms[0].rules
    data = make_frames(messages, compress=compress)
    if phase == "decode":
        decode_only(data)
    elif phase == "match":
        make_matching(rules)(data)


def count(phase: str, messages: int, compress: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/out",
            sys.executable,
            __file__,
            "--one",
            phase,
            "--messages",
            str(messages),
        ] + (["--gzip"] if compress else [])
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found, done.stderr[-2000:]
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--one", choices=PHASES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one_pass(args.one, args.messages, args.gzip)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed: apt-get install valgrind")
    with ThreadPoolExecutor(len(PHASES)) as pool:
        counts = dict(
            zip(
                PHASES,
                pool.map(lambda p: count(p, args.messages, args.gzip), PHASES),
                strict=True,
            )
        )
    n = args.messages
    decode = (counts["decode"] - counts["setup"]) / n
    both = (counts["match"] - counts["setup"]) / n
    print(
        f"{'gzip' if args.gzip else 'plain'} frames, {n} messages: decode {decode:,.0f} "
        f"instructions/msg | decode + 50 rules {both:,.0f} | matching adds {both - decode:,.0f}"
        f" ({(both - decode) / decode * 100:.0f}% of decode)"
    )


if __name__ == "__main__":
    main()

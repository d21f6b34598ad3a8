"""A month in minutes (issue 13): the real daemon against the fake room and a real Mosquitto
through simulated days of streams, drops, stalls, restarts (SIGTERM and SIGKILL), broker
restarts, check_alive 5xx, sign 429/5xx, history in the initial fetch, replays and streaks
without an end; every trigger the fake room sent accounted against what fired, at each target:
MQTT, a webhook on a local HTTP server and a lamp on the daemon's MockFactory pins.

    .venv/bin/python bench/soak.py --days 30 --seed 1

Prints the tables (per target: sent / delivered / missed / lost / doubled / out of order);
exits 1 on anything doubled, missed, out of order or fired from history. What is sent after a
SIGKILL is owed once, apart from the window at the kill: sent within 1 s of it
(tests/support/soak.py says how each trigger is classified).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.soak import Plan, Soak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="work directory to keep (logs, state)")
    args = parser.parse_args()
    plan = Plan(days=args.days, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="lt-soak-") as tmp:
        workdir = args.keep or Path(tmp)
        report = asyncio.run(Soak(workdir, plan, say=lambda s: print(s, flush=True)).run())
    print(report.table())
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())

"""Broker outage figures for BENCHMARKS.md: sent / delivered / lost for outages of 30 s and 60 s
at 200 triggers/s with Home Assistant discovery on, on the default config (or --queue-size).

    .venv/bin/python bench/outage.py [--outages 30 60] [--rate 200] [--queue-size N] [--json out]

The whole daemon runs in a subprocess against the fake room; a real Mosquitto is SIGKILLed
for the outage and started again; a persistent-session listener counts what arrived
(tests/support/outage.py, the harness tests/faults/test_trigger_outage.py uses). "sent" is
what the rule fired (one MQTT trigger and one rule_fired each), "lost" what never arrived,
"doubled" what arrived twice (QoS 1: the trigger in flight when the broker died), "dropped"
what the daemon reported dropping (both MQTT queues).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from livetrigger.actions import MqttPublish
from livetrigger.state.outbox import Outbox
from tests.support.outage import Figures, broker_outage


def journal_cost(n: int = 20_000) -> tuple[float, float]:
    """Microseconds per trigger the durable outbox adds on the event loop (accept + done: two
    write() calls) and the bytes it writes per trigger, for a typical MQTT trigger."""
    with tempfile.TemporaryDirectory(prefix="lt-outbox-") as tmp:
        outbox = Outbox(Path(tmp) / "outbox")
        requests = [
            MqttPublish(
                rule_id="big_gift",
                room="demo",
                topic="livetrigger/demo/big_gift",
                payload=b'{"user": "sam", "diamonds": 500}',
            )
            for _ in range(n)
        ]
        outbox.accept(requests[0])
        outbox.done(requests[0])
        per_trigger = sum(p.stat().st_size for p in Path(tmp).rglob("*.jsonl"))
        start = time.perf_counter()
        for request in requests[1:]:
            outbox.accept(request)
            outbox.done(request)
        elapsed = time.perf_counter() - start
    return elapsed / (n - 1) * 1e6, float(per_trigger)


async def measure(outages: list[float], rate: float, queue_size: int | None) -> list[Figures]:
    out = []
    for outage in outages:
        with tempfile.TemporaryDirectory(prefix="lt-outage-") as tmp:
            fig = await broker_outage(
                Path(tmp), outage=outage, rate=rate, queue_size=queue_size, settle=600.0
            )
        out.append(fig)
        print(
            f"outage {outage:>4.0f} s at {rate:.0f}/s: sent {fig.sent}, delivered "
            f"{fig.delivered}, lost {fig.lost}, doubled {fig.doubled}, out of order "
            f"{fig.out_of_order}; rule_fired {fig.rule_fired_delivered}/{fig.rule_fired_sent}; "
            f"dropped (daemon's count) {fig.dropped_reported}",
            flush=True,
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outages", type=float, nargs="+", default=[30.0, 60.0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--queue-size", type=int, default=None, help="default: the config's")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--journal-only", action="store_true", help="only the outbox's cost")
    args = parser.parse_args()
    micros, per = journal_cost()
    print(
        f"durable outbox: {micros:.1f} µs per trigger on the event loop (accept + done), "
        f"{per:.0f} bytes written per trigger"
    )
    if args.journal_only:
        return 0
    figures = asyncio.run(measure(args.outages, args.rate, args.queue_size))
    if args.json is not None:
        args.json.write_text(json.dumps([f.row() for f in figures], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

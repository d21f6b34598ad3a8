"""What one verifying TLS context costs: the CPU time to make it (loading a CA bundle into
OpenSSL) and the RSS it holds while it lives, for the two kinds livetrigger uses
(livetrigger/system/trust.py): httpx's (certifi's bundle) and the system store (websockets).

    .venv/bin/python bench/tls_contexts.py [--runs 5] [--count 5]

Each run is a fresh interpreter that has already made one context (OpenSSL's own first-use
set-up is not counted), then makes --count more of a kind and keeps them; the figures are
per context, medians of --runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = """
import json, ssl, sys, time, certifi
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
make = {
    "certifi": lambda: ssl.create_default_context(cafile=certifi.where()),
    "system": ssl.create_default_context,
}[sys.argv[1]]
n = int(sys.argv[2])
first = make()
r0, t0 = rss(), time.process_time()
keep = [make() for _ in range(n)]
print(json.dumps([(time.process_time() - t0) / n, (rss() - r0) / n]))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--count", type=int, default=5)
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]}, median of {args.runs} fresh interpreters")
    print("| context | CPU to make one | RSS it holds |\n| --- | --- | --- |")
    for kind in ("certifi", "system"):
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", CHILD, kind, str(args.count)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(args.runs)
        ]
        cpu = statistics.median(r[0] for r in runs)
        mib = statistics.median(r[1] for r in runs)
        print(f"| {kind} | {cpu * 1000:.1f} ms | {mib:.2f} MiB |")


if __name__ == "__main__":
    main()

"""Start-up weight: wall time and peak RSS of the commands people type, and the daemon's RSS
idle and at 1,000 msg/s with 50 rules. Each figure is the median of several runs, printed
beside the figures before the lazy-import work (issue "Light on a Pi").

    .venv/bin/python bench/startup.py [--runs 7] [--rate 1000] [--seconds 10] [--json out.json]

The daemon runs as `python -m livetrigger run` in a subprocess against the fake room in this
process (no broker: the rules log); RSS is read from /proc/PID/status (VmRSS, and VmHWM for
the peak). A Pi 4 runs CPython about 3-4x slower than a current x86 core and a Zero 2 W about
8-10x (BENCHMARKS.md explains the scaling); memory figures carry over almost unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode_cache import as_installed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom

EXAMPLE = ROOT / "config.example.yaml"
BEFORE = {  # measured on this machine before the change (the figures)
    "--version": (0.70, 53.0),
    "check": (0.54 + 0.25, 49.0),
    "simulate": (None, None),
    "daemon idle": (None, 53.0),
    "daemon at rate": (None, 58.0),
}


# A child forked from this (big) process starts with this process's pages counted in its
# peak RSS; a small launcher forks it instead and reports the kernel's figure for it.
LAUNCHER = """\
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def timed(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of one run of a command, from the kernel's own accounting."""
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024


def median_of(argv: list[str], runs: int) -> tuple[float, float]:
    results = [timed(argv) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def rules_config(url: str, tmp: str, n: int = 50) -> str:
    rules = "\n".join(
        f"""      - id: rule_{i}
        on: {"chat" if i % 2 else "gift"}
        when: {{{"text: {contains: word" + str(i) + "}" if i % 2 else "total_diamonds: {gte: " + str(i * 10) + "}"}}}
        do: [{{log: "rule {i} {{{{ user.nickname }}}}"}}]"""
        for i in range(n)
    )
    return f"""\
tiktok: {{web_url: "{url}", webcast_url: "{url}", sign_url: "{url}", live_check_interval: 100ms}}
daemon: {{status_socket: "{tmp}/s.sock", state_dir: "{tmp}/state", log_level: warning}}
rooms:
  - username: "@demo_streamer"
    rules:
{rules}
"""


def rss(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def daemon_figures(rate: int, seconds: float) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeLiveRoom(ping_interval=5) as room:
            cfg = Path(tmp) / "c.yaml"
            cfg.write_text(rules_config(room.base_url, tmp))
            proc = subprocess.Popen(
                [sys.executable, "-m", "livetrigger", "run", "-c", str(cfg)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                await room.wait_for_client(60)
                await asyncio.sleep(3)
                idle = rss(proc.pid)
                user = ev.User(id=1, unique_id="v", nickname="Viewer")
                batch = max(1, rate // 50)
                end = time.monotonic() + seconds
                n = 0
                while time.monotonic() < end:
                    tick = time.monotonic()
                    await room.send(
                        *(
                            ev.ChatEvent(
                                msg_id=room.next_msg_id(), text=f"hello word{n + i}", user=user
                            )
                            for i in range(batch)
                        )
                    )
                    n += batch
                    await asyncio.sleep(max(0.0, 0.02 - (time.monotonic() - tick)))
                loaded = rss(proc.pid, "VmHWM")
            finally:
                proc.terminate()
                proc.wait(10)
    return idle, loaded


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    as_installed()
    lt = [sys.executable, "-m", "livetrigger"]
    rows: dict[str, tuple[float | None, float]] = {}
    rows["--version"] = median_of([*lt, "--version"], args.runs)
    rows["check"] = median_of([*lt, "check", "-q", str(EXAMPLE)], args.runs)
    rows["simulate"] = median_of(
        [*lt, "simulate", "-c", str(EXAMPLE), "gift", "--gift", "Galaxy"], args.runs
    )
    idle, loaded = asyncio.run(daemon_figures(args.rate, args.seconds))
    rows["daemon idle"] = (None, idle)
    rows["daemon at rate"] = (None, loaded)
    print(f"{platform.machine()}, Python {platform.python_version()}, median of {args.runs}")
    print(f"{'what':<16} {'time':>8} {'before':>8} {'peak RSS':>10} {'before':>8}")
    for name, (secs, mib) in rows.items():
        old_s, old_m = BEFORE[name]
        label = f"daemon at {args.rate}/s" if name == "daemon at rate" else name
        fmt_s = f"{secs * 1000:.0f} ms" if secs is not None else "-"
        fmt_old_s = f"{old_s * 1000:.0f} ms" if old_s is not None else "-"
        fmt_old_m = f"{old_m:.0f} MiB" if old_m is not None else "-"
        print(f"{label:<16} {fmt_s:>8} {fmt_old_s:>8} {mib:>6.1f} MiB {fmt_old_m:>8}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

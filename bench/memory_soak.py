"""Memory over time at a steady event rate (issue 19, item 14).

The real daemon runs in its own process against the fake room and a real Mosquitto, with Home
Assistant on and rules that read viewer data (a command, a keyword, per-user cooldowns, like
milestones, gifts). The room sends ``--rate`` events a second, every viewer a new one (the worst
case for anything keyed on viewers). Every ``--interval`` seconds the daemon itself records its
RSS, glibc's heap figures (in use / free but kept), and the object counts per type;
``--trace`` adds tracemalloc (the Python heap, and the source lines that grew most).

    .venv/bin/python bench/memory_soak.py --minutes 12 --rate 100
    .venv/bin/python bench/memory_soak.py --minutes 12 --rate 100 --trace

Prints the curve as a table, then the types and lines that grew between the first sample
after warm-up and the last.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONFIG = """\
tiktok:
  web_url: {url}
  webcast_url: {url}
  sign_url: {url}
  live_check_interval: 1s
mqtt: {{host: 127.0.0.1, port: {port}, client_id: lt-memory}}
homeassistant: {{discovery: true}}
daemon:
  state_dir: {tmp}/state
  status_socket: {tmp}/status.sock
rooms:
  - username: "@demo_streamer"
    rules:
      - id: gift
        on: gift
        do: [{{mqtt: {{topic: "m/gift", payload: "{{{{ user.nickname }}}} {{{{ total_diamonds }}}}"}}}}]
      - id: light
        command: "!light {{state}}"
        do: [{{mqtt: {{topic: "m/light", payload: "{{{{ args.state }}}}"}}}}]
      - id: hello
        on: chat
        when: {{text: {{contains: hello}}}}
        cooldown_per_user: {cooldown}
        do: [{{mqtt: {{topic: "m/hello", payload: "{{{{ user.unique_id }}}}"}}}}]
      - id: follow
        on: follow
        cooldown_per_user: {cooldown}
        do: [{{mqtt: {{topic: "m/follow", payload: "{{{{ user.unique_id }}}}"}}}}]
      - id: likes
        on: like
        every: {{sum: count, step: 100}}
        do: [{{mqtt: {{topic: "m/likes", payload: "{{{{ milestone }}}}"}}}}]
"""


# -- in the daemon's process ------------------------------------------------------------------


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def malloc_figures() -> dict[str, int]:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
        m = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    return {"heap_in_use": m.uordblks + m.hblkhd, "heap_free": m.fordblks, "arena": m.arena}


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child(config_path: str, out_path: str, interval: float, trace: bool, bound: int) -> int:
    import tracemalloc

    from livetrigger.rules import counting

    if bound:
        counting.PER_USER_STATE = bound  # users remembered per rule (what fills for hours)

    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from livetrigger.config import load_config
    from livetrigger.daemon import Daemon
    from livetrigger.system.logs import setup_logging

    if trace:
        tracemalloc.start(1)
    config = load_config(config_path)
    redactor = setup_logging("warning", "text", secrets=config.secrets)
    daemon = Daemon(config, pin_factory=MockFactory(pin_class=MockPWMPin), redactor=redactor)
    out = Path(out_path).open("a", buffering=1)  # noqa: SIM115 - lives as long as the process
    started = time.monotonic()

    async def sample() -> None:
        baseline = None
        first_counts: Counter[str] | None = None
        while True:
            await asyncio.sleep(interval)
            gc.collect()
            counts = Counter(type(o).__name__ for o in gc.get_objects())
            row: dict[str, object] = {
                "t": round(time.monotonic() - started, 1),
                "rss_kib": rss_kib(),
                **malloc_figures(),
                "objects": sum(counts.values()),
            }
            if trace:
                row["traced"] = tracemalloc.get_traced_memory()[0]
            if first_counts is None:
                first_counts = counts
                if trace:
                    baseline = tracemalloc.take_snapshot()
            else:
                grown = counts - first_counts
                row["types_grown"] = grown.most_common(8)
                if trace and baseline is not None:
                    now = tracemalloc.take_snapshot()
                    row["lines_grown"] = [
                        [str(s.traceback[0]), s.size_diff, s.count_diff]
                        for s in now.compare_to(baseline, "lineno")[:8]
                    ]
                    del now
            out.write(json.dumps(row) + "\n")

    async def run() -> int:
        task = asyncio.create_task(sample())
        try:
            return await daemon.run()
        finally:
            task.cancel()

    return asyncio.run(run())


# -- the driver --------------------------------------------------------------------------------


def events_for(rng: random.Random, viewer: int, n: int, msg_id: int) -> list[object]:
    from livetrigger import events as ev

    out: list[object] = []
    for i in range(n):
        viewer += 1
        user = ev.User(
            id=10**9 + viewer,
            unique_id=f"viewer{viewer}",
            nickname=f"Viewer {viewer} {'★' * rng.randint(0, 3)}",
        )
        mid = msg_id + i
        r = rng.random()
        if r < 0.6:
            text = rng.choice(("hello there", "!light on", "!light off", "nice stream", "lol"))
            out.append(ev.ChatEvent(msg_id=mid, user=user, text=f"{text} {viewer}"))
        elif r < 0.8:
            out.append(ev.LikeEvent(msg_id=mid, user=user, count=rng.randint(1, 15)))
        elif r < 0.9:
            out.append(ev.JoinEvent(msg_id=mid, user=user, viewers=1000 + viewer % 500))
        elif r < 0.98:
            out.append(
                ev.GiftEvent(
                    msg_id=mid,
                    user=user,
                    gift_id=7934,
                    gift_name="Galaxy",
                    diamonds=500,
                    repeat_count=1,
                    streak=ev.StreakState.SINGLE,
                    total_diamonds=500,
                )
            )
        else:
            out.append(ev.FollowEvent(msg_id=mid, user=user, follow_count=viewer))
    return out


async def drive(args: argparse.Namespace) -> list[dict[str, object]]:
    from livetrigger.simulator.server import FakeLiveRoom
    from tests.support.mosquitto import MosquittoBroker

    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="lt-mem-") as tmpdir:
        tmp = Path(tmpdir)
        samples = tmp / "samples.jsonl"
        with MosquittoBroker(tmp / "broker") as broker:
            async with FakeLiveRoom() as room:
                cfg = tmp / "config.yaml"
                cfg.write_text(CONFIG.format(
                        url=room.base_url, port=broker.port, tmp=tmp, cooldown=args.cooldown
                    ))
                cmd = [sys.executable, __file__, "--child", str(cfg), str(samples)]
                cmd += ["--interval", str(args.interval), "--per-user-bound", str(args.bound)]
                cmd += ["--trace"] if args.trace else []
                proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
                try:
                    await room.wait_for_client(60)
                    viewer, msg_id, sent = 0, 1, 0
                    batch = max(1, args.rate // 10)
                    start = time.monotonic()
                    end = start + args.minutes * 60
                    while (now := time.monotonic()) < end:
                        due = start + sent / args.rate
                        if due > now:
                            await asyncio.sleep(due - now)
                        await room.send(*events_for(rng, viewer, batch, msg_id))  # type: ignore[arg-type]
                        viewer += batch
                        msg_id += batch
                        sent += batch
                    print(f"sent {sent} events in {args.minutes} min", flush=True)
                finally:
                    proc.terminate()
                    proc.wait(30)
        return [json.loads(line) for line in samples.read_text().splitlines()]


def table(rows: list[dict[str, object]], trace: bool) -> str:
    mib = 1 / 1024
    head = "| minute | RSS MiB | malloc in use MiB | malloc free MiB | gc objects |"
    head += " traced MiB |" if trace else ""
    lines = [head, "|" + " ---: |" * (6 if trace else 5)]
    for r in rows:
        cells = [
            f"{float(r['t']) / 60:.1f}",  # type: ignore[arg-type]
            f"{int(r['rss_kib']) * mib:.1f}",  # type: ignore[call-overload]
            f"{int(r.get('heap_in_use', 0)) / 2**20:.1f}",  # type: ignore[call-overload]
            f"{int(r.get('heap_free', 0)) / 2**20:.1f}",  # type: ignore[call-overload]
            f"{r['objects']:,}",
        ]
        if trace:
            cells.append(f"{int(r.get('traced', 0)) / 2**20:.1f}")  # type: ignore[call-overload]
        lines.append("| " + " | ".join(cells) + " |")
    last = rows[-1] if rows else {}
    lines.append("")
    lines.append(f"object types grown since the first sample: {last.get('types_grown')}")
    for line in last.get("lines_grown", []) or []:  # type: ignore[attr-defined]
        lines.append(f"  {line[1] / 1024:+.0f} KiB {line[2]:+d} blocks  {line[0]}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=12)
    ap.add_argument("--rate", type=int, default=100, help="events a second")
    ap.add_argument("--interval", type=float, default=60, help="seconds between samples")
    ap.add_argument("--trace", action="store_true", help="tracemalloc (slower, more memory)")
    ap.add_argument("--json", type=Path, help="write the samples here")
    ap.add_argument("--cooldown", default="1h", help="the per-user cooldown of two rules")
    ap.add_argument(
        "--per-user-bound",
        dest="bound",
        type=int,
        default=0,
        help="users remembered per rule (default: livetrigger's own, 50,000)",
    )
    ap.add_argument("--child", nargs=2, metavar=("CONFIG", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child[0], args.child[1], args.interval, args.trace, args.bound)
    rows = asyncio.run(drive(args))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(table(rows, args.trace))
    return 0


if __name__ == "__main__":
    sys.exit(main())

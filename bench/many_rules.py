"""Per-message rules cost with 50 vs 5,000 rules, and `check` time of the 5,000 (issue 25).

    .venv/bin/python bench/many_rules.py [--messages 20000] [--repeat 3] [--write big.yaml]
        [--write-viewers viewers.yaml]

Two configs, as an agency writes them. A gift-per-rule config: each rule reacts to one gift
(by name or id), with a command rule and a keyword rule every 50. A rule-per-viewer config:
each rule greets or thanks one viewer, pinned by handle (`users:` or `user.unique_id`), id or
nickname; the same 50 of the room's viewers have rules in both sizes, and the 5,000 add rules
for regulars who are not there. Matching must be indexed (kind, gift, command word, viewer),
so 5,000 rules cost at most about twice what 50 cost.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import make_events, make_users

from livetrigger.config import load_config_text
from livetrigger.rules.engine import Engine


def rules_yaml(n: int) -> str:
    out = []
    for i in range(n):
        if i % 50 == 1:
            out.append(
                f"- id: cmd_{i}\n  command: '!light{i} {{state}}'\n"
                f"  do: [{{log: '{{{{ args.state }}}}'}}]"
            )
        elif i % 50 == 2:
            out.append(
                f"- id: word_{i}\n  on: chat\n  when: {{text: {{contains: 'word{i}'}}}}\n"
                f"  do: [{{log: '{{{{ text }}}}'}}]"
            )
        else:
            gift = f"Gift {i}" if i % 2 else 10_000 + i
            out.append(
                f"- id: gift_{i}\n  on: gift\n  gift: [{gift!r}]\n  streak: end\n"
                f"  cooldown: 2s\n"
                f"  do: [{{log: '{{{{ user.nickname }}}} sent {{{{ gift_name }}}} x{{{{ repeat_count }}}}'}}]"
            )
    body = "\n".join("      " + line for block in out for line in block.splitlines())
    return f"rooms:\n  - username: '@bench'\n    rules:\n{body}\n"


def viewer_rules_yaml(n: int) -> str:
    """``n`` rules, one per viewer: the workload's first 50 viewers, then absent regulars."""
    present = make_users(random.Random(7))[:50]  # make_events draws its users first
    out = []
    for i in range(n):
        if i < len(present):
            u = present[i]
            handle, user_id, nickname = u.unique_id, u.id, u.nickname
        else:
            handle, user_id, nickname = f"regular_{i:05d}", 8_000_000_000 + i, f"Regular {i}"
        pinned = (
            f"user: {{users: ['@{handle}']}}",
            f"when: {{user.unique_id: {handle}}}",
            f"when: {{user.id: {user_id}}}",
            f"when: {{user.nickname: {{in: [{nickname!r}]}}}}",
        )[i % 4]
        out.append(
            f"- id: viewer_{i}\n  on: [join, chat, gift]\n  {pinned}\n  cooldown: 10m\n"
            f"  do: [{{log: 'hi {{{{ user.nickname }}}}, {{{{ kind }}}}'}}]"
        )
    body = "\n".join("      " + line for block in out for line in block.splitlines())
    return f"rooms:\n  - username: '@bench'\n    rules:\n{body}\n"


def per_message(config: str, events: list, repeat: int) -> dict[str, float]:  # type: ignore[type-arg]
    rules = load_config_text(config).rooms[0].rules
    kinds = sorted({e.kind for e in events})
    cost: dict[str, float] = {}
    for kind in [*kinds, "all"]:
        sample = events if kind == "all" else [e for e in events if e.kind == kind]
        best = float("inf")
        for _ in range(repeat):
            engine = Engine(rules, room="bench")
            t0 = time.perf_counter()
            for e in sample:
                engine.firings(e, 1000.0)
            best = min(best, time.perf_counter() - t0)
        cost[kind] = best / len(sample) * 1e6
    return cost


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write", help="write the 5,000-rule gift config here and stop")
    ap.add_argument("--write-viewers", help="write the 5,000-rule viewer config here and stop")
    args = ap.parse_args()
    big = rules_yaml(5000)
    if args.write or args.write_viewers:
        if args.write:
            Path(args.write).write_text(big)
        if args.write_viewers:
            Path(args.write_viewers).write_text(viewer_rules_yaml(5000))
        return
    print(f"python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    events = make_events(args.messages)
    for name, config in (("gift-per-rule", rules_yaml), ("rule-per-viewer", viewer_rules_yaml)):
        small = per_message(config(50), events, args.repeat)
        large = per_message(config(5000), events, args.repeat)
        print(f"{name}, µs/message  {'50 rules':>10}{'5,000':>10}{'ratio':>8}")
        for kind in small:
            ratio = large[kind] / small[kind]
            print(f"  {kind:<22}{small[kind]:>10.1f}{large[kind]:>10.1f}{ratio:>8.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "big.yaml")
        path.write_text(big)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "livetrigger", "check", "-q", str(path)],
            check=False,
            capture_output=True,
            text=True,
        )
        took = time.perf_counter() - t0
    print(
        f"check of 5,000 rules ({len(big) // 1024} KB): {took:.2f} s (exit {proc.returncode});"
        f" load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()

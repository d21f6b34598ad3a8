"""Rules cost: decode alone vs decode + matching with 50 rules loaded (issue 4: matching may add
at most 20% to decode cost per message).

    .venv/bin/python bench/rules.py [--messages 20000] [--repeat 5]

The 50 rules are a realistic mix for a busy room: gift thresholds and gift lists, streak modes,
chat commands with user filters, `contains`/`regex` on comments, a like milestone, follow and
share rules with cooldowns. Actions are `log` templates, rendered when a rule fires (the
engine's whole output, without sinks).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import make_frames

from livetrigger.config import load_config_text
from livetrigger.rules.engine import Engine
from livetrigger.webcast import frames
from livetrigger.webcast.decode import Decoder


def rules_yaml(n: int = 50) -> str:
    templates = [
        "- id: gift_{i}\n  on: gift\n  when: {{total_diamonds: {{gte: {t}}}}}\n  do: [{{log: '{{{{ user.nickname }}}} {{{{ gift_name }}}}'}}]",
        "- id: rose_{i}\n  on: gift\n  gift: [Rose, 5655]\n  streak: end\n  when: {{repeat_count: {{gte: {t}}}}}\n  do: [{{log: 'roses {{{{ repeat_count }}}}'}}]",
        "- id: cmd_{i}\n  command: '!light{i} {{state}}'\n  user: {{moderator: true}}\n  do: [{{log: '{{{{ args.state }}}}'}}]",
        "- id: word_{i}\n  on: chat\n  when: {{text: {{contains: 'word{i}'}}}}\n  cooldown: 1s\n  do: [{{log: '{{{{ text }}}}'}}]",
        "- id: re_{i}\n  on: chat\n  when: {{text: {{regex: '^!vote{i} (a|b)$'}}}}\n  do: [{{log: vote}}]",
        "- id: likes_{i}\n  on: like\n  every: {{field: total, step: {t}000}}\n  do: [{{log: '{{{{ milestone }}}}'}}]",
        "- id: follow_{i}\n  on: [follow, share]\n  cooldown_per_user: 1h\n  do: [{{log: '{{{{ user.unique_id }}}}'}}]",
        "- id: vip_{i}\n  on: chat\n  user: {{top_gifter_rank: 3, gifter_level: 20}}\n  max_fires: {{count: 5, per: 1m}}\n  do: [{{log: vip}}]",
    ]
    out = []
    for i in range(n):
        t = templates[i % len(templates)]
        out.append(t.format(i=i, t=10 + i * 7))
    body = "\n".join("      " + line for block in out for line in block.splitlines())
    return f"rooms:\n  - username: '@bench'\n    rules:\n{body}\n"


def decode_only(data: list[bytes]) -> int:
    decoder = Decoder()
    n = 0
    for raw in data:
        inbound = frames.decode_ws_message(raw)
        assert inbound is not None
        n += len(decoder.decode_result(inbound.result, 0.0))
    return n


def make_matching(engine_rules: object) -> object:
    def decode_and_match(data: list[bytes]) -> int:
        decoder = Decoder()
        engine = Engine(engine_rules, room="bench")  # type: ignore[arg-type]
        n = 0
        fired = 0
        for raw in data:
            inbound = frames.decode_ws_message(raw)
            assert inbound is not None
            for event in decoder.decode_result(inbound.result, 0.0):
                fired += len(engine.firings(event, 1000.0))
                n += 1
        decode_and_match.fired = fired  # type: ignore[attr-defined]
        return n

    return decode_and_match


def best(fn, data: list[bytes], repeat: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    times = []
    n = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = fn(data)
        times.append(time.perf_counter() - t0)
    return min(times), n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rules", type=int, default=50)
    args = ap.parse_args()
    config = load_config_text(rules_yaml(args.rules))
    rules = config.rooms[0].rules
    print(f"python {platform.python_version()}; {len(rules)} rules; {args.messages} messages")
    for compress in (False, True):
        data = make_frames(args.messages, compress=compress)
        t_decode, n = best(decode_only, data, args.repeat)
        matching = make_matching(rules)
        t_both, n2 = best(matching, data, args.repeat)
        assert n == n2 == args.messages
        label = "gzip " if compress else "plain"
        extra = (t_both - t_decode) / t_decode * 100
        print(
            f"{label}: decode {n / t_decode:>9,.0f} msg/s | decode+match {n / t_both:>9,.0f} msg/s | "
            f"matching adds {extra:5.1f}% per message ({(t_both - t_decode) / n * 1e6:.2f} µs) | "
            f"{matching.fired} firings"  # type: ignore[attr-defined]
        )


if __name__ == "__main__":
    main()

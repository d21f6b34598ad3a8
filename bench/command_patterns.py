"""`command:` patterns: what a hostile comment costs on Python's ``re`` (the engine before
issue 25) and on RE2 (``CommandPattern`` now), and what an ordinary command costs on each.

    .venv/bin/python bench/command_patterns.py [--repeat 5] [--max-re 20]

The hostile pair: ``n`` optional arguments (``!x {a0?} ... {a<n-1>?}``) and a comment of one
word too many (``!x w w ... w``, n + 1 words): no match, so a backtracking engine tries every
way to leave words out, 2**n. ``re`` is measured up to ``--max-re`` arguments (each one more
doubles it). Each figure is the best of ``--repeat`` runs (the machine is shared).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from livetrigger.rules.command import CommandPattern


def best(match: Callable[[str], Any], text: str, repeat: int, number: int) -> float:
    """Seconds per ``match(text)``, best of ``repeat`` batches of ``number`` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            match(text)
        times.append((time.perf_counter() - t) / number)
    return min(times)


def python_re(source: str) -> re.Pattern[str]:
    """The pattern as it was built for ``re``."""
    parts = []
    for i, word in enumerate(source.split()):
        m = re.match(r"^\{([A-Za-z_][A-Za-z0-9_]*)(\?|\.\.\.)?\}$", word)
        sep = "\\s+" if i else ""
        if not m:
            parts.append(sep + re.escape(word))
            continue
        name, mode = m.groups()
        value = f"(?P<{name}>.+)" if mode == "..." else f"(?P<{name}>\\S+)"
        parts.append(f"(?:{sep}{value})?" if mode == "?" else f"{sep}{value}")
    return re.compile("^\\s*" + "".join(parts) + "\\s*$", re.IGNORECASE | re.DOTALL)


def hostile(n: int) -> tuple[str, str]:
    return "!x " + " ".join(f"{{a{i}?}}" for i in range(n)), "!x" + " w" * (n + 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-re", type=int, default=20)
    args = parser.parse_args()
    print("| optional arguments | `re`, ms per comment | RE2, ms per comment |")
    print("| --- | --- | --- |")
    for n in (10, 14, 18, 20, 22, 60):
        source, comment = hostile(n)
        ours = CommandPattern(source)
        linear = best(ours.match, comment, args.repeat, 20)
        if n <= args.max_re:
            old = python_re(source)
            number = max(1, 2 ** (20 - n))
            backtracking = f"{best(old.match, comment, args.repeat, number) * 1e3:.3g}"
        else:
            backtracking = "-"
        print(f"| {n} | {backtracking} | {linear * 1e3:.3g} |")
    print()
    print("| ordinary command | `re`, µs | RE2, µs |")
    print("| --- | --- | --- |")
    for source, comment in (
        ("!light {state} {level?}", "!light on 3"),
        ("!say {who} {msg...}", "!say bob thanks for the rose, see you tomorrow"),
    ):
        old, ours = python_re(source), CommandPattern(source)
        t_re = best(old.match, comment, args.repeat, 20_000)
        t_re2 = best(ours.match, comment, args.repeat, 20_000)
        print(f"| `{source}` | {t_re * 1e6:.2f} | {t_re2 * 1e6:.2f} |")


if __name__ == "__main__":
    main()

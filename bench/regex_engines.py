"""Regex engines for rule patterns: Python's ``re``, ``regex`` with a timeout, and RE2
(google-re2). Compile cost, match cost on ordinary comments, and what a hostile comment
costs against a catastrophic pattern.

    .venv/bin/python bench/regex_engines.py [--repeat 5]

Patterns are the shapes rules use (keywords, commands, anchored alternations) plus
``(a+)+$``; texts are a short comment, a comment at the 1,000-character cap the engine
matches, and ``"a" * n + "!"`` (the hostile one: no match, so a backtracking engine tries
every way to split the run of a's). ``re`` on the hostile text is measured for small ``n``
only and the growth shown: 31 characters would take minutes. RE2 runs with the options rules
use (case-insensitive, no capture groups), as a plain search and as the one-pattern set that
rules use (it answers only whether the pattern occurs). Each figure is the best of
``--repeat`` runs (the machine is shared: the best is the least disturbed).
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import re2
import regex

from livetrigger.rules.patterns import _OPTIONS as LIVETRIGGER_RE2
from livetrigger.rules.patterns import linear_search

PATTERNS = [
    r"^!(on|off)$",
    r"\b(love|heart|lamp)\b",
    r"gg|wp|nice|lol",
    r"^!color\s+(red|green|blue)\s*$",
    r"(a+)+$",
]
HOSTILE = [r"(a+)+$", r"(\w+\s?)+$"]
SHORT = "nice stream!! turn the lamp on please"
LONG = ("this is a long comment with words " * 40)[:1000]
TIMEOUT = 0.01  # regex's timeout: 10 ms per search


def best(fn: Callable[[], Any], repeat: int, number: int) -> float:
    """Seconds per call, best of ``repeat`` batches of ``number`` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t) / number)
    return min(times)


def engines() -> dict[str, tuple[Callable[[str], Any], Callable[[], None]]]:
    """name -> (compile(pattern) -> search(text), purge caches)."""
    def re2_compile(p: str) -> Callable[[str], Any]:
        return re2.compile(p, LIVETRIGGER_RE2).search

    def re2_set(p: str) -> Callable[[str], Any]:
        search = linear_search([p])  # as rules use it
        assert search is not None
        return search

    def regex_compile(p: str) -> Callable[[str], Any]:
        search = regex.compile(p, regex.IGNORECASE | regex.V0).search
        return lambda text: search(text, timeout=TIMEOUT)

    return {
        "re": (lambda p: re.compile(p, re.IGNORECASE).search, re.purge),
        "regex+timeout": (regex_compile, regex.purge),
        "re2 search": (re2_compile, re2.purge),
        "re2 set": (re2_set, re2.purge),
    }


def compile_cost(repeat: int) -> None:
    print("\ncompile (µs per pattern, caches purged)")
    print(f"{'pattern':34}" + "".join(f"{name:>15}" for name in engines()))
    for p in PATTERNS:
        row = f"{p:34}"
        for compile_, purge in engines().values():

            def once(compile_: Any = compile_, purge: Any = purge, p: str = p) -> None:
                purge()
                compile_(p)

            row += f"{best(once, repeat, 200) * 1e6:15.1f}"
        print(row)


def match_cost(repeat: int) -> None:
    print("\nsearch (µs per call)")
    print(f"{'pattern':34}{'text':>7}" + "".join(f"{name:>15}" for name in engines()))
    for p in PATTERNS[:-1]:
        for label, text in (("short", SHORT), ("1000", LONG)):
            row = f"{p:34}{label:>7}"
            for compile_, _ in engines().values():
                search = compile_(p)
                row += f"{best(lambda s=search, t=text: s(t), repeat, 2000) * 1e6:15.2f}"
            print(row)


def hostile(repeat: int) -> None:
    for pattern in HOSTILE:
        print(f"\n{pattern} against 'a' * n + '!' (ms per search)")
        compiled = {name: c(pattern) for name, (c, _) in engines().items()}
        print(f"{'n':>6}" + "".join(f"{name:>15}" for name in compiled))
        for n in (16, 18, 20, 22, 31, 1000):
            text = "a" * n + "!"
            row = f"{n:>6}"
            for name, search in compiled.items():
                if name == "re" and n > 22:
                    row += f"{'(minutes)':>15}"
                    continue
                try:
                    cost = best(lambda s=search, t=text: s(t), min(repeat, 3), 1)
                    row += f"{cost * 1e3:15.3f}"
                except TimeoutError:
                    row += f"{'timeout':>15}"
            print(row)
    print(f"regex's timeout was {TIMEOUT * 1e3:.0f} ms: it stops the search and raises")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(
        f"Python {sys.version.split()[0]} on {platform.machine()};"
        f" regex {regex.__version__}; google-re2 (re2 {getattr(re2, '__version__', '?')})"
    )
    compile_cost(args.repeat)
    match_cost(args.repeat)
    hostile(args.repeat)


if __name__ == "__main__":
    main()

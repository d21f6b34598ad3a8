"""Command-line values several commands take alike, checked by argparse (a bad one is a usage
error, exit 2, that says what to write)."""

from __future__ import annotations

import argparse
import math

_SPEEDS = "a positive number such as 2, 10x or 0.5"


def speed(text: str) -> float:
    """``--speed`` of a show (demo, fake-room): how many times faster than written, ``2``,
    ``10x`` or ``0.5``. Zero, negative or endless would make nonsense of the waits (divided
    by it), so they are refused here, before anything plays."""
    value = _number(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"speed is {_SPEEDS}, not {text!r}")
    return value


def speed_or_max(text: str) -> float | None:
    """``--speed`` of a recording (replay): as ``speed``, or ``max`` (None: no waits)."""
    if text.strip().lower() == "max":
        return None
    value = _number(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"speed is {_SPEEDS}, or max, not {text!r}")
    return value


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().lower().removesuffix("x"))
    except ValueError:
        return None
    return value if value > 0 and math.isfinite(value) else None


def count(text: str) -> int:
    """A count of things a viewer sent (simulate's ``--count``): a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"count is a whole number, 1 or more, not {text!r}")
    return value

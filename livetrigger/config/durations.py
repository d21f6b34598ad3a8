"""Durations as people write them: ``500ms``, ``3s``, ``2m``, ``1h``, ``1h30m``; numbers are
seconds; ``null`` disables (callers decide what "disabled" means)."""

from __future__ import annotations

import math
import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
# the JSON Schema gives editors the same pattern
DURATION_PATTERN = r"^\s*(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)\s*)+$"
_WHOLE = re.compile(DURATION_PATTERN)


def parse_duration(value: object) -> float | None:
    """Seconds as a float, or None for ``null``; raises ValueError with what to write."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 500ms, 3s, 2m or 1h, got {value!r}")
    if isinstance(value, (int, float)):
        return _seconds(float(value), value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("null", "none", "off"):
            return None
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            return _seconds(number, value)
        if _WHOLE.match(text):
            return sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    raise ValueError(f"expected a duration like 500ms, 3s, 2m or 1h, got {value!r}")


def _seconds(number: float, written: object) -> float:
    # YAML reads `.nan` and `.inf` as floats, and float() reads "nan" and "inf": a NaN
    # max_on compares false with everything, which disabled the limit
    if not math.isfinite(number):
        raise ValueError(
            f"NaN and infinity are not durations: write seconds or like 500ms, 3s, 2m; "
            f"got {written!r}"
        )
    if number < 0:
        raise ValueError(f"a duration cannot be negative, got {written!r}")
    return number


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "off"
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    if seconds < 60 or seconds % 60:
        return f"{seconds:g}s"
    if seconds < 3600 or seconds % 3600:
        return f"{seconds / 60:g}m"
    return f"{seconds / 3600:g}h"


def format_age(seconds: float) -> str:
    """How long ago, in its largest unit and the next (cut, not rounded): ``2d 3h``,
    ``5h 12m``, ``12m 5s``, ``40s``, ``2d``."""
    whole = max(0, int(seconds))
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    first = next(i for i, (_unit, size) in enumerate(units) if whole >= size or size == 1)
    parts = [f"{whole // units[first][1]}{units[first][0]}"]
    if first + 1 < len(units):
        unit, size = units[first + 1]
        if rest := whole % units[first][1] // size:
            parts.append(f"{rest}{unit}")
    return " ".join(parts)

"""Near-miss suggestions for a name that does not exist: a key, an event field, an output."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(name: str, choices: Iterable[str]) -> str:
    """`` — did you mean `x`?`` or an empty string."""
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f" — did you mean `{close[0]}`?" if close else ""

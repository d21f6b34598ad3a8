"""One readable line per action request: what `simulate`, `replay`, the log sink and the demo
print. Payloads are shortened; nothing here is parsed back. Each kind writes its own line."""

from __future__ import annotations

from livetrigger.actions import registry
from livetrigger.actions.kind import ActionRequest


def describe(request: ActionRequest) -> str:
    """``request`` in one line, written by its kind (its class name for an unknown kind)."""
    kind = registry.of(request)
    return kind.describe(request) if kind is not None else type(request).__name__

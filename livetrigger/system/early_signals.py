"""SIGTERM and SIGINT from the first instruction of ``livetrigger run`` on.

Until the daemon's event loop installs its own handlers, Python's defaults would kill the
process (SIGTERM) or raise KeyboardInterrupt mid-import (SIGINT): a ``systemctl stop`` or a
restart during start-up would leave it without its clean stop. ``catch()`` notes such a
signal instead; the daemon asks ``received()`` once its handlers are in place and stops.
"""

from __future__ import annotations

import signal
from types import FrameType

_received: list[int] = []


def _note(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)


def catch() -> None:
    """Note SIGTERM and SIGINT from now on instead of dying of them."""
    signal.signal(signal.SIGTERM, _note)
    signal.signal(signal.SIGINT, _note)


def received() -> int | None:
    """The first signal noted since ``catch()``, if any."""
    return _received[0] if _received else None

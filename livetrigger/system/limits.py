"""How often a front end may act on the daemon: Home Assistant's buttons and the dashboard's
alike (docs/homeassistant.md, docs/dashboard.md). A burst of presses, a stuck automation or a
script hammering an endpoint must not become as many webhook calls, reconnects or reloads."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

COMMAND_BURST = 10  # commands at once, all rooms and kinds together
COMMAND_RATE = 2.0  # per second after the burst
TEST_INTERVAL = 1.0  # seconds between two tests of one rule
RECONNECT_INTERVAL = 10.0  # seconds between two reconnects of one room (and two reloads)
LIMIT_LOG_INTERVAL = 10.0  # one warning per this many seconds while commands are refused


class CommandLimiter:
    """A token bucket for all commands, plus a minimum interval per (command, target).

    ``who`` names the front end in the warning about refused commands."""

    def __init__(self, clock: Callable[[], float], who: str = "home assistant") -> None:
        self.clock = clock
        self.who = who
        self.tokens = float(COMMAND_BURST)
        self.last = clock()
        self.recent: dict[tuple[str, ...], float] = {}  # (command, target) -> last accepted
        self.refused = 0
        self._unlogged = 0
        self._logged_at = -LIMIT_LOG_INTERVAL

    def allow(self, key: tuple[str, ...], interval: float) -> str | None:
        """None when the command may run now (and it is counted), else why not."""
        now = self.clock()
        self.tokens = min(COMMAND_BURST, self.tokens + (now - self.last) * COMMAND_RATE)
        self.last = now
        if interval and now - self.recent.get(key, -interval) < interval:
            return f"the same command ran less than {interval:g} s ago"
        if self.tokens < 1.0:
            return f"more than {COMMAND_BURST} commands at once or {COMMAND_RATE:g} a second"
        self.tokens -= 1.0
        if interval:
            self.recent[key] = now
        return None

    def refuse(self, source: str, why: str) -> None:
        """Count a refused command from ``source`` (a topic, an address); warn now and then."""
        self.refused += 1
        self._unlogged += 1
        now = self.clock()
        if now - self._logged_at >= LIMIT_LOG_INTERVAL:
            log.warning(
                "%s: %d command(s) refused by the rate limit (last on %s: %s)",
                self.who,
                self._unlogged,
                source[:200],
                why,
            )
            self._logged_at, self._unlogged = now, 0

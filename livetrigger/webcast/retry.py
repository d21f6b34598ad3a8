"""Pure timing decisions of the connection: backoff with jitter and the sign budget.

The sign server is the scarce resource (the anonymous tier allows a handful of connections per
minute and a few dozen per hour), so ``SignQuota`` is consulted before every sign request and
its windows are never exceeded, whatever fails and however often.
"""

from __future__ import annotations

import email.utils
import random
from collections import deque
from collections.abc import Mapping
from typing import Any

from livetrigger.settings import SignBudget

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


class Backoff:
    """Exponential backoff with "equal jitter": each delay is in [d/2, d], d doubling up to
    ``maximum``. ``reset()`` after a connection that worked."""

    def __init__(self, initial: float, maximum: float, *, rng: random.Random | None = None) -> None:
        self.initial = initial
        self.maximum = maximum
        self.attempts = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        d = float(min(self.maximum, self.initial * (2.0**self.attempts)))
        self.attempts += 1
        return d / 2 + self._rng.uniform(0, d / 2)

    def reset(self) -> None:
        self.attempts = 0


def jittered(interval: float, rng: random.Random, spread: float = 0.2) -> float:
    """``interval`` ± ``spread`` (a fraction), so many daemons do not poll in step."""
    return interval * (1 + rng.uniform(-spread, spread))


class SignQuota:
    """Sign requests per minute / hour / day, as sliding windows over request times."""

    def __init__(self, budget: SignBudget) -> None:
        self.budget = budget
        self._times: deque[float] = deque()
        self.used = 0

    def _windows(self) -> tuple[tuple[float, int], ...]:
        b = self.budget
        return ((MINUTE, b.per_minute), (HOUR, b.per_hour), (DAY, b.per_day))

    # a request at t counts in a window of `span` while t + span > now: the same expression
    # as the time it leaves the window, so float rounding can never let one extra through
    def _prune(self, now: float) -> None:
        while self._times and self._times[0] + DAY <= now:
            self._times.popleft()

    def _in_window(self, now: float, span: float) -> int:
        return sum(1 for t in self._times if t + span > now)

    def next_allowed(self, now: float) -> float:
        """The earliest time a sign request may be made (``now`` when one may go now)."""
        self._prune(now)
        at = now
        times = list(self._times)
        for span, limit in self._windows():
            inside = [t for t in times if t + span > now]
            if limit <= 0:
                return float("inf")
            if len(inside) >= limit:
                # the request that must age out of the window first
                at = max(at, inside[len(inside) - limit] + span)
        return at

    def allowed(self, now: float) -> bool:
        return self.next_allowed(now) <= now

    def record(self, now: float) -> None:
        self._times.append(now)
        self.used += 1

    def left_today(self, now: float) -> int:
        self._prune(now)
        return max(0, self.budget.per_day - self._in_window(now, DAY))

    # -- across restarts: request times are kept as wall clock, since the monotonic clock
    # starts again with the next process (or the next boot)

    def snapshot(self, now: float, wall: float) -> dict[str, Any]:
        """The requests of the last day as wall-clock times (``now`` on this quota's clock,
        ``wall`` the epoch time at the same instant)."""
        self._prune(now)
        return {"version": 1, "times": [round(wall - (now - t), 3) for t in self._times]}

    def restore(self, data: dict[str, Any], now: float, wall: float) -> None:
        """Count the requests a previous process made. A time in the future (the wall clock
        went back) counts as made now: the budget errs on the side of waiting."""
        if data.get("version") != 1:
            raise ValueError(f"sign budget state version {data.get('version')!r} is not ours")
        try:
            ages = sorted((max(0.0, wall - float(t)) for t in data["times"]), reverse=True)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"sign budget state is damaged: {exc}") from None
        earlier = [now - age for age in ages if age < DAY]
        self._times = deque(sorted([*earlier, *self._times]))
        self.used += len(earlier)


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date), else the reset time in
    ``X-RateLimit-Reset`` / ``RateLimit-Reset`` (epoch seconds, or seconds from now when small)."""
    lower = {k.lower(): v for k, v in headers.items()}
    value = lower.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError):
                pass
    for key in ("x-ratelimit-reset", "ratelimit-reset"):
        value = lower.get(key)
        if value:
            try:
                reset = float(value)
            except ValueError:
                continue
            return max(0.0, reset - now) if reset > 1e9 else max(0.0, reset)
    return None

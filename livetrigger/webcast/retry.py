"""Pure timing decisions of the connection: backoff with jitter and the sign budget.

The sign server is the scarce resource (the anonymous tier allows a handful of connections per
minute and a few dozen per hour), so ``SignQuota`` is consulted before every sign request and
its windows are never exceeded, whatever fails and however often.
"""

from __future__ import annotations

import bisect
import email.utils
import itertools
import math
import random
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
    """Sign requests per minute / hour / day, as sliding windows over the times the sign
    server may have heard them, judged as the server judges: every request, in any window.

    A request counts from ``begin`` (before it is sent) and, while it is in flight, as made
    *now*: the server may hear it at any moment until it answers. Once answered it counts as
    made when the answer came, the latest moment the server can have heard it; so the next
    request, counted from when it is sent, is never closer to it at the server than here,
    however long the network or a write held either one. A request nobody answered (a
    network error, a timeout, a process that died) counts as made ``in_flight_bound`` seconds
    after it was sent (the client's timeout), or when it was given up if that is later.
    """

    def __init__(self, budget: SignBudget, *, in_flight_bound: float = 10.0) -> None:
        self.budget = budget
        self.in_flight_bound = in_flight_bound
        self._times: list[float] = []  # settled requests, sorted (may lie ahead: see restore)
        self._in_flight: dict[int, float] = {}  # ticket -> when it was begun
        self._tickets = itertools.count()
        self.used = 0
        self.changes = 0  # grows with every begin and answer: what the state writer probes

    def _windows(self) -> tuple[tuple[float, int], ...]:
        b = self.budget
        return ((MINUTE, b.per_minute), (HOUR, b.per_hour), (DAY, b.per_day))

    # a request at t counts in a window of `span` while t + span > now: the same expression
    # as the time it leaves the window, so float rounding can never let one extra through
    def _prune(self, now: float) -> None:
        cut = 0
        while cut < len(self._times) and self._times[cut] + DAY <= now:
            cut += 1
        del self._times[:cut]

    def _counted(self, now: float) -> list[float]:
        """Every request's time as the windows count it, sorted."""
        self._prune(now)
        if not self._in_flight:
            return self._times
        return sorted([*self._times, *(max(now, t) for t in self._in_flight.values())])

    def next_allowed(self, now: float) -> float:
        """The earliest time a sign request may be made (``now`` when one may go now)."""
        times = self._counted(now)
        at = now
        for span, limit in self._windows():
            if limit <= 0:
                return float("inf")
            inside = [t for t in times if t + span > now]
            if len(inside) >= limit:
                # the request that must age out of the window first
                at = max(at, inside[len(inside) - limit] + span)
        return at

    def allowed(self, now: float) -> bool:
        return self.next_allowed(now) <= now

    def begin(self, now: float) -> int:
        """A request is about to be sent: it counts from now on. Returns its ticket for
        ``answered`` / ``unanswered``."""
        ticket = next(self._tickets)
        self._in_flight[ticket] = now
        self.used += 1
        self.changes += 1
        return ticket

    def answered(self, ticket: int, now: float) -> None:
        """The sign server answered (any status): it heard the request by ``now``."""
        self._settle(ticket, now)

    def unanswered(self, ticket: int, now: float) -> None:
        """No answer (network error, timeout, cancelled): the request may still reach the
        server until the client's timeout after it was sent."""
        begun = self._in_flight.get(ticket)
        if begun is not None:
            self._settle(ticket, max(now, begun + self.in_flight_bound))

    def _settle(self, ticket: int, at: float) -> None:
        if self._in_flight.pop(ticket, None) is not None:
            bisect.insort(self._times, at)
            self.changes += 1

    def record(self, now: float) -> None:
        """A request made and answered at ``now``."""
        self.answered(self.begin(now), now)

    def left_today(self, now: float) -> int:
        inside = sum(1 for t in self._counted(now) if t + DAY > now)
        return max(0, self.budget.per_day - inside)

    # -- across restarts: request times are kept as wall clock, since the monotonic clock
    # starts again with the next process (or the next boot)

    def snapshot(self, now: float, wall: float) -> dict[str, Any]:
        """The requests of the last day as wall-clock times (``now`` on this quota's clock,
        ``wall`` the epoch time at the same instant), rounded up to the millisecond so a
        restart never moves one earlier. ``in_flight``: the requests not yet answered, as the
        time each was sent; the next process counts them as unanswered."""
        self._prune(now)

        def at(t: float) -> float:
            return math.ceil((wall - (now - t)) * 1000) / 1000

        return {
            "version": 1,
            "times": [at(t) for t in self._times],
            "in_flight": [at(t) for t in sorted(self._in_flight.values())],
        }

    def restore(self, data: dict[str, Any], now: float, wall: float) -> None:
        """Count the requests a previous process made. A request it had in flight when it
        stopped (SIGKILL, power cut) was never answered: it counts ``in_flight_bound`` after
        it was sent, which may be ahead of ``now`` (and is saved so again). A time further
        ahead (the wall clock went back) counts as ``in_flight_bound`` ahead: the budget
        errs on the side of waiting."""
        if data.get("version") != 1:
            raise ValueError(f"sign budget state version {data.get('version')!r} is not ours")
        ahead = -self.in_flight_bound
        try:
            ages = [max(ahead, wall - float(t)) for t in data["times"]]
            sent = [max(0.0, wall - float(t)) for t in data.get("in_flight") or ()]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"sign budget state is damaged: {exc}") from None
        earlier = [now - age for age in ages if age < DAY]
        earlier += [now - age + self.in_flight_bound for age in sent if age < DAY]
        self._times = sorted([*earlier, *self._times])
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

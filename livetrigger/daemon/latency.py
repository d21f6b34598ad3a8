"""Event receive → action done: a histogram for status/Prometheus and exact recent percentiles."""

from __future__ import annotations

import bisect
import itertools
from collections import deque
from typing import Any

BUCKETS_MS = (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


class LatencyStats:
    def __init__(self, window: int = 10_000) -> None:
        self.count = 0
        self.sum_ms = 0.0
        self.max_ms = 0.0
        self._buckets = [0] * (len(BUCKETS_MS) + 1)
        self._recent: deque[float] = deque(maxlen=window)

    def add(self, seconds: float) -> None:
        ms = max(0.0, seconds * 1000)
        self.count += 1
        self.sum_ms += ms
        self.max_ms = max(self.max_ms, ms)
        self._buckets[bisect.bisect_left(BUCKETS_MS, ms)] += 1
        self._recent.append(ms)

    def since(self, count: int) -> list[float]:
        """The values (ms) added after the ``count``-th, as far as the window still holds
        them: what a reader that last looked at ``count`` has not seen (the dashboard's
        latency over time)."""
        new = min(self.count - count, len(self._recent))
        if new <= 0:
            return []
        return list(itertools.islice(self._recent, len(self._recent) - new, None))

    def percentile(self, p: float) -> float:
        if not self._recent:
            return 0.0
        ordered = sorted(self._recent)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def snapshot(self) -> dict[str, Any]:
        cumulative, running = [], 0
        for le, n in zip((*BUCKETS_MS, "+Inf"), self._buckets, strict=True):
            running += n
            cumulative.append([le, running])
        return {
            "count": self.count,
            "sum": round(self.sum_ms, 3),
            "p50": round(self.percentile(50), 3),
            "p99": round(self.percentile(99), 3),
            "max": round(self.max_ms, 3),
            "buckets": cumulative,
        }

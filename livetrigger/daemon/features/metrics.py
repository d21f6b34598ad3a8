"""Prometheus metrics on loopback, computed from the same snapshot ``livetrigger status`` shows.

No metric objects are updated on the hot path: a collector turns the daemon's snapshot into
metric families when Prometheus scrapes. Off by default (``daemon.prometheus.enabled``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector, CollectorRegistry

from livetrigger.daemon.features.base import Feature
from livetrigger.daemon.status_socket import Snapshot

if TYPE_CHECKING:
    from livetrigger.daemon.controller import Daemon

log = logging.getLogger(__name__)

_ROOM_COUNTERS = {
    "reconnects": "Reconnects to the room since start",
    "sign_requests": "Sign server requests made since start",
    "stall_detections": "Connections declared dead after no frame for stall_timeout",
}


class SnapshotCollector(Collector):
    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Any]:
        snap = self._snapshot()
        rooms: dict[str, Any] = snap.get("rooms", {})

        events = CounterMetricFamily(
            "livetrigger_events", "Events decoded, by room and kind", labels=["room", "kind"]
        )
        connected = GaugeMetricFamily(
            "livetrigger_room_connected", "1 while connected to the room", labels=["room"]
        )
        counters = {
            name: CounterMetricFamily(f"livetrigger_{name}", text, labels=["room"])
            for name, text in _ROOM_COUNTERS.items()
        }
        for room, info in rooms.items():
            for kind, n in info.get("events", {}).items():
                events.add_metric([room, kind], n)
            connected.add_metric([room], 1.0 if info.get("state") == "connected" else 0.0)
            for name, family in counters.items():
                family.add_metric([room], info.get(name, 0))
        yield events
        yield connected
        yield from counters.values()

        fired = CounterMetricFamily("livetrigger_rule_fired", "Rule firings", labels=["rule"])
        for rule, n in snap.get("rules", {}).items():
            fired.add_metric([rule], n)
        yield fired

        actions = CounterMetricFamily(
            "livetrigger_actions", "Actions by target and result", labels=["target", "result"]
        )
        queued = GaugeMetricFamily(
            "livetrigger_actions_queued", "Actions waiting in a target's queue", labels=["target"]
        )
        for target, info in snap.get("actions", {}).items():
            for result in ("ok", "failed", "dropped"):
                actions.add_metric([target, result], info.get(result, 0))
            queued.add_metric([target], info.get("queued", 0))
        yield actions
        yield queued

        latency = snap.get("latency_ms")
        if latency and latency.get("buckets"):
            buckets = [(_le(le_ms), count) for le_ms, count in latency["buckets"]]
            if buckets[-1][0] != "+Inf":
                buckets.append(("+Inf", latency.get("count", 0)))
            yield HistogramMetricFamily(
                "livetrigger_action_latency_seconds",
                "Event received to action done",
                buckets=buckets,
                sum_value=latency.get("sum", 0.0) / 1000.0,
            )


def _le(le_ms: float | str) -> str:
    return "+Inf" if le_ms in ("+Inf", float("inf")) else repr(float(le_ms) / 1000.0)


def registry_for(snapshot: Callable[[], Snapshot]) -> CollectorRegistry:
    """A registry whose one collector reads ``snapshot()`` at each scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    return registry


class Metrics(Feature):
    """Serves /metrics on daemon.metrics.host:port while the daemon runs."""

    name: ClassVar[str] = "metrics"

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._server: Any = None

    async def start(self) -> None:
        """Listen (in prometheus_client's own thread)."""
        m = self.daemon.config.daemon.metrics
        registry = registry_for(self.daemon.control.snapshot)
        self._server, _thread = start_http_server(m.port, addr=m.host, registry=registry)
        log.info("metrics on http://%s:%d/metrics", m.host, m.port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()

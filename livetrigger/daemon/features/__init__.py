"""Features: what hears every event and state change besides the rules (features/base.py).

``FEATURES`` is the one place they are registered: a name, when a config wants it, and how
to build it (its module is imported only then: a daemon without a dashboard never loads the
web server, one without metrics never loads prometheus_client). The daemon builds the wanted
ones in this order and calls them in it; docs/extending.md says how to add one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from livetrigger.daemon.features.base import Feature

if TYPE_CHECKING:
    from livetrigger.daemon.controller import Daemon


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """A registered feature: ``wanted(daemon)`` says whether this daemon has it."""

    name: str
    wanted: Callable[[Daemon], bool]
    build: Callable[[Daemon], Feature]


def _state_directory(d: Daemon) -> Feature:
    from livetrigger.daemon.features.state_directory import StateDirectory  # noqa: PLC0415

    assert d.state is not None
    return StateDirectory(d, d.state)


def _homeassistant(d: Daemon) -> Feature:
    from livetrigger.daemon.features.homeassistant import HomeAssistant  # noqa: PLC0415

    return HomeAssistant(d)


def _dashboard(d: Daemon) -> Feature:
    from livetrigger.daemon.features.dashboard import Dashboard  # noqa: PLC0415

    return Dashboard(d)


def _event_stream(d: Daemon) -> Feature:
    from livetrigger.daemon.features.event_stream import EventStream  # noqa: PLC0415

    return EventStream(d)


def _metrics(d: Daemon) -> Feature:
    from livetrigger.daemon.features.metrics import Metrics  # noqa: PLC0415 - prometheus_client

    return Metrics(d)


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("state_directory", lambda d: d.state is not None, _state_directory),
    FeatureSpec(
        "homeassistant",
        lambda d: d.outputs.mqtt is not None and d.config.homeassistant.discovery,
        _homeassistant,
    ),
    FeatureSpec("dashboard", lambda d: d.config.web.enabled, _dashboard),
    FeatureSpec(
        "event_stream",
        lambda d: d.config.mqtt is not None and d.config.mqtt.event_stream.enabled,
        _event_stream,
    ),
    FeatureSpec("metrics", lambda d: d.config.daemon.metrics.enabled, _metrics),
)


def build_features(daemon: Daemon) -> list[Feature]:
    """The features this daemon's config wants, built in registry order."""
    return [spec.build(daemon) for spec in FEATURES if spec.wanted(daemon)]


__all__ = ["FEATURES", "Feature", "FeatureSpec", "build_features"]

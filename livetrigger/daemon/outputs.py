"""What carries out the rules' actions: each action kind's outlet (its sinks, opened by the
kind from the config: actions/outlet.py), their queues (the dispatcher) and the MQTT
connection the mqtt kind shares with Home Assistant and the event stream."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from livetrigger.actions import ActionRequest
from livetrigger.actions import registry as kinds
from livetrigger.actions.outlet import Outlet, OutletContext, QueuePolicy, Sink
from livetrigger.actions.sinks.mqtt import MqttClient
from livetrigger.daemon.dispatch import Dispatcher, Outcome

if TYPE_CHECKING:
    from livetrigger.config import Config

log = logging.getLogger(__name__)


class Outputs:
    """The outlets of every action kind and their dispatcher, rebuilt on reload."""

    def __init__(self, ctx: OutletContext) -> None:
        self.ctx = ctx
        self.mqtt: MqttClient | None = None
        self.outlets: dict[str, Outlet] = {}  # by kind name, in the registry's order
        self.dispatcher: Dispatcher | None = None

    async def start(
        self,
        config: Config,
        *,
        availability_topic: str | None,
        on_done: Callable[[ActionRequest, Outcome, float], None],
        wall_clock: Callable[[], float],
    ) -> None:
        """Connect to the broker, open each kind's outlet, start the queues, and queue first
        what a previous process accepted and did not deliver. ``wall_clock``: the one the
        queues watch for steps (ages are monotonic)."""
        if config.mqtt is not None:
            assert availability_topic is not None
            ha = config.homeassistant
            self.mqtt = MqttClient(
                config.mqtt,
                availability_topic=availability_topic,
                homeassistant_prefix=ha.prefix if ha.discovery else None,
            )
            await self.mqtt.start()
            if not await self.mqtt.wait_connected(3.0):
                log.warning(
                    "mqtt: broker %s:%d not reachable yet; messages wait in the queue",
                    config.mqtt.host,
                    config.mqtt.port,
                )
        self.ctx.mqtt = self.mqtt
        self.open_missing(config)
        self.dispatcher = Dispatcher(
            self._sinks(),
            policies=self._policies(config),
            on_done=on_done,
            journal=self.ctx.journal,
            max_age=config.daemon.outbox_max_age,
            wall_clock=wall_clock,
        )
        journal = self.ctx.journal
        if journal is not None:
            # what a previous process accepted and did not deliver goes first, in its order,
            # as old as its journal says
            for request in journal.recover():
                self.dispatcher.submit(request, age=journal.age(request))

    def open_missing(self, config: Config) -> None:
        """Open the outlet of each kind the config now has and none was open for (at start,
        and first on reload: pins a machine lacks refuse before anything has changed)."""
        for kind in kinds.KINDS:
            if kind.name not in self.outlets:
                outlet = kind.open(config, self.ctx)
                if outlet is not None:
                    self.outlets[kind.name] = outlet

    def _sinks(self) -> dict[str, Sink]:
        return {name: s for o in self.outlets.values() for name, s in o.sinks().items()}

    def _policies(self, config: Config) -> dict[str, QueuePolicy]:
        return {t: p for o in self.outlets.values() for t, p in o.policies(config).items()}

    def sink(self, name: str) -> Any:
        """The sink of that dispatcher name (``gpio``, ``http``, ...), if open."""
        return self._sinks().get(name)

    def submit(self, request: ActionRequest) -> None:
        """Queue one request for its target."""
        assert self.dispatcher is not None
        self.dispatcher.submit(request)

    def prepare(self, new: Config) -> None:
        """Reload's first step: every outlet that can still refuse does so now."""
        for outlet in self.outlets.values():
            outlet.prepare(new)

    def apply(self, new: Config) -> None:
        """Take a reloaded config's endpoints, queue policies and sinks."""
        for outlet in self.outlets.values():
            outlet.apply(new)
        assert self.dispatcher is not None
        self.dispatcher.set_sinks(self._sinks(), self._policies(new))
        self.dispatcher.set_max_age(new.daemon.outbox_max_age)

    def status(self) -> dict[str, Any]:
        """What each outlet shows in `status`, by kind name."""
        out = {}
        for name, outlet in self.outlets.items():
            shown = outlet.status()
            if shown is not None:
                out[name] = shown
        return out

    def safe(self) -> None:
        """Every output to its safe state at once, for good (the stop's first step)."""
        for outlet in self.outlets.values():
            outlet.safe()

    def mqtt_link(self) -> str:
        """The link to the broker: "connected", "disconnected" (paho reconnects) or "off"."""
        if self.mqtt is None:
            return "off"
        return "connected" if self.mqtt.connected.is_set() else "disconnected"

    async def aclose(self, drain_timeout: float) -> None:
        """Drain the queues (at most ``drain_timeout``), then close every outlet."""
        if self.dispatcher is not None:
            await self.dispatcher.aclose(drain_timeout)
        for outlet in self.outlets.values():
            await outlet.aclose()
        if self.mqtt is not None:
            await self.mqtt.aclose()

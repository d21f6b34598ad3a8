"""What carries out the rules' actions: the sinks of each action kind, their queues (the
dispatcher) and the MQTT connection they share with Home Assistant and the event stream."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from livetrigger.actions import ActionRequest
from livetrigger.daemon.dispatch import Dispatcher, Outcome, QueuePolicy, Sink
from livetrigger.sinks.chat import ChatSink
from livetrigger.sinks.http import WebhookSink
from livetrigger.sinks.log import LogSink
from livetrigger.sinks.mqtt import MqttClient, MqttSink

if TYPE_CHECKING:
    from livetrigger.config import Config
    from livetrigger.settings import GpioSettings
    from livetrigger.sinks.gpio import GpioSink
    from livetrigger.state.outbox import Outbox

log = logging.getLogger(__name__)


class Outputs:
    """The sinks and their dispatcher, built from a config and rebuilt on reload."""

    def __init__(
        self,
        *,
        journal: Outbox | None,
        pin_factory: Any,
        on_test_button: Callable[[str], None],
        on_pin_change: Callable[[str, float], None] | None,
        on_log_line: Callable[[ActionRequest, str], None] | None,
        send_chat: Callable[[str, str], Awaitable[None]],
    ) -> None:
        self.journal = journal
        self._pin_factory = pin_factory
        self._on_test_button = on_test_button
        self._on_pin_change = on_pin_change
        self._on_log_line = on_log_line
        self._send_chat = send_chat
        self.mqtt: MqttClient | None = None
        self.gpio: GpioSink | None = None
        self.webhooks: WebhookSink | None = None
        self.dispatcher: Dispatcher | None = None

    async def start(
        self,
        config: Config,
        *,
        availability_topic: str | None,
        on_done: Callable[[ActionRequest, Outcome, float], None],
        wall_clock: Callable[[], float],
    ) -> None:
        """Connect to the broker, open the pins and endpoints, start the queues.
        ``wall_clock``: the one the queues watch for steps (ages are monotonic)."""
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
        if config.gpio.outputs or config.gpio.inputs:
            self.gpio = self.open_gpio(config.gpio)
        if config.webhooks:
            self.webhooks = WebhookSink(config.webhooks, journal=self.journal)
        sinks, policies = self._sinks(config)
        self.dispatcher = Dispatcher(
            sinks,
            policies=policies,
            on_done=on_done,
            journal=self.journal,
            max_age=config.daemon.outbox_max_age,
            wall_clock=wall_clock,
        )
        if self.journal is not None:
            # what a previous process accepted and did not deliver goes first, in its order,
            # as old as its journal says
            for request in self.journal.recover():
                self.dispatcher.submit(request, age=self.journal.age(request))

    def open_gpio(self, settings: GpioSettings) -> GpioSink:
        """The pins (gpiozero and its drivers load only for a config that has pins)."""
        from livetrigger.sinks.gpio import GpioSink  # noqa: PLC0415

        return GpioSink(
            settings,
            pin_factory=self._pin_factory,
            on_test_button=self._on_test_button,
            on_change=self._on_pin_change,
        )

    def _sinks(self, c: Config) -> tuple[dict[str, Sink], dict[str, QueuePolicy]]:
        sinks: dict[str, Sink] = {
            "log": LogSink(echo=self._on_log_line),
            "chat": ChatSink(self._send_chat),
        }
        policies: dict[str, QueuePolicy] = {}
        if self.mqtt is not None and c.mqtt is not None:
            sinks["mqtt"] = MqttSink(self.mqtt)
            policies["mqtt"] = QueuePolicy(size=c.mqtt.queue_size, overflow=c.mqtt.overflow)
        if self.gpio is not None:
            sinks["gpio"] = self.gpio
            for o in c.gpio.outputs:
                policies[f"gpio:{o.name}"] = QueuePolicy(size=o.queue_size, overflow=o.overflow)
        if self.webhooks is not None:
            sinks["http"] = self.webhooks
            for w in c.webhooks:
                # retries live inside one request: give it room for all of them
                budget = (w.timeout + w.retry_initial * 2**w.retries) * (w.retries + 1)
                policies[f"http:{w.name}"] = QueuePolicy(
                    size=w.queue_size, overflow=w.overflow, timeout=budget
                )
        return sinks, policies

    def submit(self, request: ActionRequest) -> None:
        """Queue one request for its target."""
        assert self.dispatcher is not None
        self.dispatcher.submit(request)

    def reconfigure_pins(self, new: Config) -> None:
        """The pins first on reload: the one part that can still refuse (a pin this board
        does not have, or one another program holds), leaving the running set as it was."""
        if self.gpio is not None and self.gpio.settings != new.gpio:
            self.gpio.reconfigure(new.gpio)

    def apply(self, new: Config) -> None:
        """Take a reloaded config's endpoints, queue policies and sinks."""
        if self.webhooks is not None:
            self.webhooks.reconfigure(new.webhooks)
        elif new.webhooks:
            self.webhooks = WebhookSink(new.webhooks, journal=self.journal)
        assert self.dispatcher is not None
        sinks, policies = self._sinks(new)
        self.dispatcher.set_sinks(sinks, policies)
        self.dispatcher.set_max_age(new.daemon.outbox_max_age)

    def safe(self) -> None:
        """Every output off at once, for good (the stop's first step)."""
        if self.gpio is not None:
            self.gpio.shut_down()

    def mqtt_link(self) -> str:
        """The link to the broker: "connected", "disconnected" (paho reconnects) or "off"."""
        if self.mqtt is None:
            return "off"
        return "connected" if self.mqtt.connected.is_set() else "disconnected"

    async def aclose(self, drain_timeout: float) -> None:
        """Drain the queues (at most ``drain_timeout``), then close every sink."""
        if self.dispatcher is not None:
            await self.dispatcher.aclose(drain_timeout)
        if self.gpio is not None:
            await self.gpio.aclose()
        if self.mqtt is not None:
            await self.mqtt.aclose()
        if self.webhooks is not None:
            await self.webhooks.aclose()

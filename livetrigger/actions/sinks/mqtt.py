"""MQTT: one paho-mqtt 2.x client driven from asyncio, shared by the mqtt action sink, the
event stream and Home Assistant.

Why paho's own network thread (``loop_start``) rather than socket callbacks on our loop: paho
then owns reconnects, keepalive and its resend-on-reconnect session queue; every callback is
handed to the event loop with ``call_soon_threadsafe``, so nothing else in livetrigger sees a
thread.

Three kinds of publish, so that one can never crowd out another in paho's queue:

- **Triggers** (``publish_ordered``, the mqtt action sink: rule actions and Home Assistant's
  ``rule_fired``, each from its own dispatch queue) leave in submission order. paho's
  order breaks across a reconnect: it calls ``on_connect`` *before* it resends what was in
  flight when the link died, and a publish made in that gap (the event loop hears "connected"
  and sends the next trigger) goes out ahead of the resends. So livetrigger hands paho at most
  ``max_inflight`` triggers that are not yet acknowledged (PUBACK/PUBCOMP), and after any
  drop none at all until paho's resends are acknowledged. With ``max_inflight: 1`` (default)
  nothing can overtake: the next trigger is only published once the one before was acked.
  Triggers wait in the dispatcher's bounded queue meanwhile, never in paho's.
- **State** (``publish_state``: Home Assistant discovery and states, retained) is latest-value
  per topic: a new value replaces one not yet sent, at most one per topic is handed to paho at
  a time, and what is pending goes out when the broker is connected.
- **Best effort** (``publish``: event stream, Home Assistant events) goes out
  while connected and is dropped (counted) while the broker is away or when
  ``BEST_EFFORT_IN_FLIGHT`` of them are unacknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import sys
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from livetrigger.actions import ActionRequest, MqttPublish
from livetrigger.errors import ConfigError, SinkError
from livetrigger.settings import MqttSettings
from livetrigger.system.tls import describe_tls_failure
from livetrigger.text.networds import describe_network_error
from livetrigger.text.topics import (
    command_filters,
    command_topic,
    published_filters,
    published_topic,
    topic_problem,
)

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
Payload = bytes | str

BEST_EFFORT_IN_FLIGHT = 1000  # QoS>0 best-effort messages paho may hold unacknowledged
MAX_TRIGGERS_IN_FLIGHT = 100
_HANDED = (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN)


class MqttClient:
    """An asyncio-friendly MQTT connection with availability (``<base>/status``) and LWT.

    No publish method blocks. ``subscribe`` handlers run on the event loop and are
    re-subscribed on every reconnect; ``on_connect`` callbacks too run on every (re)connect.
    """

    def __init__(
        self,
        settings: MqttSettings,
        *,
        availability_topic: str | None = None,
        homeassistant_prefix: str | None = None,
    ) -> None:
        self.settings = settings
        self.availability_topic = availability_topic or f"{settings.base_topic}/status"
        # where daemons on this base topic publish (and, with discovery on, Home Assistant's
        # prefix): no rule's trigger goes there, whatever a viewer typed into its topic
        self._published = (
            *published_filters(settings.base_topic, homeassistant_prefix),
            (self.availability_topic, "this daemon's availability"),
        )
        self.connected = asyncio.Event()
        self.window = max(1, min(MAX_TRIGGERS_IN_FLIGHT, settings.max_inflight))
        self.published = 0  # handed to paho (every kind)
        self.dropped = 0  # refused before paho, or best effort while the broker was away
        self.rejected = 0  # the broker answered with a failure reason code (MQTT 5)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subs: dict[str, list[Handler]] = {}
        self._live_only: set[str] = set()  # filters whose retained messages are refused
        self.retained_refused = 0
        self._connect_callbacks: list[Callable[[], None]] = []
        self._client: paho.Client | None = None
        self._closing = False
        # bumped on paho's thread at every drop and every connect (before paho resends); a
        # trigger handed over in an older generation may be resent after newer publishes
        self._generation = 0
        self._triggers: dict[int, int] = {}  # mid -> generation it was handed over in
        self._trigger_change = asyncio.Event()
        self._state_pending: dict[str, Payload] = {}
        self._state_in_flight: dict[int, str] = {}  # mid -> topic
        self._best_effort: set[int] = set()
        self._failure: str | None = None  # the last connect failure's cause, logged once

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        s = self.settings
        client_id = s.client_id or f"livetrigger-{socket.gethostname()}"
        protocol = paho.MQTTv5 if s.protocol == "5" else paho.MQTTv311
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
        client.will_set(self.availability_topic, "offline", qos=1, retain=True)
        if s.username:
            client.username_pw_set(s.username, s.password)
        if s.tls is not None:
            try:
                client.tls_set(
                    ca_certs=s.tls.ca_file,
                    certfile=s.tls.cert_file,
                    keyfile=s.tls.key_file,
                    cert_reqs=ssl.CERT_NONE if s.tls.insecure else ssl.CERT_REQUIRED,
                )
            except (OSError, ValueError) as exc:  # changed since the config was checked
                raise ConfigError(f"mqtt.tls: {exc}; run `livetrigger check`") from None
            client.tls_insecure_set(s.tls.insecure)
        client.reconnect_delay_set(
            min_delay=max(1, int(s.reconnect_min)), max_delay=max(1, int(s.reconnect_max))
        )
        # no cap in paho: what it holds is bounded here (window + state topics + best effort),
        # so paho can never answer "queue full" to a trigger
        client.max_queued_messages_set(0)
        client.on_connect = self._paho_connect
        client.on_connect_fail = self._paho_connect_fail
        client.on_disconnect = self._paho_disconnect
        client.on_message = self._paho_message
        client.on_publish = self._paho_publish
        self._client = client
        client.connect_async(s.host, s.port, keepalive=max(5, int(s.keepalive)))
        client.loop_start()
        log.info("mqtt: connecting to %s:%d", s.host, s.port)

    async def wait_connected(self, timeout: float) -> bool:
        try:
            async with asyncio.timeout(timeout):
                await self.connected.wait()
        except TimeoutError:
            return False
        return True

    async def aclose(self, timeout: float = 2.0) -> None:
        """Wait (up to ``timeout``) for triggers in flight to be acknowledged, publish
        "offline" (when connected), disconnect and stop paho's thread."""
        client = self._client
        if client is None:
            return
        self._closing = True
        if self.connected.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    while self._triggers and self.connected.is_set():
                        self._trigger_change.clear()
                        await self._trigger_change.wait()
        if self._triggers:
            log.warning("mqtt: %d trigger(s) not acknowledged at shutdown", len(self._triggers))
        if self.connected.is_set():
            info = client.publish(self.availability_topic, "offline", qos=1, retain=True)
            await asyncio.to_thread(_wait_published, info, timeout)
        client.disconnect()
        await asyncio.to_thread(client.loop_stop)
        self._client = None
        self.connected.clear()

    # -- triggers: in order -----------------------------------------------------------------

    def triggers_in_flight(self) -> int:
        return len(self._triggers)

    def may_publish_ordered(self) -> bool:
        """True when the next trigger can be handed to paho without any chance of overtaking
        one handed over before."""
        if not self.connected.is_set() or self._client is None:
            return False
        if not self._triggers:
            return True
        if len(self._triggers) >= self.window:
            return False
        # after a drop paho resends what it holds only after on_connect: wait for those acks
        return all(gen == self._generation for gen in self._triggers.values())

    async def ordered_ready(self) -> None:
        while True:
            self._trigger_change.clear()
            if self.may_publish_ordered():
                return
            if not self.connected.is_set():
                await self.connected.wait()
            else:
                await self._trigger_change.wait()

    def publish_ordered(
        self, topic: str, payload: Payload, qos: int, retain: bool, *, ours: bool = False
    ) -> None:
        """Hand one trigger to paho (call after ``ordered_ready``); SinkError when refused.
        ``ours``: the daemon's own trigger (Home Assistant's ``rule_fired``), which goes to
        a topic it publishes to; a rule action's never does."""
        client = self._client
        if client is None:
            raise SinkError("mqtt client is closed")
        problem = topic_problem(topic) or self._command_problem(topic)
        if problem is None and not ours:
            problem = published_topic(topic, self._published)
        if problem:
            self.dropped += 1
            raise SinkError(f"topic {topic[:200]!r} refused before sending: {problem}")
        generation = self._generation  # read before publishing: a later drop is caught
        try:
            info = client.publish(topic, payload, qos=qos, retain=retain)
        except ValueError as exc:  # paho's own topic/payload checks
            self.dropped += 1
            raise SinkError(f"publish to {topic[:200]!r} refused: {exc}") from None
        if qos > 0 and info.rc in _HANDED:
            self._triggers[info.mid] = generation
            self.published += 1
            return
        if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
            self.published += 1
            return
        self.dropped += 1
        raise SinkError(f"publish to {topic[:200]!r} refused: {paho.error_string(info.rc)}")

    def _command_problem(self, topic: str) -> str | None:
        """A trigger never goes to a topic livetrigger takes commands from: its own
        subscriptions and the command topics of every daemon on this base topic."""
        hit = command_topic(topic, [*command_filters(self.settings.base_topic), *self._subs])
        return None if hit is None else f"livetrigger takes commands from it ({hit})"

    # -- state: latest value per topic ------------------------------------------------------

    def publish_state(self, topic: str, payload: Payload) -> bool:
        """Retained latest-value publish (QoS 1): replaces a value for ``topic`` not sent yet;
        goes out when connected. False when the topic is refused."""
        problem = topic_problem(topic)
        if problem:
            self.dropped += 1
            log.warning("mqtt: not publishing to %r: %s", topic[:200], problem)
            return False
        self._state_pending[topic] = payload
        self._flush_states()
        return True

    def states_pending(self) -> int:
        return len(self._state_pending) + len(self._state_in_flight)

    def _flush_states(self) -> None:
        client = self._client
        if client is None or not self.connected.is_set():
            return
        busy = set(self._state_in_flight.values())
        for topic in [t for t in self._state_pending if t not in busy]:
            payload = self._state_pending.pop(topic)
            try:
                info = client.publish(topic, payload, qos=1, retain=True)
            except ValueError as exc:
                self.dropped += 1
                log.warning("mqtt: not publishing to %r: %s", topic[:200], exc)
                continue
            if info.rc in _HANDED:
                self._state_in_flight[info.mid] = topic
                self.published += 1
            else:
                self.dropped += 1

    # -- best effort ------------------------------------------------------------------------

    def publish(self, topic: str, payload: Payload, qos: int = 0, retain: bool = False) -> bool:
        """Hand a message to paho while connected; False (counted) when it was dropped: bad
        topic, broker away, or too many best-effort messages unacknowledged."""
        client = self._client
        if client is None or not self.connected.is_set():
            self.dropped += 1
            return False
        problem = topic_problem(topic)
        if problem:
            self.dropped += 1
            log.warning("mqtt: not publishing to %r: %s", topic[:200], problem)
            return False
        if qos > 0 and len(self._best_effort) >= BEST_EFFORT_IN_FLIGHT:
            self.dropped += 1
            return False
        try:
            info = client.publish(topic, payload, qos=qos, retain=retain)
        except ValueError as exc:  # paho's own topic/payload checks
            self.dropped += 1
            log.warning("mqtt: not publishing to %r: %s", topic[:200], exc)
            return False
        if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS or (qos > 0 and info.rc in _HANDED):
            if qos > 0:
                self._best_effort.add(info.mid)
            self.published += 1
            return True
        self.dropped += 1
        return False

    # -- subscriptions ----------------------------------------------------------------------

    def subscribe(self, topic_filter: str, handler: Handler, *, live_only: bool = False) -> None:
        """``live_only``: a retained message on this filter (a command someone left on the
        broker, replayed at every subscribe) never reaches the handler; it is logged,
        counted and cleared (an empty retained message in its place)."""
        if live_only:
            self._live_only.add(topic_filter)
        first = topic_filter not in self._subs
        self._subs.setdefault(topic_filter, []).append(handler)
        if first and self._client is not None and self.connected.is_set():
            self._client.subscribe(topic_filter, qos=1)

    def on_connect(self, callback: Callable[[], None]) -> None:
        self._connect_callbacks.append(callback)
        if self.connected.is_set():
            callback()

    # -- paho callbacks (paho's thread) ------------------------------------------------------

    def _paho_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("mqtt: broker refused the connection: %s", reason)
            return
        self._failure = None
        client.publish(self.availability_topic, "online", qos=1, retain=True)
        for topic_filter in self._subs:
            client.subscribe(topic_filter, qos=1)
        # a trigger handed over while the link was down is resent after this callback
        self._generation += 1
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._connected)

    def _paho_connect_fail(self, client: paho.Client, userdata: Any) -> None:
        """paho's thread, inside its ``except OSError`` around a (re)connect: paho itself only
        logs at debug level, so a failure would be silent, or one "reconnecting" for a name
        that does not resolve, a refused connection, a timeout and a TLS failure alike. Each
        new cause is a warning that says which."""
        exc = sys.exc_info()[1]
        if exc is None:
            return
        s = self.settings
        tls = describe_tls_failure(exc, s.host, s.port) if s.tls is not None else None
        if tls is not None:
            cause = f"TLS connection to {s.host}:{s.port} failed: {tls}"
        else:
            words = describe_network_error(exc, connecting=True)
            cause = f"cannot connect to {s.host}:{s.port}: {words}"
        if cause != self._failure:
            log.warning("mqtt: %s", cause)
        self._failure = cause

    @property
    def failure(self) -> str | None:
        """Why the last connect failed, until one succeeds (for status pages)."""
        return self._failure

    def _connected(self) -> None:
        log.info("mqtt: connected to %s:%d", self.settings.host, self.settings.port)
        self.connected.set()
        self._trigger_change.set()
        self._flush_states()
        for callback in list(self._connect_callbacks):
            try:
                callback()
            except Exception:
                log.exception("mqtt: on_connect callback failed")

    def _paho_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        self._generation += 1  # only paho's thread writes it, before it can reconnect
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._disconnected, str(reason))

    def _disconnected(self, reason: str) -> None:
        if self.connected.is_set() and not self._closing:
            log.warning("mqtt: connection lost (%s); reconnecting", reason)
        self.connected.clear()
        self._trigger_change.set()

    def _paho_publish(
        self, client: paho.Client, userdata: Any, mid: int, reason: ReasonCode, props: Any
    ) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._acked, mid, reason)

    def _acked(self, mid: int, reason: ReasonCode) -> None:
        if reason.is_failure:
            self.rejected += 1
            log.warning("mqtt: the broker did not accept message %d: %s", mid, reason)
        if self._triggers.pop(mid, None) is not None:
            self._trigger_change.set()
        elif (topic := self._state_in_flight.pop(mid, None)) is not None:
            if topic in self._state_pending:
                self._flush_states()
        else:
            self._best_effort.discard(mid)

    def _paho_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(
                self._deliver, msg.topic, bytes(msg.payload), bool(msg.retain)
            )

    def _deliver(self, topic: str, payload: bytes, retained: bool = False) -> None:
        for topic_filter, handlers in self._subs.items():
            if paho.topic_matches_sub(topic_filter, topic):
                if retained and topic_filter in self._live_only:
                    self._refuse_retained(topic, payload)
                    continue
                for handler in handlers:
                    try:
                        handler(topic, payload)
                    except Exception:
                        log.exception("mqtt: handler for %s failed", topic_filter)

    def _refuse_retained(self, topic: str, payload: bytes) -> None:
        if not payload:
            return  # the empty message that clears one: nothing to do
        self.retained_refused += 1
        log.warning(
            "mqtt: retained message on %s ignored (a command must be sent live, not "
            "retained) and cleared from the broker",
            topic[:200],
        )
        self.publish(topic, b"", qos=1, retain=True)


def _wait_published(info: paho.MQTTMessageInfo, timeout: float) -> None:
    with contextlib.suppress(RuntimeError, ValueError):
        info.wait_for_publish(timeout)


class MqttSink:
    """The ``mqtt`` action target. ``ready`` waits (outside the dispatcher's per-request
    timeout) for the broker and for the trigger before to be acknowledged; ``handle`` then
    hands the message to paho at once."""

    def __init__(self, client: MqttClient) -> None:
        self.client = client

    async def ready(self) -> None:
        await self.client.ordered_ready()

    async def handle(self, request: ActionRequest) -> None:
        if not isinstance(request, MqttPublish):
            raise SinkError(f"mqtt sink cannot carry out {type(request).__name__}")
        # a lane of its own is the daemon's (rule_fired): rule actions have none
        self.client.publish_ordered(
            request.topic, request.payload, request.qos, request.retain, ours=bool(request.lane)
        )

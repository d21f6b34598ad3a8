"""MQTT: one paho-mqtt 2.x client driven from asyncio, shared by the mqtt action sink, the
event stream and Home Assistant.

Why paho's own network thread (``loop_start``) rather than socket callbacks on our loop: paho
then owns reconnects, keepalive and its resend-on-reconnect session queue, which is exactly the
behaviour the no-lost-trigger guarantee rests on; every callback is handed to the event loop
with ``call_soon_threadsafe``, so nothing else in livetrigger sees a thread.

No lost triggers: the mqtt action sink waits for a connection before handing a request to paho
(the dispatcher's bounded queue holds requests meanwhile, in order). A QoS 1/2 message paho
accepted just before the broker vanished stays in paho's session queue and is resent after
reconnecting: paho reports it as "not connected" but it is queued, not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from livetrigger.actions import ActionRequest, MqttPublish
from livetrigger.errors import SinkError
from livetrigger.settings import MqttSettings
from livetrigger.topics import topic_problem

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]


class MqttClient:
    """An asyncio-friendly MQTT connection with availability (``<base>/status``) and LWT.

    ``publish`` never blocks. ``subscribe`` handlers run on the event loop and are
    re-subscribed on every reconnect; ``on_connect`` callbacks too run on every (re)connect.
    """

    def __init__(self, settings: MqttSettings, *, availability_topic: str | None = None) -> None:
        self.settings = settings
        self.availability_topic = availability_topic or f"{settings.base_topic}/status"
        self.connected = asyncio.Event()
        self.published = 0
        self.dropped = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subs: dict[str, list[Handler]] = {}
        self._connect_callbacks: list[Callable[[], None]] = []
        self._client: paho.Client | None = None
        self._closing = False

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
            client.tls_set(
                ca_certs=s.tls.ca_file,
                certfile=s.tls.cert_file,
                keyfile=s.tls.key_file,
                cert_reqs=ssl.CERT_NONE if s.tls.insecure else ssl.CERT_REQUIRED,
            )
            client.tls_insecure_set(s.tls.insecure)
        client.reconnect_delay_set(
            min_delay=max(1, int(s.reconnect_min)), max_delay=max(1, int(s.reconnect_max))
        )
        client.max_queued_messages_set(s.queue_size)
        client.max_inflight_messages_set(100)
        client.on_connect = self._paho_connect
        client.on_disconnect = self._paho_disconnect
        client.on_message = self._paho_message
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
        """Publish "offline" (when connected), disconnect and stop paho's thread."""
        client = self._client
        if client is None:
            return
        self._closing = True
        if self.connected.is_set():
            info = client.publish(self.availability_topic, "offline", qos=1, retain=True)
            await asyncio.to_thread(_wait_published, info, timeout)
        client.disconnect()
        await asyncio.to_thread(client.loop_stop)
        self._client = None
        self.connected.clear()

    # -- use --------------------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> bool:
        """Hand a message to paho; False when it was refused (bad topic, queue full)."""
        client = self._client
        if client is None:
            self.dropped += 1
            return False
        problem = topic_problem(topic)
        if problem:
            self.dropped += 1
            log.warning("mqtt: not publishing to %r: %s", topic[:200], problem)
            return False
        try:
            info = client.publish(topic, payload, qos=qos, retain=retain)
        except ValueError as exc:  # paho's own topic/payload checks
            self.dropped += 1
            log.warning("mqtt: not publishing to %r: %s", topic[:200], exc)
            return False
        if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS or (
            info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN and qos > 0
        ):
            self.published += 1
            return True
        self.dropped += 1
        log.warning("mqtt: publish to %s refused: %s", topic, paho.error_string(info.rc))
        return False

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
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
        client.publish(self.availability_topic, "online", qos=1, retain=True)
        for topic_filter in self._subs:
            client.subscribe(topic_filter, qos=1)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._connected)

    def _connected(self) -> None:
        log.info("mqtt: connected to %s:%d", self.settings.host, self.settings.port)
        self.connected.set()
        for callback in list(self._connect_callbacks):
            try:
                callback()
            except Exception:
                log.exception("mqtt: on_connect callback failed")

    def _paho_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._disconnected, str(reason))

    def _disconnected(self, reason: str) -> None:
        if self.connected.is_set() and not self._closing:
            log.warning("mqtt: connection lost (%s); reconnecting", reason)
        self.connected.clear()

    def _paho_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._deliver, msg.topic, bytes(msg.payload))

    def _deliver(self, topic: str, payload: bytes) -> None:
        for topic_filter, handlers in self._subs.items():
            if paho.topic_matches_sub(topic_filter, topic):
                for handler in handlers:
                    try:
                        handler(topic, payload)
                    except Exception:
                        log.exception("mqtt: handler for %s failed", topic_filter)


def _wait_published(info: paho.MQTTMessageInfo, timeout: float) -> None:
    with contextlib.suppress(RuntimeError, ValueError):
        info.wait_for_publish(timeout)


class MqttSink:
    """The ``mqtt`` action target: waits for the broker, then hands the message to paho."""

    def __init__(self, client: MqttClient) -> None:
        self.client = client

    async def ready(self) -> None:
        await self.client.connected.wait()

    async def handle(self, request: ActionRequest) -> None:
        if not isinstance(request, MqttPublish):
            raise SinkError(f"mqtt sink cannot carry out {type(request).__name__}")
        if not self.client.publish(request.topic, request.payload, request.qos, request.retain):
            raise SinkError(f"publish to {request.topic[:200]!r} refused")

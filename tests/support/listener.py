"""A plain paho subscriber on its own thread: what the tests observe the broker with."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    at: float  # time.time() when received
    dup: bool = False  # the broker's resend (MQTT DUP flag), e.g. after its own restart


class Listener:
    def __init__(self, port: int, topic: str = "#", *, persistent: bool = False) -> None:
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self._ready = threading.Event()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"listener-{id(self)}",
            clean_session=not persistent,
        )
        self.client.reconnect_delay_set(1, 1)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self._ready.wait(30), "listener did not subscribe"

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(
                Received(msg.topic, bytes(msg.payload), msg.retain, time.time(), bool(msg.dup))
            )
            self._cond.notify_all()

    def wait_for(self, n: int, timeout: float = 30.0, topic: str | None = None) -> list[Received]:
        """Wait for ``n`` messages (on ``topic``, or any); all of them so far. Raises on the
        timeout, naming what did arrive: callers use it as a barrier."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [m for m in self.messages if topic is None or m.topic == topic]
                if len(got) >= n:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out after {timeout:g}s waiting for {n} message(s)"
                        f"{f' on {topic}' if topic else ''}; got {len(got)}: "
                        f"{[(m.topic, m.payload[:60]) for m in got][-10:]}"
                    )
                self._cond.wait(left)

    def wait_until(
        self, done: Callable[[list[Received]], bool], timeout: float = 30.0
    ) -> list[Received]:
        """Wait until ``done(messages)``; what arrived by then. Raises on the timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not done(self.messages):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out after {timeout:g}s; {len(self.messages)} message(s) came"
                    )
                self._cond.wait(left)
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

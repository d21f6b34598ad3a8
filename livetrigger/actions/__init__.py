"""What the rules engine asks for: plain values, already rendered, that sinks carry out.

The engine (pure) returns a list of these; the dispatcher routes each to the queue of its
``target`` (one bounded queue and worker per target, so a slow webhook never delays a lamp).
Nothing here does I/O. ``event`` is kept for latency accounting (``event.received_at``) and
for sinks that want context; ``rule_id`` names the rule in logs, counters and MQTT.

Each kind of action lives in a module of its own (``mqtt``, ``gpio``, ``webhook``, ``log``,
``chat``): its request, its config entry, how it compiles, its describe line, its journal
form. ``kind.py`` is the seam they implement; ``registry.py`` lists them.
"""

from __future__ import annotations

from livetrigger.actions.chat import ChatSend
from livetrigger.actions.gpio import GpioCommand, GpioVerb
from livetrigger.actions.kind import ActionRequest
from livetrigger.actions.log import LogMessage
from livetrigger.actions.mqtt import MqttPublish
from livetrigger.actions.webhook import HttpCall

__all__ = [
    "ActionRequest",
    "ChatSend",
    "GpioCommand",
    "GpioVerb",
    "HttpCall",
    "LogMessage",
    "MqttPublish",
]

"""What the rules engine asks for: plain values, already rendered, that sinks carry out.

The engine (pure) returns a list of these; the dispatcher routes each to the queue of its
``target`` (one bounded queue and worker per target, so a slow webhook never delays a lamp).
Nothing here does I/O. ``event`` is kept for latency accounting (``event.received_at``) and
for sinks that want context; ``rule_id`` names the rule in logs, counters and MQTT.

The classes are declared in livetrigger/actions_spec.py (read that for their fields) and
written out ahead of time into livetrigger/_actions_generated.py by scripts/gen-dataclasses,
so that importing them runs no ``@dataclass``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livetrigger.actions_spec import (
        ActionRequest,
        ChatSend,
        GpioCommand,
        GpioVerb,
        HttpCall,
        LogMessage,
        MqttPublish,
    )
else:
    from livetrigger._actions_generated import (
        ActionRequest,
        ChatSend,
        GpioCommand,
        GpioVerb,
        HttpCall,
        LogMessage,
        MqttPublish,
    )

__all__ = [
    "ActionRequest",
    "ChatSend",
    "GpioCommand",
    "GpioVerb",
    "HttpCall",
    "LogMessage",
    "MqttPublish",
]

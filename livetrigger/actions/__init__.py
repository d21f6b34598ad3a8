"""What the rules engine asks for: plain values, already rendered, that sinks carry out.

The engine (pure) returns a list of these; the dispatcher routes each to the queue of its
``target`` (one bounded queue and worker per target, so a slow webhook never delays a lamp).
Nothing here does I/O. ``event`` is kept for latency accounting (``event.received_at``) and
for sinks that want context; ``rule_id`` names the rule in logs, counters and MQTT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from livetrigger.events import Event

GpioVerb = Literal["on", "off", "toggle", "pulse", "blink", "pwm", "fade", "beep", "tone"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionRequest:
    rule_id: str
    room: str = ""  # RoomSettings.name of the room the event came from
    event: Event | None = None

    @property
    def target(self) -> str:
        """The dispatch queue this request goes to, e.g. ``gpio:lamp``."""
        raise TypeError(f"{type(self).__name__} is abstract: use a concrete request")


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttPublish(ActionRequest):
    """A trigger publish. ``lane`` names a queue of its own beside the rules' ``mqtt``
    (Home Assistant's ``rule_fired`` goes to ``mqtt:rule_fired``), so one kind of trigger
    never fills the other's queue; both keep their order and share the connection."""

    topic: str
    payload: bytes
    qos: Literal[0, 1, 2] = 1
    retain: bool = False
    lane: str = ""

    @property
    def target(self) -> str:
        return f"mqtt:{self.lane}" if self.lane else "mqtt"


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioCommand(ActionRequest):
    """One command for one named output. Times are seconds.

    ``pulse``: on for ``duration``; ``blink``: ``on_time``/``off_time`` × ``count`` (None:
    until the next command); ``pwm``: brightness ``value`` 0..1; ``fade``: to ``value`` over
    ``duration``; ``beep``: a buzzer pattern like blink; ``tone``: ``frequency`` Hz for
    ``duration``. ``overlap`` overrides the output's policy for this command.
    """

    output: str
    verb: GpioVerb
    duration: float | None = None
    on_time: float = 0.5
    off_time: float = 0.5
    count: int | None = None
    value: float = 1.0
    frequency: float | None = None
    overlap: Literal["restart", "extend", "ignore"] | None = None

    @property
    def target(self) -> str:
        return f"gpio:{self.output}"


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpCall(ActionRequest):
    """A webhook call to a named endpoint (``WebhookSettings``); ``path`` is appended to its
    URL, ``body`` is the exact bytes sent (JSON payloads are rendered to valid JSON first)."""

    endpoint: str
    method: str | None = None  # None: the endpoint's method
    path: str = ""
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_type: str = "application/json"

    @property
    def target(self) -> str:
        return f"http:{self.endpoint}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatSend(ActionRequest):
    """Send a chat message to the room (needs a session id; rate-limited per room)."""

    text: str

    @property
    def target(self) -> str:
        return f"chat:{self.room}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LogMessage(ActionRequest):
    """Write a line to the log: the dry-run sink of ``simulate`` and ``replay``."""

    message: str
    level: Literal["debug", "info", "warning", "error"] = "info"

    @property
    def target(self) -> str:
        return "log"

"""The running side of an action kind: its sinks while the daemon runs (``Outlet``), opened
by the kind from the config with what the daemon shares (``OutletContext``).

A kind's ``open(config, ctx)`` returns its outlet, or None when the config has nothing of the
kind (no pins, no endpoints). The daemon (``daemon/outputs.py``) registers each outlet's sinks
with the dispatcher under their names (a request's ``target`` is ``name`` or ``name:queue``)
and its queue policies; on reload it asks each outlet to ``prepare`` (which may refuse, with
nothing changed) and then to ``apply``; at the stop it makes every outlet ``safe`` first,
then closes it once the queues have drained.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from livetrigger.actions.kind import ActionRequest

# Set by the dispatcher around each ``Sink.handle``: a sink whose request goes on after its
# effect (a device alert held for its ``duration``) calls ``delivered()`` when the effect
# happened, so the action's latency is counted to the packet, not to the end of the hold.
_DELIVERED: ContextVar[Callable[[], None] | None] = ContextVar("delivered", default=None)


@contextlib.contextmanager
def delivering(mark: Callable[[], None]) -> Iterator[None]:
    """For the dispatcher: ``mark`` is called when the sink calls ``delivered()`` inside."""
    token = _DELIVERED.set(mark)
    try:
        yield
    finally:
        _DELIVERED.reset(token)


def delivered() -> None:
    """Say that the request being handled has had its effect (the packet left)."""
    mark = _DELIVERED.get()
    if mark is not None:
        mark()


class Sink(Protocol):
    """Carries out the requests of one dispatcher name (``gpio``, ``http``, ...)."""

    async def handle(self, request: ActionRequest) -> None:
        """Carry out one request; raise SinkError when it failed."""
        ...


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    """One target's queue: its bound, what overflows, how long a request may take."""

    size: int = 1000
    overflow: Literal["drop_oldest", "drop_new"] = "drop_oldest"
    timeout: float | None = None  # None: the dispatcher's default


class Journal(Protocol):
    """Where queued requests are kept until they leave their queue (state/outbox.py)."""

    def accept(self, request: ActionRequest) -> None:
        """A request was queued."""
        ...

    def done(self, request: ActionRequest) -> None:
        """A request left its queue (delivered, failed or dropped)."""
        ...


@dataclass(slots=True)
class OutletContext:
    """What the daemon shares with the outlets it opens."""

    mqtt: Any = None  # the MQTT connection (actions/sinks/mqtt.py's MqttClient), if any
    journal: Any = None  # the outbox (a Journal that outlives the process), if any
    pin_factory: Any = None  # gpiozero's, for tests and embedders; None: the board's
    on_test_button: Callable[[str], object] = lambda rule: None  # the daemon logs what it did
    on_pin_change: Callable[[str, float], None] | None = None
    on_log_line: Callable[[ActionRequest, str], None] | None = None
    send_chat: Callable[[str, str], Awaitable[None]] | None = None


class Outlet(Protocol):
    """A kind's sinks while the daemon runs, and how they follow reloads and the stop."""

    def sinks(self) -> Mapping[str, Sink]:
        """The sinks by dispatcher name."""
        ...

    def policies(self, config: Any) -> dict[str, QueuePolicy]:
        """The queue policy of each target this config has, by target."""
        ...

    def prepare(self, config: Any) -> None:
        """First step of a reload: raise ConfigError (nothing changed) if it cannot apply."""
        ...

    def apply(self, config: Any) -> None:
        """Take a reloaded config (after every outlet prepared)."""
        ...

    def status(self) -> dict[str, Any] | None:
        """What `status` shows of it under the kind's name, or None."""
        ...

    def safe(self) -> None:
        """Every output to its safe state at once, for good (the stop's first step)."""
        ...

    async def aclose(self) -> None:
        """Release it after the queues drained."""
        ...


class SimpleOutlet:
    """An outlet of one sink with no settings of its own (log, chat), or a base to extend."""

    def __init__(self, name: str, sink: Sink) -> None:
        self.name = name
        self.sink = sink

    def sinks(self) -> Mapping[str, Sink]:
        """The one sink under the kind's dispatcher name."""
        return {self.name: self.sink}

    def policies(self, config: Any) -> dict[str, QueuePolicy]:
        """None of its own: the dispatcher's default queue."""
        return {}

    def prepare(self, config: Any) -> None:
        """Nothing can refuse."""
        return

    def apply(self, config: Any) -> None:
        """Nothing to take."""
        return

    def status(self) -> dict[str, Any] | None:
        """Nothing to show."""
        return None

    def safe(self) -> None:
        """Nothing to turn off."""
        return

    async def aclose(self) -> None:
        """Nothing to release."""
        return

"""The seam of one kind of action (``do: - mqtt: ...``): what a kind's module provides, and
what the rule compiler hands it.

A kind owns its config entry, how that entry compiles into a builder of requests, how a
request reads in one line, and, when its requests outlive a restart, their journal form.
``actions/registry.py`` lists the kinds; the config file's ``do:`` entry, ``check``'s messages,
the rule compiler, ``describe`` and the outbox all read that list. Nothing here imports the
rules or config packages: a kind sees templates and problems through ``CompileContext``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from livetrigger.devices.base import Name
from livetrigger.events import Event

if TYPE_CHECKING:
    from livetrigger.actions.outlet import Outlet, OutletContext

# what templates render with: the event's fields, rule, room, args, counters, now, base, ...
Context = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionRequest:
    """What a firing asks a sink to do: plain values, already rendered (``actions/__init__``)."""

    rule_id: str
    room: str = ""  # RoomSettings.name of the room the event came from
    event: Event | None = None

    @property
    def target(self) -> str:
        """The dispatch queue this request goes to, e.g. ``gpio:lamp``."""
        raise TypeError(f"{type(self).__name__} is abstract: use a concrete request")


Builder = Callable[[Context, str, str, Event], ActionRequest]  # (ctx, rule id, room, event)


class RenderError(ValueError):
    """A template rendered to something the action cannot use (a wildcard topic, ...)."""


@dataclass(frozen=True, slots=True)
class Targets:
    """What actions may refer to: configured outputs, endpoints, whether MQTT is on and
    whether chat can be sent."""

    gpio_outputs: frozenset[str] = frozenset()
    webhooks: frozenset[str] = frozenset()
    mqtt: bool = False
    base_topic: str = "livetrigger"
    command_filters: tuple[str, ...] = ()  # topics livetrigger takes commands from
    published: tuple[tuple[str, str], ...] = ()  # topics it publishes to, and what each holds
    # each endpoint's URL path (no host, userinfo or query: `check` prints it)
    webhook_paths: Mapping[str, str] = field(default_factory=dict)
    # each device of `devices:` by name, and its kind (`sacn`, `osc`, ...)
    devices: Mapping[str, str] = field(default_factory=dict)
    # the config file's directory: a file an action names (a sound) is found from there
    base_dir: Path | None = None
    # what the config must add before a chat message can be sent ("" when it can be)
    chat_missing: str = ""


@dataclass(frozen=True, slots=True)
class DeviceNames:
    """The names an action needs its device to have (a WLED effect, an OBS scene), which the
    start-up probe checks; ``path`` is the action's key path, ``where`` its file:line."""

    device: str
    names: tuple[Name, ...]
    path: tuple[str | int, ...] = ()
    where: str = ""


@dataclass(frozen=True, slots=True)
class CompiledAction:
    """One entry of a rule's ``do``, checked and ready to build a request per firing."""

    kind: str
    target_hint: str  # for `check` tables: "mqtt livetrigger/x", "gpio lamp pulse 2s", ...
    build: Builder
    asks: DeviceNames | None = None  # names its device must have (device actions)


class Template(Protocol):
    """A template compiled once and rendered at each firing."""

    def render(self, context: Mapping[str, Any]) -> str:
        """The text for this firing's ``context``."""
        ...


class TextTemplate(Template, Protocol):
    """A text template (a topic, a path, a message)."""

    @property
    def is_json(self) -> bool:
        """Whether its text reads as JSON (a webhook body's default content type)."""
        ...


class CompileContext(Protocol):
    """What the rule compiler hands a kind's ``compile`` for one entry of ``do``."""

    @property
    def targets(self) -> Targets:
        """The outputs, endpoints and MQTT settings actions may name."""
        ...

    @property
    def failed(self) -> bool:
        """Whether a problem was recorded for this entry so far."""
        ...

    def text(
        self, source: str, key: str, escape: Callable[[str], str] | None = None
    ) -> TextTemplate | None:
        """``source`` as a text template at ``key`` (each value through ``escape``), its names
        checked against the rule's; None after recording why not."""
        ...

    def mapping(self, source: Any, key: str) -> Template | None:
        """A JSON mapping or list whose strings are templates, rendered to valid JSON; None
        after recording why not."""
        ...

    def problem(self, message: str, *keys: str | int) -> None:
        """Record a problem at the entry, or at ``keys`` below it."""
        ...


E = TypeVar("E")  # a kind's config entry
R = TypeVar("R", bound=ActionRequest)  # a kind's request


class OutboxCodec(Protocol[R]):
    """How a durable kind's requests are written to the outbox journal and read back."""

    @property
    def tag(self) -> str:
        """Its ``k`` in a journal record (``mqtt``, ``http``); never change a written one."""
        ...

    def keeps(self, request: R) -> bool:
        """Whether this request outlives a restart (an MQTT publish at QoS 0 does not)."""
        ...

    def encode(self, request: R) -> dict[str, Any]:
        """Its fields as JSON values (``rule``, ``room`` and ``k`` are the outbox's)."""
        ...

    def decode(self, record: dict[str, Any], *, rule_id: str, room: str) -> R:
        """The request back from ``record``; ValueError or TypeError when it is not one."""
        ...


class ActionKind(Protocol[E, R]):
    """One kind of action: an entry of ``do:`` and the requests it builds."""

    @property
    def name(self) -> str:
        """The key under ``do:``, e.g. ``mqtt``."""
        ...

    @property
    def schema(self) -> type[E]:
        """The dataclass of its config entry, checked by ``config/shape.py``."""
        ...

    @property
    def shorthand(self) -> str | None:
        """The field a bare string fills (``- log: "hi"``), or None."""
        ...

    @property
    def request(self) -> type[R]:
        """The request class its actions build."""
        ...

    @property
    def outbox(self) -> OutboxCodec[R] | None:
        """Its journal codec when its requests outlive a restart; None when they never do."""
        ...

    def compile(self, entry: E, ctx: CompileContext) -> CompiledAction | None:
        """The entry checked and compiled; None after recording its problems in ``ctx``."""
        ...

    def describe(self, request: R) -> str:
        """One readable line for ``request`` (simulate, replay, the log sink)."""
        ...

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        """Its sinks for the daemon's ``config`` (actions/outlet.py), or None when the config
        has nothing of this kind; may raise ConfigError (a pin this board lacks)."""
        ...

"""The shape of the config file, as the dataclasses the checker builds (``config/shape.py``).

Sections that configure an I/O shell (tiktok, mqtt, gpio, webhooks, homeassistant, web) are
the settings classes of ``livetrigger.settings`` themselves; rules, rooms and the daemon's own
options are written out here; each entry of ``do`` is one of the action kinds of
``actions/registry.py``, each kind's entry its own (``actions/<kind>.py``). ``when`` conditions
and templates are checked later by the rule compiler, which knows the event fields of each kind.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

from livetrigger import settings as s
from livetrigger.actions import registry
from livetrigger.actions.kind import ActionKind
from livetrigger.devices import registry as device_registry
from livetrigger.devices.base import DeviceKind
from livetrigger.rules.model import Every, MaxFires, Threshold, UserFilter
from livetrigger.settings import key

RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
ROOM_NAME = r"^[a-z0-9_]{1,64}$"
ACTION_KINDS = tuple(k.name for k in registry.KINDS)
PATH = r"^[^\x00]*$"
_PATH_HELP = "a path cannot hold a NUL character"
# a Unix socket's path holds at most 107 bytes (108 with its NUL); counted in characters here
SOCKET_PATH = r"^[^\x00]{1,107}$"
_SOCKET_HELP = (
    "a socket's path holds at most 107 characters and no NUL: choose a shorter one, such as"
    " /run/livetrigger/livetrigger.sock"
)


# -- actions --------------------------------------------------------------------------------


class ActionEntry:
    """What the code knows of an entry of ``do``; ``action_entry`` makes the class the file
    is checked against, with one optional field per kind (``mqtt``, ``gpio``, ...)."""

    __slots__ = ()
    KINDS: ClassVar[tuple[ActionKind[Any, Any], ...]] = ()

    def mistake(self) -> str | None:
        given = [k.name for k in self.KINDS if getattr(self, k.name) is not None]
        if len(given) == 1:
            return None
        return f"each action needs exactly one of {', '.join(k.name for k in self.KINDS)}" + (
            f" (got {', '.join(given)})" if given else ""
        )

    @property
    def action_kind(self) -> ActionKind[Any, Any]:
        """The kind this entry is of (after the check: exactly one is given)."""
        return next(k for k in self.KINDS if getattr(self, k.name) is not None)

    @property
    def kind(self) -> str:
        return self.action_kind.name

    @property
    def entry(self) -> Any:
        """The kind's own entry: a ``MqttAction``, a ``GpioAction``, ..."""
        return getattr(self, self.kind)


def action_entry(kinds: tuple[ActionKind[Any, Any], ...]) -> type[ActionEntry]:
    """The ``Action`` dataclass for ``kinds``: a field per kind, in their order, holding its
    schema; a kind with a ``shorthand`` also takes text (``- log: "hi"``)."""
    fields = [(k.name, k.schema | None, key(None, shorthand=k.shorthand)) for k in kinds]
    namespace = {
        "__doc__": "One entry of ``do``: exactly one of the action kinds.",
        "__module__": __name__,
        "KINDS": kinds,
    }
    made = dataclasses.make_dataclass(
        "Action",
        fields,
        bases=(ActionEntry,),
        namespace=namespace,
        frozen=True,
        slots=True,
        kw_only=True,
    )
    return cast(type[ActionEntry], made)


if TYPE_CHECKING:
    Action = ActionEntry
else:
    Action = action_entry(registry.KINDS)


# -- devices --------------------------------------------------------------------------------


class DeviceEntry:
    """What the code knows of one device of ``devices:``; ``device_entry`` makes the class the
    file is checked against: its name (the key) and one optional field per device kind."""

    __slots__ = ()
    KINDS: ClassVar[tuple[DeviceKind[Any], ...]] = ()
    name: str

    def mistake(self) -> str | None:
        given = [k.key for k in self.KINDS if getattr(self, k.key) is not None]
        if len(given) == 1:
            return None
        kinds = ", ".join(k.key for k in self.KINDS) or "none: no device kind is installed"
        return f"each device needs exactly one kind: {kinds}" + (
            f" (got {', '.join(given)})" if given else ""
        )

    @property
    def device_kind(self) -> DeviceKind[Any]:
        """The kind this device is of (after the check: exactly one is given)."""
        return next(k for k in self.KINDS if getattr(self, k.key) is not None)

    @property
    def kind(self) -> str:
        return self.device_kind.key

    @property
    def settings(self) -> Any:
        """The kind's own settings: an ``SacnSettings``, ..."""
        return getattr(self, self.kind)


def device_entry(kinds: tuple[DeviceKind[Any], ...]) -> type[DeviceEntry]:
    """The ``Device`` dataclass for ``kinds``: ``name`` (the mapping key) and a field per
    kind, in their order, holding its settings."""
    fields: list[Any] = [("name", str)]
    fields += [(k.key, k.settings | None, key(None)) for k in kinds]
    namespace = {
        "__doc__": "One device of ``devices``: exactly one of the device kinds.",
        "__module__": __name__,
        "KINDS": kinds,
    }
    made = dataclasses.make_dataclass(
        "Device",
        fields,
        bases=(DeviceEntry,),
        namespace=namespace,
        frozen=True,
        slots=True,
        kw_only=True,
    )
    return cast(type[DeviceEntry], made)


if TYPE_CHECKING:
    Device = DeviceEntry
else:
    Device = device_entry(device_registry.DEVICE_KINDS)


# -- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: str = key(
        pattern=RULE_ID,
        pattern_help="a rule id is 1 to 64 letters, digits, `_` and `-`, starting with a "
        "letter or digit",
    )
    description: str = ""
    enabled: bool = True
    on: list[str] | str | None = None
    when: dict[str, Any] = key({})
    if_: str | None = key(None, alias="if")
    command: str | None = key(None, doc='a chat command such as "!light {state}"; implies on: chat')
    user: UserFilter | None = None
    gift: list[str | int] | str | int | None = None
    streak: Literal["end", "each", "start"] = "end"
    include_history: bool = False
    every: Every | None = None
    threshold: Threshold | None = None
    cooldown: float | None = None
    cooldown_per_user: float | None = None
    max_fires: MaxFires | None = None
    overflow: Literal["drop", "queue"] = "drop"
    queue_size: int = key(100, low=1, high=10_000)
    do: list[Action] = key(min_items=1)


# -- rooms and the daemon -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Room:
    username: str | None = None
    room_id: int | None = None
    name: str | None = key(
        None,
        pattern=ROOM_NAME,
        pattern_help="a room name is 1 to 64 lowercase letters, digits and `_`",
        doc="key in topics and logs",
    )
    process_initial_data: bool | None = None
    rules: list[Rule] = key([])

    def mistake(self) -> str | None:
        if not self.username and self.room_id is None:
            return "give the streamer's username (or a numeric room_id)"
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Metrics:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = key(9464, low=1, high=65535, why="a TCP port")


@dataclass(frozen=True, slots=True, kw_only=True)
class Daemon:
    shutdown_timeout: float = 5.0
    status_socket: str | None = key(None, pattern=SOCKET_PATH, pattern_help=_SOCKET_HELP)
    state_dir: str | None = key(None, pattern=PATH, pattern_help=_PATH_HELP)
    # undelivered triggers older than this are not sent: at start, and when a broker or an
    # endpoint that was away comes back (docs/actions.md); 0 could mean "replay nothing" or
    # "no limit": neither is written that way
    outbox_max_age: float | None = key(600.0, low=1.0, why="write null for no limit")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "text", "json"] = "auto"
    metrics: Metrics = key(Metrics())


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigFile:
    """The whole file."""

    tiktok: s.TikTokSettings = key(s.TikTokSettings())
    rooms: list[Room] = key(min_items=1)
    rules: list[Rule] = key([], doc="rules that apply to every room")
    mqtt: s.MqttSettings | None = None
    homeassistant: s.HomeAssistantSettings = key(s.HomeAssistantSettings())
    gpio: s.GpioSettings | None = None
    webhooks: tuple[s.WebhookSettings, ...] = ()
    devices: tuple[Device, ...] = key((), doc="lights, DMX, OSC, ... by name (docs/devices.md)")
    web: s.WebSettings = key(s.WebSettings())
    daemon: Daemon = key(Daemon())


def json_schema() -> dict[str, Any]:
    from livetrigger.config.json_schema import schema_of  # noqa: PLC0415 - `schema` and `init` only
    from livetrigger.config.rule_schema import on_schema, when_by_kind  # noqa: PLC0415

    schema = schema_of(ConfigFile, title="livetrigger config")
    rule = schema["$defs"]["Rule"]
    rule["properties"]["on"] = on_schema()
    rule["allOf"] = when_by_kind(schema["$defs"])
    schema["$defs"] = dict(sorted(schema["$defs"].items()))
    return schema

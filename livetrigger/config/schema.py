"""The shape of the config file, as the dataclasses the checker builds (``config/shape.py``).

Sections that configure an I/O shell (tiktok, mqtt, gpio, webhooks, homeassistant, web) are
the settings classes of ``livetrigger.settings`` themselves; rules, rooms and the daemon's own
options are written out here. ``when`` conditions and templates are checked later by the rule
compiler, which knows the event fields of each kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from livetrigger import settings as s
from livetrigger.settings import key

GPIO_VERBS = ("on", "off", "toggle", "pulse", "blink", "pwm", "fade", "beep", "tone")
RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
ROOM_NAME = r"^[a-z0-9_]{1,64}$"
ACTION_KINDS = ("mqtt", "gpio", "webhook", "log", "chat")
PATH = r"^[^\x00]*$"
_PATH_HELP = "a path cannot hold a NUL character"

_BLINK = "a faster blink is a buzz: use pwm"


# -- actions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttAction:
    """Publish a message. ``topic`` and ``payload`` are templates; ``json`` is a mapping whose
    string values are templates, always rendered to valid JSON."""

    topic: str
    raw_topic: bool = key(
        False,
        doc="print values into the topic as they are, so they may add levels; "
        "by default each value is one level, percent-encoded (docs/actions.md)",
    )
    payload: str | None = None
    json_: dict[str, Any] | list[Any] | None = key(None, alias="json")
    qos: Literal[0, 1, 2] = 1
    retain: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioAction:
    """Drive a named output from ``gpio.outputs``."""

    output: str
    action: str = key(
        "pulse",
        doc="on, off, toggle, pulse, blink, pwm, fade, beep, tone; or a template that "
        "renders to one of them, like '{{ args.state }}'",
    )
    duration: float | None = None
    on_time: float = key(0.5, low=0.01, why=_BLINK)
    off_time: float = key(0.5, low=0.01, why=_BLINK)
    count: int | None = key(None, low=1)
    value: float = key(1.0, low=0.0, high=1.0, number=True)
    frequency: float | None = key(None, above=0, number=True)
    overlap: Literal["restart", "extend", "ignore"] | None = None

    def mistake(self) -> str | None:
        if "{{" not in self.action and self.action not in GPIO_VERBS:
            return f"unknown gpio action {self.action!r}; use one of {', '.join(GPIO_VERBS)}"
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookAction:
    """Call a named endpoint from ``webhooks``; ``path`` and ``body`` are templates."""

    endpoint: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    path: str = ""
    raw_path: bool = key(
        False,
        doc="print values into the path as they are (`/` kept, so they may add "
        "segments); by default each value is one percent-encoded segment (docs/actions.md)",
    )
    query: dict[str, str] = key({})
    headers: dict[str, str] = key({})
    json_: dict[str, Any] | list[Any] | None = key(None, alias="json")
    body: str | None = None
    content_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LogAction:
    message: str
    level: Literal["debug", "info", "warning", "error"] = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatAction:
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """One entry of ``do``: exactly one of the action kinds."""

    mqtt: MqttAction | None = None
    gpio: GpioAction | None = None
    webhook: WebhookAction | None = None
    # `- log: "text"` and `- chat: "text"` are the common case
    log: LogAction | None = key(None, shorthand="message")
    chat: ChatAction | None = key(None, shorthand="text")

    def mistake(self) -> str | None:
        given = [k for k in ACTION_KINDS if getattr(self, k) is not None]
        if len(given) == 1:
            return None
        return "each action needs exactly one of mqtt, gpio, webhook, log, chat" + (
            f" (got {', '.join(given)})" if given else ""
        )

    @property
    def kind(self) -> str:
        return next(k for k in ACTION_KINDS if getattr(self, k) is not None)


# -- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class UserFilter:
    """Who may trigger the rule. Every given filter must pass."""

    follower: bool | None = None
    friend: bool | None = None
    moderator: bool | None = None
    subscriber: bool | None = None
    top_gifter_rank: int | None = key(None, low=1, doc="rank <= N (1 = top gifter)")
    gifter_level: int | None = key(None, low=0, doc="gifter level >= N")
    fan_club_level: int | None = key(None, low=0, doc="fan-club level >= N")
    users: list[str] = key([], doc="only these @handles")
    exclude_users: list[str] = key([], doc="never these @handles")


@dataclass(frozen=True, slots=True, kw_only=True)
class Every:
    """Fire at every multiple of ``step``: of a field that grows (``field: total`` of likes)
    or of a running sum (``sum: count``). A jump past several multiples fires once for each."""

    field: str | None = None
    sum: str | None = None
    step: int = key(low=1)
    per: Literal["stream", "user"] = "stream"

    def mistake(self) -> str | None:
        if (self.field is None) == (self.sum is None):
            return "give exactly one of field (a growing value) or sum (add it up)"
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold:
    """Fire once when a running sum reaches ``at`` (reset when a stream starts)."""

    sum: str
    at: int = key(low=1)
    per: Literal["stream", "user"] = "stream"


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxFires:
    count: int = key(low=1)
    per: float = key(low=0.1, why="the window the count is kept over")


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
    status_socket: str | None = key(None, pattern=PATH, pattern_help=_PATH_HELP)
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
    web: s.WebSettings = key(s.WebSettings())
    daemon: Daemon = key(Daemon())


def json_schema() -> dict[str, Any]:
    from livetrigger.config.json_schema import schema_of  # noqa: PLC0415 - `schema` and `init` only

    return schema_of(ConfigFile, title="livetrigger config")

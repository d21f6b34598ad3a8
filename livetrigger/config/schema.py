"""The shape of the config file: pydantic models validated at the edge.

Sections that configure an I/O shell (tiktok, mqtt, gpio, webhooks, homeassistant) are
generated from ``livetrigger.settings`` (see ``sections``); rules, rooms and the daemon's own
options are written out here. ``when`` conditions and templates are checked later by the rule
compiler, which knows the event fields of each kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, model_validator

from livetrigger import settings as s
from livetrigger.config.sections import STRICT, OptSeconds, Seconds, limited, model_for

GPIO_VERBS = ("on", "off", "toggle", "pulse", "blink", "pwm", "fade", "beep", "tone")
RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"

if TYPE_CHECKING:  # what they hold; the validators are pydantic's business
    BlinkSeconds = float
    WindowSeconds = float
    Port = int
    MaxAge = float | None
else:
    BlinkSeconds = limited(Seconds, 0.01, why="a faster blink is a buzz: use pwm")
    WindowSeconds = limited(Seconds, 0.1, why="the window the count is kept over")
    Port = limited(int, *s.PORT["limits"])
    # 0 could mean "replay nothing" or "no limit": neither is written that way
    MaxAge = limited(OptSeconds, 1.0, why="write null for no limit")

TikTokConfig = model_for(s.TikTokSettings)
MqttConfig = model_for(s.MqttSettings)
GpioConfig = model_for(s.GpioSettings)
WebhookConfig = model_for(s.WebhookSettings, keyed=True)
HomeAssistantConfig = model_for(s.HomeAssistantSettings)
WebConfig = model_for(s.WebSettings)


class _Model(BaseModel):
    model_config = STRICT


# -- actions --------------------------------------------------------------------------------


class MqttAction(_Model):
    """Publish a message. ``topic`` and ``payload`` are templates; ``json`` is a mapping whose
    string values are templates, always rendered to valid JSON."""

    topic: str
    raw_topic: bool = Field(
        False,
        description="print values into the topic as they are, so they may add levels; "
        "by default each value is one level, percent-encoded (docs/actions.md)",
    )
    payload: str | None = None
    json_: dict[str, Any] | list[Any] | None = Field(None, alias="json")
    qos: Literal[0, 1, 2] = 1
    retain: bool = False


class GpioAction(_Model):
    """Drive a named output from ``gpio.outputs``."""

    output: str
    action: str = Field(
        "pulse",
        description="on, off, toggle, pulse, blink, pwm, fade, beep, tone; or a template that "
        "renders to one of them, like '{{ args.state }}'",
    )
    duration: OptSeconds = None
    on_time: BlinkSeconds = 0.5
    off_time: BlinkSeconds = 0.5
    count: int | None = Field(None, ge=1)
    value: float = Field(1.0, ge=0.0, le=1.0)
    frequency: float | None = Field(None, gt=0)
    overlap: Literal["restart", "extend", "ignore"] | None = None

    @model_validator(mode="after")
    def _known_verb(self) -> GpioAction:
        if "{{" not in self.action and self.action not in GPIO_VERBS:
            raise ValueError(
                f"unknown gpio action {self.action!r}; use one of {', '.join(GPIO_VERBS)}"
            )
        return self


class WebhookAction(_Model):
    """Call a named endpoint from ``webhooks``; ``path`` and ``body`` are templates."""

    endpoint: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    path: str = ""
    raw_path: bool = Field(
        False,
        description="print values into the path as they are (`/` kept, so they may add "
        "segments); by default each value is one percent-encoded segment (docs/actions.md)",
    )
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    json_: dict[str, Any] | list[Any] | None = Field(None, alias="json")
    body: str | None = None
    content_type: str | None = None


class LogAction(_Model):
    message: str
    level: Literal["debug", "info", "warning", "error"] = "info"


class ChatAction(_Model):
    text: str


ACTION_KINDS = ("mqtt", "gpio", "webhook", "log", "chat")


class Action(_Model):
    """One entry of ``do``: exactly one of the action kinds."""

    mqtt: MqttAction | None = None
    gpio: GpioAction | None = None
    webhook: WebhookAction | None = None
    log: LogAction | None = None
    chat: ChatAction | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        # `- log: "text"` and `- chat: "text"` are the common case
        if isinstance(data, dict):
            data = dict(data)
            if isinstance(data.get("log"), str):
                data["log"] = {"message": data["log"]}
            if isinstance(data.get("chat"), str):
                data["chat"] = {"text": data["chat"]}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
        given = [k for k in ACTION_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "each action needs exactly one of mqtt, gpio, webhook, log, chat"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ACTION_KINDS if getattr(self, k) is not None)


# -- rules ----------------------------------------------------------------------------------


class UserFilter(_Model):
    """Who may trigger the rule. Every given filter must pass."""

    follower: bool | None = None
    friend: bool | None = None
    moderator: bool | None = None
    subscriber: bool | None = None
    top_gifter_rank: int | None = Field(None, ge=1, description="rank <= N (1 = top gifter)")
    gifter_level: int | None = Field(None, ge=0, description="gifter level >= N")
    fan_club_level: int | None = Field(None, ge=0, description="fan-club level >= N")
    users: list[str] = Field([], description="only these @handles")
    exclude_users: list[str] = Field([], description="never these @handles")


class Every(_Model):
    """Fire at every multiple of ``step``: of a field that grows (``field: total`` of likes)
    or of a running sum (``sum: count``). A jump past several multiples fires once for each."""

    field: str | None = None
    sum: str | None = None
    step: int = Field(ge=1)
    per: Literal["stream", "user"] = "stream"

    @model_validator(mode="after")
    def _one_source(self) -> Every:
        if (self.field is None) == (self.sum is None):
            raise ValueError("give exactly one of field (a growing value) or sum (add it up)")
        return self


class Threshold(_Model):
    """Fire once when a running sum reaches ``at`` (reset when a stream starts)."""

    sum: str
    at: int = Field(ge=1)
    per: Literal["stream", "user"] = "stream"


class MaxFires(_Model):
    count: int = Field(ge=1)
    per: WindowSeconds


class Rule(_Model):
    id: str = Field(pattern=RULE_ID)
    description: str = ""
    enabled: bool = True
    on: list[str] | str | None = None
    when: dict[str, Any] = {}
    if_: str | None = Field(None, alias="if")
    command: str | None = Field(
        None, description='a chat command such as "!light {state}"; implies on: chat'
    )
    user: UserFilter | None = None
    gift: list[str | int] | str | int | None = None
    streak: Literal["end", "each", "start"] = "end"
    include_history: bool = False
    every: Every | None = None
    threshold: Threshold | None = None
    cooldown: OptSeconds = None
    cooldown_per_user: OptSeconds = None
    max_fires: MaxFires | None = None
    overflow: Literal["drop", "queue"] = "drop"
    queue_size: int = Field(100, ge=1, le=10_000)
    do: list[Action] = Field(min_length=1)


# -- rooms and the daemon -------------------------------------------------------------------


class Room(_Model):
    username: str | None = None
    room_id: int | None = None
    name: str | None = Field(
        None, pattern=r"^[a-z0-9_]{1,64}$", description="key in topics and logs"
    )
    process_initial_data: bool | None = None
    rules: list[Rule] = []

    @model_validator(mode="after")
    def _some_room(self) -> Room:
        if not self.username and self.room_id is None:
            raise ValueError("give the streamer's username (or a numeric room_id)")
        return self


class Metrics(_Model):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: Port = 9464


class Daemon(_Model):
    shutdown_timeout: Seconds = 5.0
    status_socket: str | None = None
    state_dir: str | None = None
    # undelivered triggers older than this are not sent: at start, and when a broker or an
    # endpoint that was away comes back (docs/actions.md)
    outbox_max_age: MaxAge = 600.0
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "text", "json"] = "auto"
    metrics: Metrics = Metrics()


class ConfigFile(_Model):
    """The whole file."""

    tiktok: TikTokConfig = Field(default_factory=TikTokConfig)  # type: ignore[valid-type]
    rooms: list[Room] = Field(min_length=1)
    rules: list[Rule] = Field([], description="rules that apply to every room")
    mqtt: MqttConfig | None = None  # type: ignore[valid-type]
    homeassistant: HomeAssistantConfig = Field(  # type: ignore[valid-type]
        default_factory=HomeAssistantConfig
    )
    gpio: GpioConfig | None = None  # type: ignore[valid-type]
    webhooks: dict[str, WebhookConfig] = {}  # type: ignore[valid-type]
    web: WebConfig = Field(default_factory=WebConfig)  # type: ignore[valid-type]
    daemon: Daemon = Daemon()


def json_schema() -> dict[str, Any]:
    schema = ConfigFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "livetrigger config"
    return schema

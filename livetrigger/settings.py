"""Validated settings of the things livetrigger talks to: TikTok, MQTT, GPIO, webhooks.

These frozen dataclasses are the contract between the config loader (``livetrigger.config``,
which builds them from YAML with file:line errors) and the I/O shells that use them
(``webcast.room``/``connection``, ``sinks.*``, ``homeassistant``). Durations are seconds as
floats; ``None`` means "disabled". Secrets are plain strings here, read from ``*_file`` or the
environment by the loader, and must never be logged: ``__repr__`` hides them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


def _hidden(value: str | None) -> str:
    return "None" if value is None else ("'***'" if value else "''")


def limits(low: float | None = None, high: float | None = None, why: str = "") -> dict[str, Any]:
    """Field metadata: the config file may not go below ``low`` or above ``high``; ``why``
    tells the user what the bounds are about."""
    return {"limits": (low, high, why)}


PORT = limits(1, 65535, "a TCP port")


# -- TikTok ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SignBudget:
    """Sign requests allowed per window; never exceeded whatever fails (defaults sit below
    the public sign server's anonymous limits)."""

    per_minute: int = 4
    per_hour: int = 25
    per_day: int = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class TikTokSettings:
    """How to reach TikTok (or the fake live room): base URLs, signing, timeouts, pacing."""

    web_url: str = "https://www.tiktok.com"
    webcast_url: str = "https://webcast.tiktok.com"
    sign_url: str = "https://tiktok.eulerstream.com"
    push_server: str | None = None  # override the push server the sign server hands out
    sign_api_key: str | None = field(default=None, repr=False)
    session_id: str | None = field(default=None, repr=False)
    tt_target_idc: str = "useast1a"
    # the session id goes to the sign host only when this names that host exactly
    session_id_sign_host: str | None = None
    user_agent: str | None = None  # None: a current desktop Chrome UA
    proxy: str | None = None
    http_timeout: float = 10.0
    connect_timeout: float = 20.0
    stall_timeout: float = 30.0
    live_check_interval: float = 30.0
    reconnect_initial: float = 1.0
    reconnect_max: float = 300.0
    heartbeat_interval: float = 10.0  # only when the push server does not advertise one
    streak_timeout: float = 15.0  # a gift streak with no step and no end for this long ends
    process_initial_data: bool = True
    compress: bool = True
    polling_fallback: bool = False
    polling_interval: float = 1.0
    max_frame_size: int = 8 * 1024 * 1024
    sign_budget: SignBudget = field(default_factory=SignBudget)
    gift_catalogue_refresh: float = 6 * 3600.0
    fetch_room_info: bool = False  # the seed's fetchRoomInfoOnConnect: title and viewers on connect
    # the seed's clientParams / requestHeaders / websocketHeaders / signProviderOptions
    client_params: tuple[tuple[str, str], ...] = ()
    request_headers: tuple[tuple[str, str], ...] = ()
    websocket_headers: tuple[tuple[str, str], ...] = ()
    sign_params: tuple[tuple[str, str], ...] = ()
    sign_headers: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        return (
            f"TikTokSettings(web_url={self.web_url!r}, sign_url={self.sign_url!r}, "
            f"sign_api_key={_hidden(self.sign_api_key)}, session_id={_hidden(self.session_id)})"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomSettings:
    """One room to follow: a username (``@name``, a URL) or a numeric room id."""

    name: str  # the key used in topics and logs: the normalised username, or the room id
    unique_id: str = ""
    room_id: int | None = None


# -- MQTT -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsSettings:
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False  # skip certificate verification (never the default)


@dataclass(frozen=True, slots=True, kw_only=True)
class EventStreamSettings:
    """Every event as JSON on ``<base>/<room>/events/<kind>`` (off by default)."""

    enabled: bool = False
    kinds: tuple[str, ...] = ()  # empty: every kind
    qos: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttSettings:
    host: str = "localhost"
    port: int = field(default=1883, metadata=PORT)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str | None = None  # None: livetrigger-<hostname>
    keepalive: float = 30.0
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    tls: TlsSettings | None = None
    base_topic: str = "livetrigger"
    queue_size: int = 10_000
    overflow: Literal["drop_oldest", "drop_new"] = "drop_oldest"
    # trigger publishes handed to paho before the first is acknowledged: 1 keeps the order
    # through any outage; more is faster to a far broker (docs/actions.md says when it is not)
    max_inflight: int = 1
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0
    event_stream: EventStreamSettings = field(default_factory=EventStreamSettings)

    def __repr__(self) -> str:
        return (
            f"MqttSettings(host={self.host!r}, port={self.port}, username={self.username!r}, "
            f"password={_hidden(self.password)}, base_topic={self.base_topic!r})"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeAssistantSettings:
    discovery: bool = True
    prefix: str = "homeassistant"
    state_interval: float = 5.0  # at most one viewer-count update per interval


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSettings:
    """The local dashboard (docs/dashboard.md): loopback only unless a token guards it."""

    enabled: bool = False
    host: str = "127.0.0.1"
    # 0: a free port the system picks (the log says which)
    port: int = field(default=8765, metadata=limits(0, 65535, "a TCP port; 0 picks a free one"))
    token: str | None = field(default=None, repr=False)  # needed for any non-loopback host


# -- GPIO -----------------------------------------------------------------------------------

OutputKind = Literal["digital", "relay", "led", "pwm_led", "buzzer", "tonal_buzzer"]
OverlapPolicy = Literal["restart", "extend", "ignore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioOutputSettings:
    name: str
    pin: int | str
    kind: OutputKind = "digital"
    active_high: bool = True
    initial: bool = False
    max_on: float | None = None  # never on longer than this
    min_off: float | None = None  # rest between activations
    max_per_minute: int | None = None
    overlap: OverlapPolicy = "restart"
    queue_size: int = 100
    overflow: Literal["drop_oldest", "drop_new"] = "drop_new"


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioInputSettings:
    name: str
    pin: int | str
    role: Literal["kill_switch", "test_button"]
    pull_up: bool = True
    bounce_time: float = 0.05
    rule: str | None = None  # test_button: the rule it fires


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioSettings:
    pin_factory: Literal["auto", "mock", "lgpio", "rpigpio", "pigpio", "native"] = "auto"
    outputs: tuple[GpioOutputSettings, ...] = ()
    inputs: tuple[GpioInputSettings, ...] = ()


# -- webhooks -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSettings:
    """A named webhook endpoint; actions refer to it by name and may add path/query/body."""

    name: str
    url: str
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0
    connect_timeout: float = 3.0
    retries: int = 3
    retry_initial: float = 0.5
    secret: str | None = field(default=None, repr=False)  # HMAC-SHA256 key for the body
    signature_header: str = "X-Livetrigger-Signature"
    verify_tls: bool = True
    queue_size: int = 1000
    overflow: Literal["drop_oldest", "drop_new"] = "drop_oldest"

    def __repr__(self) -> str:
        return f"WebhookSettings(name={self.name!r}, url=<hidden>, secret={_hidden(self.secret)})"

"""Validated settings of the things livetrigger talks to: TikTok, MQTT, GPIO, webhooks.

These frozen dataclasses are the contract between the config loader (``livetrigger.config``,
which builds them from YAML with file:line errors) and the I/O shells that use them
(``webcast.room``/``connection``, ``sinks.*``, ``homeassistant``). Durations are seconds as
floats; ``None`` means "disabled". Secrets are plain strings here, read from ``*_file`` or the
environment by the loader, and must never be logged: ``__repr__`` hides them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal


def _hidden(value: str | None) -> str:
    return "None" if value is None else ("'***'" if value else "''")


def limits(low: float | None = None, high: float | None = None, why: str = "") -> dict[str, Any]:
    """Field metadata: the config file may not go below ``low`` or above ``high``; ``why``
    tells the user what a value outside would do (a zero reconnect wait retries in a tight
    loop, a zero timeout fails every request)."""
    return {"limits": (low, high, why)}


def _at_least(default: Any, low: float, why: str) -> Any:
    return field(default=default, metadata=limits(low, None, why))


def pattern(regex: str, help_text: str) -> dict[str, Any]:
    """Field metadata: the config file's text must match ``regex`` whole; ``help_text`` says
    what to write instead."""
    return {"pattern": (regex, help_text)}


def key(
    default: Any = dataclasses.MISSING,
    *,
    alias: str | None = None,
    doc: str = "",
    low: float | None = None,
    high: float | None = None,
    why: str = "",
    above: float | None = None,
    pattern: str | None = None,
    pattern_help: str = "",
    min_items: int | None = None,
    number: bool = False,
    shorthand: str | None = None,
) -> Any:
    """A dataclass field with what the config file needs to know about it (what each
    entry means: ``config/shape.py``); for the sections written out beyond these settings."""
    meta: dict[str, Any] = {"doc": doc} if doc else {}
    if alias:
        meta["alias"] = alias
    if low is not None or high is not None:
        meta["limits"] = (low, high, why)
    if above is not None:
        meta["above"] = above
    if pattern is not None:
        meta["pattern"] = (pattern, pattern_help)
    if min_items is not None:
        meta["min_items"] = min_items
    if number:
        meta["number"] = True
    if shorthand:
        meta["shorthand"] = shorthand
    if isinstance(default, (list, dict)):
        empty = type(default)
        return dataclasses.field(default_factory=empty, metadata=meta)
    if dataclasses.is_dataclass(default):
        made = type(default)
        return dataclasses.field(default_factory=made, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


# every MQTT topic starts with it: a wildcard makes each publish invalid, a NUL makes the
# broker drop the connection
TOPIC_PREFIX = pattern(
    r"^[^+#\x00]+$", "a topic prefix: levels joined by /, without + or # (MQTT wildcards)"
)
PORT = limits(1, 65535, "a TCP port")
_TIMEOUT = "a shorter one fails before any answer can come"
_RETRY = "a shorter wait retries in a tight loop"


# -- TikTok ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SignBudget:
    """Sign requests allowed per window; never exceeded whatever fails (defaults sit below
    the public sign server's anonymous limits)."""

    per_minute: int = _at_least(4, 0, "0 stops every connection")
    per_hour: int = _at_least(25, 0, "0 stops every connection")
    per_day: int = _at_least(200, 0, "0 stops every connection")


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
    http_timeout: float = _at_least(10.0, 0.1, _TIMEOUT)
    connect_timeout: float = _at_least(20.0, 0.1, _TIMEOUT)
    stall_timeout: float = _at_least(
        30.0, 1.0, "rooms are often quiet for a second; each stall is a reconnect"
    )
    live_check_interval: float = _at_least(30.0, 0.1, "a shorter one asks TikTok in a tight loop")
    reconnect_initial: float = _at_least(1.0, 0.1, _RETRY)
    reconnect_max: float = _at_least(300.0, 0.1, _RETRY)
    # only when the push server does not advertise one
    heartbeat_interval: float = _at_least(10.0, 0.1, "a shorter one floods the push server")
    # a gift streak with no step and no end for this long ends
    streak_timeout: float = _at_least(15.0, 0.1, "a shorter one cuts every streak")
    process_initial_data: bool = True
    compress: bool = True
    polling_fallback: bool = False
    polling_interval: float = _at_least(1.0, 0.1, "a shorter one polls in a tight loop")
    max_frame_size: int = _at_least(8 * 1024 * 1024, 1024, "smaller frames are refused")
    sign_budget: SignBudget = field(default_factory=SignBudget)
    gift_catalogue_refresh: float = _at_least(
        6 * 3600.0, 60.0, "the gift list changes a few times a year"
    )
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
    qos: int = field(default=0, metadata=limits(0, 2, "MQTT QoS is 0, 1 or 2"))


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttSettings:
    host: str = field(
        default="localhost",
        metadata=pattern(
            r"^[^\s\x00/]+$", "a host name or address, like localhost, 192.168.1.10 or ::1"
        ),
    )
    port: int = field(default=1883, metadata=PORT)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str | None = None  # None or empty: livetrigger-<hostname>
    keepalive: float = field(
        default=30.0,
        metadata=limits(
            5.0, 65535.0, "the client raises a shorter one to 5s; MQTT allows no longer"
        ),
    )
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    tls: TlsSettings | None = None
    base_topic: str = field(default="livetrigger", metadata=TOPIC_PREFIX)
    queue_size: int = _at_least(10_000, 1, "an empty queue could hold nothing")
    overflow: Literal["drop_oldest", "drop_new"] = "drop_oldest"
    # trigger publishes handed to paho before the first is acknowledged: 1 keeps the order
    # through any outage; more is faster to a far broker (docs/actions.md says when it is not)
    max_inflight: int = field(default=1, metadata=limits(1, 65535, "publishes in flight"))
    # paho waits whole seconds: anything under 1s is 1s
    reconnect_min: float = _at_least(1.0, 0.1, _RETRY)
    # paho doubles its delay up to this: a broker that is back is found at most this late,
    # and every second of that is a second more of triggers in the queue
    reconnect_max: float = _at_least(5.0, 0.1, _RETRY)
    event_stream: EventStreamSettings = field(default_factory=EventStreamSettings)

    def __repr__(self) -> str:
        return (
            f"MqttSettings(host={self.host!r}, port={self.port}, username={self.username!r}, "
            f"password={_hidden(self.password)}, base_topic={self.base_topic!r})"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeAssistantSettings:
    discovery: bool = True
    prefix: str = field(default="homeassistant", metadata=TOPIC_PREFIX)
    # at most one viewer-count update per interval
    state_interval: float = _at_least(5.0, 0.1, "a shorter one floods the broker")


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSettings:
    """The local dashboard (docs/dashboard.md): loopback only unless a token guards it."""

    enabled: bool = False
    host: str = "127.0.0.1"
    # 0: a free port the system picks (the log says which)
    port: int = field(default=8765, metadata=limits(0, 65535, "a TCP port; 0 picks a free one"))
    token: str | None = field(default=None, repr=False)  # needed for any non-loopback host
    # Host names (or addresses) the page may be opened by besides this machine's own: a name
    # in DNS, a reverse proxy's; anything else is refused (DNS rebinding)
    allowed_hosts: tuple[str, ...] = ()


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
    # never on longer than this; null: no limit
    max_on: float | None = _at_least(None, 0.01, "write null for no limit")
    min_off: float | None = None  # rest between activations
    max_per_minute: int | None = _at_least(None, 1, "write null for no limit")
    overlap: OverlapPolicy = "restart"
    queue_size: int = _at_least(100, 1, "an empty queue could hold nothing")
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
    timeout: float = _at_least(10.0, 0.1, _TIMEOUT)
    connect_timeout: float = _at_least(3.0, 0.1, _TIMEOUT)
    retries: int = field(default=3, metadata=limits(0, 20, "retries of one call"))
    retry_initial: float = _at_least(0.5, 0.01, _RETRY)
    secret: str | None = field(default=None, repr=False)  # HMAC-SHA256 key for the body
    signature_header: str = "X-Livetrigger-Signature"
    verify_tls: bool = True
    queue_size: int = _at_least(1000, 1, "an empty queue could hold nothing")
    overflow: Literal["drop_oldest", "drop_new"] = "drop_oldest"

    def __repr__(self) -> str:
        return f"WebhookSettings(name={self.name!r}, url=<hidden>, secret={_hidden(self.secret)})"

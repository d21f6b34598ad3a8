"""MQTT topic rules shared by the rules engine (rendered topics) and the MQTT client.

A value printed into a topic template is one topic level: :func:`escape_level` percent-encodes
whatever could add a level, act as a wildcard or make the broker drop the connection.
:func:`topic_problem` is the last check before anything is handed to paho: Mosquitto closes
the connection on a topic it refuses, and paho then resends that message after every
reconnect, so one bad topic would stop everything after it.
"""

from __future__ import annotations

import re

MAX_TOPIC_BYTES = 65535
MAX_TOPIC_SLASHES = 200  # Mosquitto refuses a topic with more (TOPIC_HIERARCHY_LIMIT)

# what the MQTT spec forbids or Mosquitto refuses in a UTF-8 string: NUL and other control
# characters (C0, DEL, C1 incl. U+0085), the 66 non-characters, and lone surrogates (which
# have no UTF-8 form at all)
_NONCHARACTERS = "".join(
    chr(plane | low) for plane in range(0, 0x110000, 0x10000) for low in (0xFFFE, 0xFFFF)
)
_FORBIDDEN_CLASS = "\x00-\x1f\x7f-\x9f\ufdd0-\ufdef\ud800-\udfff" + _NONCHARACTERS
_FORBIDDEN = re.compile(f"[{_FORBIDDEN_CLASS}]")
# in a value: also the level separator, the wildcards, `$` (a leading `$` is the broker's
# namespace) and `%` itself, so that decoding gives back exactly the value
_LEVEL_UNSAFE = re.compile(f"[%/+#${_FORBIDDEN_CLASS}]")


class TopicLevels(str):
    """Configuration text that may hold several topic levels (``base``): printed into a topic
    template as it is, where every other value is escaped to one level."""

    __slots__ = ()


def _percent(match: re.Match[str]) -> str:
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        char = "\ufffd"  # a lone surrogate has no UTF-8 bytes: U+FFFD stands in for it
    return "".join(f"%{b:02X}" for b in char.encode("utf-8"))


def escape_level(value: str) -> str:
    """``value`` as exactly one topic level: ``% / + # $``, control characters (U+0000-U+001F,
    U+007F-U+009F), non-characters (U+FDD0-U+FDEF, U+xFFFE, U+xFFFF) and lone surrogates are
    percent-encoded as their UTF-8 bytes (a surrogate as U+FFFD); everything else is kept.
    Percent-decoding the level gives the value back (but for lone surrogates)."""
    if isinstance(value, TopicLevels):
        return str(value)
    if _LEVEL_UNSAFE.search(value) is None:
        return value
    return _LEVEL_UNSAFE.sub(_percent, value)


def topic_problem(topic: str) -> str | None:
    """Why ``topic`` cannot be published to, or None: everything a broker would refuse (and
    close the connection for), plus empty levels and ``$`` topics, which are never meant."""
    if not topic:
        return "empty topic"
    if "+" in topic or "#" in topic:
        return "wildcards + and # are not allowed in a publish topic"
    bad = _FORBIDDEN.search(topic)
    if bad is not None:
        return f"character U+{ord(bad.group()):04X} is not allowed in a topic"
    if topic.startswith("$"):
        return "topics starting with $ belong to the broker"
    if "//" in topic or topic.startswith("/") or topic.endswith("/"):
        return "empty topic level"
    if topic.count("/") > MAX_TOPIC_SLASHES:
        return f"more than {MAX_TOPIC_SLASHES + 1} topic levels"
    if len(topic.encode("utf-8")) > MAX_TOPIC_BYTES:
        return f"topic longer than {MAX_TOPIC_BYTES} bytes"
    return None


def topic_safe(text: str) -> str:
    """A topic level built from configuration text: lowercase, [a-z0-9_-] only."""
    out = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in text.lower())
    return out.strip("_") or "_"


def entity_slug(text: str) -> str:
    """What Home Assistant keeps of a name in an entity id: lowercase letters and digits, every
    run of anything else one `_` (`Big-Gift` and `big__gift` are both `big_gift`)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def command_filters(base: str, homeassistant_prefix: str | None = None) -> tuple[str, ...]:
    """The topics livetrigger daemons on ``base`` take commands from (pause, test, reconnect,
    reload: see homeassistant/discovery.py), and Home Assistant's birth topic when discovery
    is on. No trigger is ever published to one of them."""
    filters: tuple[str, ...] = (f"{base}/+/cmd/#", f"{base}/daemon/+/cmd/#")
    if homeassistant_prefix is not None:
        filters += (f"{homeassistant_prefix}/status",)
    return filters


def published_filters(
    base: str, homeassistant_prefix: str | None = None
) -> tuple[tuple[str, str], ...]:
    """The topics livetrigger daemons on ``base`` publish to, each with what it holds: Home
    Assistant's states and device triggers (homeassistant/discovery.py), the event stream,
    each daemon's availability; with discovery on, the discovery prefix. A rule action never
    publishes to one of them: viewer text must not overwrite what Home Assistant shows."""
    room = f"{base}/+"  # every room: other daemons on the base topic run other rooms
    filters: tuple[tuple[str, str], ...] = (
        (f"{room}/state", "a room's state (live, viewers, ...)"),
        (f"{room}/paused", "a room's paused switch"),
        (f"{room}/last_gift", "a room's last gift"),
        (f"{room}/last_chat", "a room's last chat"),
        (f"{room}/event", "a room's Home Assistant events"),
        (f"{room}/rule_fired/#", "Home Assistant's device triggers"),
        (f"{room}/events/#", "the event stream"),
        (f"{base}/daemon/+/status", "a daemon's availability"),
        (f"{base}/daemon/+/state", "a daemon's state"),
        (f"{base}/daemon/+/discovery", "a daemon's record of what it announced"),
        (f"{base}/daemon/+/devices", "a daemon's devices' states"),
    )
    if homeassistant_prefix is not None:
        filters += ((f"{homeassistant_prefix}/#", "Home Assistant's discovery"),)
    return filters


def published_topic(topic: str, filters: tuple[tuple[str, str], ...]) -> str | None:
    """Why ``topic`` is one the daemon publishes to itself (its filter and what it holds),
    or None."""
    for topic_filter, what in filters:
        if filter_matches(topic_filter, topic):
            return f"livetrigger publishes {what} there ({topic_filter})"
    return None


def filter_matches(topic_filter: str, topic: str) -> bool:
    """MQTT topic matching (``+`` one level, ``#`` the rest, including none)."""
    wanted = topic_filter.split("/")
    levels = topic.split("/")
    for i, level in enumerate(wanted):
        if level == "#":
            return True
        if i >= len(levels) or (level != "+" and level != levels[i]):
            return False
    return len(levels) == len(wanted)


def command_topic(topic: str, filters: tuple[str, ...] | list[str]) -> str | None:
    """The command filter ``topic`` falls under, or None."""
    return next((f for f in filters if filter_matches(f, topic)), None)

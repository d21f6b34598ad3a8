"""Checks across the validated sections that a field's own type cannot make: ports written
inside URLs, backoffs whose longest wait is shorter than their first, GPIO pins that are not
on the header or are used twice. Each returns
``(field path, message)`` pairs for the loader to place."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from livetrigger import settings as s
from livetrigger.config import gpio_header as pins
from livetrigger.config.durations import format_duration
from livetrigger.config.yamlpos import Path as KeyPath
from livetrigger.text.topics import entity_slug

# the schemes each URL may use
_SCHEMES = {
    "web_url": ("http", "https"),
    "webcast_url": ("http", "https"),
    "sign_url": ("http", "https"),
    "push_server": ("ws", "wss"),
    "proxy": ("http", "https", "socks4", "socks5", "socks5h"),
}
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


def url_problems(
    tiktok: s.TikTokSettings, webhooks: tuple[s.WebhookSettings, ...]
) -> Iterator[tuple[KeyPath, str]]:
    """URLs that would fail at the first request, said at their line instead: one that does
    not parse, a scheme the field cannot use, no host, a space or control character, a port
    outside 1..65535 (`http://host:99999` passed `check` once)."""
    urls: list[tuple[KeyPath, str | None, tuple[str, ...]]] = [
        (("tiktok", name), getattr(tiktok, name), schemes) for name, schemes in _SCHEMES.items()
    ]
    # a webhook URL's scheme is the loader's own check
    urls += [(("webhooks", w.name, "url"), w.url, ()) for w in webhooks]
    for where, url, schemes in urls:
        if not url or "{{" in url:  # templates are the rule compiler's business
            continue
        problem = _url_problem(url, schemes)
        if problem:
            yield where, problem


def _url_problem(url: str, schemes: tuple[str, ...]) -> str | None:
    example = f"{schemes[0] if schemes else 'https'}://host[:port]/path"
    if _UNSAFE.search(url):
        return "a URL holds no spaces or control characters: percent-encode them (a space is %20)"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"not a URL ({exc}): write it like {example}"
    if schemes and parts.scheme.lower() not in schemes:
        allowed = [f"{x}://" for x in schemes]
        return "the URL must start with " + (
            " or ".join(allowed)
            if len(allowed) < 3
            else ", ".join(allowed[:-1]) + " or " + allowed[-1]
        )
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        written = parts.netloc.rsplit(":", 1)[-1]
        return (
            f"`:{written}` is not a port: a TCP port is 1 to 65535 (or leave it out for the "
            "default)"
        )
    if not parts.hostname:
        return f"the URL names no host: write it like {example}"
    return None


def backoff_order(
    tiktok: s.TikTokSettings, mqtt: s.MqttSettings | None
) -> Iterator[tuple[KeyPath, str]]:
    pairs = [(("tiktok",), "reconnect_initial", tiktok.reconnect_initial, tiktok.reconnect_max)]
    if mqtt is not None:
        pairs.append((("mqtt",), "reconnect_min", mqtt.reconnect_min, mqtt.reconnect_max))
    for section, first, low, high in pairs:
        if high < low:
            yield (
                (*section, "reconnect_max"),
                f"the longest reconnect wait is shorter than the first ({first}): "
                f"make reconnect_max at least {format_duration(low)}",
            )


def gpio_pins(
    gpio: s.GpioSettings, line_of: Callable[[KeyPath], int | None]
) -> Iterator[tuple[KeyPath, str]]:
    """Pins that are not GPIOs of the 40-pin header, and pins given to two outputs/inputs
    (gpiozero raised GPIOPinInUse at start, or on a reload, as a traceback)."""
    users: dict[int, KeyPath] = {}
    named: list[tuple[KeyPath, int | str]] = [
        (("gpio", "outputs", o.name, "pin"), o.pin) for o in gpio.outputs
    ]
    named += [(("gpio", "inputs", i.name, "pin"), i.pin) for i in gpio.inputs]
    for where, spec in named:
        found = pins.resolve(spec)
        if found.gpio is None:
            yield where, found.problem
            continue
        first = users.setdefault(found.gpio, where)
        if first is not where:
            line = line_of(first)
            owner = ".".join(map(str, first[:3])) + (f" (line {line})" if line else "")
            yield (
                where,
                f"{pins.describe(found.gpio)} is already used by {owner}: "
                "each output and input needs a pin of its own",
            )


def device_names(
    devices: Iterable[Any], line_of: Callable[[KeyPath], int | None]
) -> Iterator[tuple[KeyPath, str]]:
    """A device whose name is another's to Home Assistant, whose ids ignore case and read any
    run of other characters as one `_`: the two would share their entities there."""
    first: dict[str, str] = {}
    for device in devices:
        other = first.setdefault(entity_slug(device.name), device.name)
        if other != device.name:
            line = line_of(("devices", other))
            at = f" (line {line})" if line else ""
            yield (
                ("devices", device.name),
                f"device names `{other}`{at} and `{device.name}` are one in Home Assistant "
                "(its ids ignore case and read `-` as `_`): rename one",
            )


def device_libraries(devices: Iterable[Any]) -> Iterator[tuple[KeyPath, str]]:
    """Each device whose kind's library is not installed, with the pip command that installs
    it: found without importing it (``find_spec``), so ``check`` stays light."""
    for device in devices:
        kind = device.device_kind
        if kind.module is None:
            continue
        try:
            found = importlib.util.find_spec(kind.module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            yield (
                ("devices", device.name, kind.key),
                f"{'an' if kind.key[0] in 'aeiou' else 'a'} {kind.key} device needs the "
                f"`{kind.module}` library: "
                f"pip install 'livetrigger[{kind.extra}]'",
            )


def chat_missing(session_id: str | None, sign_host: str | None, sign_url: str) -> str:
    """What the ``tiktok`` section lacks for a chat message to be sent, said as what to add
    ("" when nothing): sending posts the session id to the sign server, which is allowed only
    when ``session_id_sign_host`` names that server's host exactly (webcast/sign.py)."""
    try:
        host = urlsplit(sign_url).hostname or ""
    except ValueError:  # reported where the URL is checked
        host = ""
    if not session_id:
        return "needs a logged-in account: add `tiktok.session_id` (or `session_id_file`)" + (
            f" and `tiktok.session_id_sign_host: {host}`" if host else ""
        )
    if host and sign_host != host:
        return (
            "sends the session id to the sign server: add `tiktok.session_id_sign_host: "
            f"{host}` to allow it" + (f" (it names {sign_host!r})" if sign_host else "")
        )
    return ""

"""Checks across the validated sections that a field's own type cannot make: ports written
inside URLs, backoffs whose longest wait is shorter than their first, GPIO pins that are not
on the header or are used twice. Each returns
``(field path, message)`` pairs for the loader to place."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from livetrigger import settings as s
from livetrigger.config import gpio_header as pins
from livetrigger.config.durations import format_duration
from livetrigger.config.yamlpos import Path as KeyPath

_TIKTOK_URLS = ("web_url", "webcast_url", "sign_url", "push_server", "proxy")


def url_ports(
    tiktok: s.TikTokSettings, webhooks: tuple[s.WebhookSettings, ...]
) -> Iterator[tuple[KeyPath, str]]:
    """Every URL whose port is not 1..65535: `http://host:99999` passed `check` and failed
    at the first request."""
    urls: list[tuple[KeyPath, str | None]] = [
        (("tiktok", name), getattr(tiktok, name)) for name in _TIKTOK_URLS
    ]
    urls += [(("webhooks", w.name, "url"), w.url) for w in webhooks]
    for where, url in urls:
        if not url or "{{" in url:  # templates are the rule compiler's business
            continue
        problem = _port_problem(url)
        if problem:
            yield where, problem


def _port_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        port = -1
    if port is None or 1 <= port <= 65535:
        return None
    written = url.split("//", 1)[-1].split("/", 1)[0].rsplit(":", 1)[-1]
    return f"`:{written}` is not a port: a TCP port is 1 to 65535 (or leave it out for the default)"


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

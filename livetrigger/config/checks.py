"""Checks across the validated sections that a field's own type cannot make: ports written
inside URLs, backoffs whose longest wait is shorter than their first. Each returns
``(field path, message)`` pairs for the loader to place."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from livetrigger import settings as s
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

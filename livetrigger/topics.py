"""MQTT topic checks shared by the rules engine (rendered topics) and the MQTT client."""

from __future__ import annotations


def topic_problem(topic: str) -> str | None:
    """Why ``topic`` cannot be published to, or None. User content can end up in a topic
    template; a wildcard or NUL would make the broker drop the connection for everyone."""
    if not topic:
        return "empty topic"
    if "+" in topic or "#" in topic:
        return "wildcards + and # are not allowed in a publish topic"
    if "\x00" in topic:
        return "NUL character in topic"
    if "//" in topic or topic.startswith("/") or topic.endswith("/"):
        return "empty topic level"
    if len(topic.encode("utf-8", "surrogatepass")) > 65535:
        return "topic longer than 65535 bytes"
    return None


def topic_safe(text: str) -> str:
    """A topic level built from configuration text: lowercase, [a-z0-9_-] only."""
    out = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in text.lower())
    return out.strip("_") or "_"

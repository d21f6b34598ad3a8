"""What more than one action kind uses: the default JSON body, template text with its markup
blanked out, shortened payloads for describe lines and `check` hints, and the journal's value
readers."""

from __future__ import annotations

import base64
import re
from typing import Any

from livetrigger import events as ev
from livetrigger.actions.kind import Context
from livetrigger.text.printable import escape_controls, json_text

MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def default_payload(ctx: Context) -> bytes:
    """The JSON body of an MQTT or webhook action that gives no payload of its own."""
    event: ev.Event = ctx["event"]
    body = {
        "rule": ctx["rule"],
        "room": ctx["room"],
        "args": ctx.get("args") or {},
        "event": ev.event_to_dict(event),
    }
    return json_text(body, default=str).encode()


def sample(source: str, stand_in: str = "x") -> str:
    """A template with each markup replaced by ``stand_in``: what its own text contributes
    (wildcards, empty levels, forbidden characters) shows in every rendering."""
    return MARKUP.sub(stand_in, source)


def short(data: bytes | str, limit: int = 120) -> str:
    """``data`` as one printable line of at most ``limit`` characters."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = escape_controls(text)  # viewer text: one line, no terminal escapes
    return text if len(text) <= limit else text[: limit - 1] + "…"


def template_hint(source: str, limit: int = 40) -> str:
    """A template as `check`'s summary shows it: one line of about ``limit`` characters, cut
    at a token boundary (a space, or either side of a whole ``{{ }}`` hole, never inside
    one: a cut hole reads as a broken template) and marked with ``…``."""
    text = escape_controls(source)  # escapes hold no braces: the holes stay as they were
    if len(text) <= limit:
        return text
    room = limit - 1  # the … takes one
    holes = [m.span() for m in MARKUP.finditer(text)]
    cut = 0
    for start, end in holes:
        if start > room:
            break
        if end <= room:
            cut = max(cut, end)
        cut = max(cut, start)
    hole_at = dict(holes)
    i = 0
    while i <= room and i < len(text):  # spaces outside the holes, up to the limit
        if i in hole_at:
            i = hole_at[i]
            continue
        if text[i].isspace():
            cut = max(cut, i)
        i += 1
    if cut == 0:  # no boundary fits: a first hole is shown whole, a first word is cut
        cut = holes[0][1] if holes and holes[0][0] == 0 else room
    return text[:cut].rstrip() + "…"


# -- journal values -------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def from_b64(d: dict[str, Any], key: str) -> bytes:
    return base64.b64decode(text_at(d, key), validate=True)


def text_at(d: dict[str, Any], key: str) -> str:
    """``d[key]`` when it is a string; ValueError otherwise."""
    value = d.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """A list of ``[name, value]`` string pairs as a tuple of pairs; ValueError otherwise."""
    if not isinstance(value, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value
    ):
        raise ValueError("bad pairs")
    return tuple((p[0], p[1]) for p in value)

"""Viewer text made safe to print on a terminal or in a log: control characters become escapes,
so a nickname or a comment cannot start a line of its own, move the cursor back or send escape
sequences (clear the screen, set the window title)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

# C0 (CR, LF, ESC, ...), DEL and C1, and the Unicode line and paragraph separators, which some
# viewers break lines at
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control characters written as escapes (``\\r``, ``\\x1b``, ``\\u2028``)."""
    return (_CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL).sub(_escape, text)


# what json.dumps(ensure_ascii=False) leaves raw: C0 it escapes itself
_JSON_RAW_CONTROL = re.compile(r"[\x7f-\x9f\u2028\u2029]")


def json_line(value: Any, *, default: Callable[[Any], Any] | None = None) -> str:
    """One JSON document on one line, safe on a terminal: non-ASCII text stays readable, DEL,
    C1 and the line separators become ``\\uXXXX`` (still the same JSON)."""
    text = json.dumps(value, ensure_ascii=False, default=default)
    return _JSON_RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

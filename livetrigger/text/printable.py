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


# what json.dumps(ensure_ascii=False) leaves raw: a lone surrogate cannot be written as UTF-8
# (possible in replayed captures); DEL, C1 and the separators a terminal acts on (U+009B is a
# CSI). C0 json.dumps escapes itself.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_TERMINAL_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _json_escaping(
    pattern: re.Pattern[str], value: Any, default: Callable[[Any], Any] | None
) -> str:
    text = json.dumps(value, ensure_ascii=False, default=default)
    if pattern.search(text) is None:
        return text
    # inside a JSON string a character and its escape mean the same
    return pattern.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_text(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """``json.dumps`` that always gives text encodable as UTF-8, non-ASCII kept readable."""
    return _json_escaping(_SURROGATE, value, default)


def json_line(value: Any, *, default: Callable[[Any], Any] | None = None) -> str:
    """:func:`json_text` safe on a terminal too: DEL, C1 and the separators escaped."""
    return _json_escaping(_TERMINAL_UNSAFE, value, default)

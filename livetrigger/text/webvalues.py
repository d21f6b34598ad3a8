"""What a webhook action may put in a URL and in headers, from values a viewer controls.

A value printed into ``path`` is one percent-encoded segment, so ``a/../../b`` cannot move the
request to another path and ``#`` or ``?`` cannot cut it or add a query. A value printed into a
header is percent-encoded outside printable ASCII, so no emoji becomes a traceback and no CR/LF
becomes a second header. Query values are encoded by the HTTP client itself.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_SURROGATE = re.compile("[\ud800-\udfff]")
# a header value may hold visible ASCII, space and tab; `%` is encoded too, so decoding gives
# the value back
_HEADER_UNSAFE = re.compile("[^\x20-\x24\x26-\x7e]")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile("[\t\x20-\x7e]*")


def scrub(text: str) -> str:
    """``text`` with lone surrogates (only possible from a replayed capture) as U+FFFD: the
    one thing a Python string can hold that UTF-8 cannot."""
    return text if _SURROGATE.search(text) is None else _SURROGATE.sub("\ufffd", text)


def escape_segment(value: str) -> str:
    """``value`` as one URL path segment: everything but ASCII letters, digits, ``-``, ``_``
    and ``~`` percent-encoded as UTF-8 bytes (``.`` too, so no value is a ``..`` segment)."""
    return quote(scrub(value), safe="").replace(".", "%2E")


def escape_path(value: str) -> str:
    """``raw_path: true``: like :func:`escape_segment` but ``/`` and ``.`` are kept, so a value
    may span segments (and ``..`` moves up: that is what opting out means)."""
    return quote(scrub(value), safe="/")


def escape_header(value: str) -> str:
    """``value`` as header text: ``%`` and everything outside printable ASCII (control
    characters, CR, LF, tab, non-ASCII) percent-encoded as UTF-8 bytes."""
    if _HEADER_UNSAFE.search(value) is None:
        return value
    return _HEADER_UNSAFE.sub(
        lambda m: "".join(f"%{b:02X}" for b in scrub(m.group()).encode("utf-8")), value
    )


def header_problem(name: str, value: str) -> str | None:
    """Why ``name: value`` cannot be sent as an HTTP header, or None."""
    if not _TOKEN.fullmatch(name):
        return f"header name {name[:60]!r} is not a valid HTTP token"
    if not _HEADER_VALUE.fullmatch(value):
        bad = next(c for c in value if not _HEADER_VALUE.fullmatch(c))
        return (
            f"header {name}: character U+{ord(bad):04X} is not allowed in a header value "
            "(printable ASCII only; values printed by a template are encoded for you)"
        )
    return None


def endpoint_url(base: str, path: str) -> str:
    """The URL an action's ``path`` goes to under its endpoint's ``url``: always one ``/``
    between them, so ``https://h/base/`` + ``u/x`` is ``/base/u/x`` (not ``/baseu/x``) and
    ``https://h/base`` + ``/u/x`` the same."""
    if not path:
        return base
    return base.rstrip("/") + "/" + path.lstrip("/")

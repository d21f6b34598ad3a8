"""TikTok usernames as people paste them: ``@name``, ``name``, or a profile / live URL."""

from __future__ import annotations

import re

_USERNAME = re.compile(r"^[A-Za-z0-9._]{1,64}$")
_IN_URL = re.compile(r"tiktok\.com/@([^/?#]+)")


def parse_username(text: str) -> str | None:
    """The bare handle, or None when ``text`` is not a username in any of those forms."""
    t = text.strip()
    m = _IN_URL.search(t)
    if m:
        t = m.group(1)
    t = t.removesuffix("/live").lstrip("@")
    return t if _USERNAME.match(t) else None

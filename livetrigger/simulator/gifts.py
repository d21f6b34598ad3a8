"""The gifts of the fake room: what its gift list serves, what its shows send by name, and
what ``livetrigger simulate --gift NAME`` prices, so a gift is worth the same everywhere."""

from __future__ import annotations

from typing import Any

GIFTS: list[dict[str, Any]] = [
    {"id": 5655, "name": "Rose", "diamond_count": 1, "combo": True, "type": 1},
    {"id": 5269, "name": "TikTok", "diamond_count": 1, "combo": True, "type": 1},
    {"id": 7934, "name": "Galaxy", "diamond_count": 500, "combo": False, "type": 2},
    {"id": 6369, "name": "Lion", "diamond_count": 29999, "combo": False, "type": 2},
]


def known_gift(name: str) -> dict[str, Any] | None:
    """The catalogue's gift of that name (any case), if it has one."""
    return next((g for g in GIFTS if str(g["name"]).lower() == name.lower()), None)

"""Live platforms, registered by name: each opens one source per room (sources/base.py).

Adding a platform is one module implementing ``Platform`` and one line in ``PLATFORMS``
(docs/extending.md, "A live platform").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from livetrigger.sources.base import Platform, Source

if TYPE_CHECKING:
    from livetrigger.config import Config


def _tiktok(config: Config) -> Platform:
    from livetrigger.sources.tiktok import TikTokPlatform  # noqa: PLC0415 - httpx, protobuf

    return TikTokPlatform(config)


PLATFORMS: dict[str, Callable[[Config], Platform]] = {
    "tiktok": _tiktok,
}

__all__ = ["PLATFORMS", "Platform", "Source"]

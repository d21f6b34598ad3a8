"""TikTok LIVE as a platform: the WebCast client (scheduler, decoder, sign quota) per room."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Any

import httpx

from livetrigger.sources.base import EventListener, Source
from livetrigger.system.trust import http_context
from livetrigger.webcast.decode import Decoder
from livetrigger.webcast.retry import SignQuota
from livetrigger.webcast.scheduler import RoomScheduler

if TYPE_CHECKING:
    from livetrigger.config import Config, RoomConfig

log = logging.getLogger(__name__)


class TikTokPlatform:
    """Opens TikTok rooms sharing one HTTP client and one sign budget per daemon."""

    name = "tiktok"

    def __init__(self, config: Config) -> None:
        self.config = config
        # one budget per daemon; an unanswered request may reach the server until the
        # client's timeout
        self.quota = SignQuota(
            config.tiktok.sign_budget, in_flight_bound=config.tiktok.http_timeout
        )
        self.http = httpx.AsyncClient(
            proxy=config.tiktok.proxy, timeout=config.tiktok.http_timeout, verify=http_context()
        )

    def open(self, room: RoomConfig, on_event: EventListener) -> Source:
        """A scheduler for the room, not yet running."""
        decoder = Decoder()
        decoder.gap_max_age = self.config.daemon.outbox_max_age
        return RoomScheduler(
            room.settings,
            self.config.tiktok,
            http=self.http,
            on_event=on_event,
            decoder=decoder,
            quota=self.quota,
            process_initial_data=room.process_initial_data,
        )

    def reconfigure(self, old: Config, new: Config, sources: list[Source]) -> None:
        """New tiktok settings reach every room (they reconnect) and the shared budget."""
        self.config = new
        for source in sources:
            if isinstance(source, RoomScheduler):
                source.decoder.gap_max_age = new.daemon.outbox_max_age
        changes = changed_fields(old.tiktok, new.tiktok)
        if not changes:
            return
        log.info(
            "reload: tiktok settings changed (%s); reconnecting room(s) %s",
            ", ".join(changes),
            ", ".join(s.room.name for s in sources if isinstance(s, RoomScheduler)) or "none",
        )
        self.quota.budget = new.tiktok.sign_budget
        self.quota.in_flight_bound = new.tiktok.http_timeout
        for source in sources:
            if isinstance(source, RoomScheduler):
                source.apply_settings(new.tiktok)

    def figures(self) -> dict[str, Any]:
        """Sign requests left today under the budget."""
        return {"sign_left": self.quota.left_today(time.monotonic())}

    async def aclose(self) -> None:
        """Close the shared HTTP client."""
        await self.http.aclose()


def changed_fields(old: Any, new: Any) -> list[str]:
    """Names of the dataclass fields that differ (names only: values may be secrets)."""
    return [f.name for f in dataclasses.fields(old) if getattr(old, f.name) != getattr(new, f.name)]

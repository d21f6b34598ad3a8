"""The chat sink: sends templated messages to a room's chat, rate-limited per room."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from livetrigger.actions import ActionRequest, ChatSend
from livetrigger.errors import LivetriggerError, SinkError

log = logging.getLogger(__name__)


class ChatSink:
    """At most one message per ``interval`` per room (TikTok mutes chatty accounts); messages
    over the limit are refused with a SinkError, so they are counted as failed, not lost. A
    message that failed to send does not count against the limit."""

    def __init__(
        self,
        send: Callable[[str, str], Awaitable[None]],
        *,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}

    async def handle(self, request: ActionRequest) -> None:
        if not isinstance(request, ChatSend):
            raise SinkError(f"chat sink cannot carry out {type(request).__name__}")
        now = self._clock()
        last = self._last.get(request.room)
        if last is not None and now - last < self._interval:
            raise SinkError(
                f"chat to {request.room} rate-limited (one message per {self._interval:g}s)",
                retryable=False,
            )
        self._last[request.room] = now  # taken before sending: no second message meanwhile
        try:
            await self._send(request.room, request.text)
        except Exception as exc:
            # nothing reached the chat: the next message may go at once
            if last is None:
                del self._last[request.room]
            else:
                self._last[request.room] = last
            if isinstance(exc, LivetriggerError):
                raise SinkError(f"chat to {request.room}: {exc}") from exc
            raise

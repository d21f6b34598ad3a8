"""A live platform with no network: the test hands its sources events directly. It is the
smallest implementation of livetrigger.sources.base, and shows the daemon needs no more."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from livetrigger.config import Config, RoomConfig
from livetrigger.events import Event
from livetrigger.sources.base import EventListener, StateListener


class ToySource:
    """One room: connected at once; ``emit`` plays an event as if the platform sent it."""

    def __init__(self, on_event: EventListener) -> None:
        self.emit = on_event
        self.process_initial_data = False
        self.before_sign: Callable[[], Awaitable[None]] | None = None
        self.write_ahead: Callable[[], Awaitable[None]] | None = None
        self.state = "waiting"
        self.state_reason = ""
        self.room_id: int | None = None
        self.connected = asyncio.Event()
        self.stopped = asyncio.Event()
        self.chat: list[str] = []
        self.reconnects = 0
        self._listeners: list[StateListener] = []

    def on_state(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    async def run(self) -> None:
        self.state, self.room_id = "connected", 7
        for listener in self._listeners:
            listener("connected", "room 7")
        self.connected.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.stopped.set()

    def reconnect_now(self) -> None:
        self.reconnects += 1

    async def send_chat(self, text: str) -> None:
        self.chat.append(text)

    def stats(self) -> dict[str, int]:
        return {"reconnects": self.reconnects, "sign_requests_left_today": 0}

    def snapshot(self) -> dict[str, Any]:
        return {}

    def saved(self, data: dict[str, Any]) -> None:
        pass

    def restore(self, data: dict[str, Any], *, clean_shutdown: bool = True) -> None:
        pass


class ToyPlatform:
    """Opens toy sources and keeps them by room name."""

    name = "toy"

    def __init__(self) -> None:
        self.sources: dict[str, ToySource] = {}
        self.closed = False

    def open(self, room: RoomConfig, on_event: EventListener) -> ToySource:
        source = self.sources[room.settings.name] = ToySource(on_event)
        return source

    def reconfigure(self, old: Config, new: Config, sources: list[Any]) -> None:
        pass

    def figures(self) -> dict[str, Any]:
        return {}

    async def aclose(self) -> None:
        self.closed = True

    def emit(self, room: str, event: Event) -> None:
        self.sources[room].emit(event)

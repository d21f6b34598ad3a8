"""Several fake live rooms behind one HTTP port, so one daemon (whose ``tiktok`` URLs name a
single server) can watch several rooms of the simulator at once.

Each request goes to the room it is about: the live page by the ``@handle`` in its path, the
api-live lookup by ``uniqueId``, everything else by ``room_id`` / ``room_ids`` (the current
room id or an ended one). What names no room (the gift list, chat) goes to the first room.
Websockets need no routing: each room's sign answer names its own push server.

    async with FakeLiveRoom(unique_id="a") as a, FakeLiveRoom(unique_id="b", room_id=2) as b:
        async with RoomRouter([a, b]) as router:
            router.base_url  # web_url, webcast_url and sign_url of the daemon
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from livetrigger.simulator.httpd import Request, serve
from livetrigger.simulator.server import FakeLiveRoom


class RoomRouter:
    """One HTTP port in front of several fake rooms, each request routed to its room."""

    def __init__(self, rooms: Sequence[FakeLiveRoom], *, host: str = "127.0.0.1") -> None:
        if not rooms:
            raise ValueError("a router needs at least one room")
        handles = [r.unique_id for r in rooms]
        ids = [r.room_id for r in rooms]
        if len(set(handles)) != len(handles) or len(set(ids)) != len(ids):
            raise ValueError("rooms behind one router need distinct handles and room ids")
        self.rooms = list(rooms)
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        """The URL the daemon's web_url, webcast_url and sign_url name."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen on a free port of ``host``."""
        self._server = await serve(self.route, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def aclose(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> RoomRouter:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def room_for(self, req: Request) -> FakeLiveRoom:
        """The room a request is about (the first room when it names none)."""
        path, query = req.path, req.query
        if path.startswith("/@") and path.endswith("/live"):
            return self._by_handle(path[2 : -len("/live")])
        if "uniqueId" in query:
            return self._by_handle(query["uniqueId"])
        wanted = query.get("room_id") or query.get("room_ids", "").split(",")[0]
        for room in self.rooms:
            if wanted and (wanted == str(room.room_id) or wanted in map(str, room.ended_room_ids)):
                return room
        return self.rooms[0]

    def _by_handle(self, handle: str) -> FakeLiveRoom:
        return next((r for r in self.rooms if r.unique_id == handle), self.rooms[0])

    def route(self, req: Request) -> bytes:
        """The answer of the room the request is about."""
        return self.room_for(req).route(req)

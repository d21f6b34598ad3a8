"""The demo's stage: what a lighting console and a show controller would receive from the
demo's DMX (sACN) and OSC devices, heard on loopback and told one line each, so the demo
shows what its ``dmx`` and ``osc`` actions sent.

It listens with the ``sacn`` library's own receiver and python-osc's own server (the ``dmx``
and ``osc`` extras, imported only here and only when ``available()``): a runtime-only install
has neither, and the demo then leaves its stage out.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

LIBRARIES = ("sacn", "pythonosc")  # the dmx and osc extras
SETTLE = 0.08  # seconds without a newer frame before one is told: a fade says its last frame
MAX_SHOWN = 8  # channels a line shows at most


def available() -> bool:
    """Whether the receivers' libraries are installed."""
    return all(importlib.util.find_spec(name) is not None for name in LIBRARIES)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class StagePorts:
    """Where the stage listens: chosen once, so a reload finds the same devices."""

    sacn: int
    osc: int

    @classmethod
    def free(cls) -> StagePorts:
        return cls(_free_udp_port(), _free_udp_port())

    def env(self) -> dict[str, str]:
        """The variables the demo's stage config reads its ports from."""
        return {"DEMO_SACN_PORT": str(self.sacn), "DEMO_OSC_PORT": str(self.osc)}


class Stage:
    """``async with Stage(ports, say)``: an sACN receiver for universe ``universe`` and an OSC
    server on 127.0.0.1, each telling ``say`` what arrived (``say`` runs on the loop)."""

    def __init__(
        self,
        ports: StagePorts,
        say: Callable[[str], None],
        *,
        dmx_device: str = "stage",
        osc_device: str = "qlc",
        universe: int = 1,
    ) -> None:
        self.ports = ports
        self.say = say
        self.dmx_device = dmx_device
        self.osc_device = osc_device
        self.universe = universe
        self._receiver: Any = None
        self._osc: Any = None
        self._frame = b""
        self._told = b""
        self._shown = 0  # channels told: up to the highest one ever lit
        self._pending: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> Stage:
        import sacn  # noqa: PLC0415 - the dmx extra
        from pythonosc.dispatcher import Dispatcher  # noqa: PLC0415 - the osc extra
        from pythonosc.osc_server import AsyncIOOSCUDPServer  # noqa: PLC0415

        loop = self._loop = asyncio.get_running_loop()
        receiver = sacn.sACNreceiver(bind_address="127.0.0.1", bind_port=self.ports.sacn)

        def frame(packet: Any) -> None:  # on the receiver's thread
            loop.call_soon_threadsafe(self._arrived, bytes(packet.dmxData))

        receiver.register_listener("universe", frame, universe=self.universe)
        receiver.start()
        self._receiver = receiver
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(self._message)
        # python-osc types its loop as the concrete BaseEventLoop the running one is
        server = AsyncIOOSCUDPServer(
            ("127.0.0.1", self.ports.osc), dispatcher, cast(asyncio.BaseEventLoop, loop)
        )
        self._osc, _ = await server.create_serve_endpoint()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pending is not None:  # the last frame (the stop's safe state) is told too
            self._pending.cancel()
            self._tell()
        if self._osc is not None:
            self._osc.close()
        if self._receiver is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._receiver.stop)

    # -- DMX --------------------------------------------------------------------------------

    def _arrived(self, frame: bytes) -> None:
        self._frame = frame
        if self._pending is not None:
            self._pending.cancel()
        assert self._loop is not None
        self._pending = self._loop.call_later(SETTLE, self._tell)

    def _tell(self) -> None:
        self._pending = None
        frame = self._frame
        lit = max((i + 1 for i, v in enumerate(frame) if v), default=0)
        self._shown = min(MAX_SHOWN, max(self._shown, lit))
        if not self._shown or frame[: self._shown] == self._told[: self._shown]:
            return
        self._told = frame
        channels = " ".join(f"ch{i + 1}={frame[i]}" for i in range(self._shown))
        self.say(f"dmx {self.dmx_device}: {channels}")

    # -- OSC --------------------------------------------------------------------------------

    def _message(self, address: str, *args: Any) -> None:
        shown = " ".join(repr(a) if isinstance(a, str) else str(a) for a in args)
        self.say(f"osc {self.osc_device} {address} {shown}".rstrip())

"""The real receivers the device tests listen with, on loopback: the ``sacn`` library's own
receiver, a plain UDP socket that parses ArtDmx, and python-osc's own server."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import sacn
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import AsyncIOOSCUDPServer

WAIT = 60  # seconds a test waits for an event at most (a stuck test fails, a slow one passes)


def multicast_address() -> str | None:
    """The IPv4 address multicast leaves this machine from, when a group datagram sent there
    comes back to a member on the same machine (the kernel loops it back); None where it
    does not (no multicast route, as on a machine with loopback only)."""
    group, port = "239.255.77.77", free_udp_port()
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as member,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender,
    ):
        member.bind(("", port))
        join = socket.inet_aton(group) + socket.inet_aton("0.0.0.0")
        try:
            member.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, join)
            sender.sendto(b"anyone?", (group, port))
        except OSError:
            return None
        member.settimeout(2.0)  # loopback within the kernel: at once, or never
        try:
            _, (address, _) = member.recvfrom(16)
        except TimeoutError:
            return None
    return str(address)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Heard:
    """What a receiver got, in order, and a way to wait for one that matches."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = asyncio.Event()

    def add(self, item: Any) -> None:
        self.items.append(item)
        self._changed.set()

    async def first(self, match: Callable[[Any], bool], after: int = 0) -> int:
        """The index of the first item from ``after`` on that matches, once it arrived."""
        while True:
            for i in range(after, len(self.items)):
                if match(self.items[i]):
                    return i
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), WAIT)


@asynccontextmanager
async def sacn_receiver(
    port: int, universe: int = 1, *, multicast: bool = False
) -> AsyncIterator[Heard]:
    """The sacn library's receiver on 127.0.0.1:port (``multicast``: on every address, a
    member of the universe's group): each frame of ``universe`` (its 512 values as bytes;
    the library reports changes only), and "terminated" when the stream ends."""
    loop = asyncio.get_running_loop()
    heard = Heard()
    receiver = sacn.sACNreceiver(
        bind_address="0.0.0.0" if multicast else "127.0.0.1", bind_port=port
    )
    if multicast:
        receiver.join_multicast(universe)

    def frame(packet: Any) -> None:
        loop.call_soon_threadsafe(heard.add, bytes(packet.dmxData))

    def availability(universe: int, changed: str) -> None:
        if changed == "timeout":
            loop.call_soon_threadsafe(heard.add, "terminated")

    receiver.register_listener("universe", frame, universe=universe)
    receiver.register_listener("availability", availability)
    receiver.start()
    try:
        yield heard
    finally:
        await asyncio.to_thread(receiver.stop)


class _ArtnetProtocol(asyncio.DatagramProtocol):
    def __init__(self, heard: Heard) -> None:
        self.heard = heard

    def datagram_received(self, data: bytes, addr: Any) -> None:
        assert data[:8] == b"Art-Net\x00", data[:8]
        (opcode,) = struct.unpack("<H", data[8:10])
        version, sequence, physical, sub_uni, net, length = struct.unpack(">HBBBBH", data[10:18])
        assert (opcode, version, physical) == (0x5000, 14, 0)
        assert 1 <= sequence <= 255 and length == len(data) - 18
        self.heard.add(((net << 8) | sub_uni, bytes(data[18:])))


@asynccontextmanager
async def artnet_receiver(port: int) -> AsyncIterator[Heard]:
    """A UDP socket on 127.0.0.1:port: each ArtDmx packet as (port-address, data)."""
    heard = Heard()
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _ArtnetProtocol(heard), local_addr=("127.0.0.1", port)
    )
    try:
        yield heard
    finally:
        transport.close()


@asynccontextmanager
async def osc_server(port: int) -> AsyncIterator[Heard]:
    """python-osc's asyncio server on 127.0.0.1:port: each message as (address, args)."""
    heard = Heard()
    dispatcher = Dispatcher()
    dispatcher.set_default_handler(lambda address, *args: heard.add((address, list(args))))
    server = AsyncIOOSCUDPServer(("127.0.0.1", port), dispatcher, asyncio.get_running_loop())
    transport, _ = await server.create_serve_endpoint()
    try:
        yield heard
    finally:
        transport.close()

"""The ``sacn`` device kind: a DMX universe sent as sACN (ANSI E1.31) over UDP, unicast to
``destination`` or, without one, multicast to the universe's group (239.255.hi.lo).

The ``sacn`` library (extra ``dmx``) builds the packets; the socket and the timing are the
daemon's own: a frame leaves as soon as it changes (the library's sender thread would wait
for its next tick), the library's fixed port 5568 becomes a setting, and the unchanged
universe is resent every ``keep_alive``. At the close three stream-terminated packets end the
stream, as E1.31 asks of a source that stops.
"""

from __future__ import annotations

import ipaddress
import random
import socket
from dataclasses import dataclass

from livetrigger.devices.base import DeviceKind
from livetrigger.devices.dmx import DmxSettings, DmxUniverse, ip_problem
from livetrigger.settings import key


@dataclass(frozen=True, slots=True, kw_only=True)
class SacnSettings(DmxSettings):
    """One sACN universe."""

    universe: int = key(1, low=1, high=63999)
    destination: str | None = key(None, doc="a receiver's address; none: multicast")
    port: int = key(5568, low=1, high=65535, why="a UDP port")
    priority: int = key(100, low=0, high=200, doc="E1.31 source priority; the highest wins")
    source_name: str = key("livetrigger", doc="how consoles list this source")
    ttl: int = key(8, low=1, high=255, doc="multicast hops")
    interface: str | None = key(
        None,
        doc="multicast: this machine's IPv4 address on the lighting network; none: the"
        " system's choice (the interface of its default route)",
    )

    def mistake(self) -> str | None:
        if self.interface is None:
            return ip_problem(self.destination, "destination")
        if self.destination is not None:
            return "`interface` chooses where multicast leaves: drop it, or drop `destination`"
        try:
            ipaddress.IPv4Address(self.interface)
        except ValueError:
            got = self.interface[:60]
            return (
                "`interface` is this machine's IPv4 address on the lighting network, like"
                f" 192.168.1.10 (got {got!r}; `ip -4 addr` lists them)"
            )
        return None


class Sacn:
    key = "sacn"
    settings = SacnSettings
    extra = "dmx"
    module = "sacn"

    def open(self, name: str, settings: SacnSettings) -> DmxUniverse:
        from sacn.messages.data_packet import DataPacket  # noqa: PLC0415 - the extra

        cid = tuple(random.randrange(256) for _ in range(16))  # this source, until the stop
        packet = DataPacket(
            cid=cid,
            sourceName=settings.source_name[:63],
            universe=settings.universe,
            priority=settings.priority,
        )
        v6 = settings.destination is not None and ":" in settings.destination
        sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        multicast = settings.destination is None
        if settings.destination is None:
            group = packet.calculate_multicast_addr()
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, settings.ttl)
            if settings.interface is not None:  # a Pi on Wi-Fi with a wired lighting network
                iface = socket.inet_aton(settings.interface)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, iface)
            where: tuple[str, int] = (group, settings.port)
        else:  # connected: a receiver that refuses says so on the next send
            where = (settings.destination, settings.port)
            sock.connect(where)

        def encoded(frame: bytes, terminated: bool = False) -> bytes:
            packet.dmxData = tuple(frame)
            packet.option_StreamTerminated = terminated
            data = bytes(packet.getBytes())
            packet.sequence_increase()
            return data

        def transmit(frame: bytes) -> None:
            sock.sendto(encoded(frame), where) if multicast else sock.send(encoded(frame))

        def terminate(frame: bytes) -> None:
            for _ in range(3):
                data = encoded(frame, terminated=True)
                sock.sendto(data, where) if multicast else sock.send(data)

        return DmxUniverse(name, settings, transmit, terminate, sock.close)


KIND: DeviceKind[SacnSettings] = Sacn()  # mypy checks it against the seam

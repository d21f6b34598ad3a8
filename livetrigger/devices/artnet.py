"""The ``artnet`` device kind: a DMX universe sent as Art-Net ArtDmx packets over UDP to a
node (``host``, port 6454). The packet is 18 bytes of header and the 512 channel values, built
here: no library is needed.

ArtDmx (OpCode 0x5000): "Art-Net" and a NUL; the OpCode, little-endian; the protocol version
14, big-endian; a sequence (1-255, 0 would turn reordering off); the physical port (0); the
low byte of the 15-bit port-address (sub-net and universe) and its high 7 bits (net); the data
length, big-endian; the data.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from livetrigger.devices.base import DeviceKind
from livetrigger.devices.dmx import CHANNELS, DmxSettings, DmxUniverse, ip_problem
from livetrigger.settings import key

HEADER = b"Art-Net\x00"
OP_DMX = 0x5000
PROTOCOL = 14


def art_dmx(universe: int, sequence: int, frame: bytes) -> bytes:
    """One ArtDmx packet for the 15-bit port-address ``universe``."""
    return (
        HEADER
        + struct.pack("<H", OP_DMX)
        + struct.pack(">HBBBBH", PROTOCOL, sequence, 0, universe & 0xFF, universe >> 8, len(frame))
        + frame
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtnetSettings(DmxSettings):
    """One Art-Net universe of one node."""

    host: str = key(doc="the node's IP address")
    port: int = key(6454, low=1, high=65535, why="a UDP port")
    universe: int = key(0, low=0, high=32767, doc="the 15-bit port-address: net, sub-net, universe")

    def mistake(self) -> str | None:
        return ip_problem(self.host, "host")


class Artnet:
    key = "artnet"
    settings = ArtnetSettings
    extra = "dmx"
    module = None

    def open(self, name: str, settings: ArtnetSettings) -> DmxUniverse:
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setblocking(False)
        if settings.host.endswith(".255"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.connect((settings.host, settings.port))  # a node that refuses says so
        sequence = 0

        def transmit(frame: bytes) -> None:
            nonlocal sequence
            sequence = sequence % 255 + 1
            sock.send(art_dmx(settings.universe, sequence, frame[:CHANNELS]))

        return DmxUniverse(name, settings, transmit, None, sock.close)


KIND: DeviceKind[ArtnetSettings] = Artnet()  # mypy checks it against the seam

"""The ``osc`` device kind: OSC 1.0 messages over UDP to ``host``:``port`` (QLC+, a sound
desk, TouchDesigner, ...) through python-osc's client (extra ``osc``).

OSC has no answer and no state to read back: a message is sent and forgotten, so an ``osc``
alert has no ``duration`` and the safe state is to send nothing more. A host that is not an
IP address is looked up once, off the event loop, at the first message.

An OSC string ends at its first NUL: a NUL inside a text argument would end it early and what
follows would be read as further arguments, so it is sent as U+FFFD instead; so is a lone
surrogate, which UTF-8 cannot encode (python-osc would refuse the whole message). Each
argument's type tag follows the rule's own value: an int is an int32, a float a float32, a
bool T or F, text a string.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from dataclasses import dataclass
from typing import Any

from livetrigger.devices.base import DeviceAway, DeviceKind, DeviceLimits
from livetrigger.settings import key

# what an OSC string cannot hold: NUL, which ends it, and lone surrogates (half an emoji, as a
# replayed capture may hold), which have no UTF-8 form
_UNSENDABLE = re.compile("[\x00\ud800-\udfff]")

INT32 = (-(2**31), 2**31 - 1)
FLOAT32_MAX = 3.4028234663852886e38  # a float beyond it has no float32 form


def osc_string(text: str) -> str:
    """``text`` as one whole OSC string: what it cannot hold becomes U+FFFD."""
    return _UNSENDABLE.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class OscCommand:
    """One message: its address and its arguments (each one OSC argument)."""

    address: str
    args: tuple[str | int | float | bool, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OscSettings(DeviceLimits):
    """Where the messages go."""

    host: str = key(doc="the receiver's address or name")
    port: int = key(low=1, high=65535, why="a UDP port")


def _tagged(arg: str | int | float | bool) -> tuple[str | int | float | bool, str]:
    """``arg`` and its type tag, named rather than guessed (python-osc makes an int64 of
    -2**31)."""
    if isinstance(arg, bool):
        return arg, "T" if arg else "F"
    if isinstance(arg, int):
        return arg, "i"
    if isinstance(arg, float):
        return arg, "f"
    return osc_string(arg), "s"


class OscDevice:
    """python-osc's UDP client, made at the first message."""

    can_snapshot = False

    def __init__(self, settings: OscSettings) -> None:
        self.settings = settings
        self.client: Any = None
        self.final = False

    async def _client(self) -> Any:
        if self.client is None:
            from pythonosc.udp_client import UDPClient  # noqa: PLC0415 - the extra

            s = self.settings
            try:  # the look-up may block: off the loop, once
                infos = await asyncio.to_thread(
                    socket.getaddrinfo, s.host, s.port, type=socket.SOCK_DGRAM
                )
            except OSError as exc:
                raise DeviceAway(f"cannot find host {s.host!r}: {exc.strerror or exc}") from None
            address = infos[0][4][0]
            self.client = UDPClient(str(address), s.port)
        return self.client

    async def send(self, command: Any) -> None:
        assert isinstance(command, OscCommand)
        if self.final:
            raise DeviceAway("made safe: sends nothing more")
        from pythonosc.osc_message_builder import OscMessageBuilder  # noqa: PLC0415

        builder = OscMessageBuilder(address=command.address)
        for arg in command.args:  # each one argument: a viewer's text stays one string
            builder.add_arg(*_tagged(arg))
        message = builder.build()
        client = await self._client()
        try:
            client.send(message)
        except OSError as exc:
            raise DeviceAway(str(exc.strerror or exc)) from None

    async def snapshot(self) -> Any:
        raise DeviceAway("OSC cannot read a state back")

    async def restore(self, snapshot: Any) -> None:
        return

    def safe(self, before: Any | None) -> None:
        """Nothing to undo: no further message leaves."""
        self.final = True

    async def aclose(self) -> None:
        if self.client is not None:
            with contextlib.suppress(OSError):
                self.client._sock.close()


class Osc:
    key = "osc"
    settings = OscSettings
    extra = "osc"
    module = "pythonosc"

    def open(self, name: str, settings: OscSettings) -> OscDevice:
        return OscDevice(settings)


KIND: DeviceKind[OscSettings] = Osc()  # mypy checks it against the seam

"""The ``serial`` device kind: a line protocol over a serial port (an Arduino driving a relay,
a buzzer, a strip): ``arduino: {serial: {port: /dev/ttyACM0, baud: 115200}}``, driven by the
``serial`` action (``actions/serial.py``).

One command is one line: the text, encoded, cut to ``max_line`` bytes, then ``newline``. The
action escapes control characters in what it renders, so a viewer's text never holds a line
break (docs/devices.md). The port is kept open for the daemon's life (a classic Arduino
restarts each time its port opens); when it goes away (a USB cable pulled) it is opened again
in the background, every ``reconnect_wait``, and a line sent meanwhile tries once itself.
The device has no state to read back: an alert's ``after`` line undoes it, and the device's
``safe`` line is sent at the stop. pySerial comes through ``serial_asyncio_fast``, imported
when the first device opens.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from livetrigger.devices.base import DeviceAway, DeviceKind, DeviceLimits
from livetrigger.settings import key
from livetrigger.text.printable import escape_controls

log = logging.getLogger(__name__)

# the longest line the port's reply may be before it is logged cut (the device's own chatter)
_REPLY_LIMIT = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class SerialSettings(DeviceLimits):
    """A serial port that takes one command per line."""

    port: str = key(doc="the port: /dev/ttyACM0, or its stable /dev/serial/by-id/... name")
    baud: int = key(9600, low=50, high=4_000_000, doc="the speed the sketch's Serial.begin uses")
    newline: str = key(
        "\n",
        pattern="\r?\n",
        pattern_help='write "\\n" or "\\r\\n" (in double quotes)',
        doc='ends each line: "\\n" or "\\r\\n"',
    )
    encoding: str = key("utf-8", doc="how text becomes bytes (ascii: anything else is `?`)")
    max_line: int = key(
        200, low=8, high=4096, doc="bytes of one line without the newline; a longer line is cut"
    )
    safe: str | None = key(None, doc="a line sent when livetrigger stops (e.g. ALL OFF)")
    settle: float = key(
        0.0,
        low=0.0,
        high=10.0,
        doc="waits this long after opening the port before a line (a classic Arduino "
        "restarts when its port opens: 2s)",
    )
    reconnect_wait: float = key(
        1.0, low=0.01, high=60.0, doc="between tries to open the port again while it is away"
    )

    def mistake(self) -> str | None:
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            return f"unknown encoding `{self.encoding}` (utf-8, ascii, latin-1, ...)"
        if self.safe is not None and escape_controls(self.safe) != self.safe:
            return "`safe` is one line: no line breaks or other control characters"
        if self.settle >= self.timeout:
            return "`settle` must be shorter than `timeout`: a line waits for it"
        return None


@dataclass(frozen=True, slots=True)
class SerialLine:
    """One command: ``line`` now, and ``after`` when the alert's ``duration`` ends (or at the
    stop while it plays). Both are already one line (the action escaped them)."""

    line: str
    after: str | None = None


class _Link(asyncio.Protocol):
    """The port while it is open: logs what the device says, and notices when it goes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lost = asyncio.Event()
        self.reason = ""
        self._pending = b""

    def data_received(self, data: bytes) -> None:
        self._pending += data
        *lines, self._pending = self._pending.split(b"\n")
        self._pending = self._pending[-_REPLY_LIMIT:]
        for raw in lines:
            text = raw[:_REPLY_LIMIT].decode("utf-8", "replace").rstrip("\r")
            log.debug("device %s says: %s", self.name, escape_controls(text))

    def connection_lost(self, exc: Exception | None) -> None:
        self.reason = _words(exc) if exc is not None else "closed"
        self.lost.set()


class SerialPort:
    """One serial device: the port, opened and reopened in the background."""

    can_snapshot = False

    def __init__(self, name: str, settings: SerialSettings) -> None:
        # only a config with a serial device loads pySerial
        import serial_asyncio_fast  # noqa: PLC0415

        self._create = serial_asyncio_fast.create_serial_connection
        self.name = name
        self.settings = settings
        self.connected = asyncio.Event()  # the port is open (tests and status wait on it)
        self.lines_sent = 0
        self._transport: Any = None
        self._link: _Link | None = None
        self._opened_at = 0.0
        self._after: str | None = None  # the after line of the alert that plays
        self._lock = asyncio.Lock()
        self._closed = False
        self._away_logged = ""
        self._watch: asyncio.Task[None] | None = None
        with contextlib.suppress(RuntimeError):  # opened outside a loop: the first line opens
            self._watch = asyncio.get_running_loop().create_task(self._keep_open())

    # -- the Device seam --------------------------------------------------------------------

    async def send(self, command: Any) -> None:
        assert isinstance(command, SerialLine)
        await self._write(command.line)
        self._after = command.after  # only once the alert plays: the stop sends it

    async def snapshot(self) -> Any:
        return None  # nothing to read back: the alert's `after` line undoes it

    async def restore(self, snapshot: Any) -> None:
        after, self._after = self._after, None
        if after is not None:
            await self._write(after)

    def safe(self, before: Any | None) -> None:
        """The playing alert's ``after`` line, then the device's ``safe`` line, written now."""
        lines = [x for x in (self._after, self.settings.safe) if x is not None]
        self._after = None
        if not lines:
            return
        transport = self._transport
        if transport is None or transport.is_closing():
            log.warning("device %s: port not open: cannot send %s", self.name, " / ".join(lines))
            return
        # write() sends at once when nothing waits (the kernel takes a short line); what it
        # cannot take is flushed by aclose before the port closes
        transport.write(b"".join(self._encoded(x) for x in lines))

    async def aclose(self) -> None:
        self._closed = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self._close_port()

    # -- the port ---------------------------------------------------------------------------

    def _encoded(self, text: str) -> bytes:
        s = self.settings
        data = text.encode(s.encoding, "replace")
        if len(data) > s.max_line:
            # cut at a character's end: a half UTF-8 sequence would be one more `?`
            data = data[: s.max_line].decode(s.encoding, "ignore").encode(s.encoding)
            log.debug("device %s: line cut to %d bytes", self.name, s.max_line)
        return data + s.newline.encode("ascii")

    async def _write(self, text: str) -> None:
        data = self._encoded(text)
        transport = await self._open()
        settled = self._opened_at + self.settings.settle - time.monotonic()
        if settled > 0:
            await asyncio.sleep(settled)
        transport.write(data)
        # the port died under the write (the transport closed itself) or will not drain
        while not transport.is_closing() and transport.get_write_buffer_size():
            await asyncio.sleep(0.005)
        if transport.is_closing():
            assert self._link is not None
            raise DeviceAway(f"{self.settings.port}: lost while writing: {self._link.reason}")
        self.lines_sent += 1

    async def _open(self) -> Any:
        """The open port, opening it now when it is not."""
        async with self._lock:
            if self._transport is not None and not self._transport.is_closing():
                return self._transport
            await self._close_port()
            link = _Link(self.name)
            s = self.settings
            try:
                transport, _ = await self._create(
                    asyncio.get_running_loop(), lambda: link, s.port, baudrate=s.baud
                )
            except (OSError, ValueError) as exc:  # pySerial's SerialException is an OSError
                raise DeviceAway(f"cannot open {s.port}: {_words(exc)}") from None
            self._transport, self._link = transport, link
            self._opened_at = time.monotonic()
            self.connected.set()
            if self._away_logged:
                log.info("device %s: %s open again", self.name, s.port)
            self._away_logged = ""
            return transport

    async def _close_port(self) -> None:
        transport, link = self._transport, self._link
        self._transport = self._link = None
        self.connected.clear()
        if transport is None or link is None:
            return
        transport.close()  # writes what waits first, then closes
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.settings.timeout):
                await link.lost.wait()

    async def _keep_open(self) -> None:
        """Open the port, and open it again whenever it goes away, until the device closes."""
        while not self._closed:
            try:
                await self._open()
            except DeviceAway as exc:
                if str(exc) != self._away_logged:  # once per reason, not every try
                    self._away_logged = str(exc)
                    log.warning("device %s: away: %s; trying again", self.name, exc)
                await asyncio.sleep(self.settings.reconnect_wait)
                continue
            link = self._link
            assert link is not None
            await link.lost.wait()
            if not self._closed:
                self._away_logged = f"lost: {link.reason}"
                log.warning("device %s: %s lost: %s", self.name, self.settings.port, link.reason)
                self.connected.clear()


def _words(exc: BaseException) -> str:
    # pySerial wraps the OS error in its message ("could not open port x: [Errno 2] ...: 'x'")
    # but keeps the number
    code = getattr(exc, "errno", None)
    if isinstance(code, int) and code > 0:
        return os.strerror(code)
    return str(exc) or repr(exc)


class Kind:
    key = "serial"
    settings = SerialSettings
    extra = "serial"
    module = "serial_asyncio_fast"

    def open(self, name: str, settings: SerialSettings) -> SerialPort:
        return SerialPort(name, settings)


KIND: DeviceKind[SerialSettings] = Kind()

"""The ``serial`` kind through a whole daemon, against a pty pair: the daemon opens the pty's
port end as its serial port (pySerial configures it as a real tty), the test reads each line
at the other end. A viewer's line break never becomes a second command, an alert's ``after``
line follows its ``duration``, the ``safe`` line goes out at the stop and at SIGTERM, and a
port that is missing, appears, disappears (the USB cable pulled) and comes back is counted,
logged and opened again while the other actions go on."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from livetrigger import events as ev
from livetrigger.commands.status import render
from livetrigger.devices.serial import SerialPort
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.lamp_daemon import lamp_config, lamp_daemon
from tests.support.toy_daemon import Running, daemon, gift, problems

ROOM = 'rooms:\n  - username: "@toy"\n    rules:\n'


class Pty:
    """A pty pair posing as a USB serial adapter at ``link`` (a symlink, as udev makes
    /dev/serial/by-id/ names): the daemon opens the link, the test reads the other end."""

    def __init__(self, link: Path) -> None:
        self.master, self.slave = os.openpty()
        os.set_blocking(self.master, False)
        self.link = link
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(os.ttyname(self.slave))
        self.buffer = b""
        self.got = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(self.master, self._read)
        self.open = True

    def _read(self) -> None:
        try:
            self.buffer += os.read(self.master, 4096)
        except OSError:  # EIO: nothing has the port end open (between the daemon's tries)
            return
        self.got.set()

    async def line(self) -> bytes:
        """The next line the daemon wrote, with its line end."""
        while b"\n" not in self.buffer:
            self.got.clear()
            await asyncio.wait_for(self.got.wait(), 60)
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"

    def unplug(self) -> None:
        """The cable pulled: the device node goes, and the port end reads EIO."""
        if not self.open:
            return
        self.open = False
        if not self.loop.is_closed():
            self.loop.remove_reader(self.master)
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def ptys() -> Iterator[list[Pty]]:
    made: list[Pty] = []
    yield made
    for pty in made:
        pty.unplug()


def port_of(d: Running, name: str = "arduino") -> SerialPort:
    device = d.device("serial", name)
    assert isinstance(device, SerialPort)
    return device


# -- check ----------------------------------------------------------------------------------


def test_check_places_serial_mistakes_at_their_line() -> None:
    assert problems(
        "devices:\n"
        "  arduino: {serial: {port: /dev/ttyACM0, encoding: klingon}}\n"
        '  lamp: {serial: {port: /dev/ttyUSB0, newline: "\\r"}}\n'
        '  relay: {serial: {port: /dev/ttyUSB1, safe: "A\\nB"}}\n'
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + '          - serial: {device: arduino, line: "GIFT\\nRELAY OFF"}\n'
        + "          - serial: {device: arduino, line: x, after: OFF}\n"
        + "          - serial: {device: '{{ user.nickname }}', line: x}\n"
        + "          - serial: {device: arduino, line: '{{ nosuchfield }}'}\n"
    ) == [
        "<config>:2:13: devices.arduino.serial: unknown encoding `klingon` (utf-8, ascii,"
        " latin-1, ...)",
        '<config>:3:39: devices.lamp.serial.newline: write "\\n" or "\\r\\n" (in double'
        " quotes) (got '\\r')",
        "<config>:4:11: devices.relay.serial: `safe` is one line: no line breaks or other"
        " control characters",
        "<config>:11:39: rooms[0].rules[0].do[0].serial.line: one line: no line breaks or other"
        " control characters (send two lines with two actions)",
        "<config>:12:48: rooms[0].rules[0].do[1].serial.after: `after` is sent when `duration`"
        " ends: give `duration`",
        "<config>:13:22: rooms[0].rules[0].do[2].serial.device: `device` is not a template:"
        " a viewer never picks the device",
        "<config>:14:39: rooms[0].rules[0].do[3].serial.line: unknown name `nosuchfield` in"
        " '{{ nosuchfield }}'",
    ]


# -- through a running daemon ---------------------------------------------------------------


async def test_a_viewers_line_break_never_becomes_a_second_command(
    tmp_path: Path, ptys: list[Pty]
) -> None:
    ptys.append(pty := Pty(tmp_path / "ttyACM0"))
    config = (
        f"devices:\n  arduino: {{serial: {{port: {pty.link}, baud: 115200}}}}\n"
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + '          - serial: {device: arduino, line: "GIFT {{ total_diamonds }}'
        ' {{ user.nickname }}"}\n'
    )
    async with daemon(config, tmp_path) as d:
        d.emit(gift("Alice\nRELAY OFF\r\x1b[2J\u2028X", 100))
        d.emit(gift("Bob", 5))
        # exactly one line per alert: the next line read is the next alert's
        assert await pty.line() == b"GIFT 100 Alice\\nRELAY OFF\\r\\x1b[2J\\u2028X\n"
        assert await pty.line() == b"GIFT 5 Bob\n"
        shown = d.snapshot()["serial"]["devices"]["arduino"]
        assert shown["state"] == "ok" and shown["sent"] == 2


async def test_a_long_line_is_cut_to_max_line_bytes_at_a_character(
    tmp_path: Path, ptys: list[Pty]
) -> None:
    ptys.append(pty := Pty(tmp_path / "ttyACM0"))
    config = (
        f"devices:\n  arduino: {{serial: {{port: {pty.link}, max_line: 12,"
        ' newline: "\\r\\n"}}\n'
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + '          - serial: {device: arduino, line: "HI {{ user.nickname }}"}\n'
    )
    async with daemon(config, tmp_path) as d:
        d.emit(gift("Zoë" * 10))
        assert await pty.line() == "HI ZoëZoëZ".encode() + b"\r\n"  # 11 bytes: ë is two


async def test_after_follows_the_duration_and_safe_goes_out_at_the_stop(
    tmp_path: Path, ptys: list[Pty]
) -> None:
    ptys.append(pty := Pty(tmp_path / "ttyACM0"))
    config = (
        f"devices:\n  arduino: {{serial: {{port: {pty.link}, safe: ALL OFF}}}}\n"
        + ROOM
        + "      - id: a\n        on: gift\n        if: total_diamonds < 50\n        do:\n"
        + "          - serial: {device: arduino, line: RELAY ON, duration: 50ms, after: OFF}\n"
        + "      - id: big\n        on: gift\n        if: total_diamonds >= 50\n        do:\n"
        + "          - serial: {device: arduino, line: STROBE, duration: 10m,"
        " after: '{{ user.nickname }} done'}\n"
    )
    async with daemon(config, tmp_path) as d:
        d.emit(gift(diamonds=1))
        assert [await pty.line(), await pty.line()] == [b"RELAY ON\n", b"OFF\n"]
        d.emit(gift("Eve\nRELAY ON", 100))
        assert await pty.line() == b"STROBE\n"
        assert d.snapshot()["serial"]["devices"]["arduino"]["playing"] is True
        d.daemon.request_stop()  # mid-alert: its after line, then the device's safe line
        assert [await pty.line(), await pty.line()] == [b"Eve\\nRELAY ON done\n", b"ALL OFF\n"]
        await d.stop()


async def test_a_port_that_is_missing_then_appears_then_is_pulled_and_comes_back(
    tmp_path: Path, ptys: list[Pty]
) -> None:
    link = tmp_path / "ttyACM0"
    config = (
        f"devices:\n  arduino: {{serial: {{port: {link}, retries: 1, retry_wait: 10ms,"
        " reconnect_wait: 20ms}}\n"
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + "          - serial: {device: arduino, line: 'GIFT {{ total_diamonds }}'}\n"
        + "          - log: fired\n"
    )
    async with daemon(config, tmp_path) as d:
        port = port_of(d)
        d.emit(gift(diamonds=1))  # no port yet: away, counted; the log goes on
        snap = await d.settled("device:arduino", 1)
        shown = snap["serial"]["devices"]["arduino"]
        assert shown["state"] == "away"
        assert shown["reason"] == f"cannot open {link}: No such file or directory"
        assert (shown["retries"], shown["failures"], shown["sent"]) == (1, 1, 0)
        assert snap["actions"]["log"]["ok"] == 1
        assert f"arduino: away: cannot open {link}" in render(snap)

        ptys.append(first := Pty(link))  # plugged in: opened in the background
        await asyncio.wait_for(port.connected.wait(), 60)
        d.emit(gift(diamonds=2))
        assert await first.line() == b"GIFT 2\n"
        await d.settled("device:arduino", 2)
        assert d.snapshot()["serial"]["devices"]["arduino"]["state"] == "ok"

        first.unplug()  # pulled: the daemon sees the port end fail and lets it go
        while port.connected.is_set():
            await asyncio.sleep(0.01)
        d.emit(gift(diamonds=3))
        snap = await d.settled("device:arduino", 3)
        assert snap["actions"]["device:arduino"]["failed"] == 2
        assert snap["serial"]["devices"]["arduino"]["state"] == "away"

        ptys.append(second := Pty(link))  # back: opened again without an alert
        await asyncio.wait_for(port.connected.wait(), 60)
        d.emit(gift(diamonds=4))
        assert await second.line() == b"GIFT 4\n"
        snap = await d.settled("device:arduino", 4)
        assert snap["actions"]["log"]["ok"] == 4 and snap["actions"]["device:arduino"]["ok"] == 2


async def test_sigterm_sends_the_safe_line(tmp_path: Path, ptys: list[Pty]) -> None:
    ptys.append(pty := Pty(tmp_path / "ttyACM0"))
    rules = (
        "      - id: relay\n        on: gift\n        do:\n"
        "          - serial: {device: arduino, line: RELAY ON, duration: 10m, after: RELAY OFF}\n"
    )
    devices = f"devices:\n  arduino: {{serial: {{port: {pty.link}, safe: ALL OFF}}}}\n"
    async with (
        FakeLiveRoom() as room,
        lamp_daemon(tmp_path, room, lamp_config(room, tmp_path, rules, devices)) as d,
    ):
        await room.send(
            ev.GiftEvent(
                msg_id=room.next_msg_id(),
                user=ev.User(id=9, unique_id="sam", nickname="Sam"),
                gift_id=5655,
                gift_name="Rose",
                diamonds=1,
                repeat_count=1,
            )
        )
        assert await pty.line() == b"RELAY ON\n"
        d.proc.send_signal(signal.SIGTERM)
        assert [await pty.line(), await pty.line()] == [b"RELAY OFF\n", b"ALL OFF\n"]
        assert d.proc.wait(60) == 0

"""Pins (issue 19, item 9): `pin: 999`, a pin that is not a GPIO, and two outputs on one pin
all passed `check` and were tracebacks at start (or "Task exception was never retrieved" on a
reload). Now `check` names the line and what to write; a pin the board itself refuses at
`run` or on a reload is a logged message: `run` exits 1, a reload keeps the running config.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger.actions import GpioCommand
from livetrigger.config import load_config, load_config_text
from livetrigger.config.gpio_header import HEADER, WIRINGPI, resolve
from livetrigger.daemon import Daemon
from livetrigger.errors import ConfigError
from livetrigger.simulator.server import FakeLiveRoom

PI_1_B = "000e"  # a 26-pin board: GPIO17 is there, GPIO26 is not


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "c.yaml")
    return list(info.value.problems)


BAD_PINS = """\
rooms: [{username: "@x"}]
gpio:
  pin_factory: mock
  outputs:
    lamp: {pin: 17, kind: relay}
    huge: {pin: 999}
    power: {pin: BOARD1}
    lower: {pin: gpio22}
    twin: {pin: BOARD11}
  inputs:
    kill: {pin: J8:11, role: kill_switch}
"""


def test_check_names_every_bad_or_shared_pin_at_its_line(tmp_path: Path) -> None:
    found = {int(p.split(":")[1]): p for p in problems_of(BAD_PINS)}
    assert sorted(found) == [6, 7, 8, 9, 11], found
    assert "gpio.outputs.huge.pin: 999 is not a GPIO" in found[6] and "0 to 27" in found[6]
    assert "BOARD1 is a 3V3 pin, not a GPIO" in found[7]
    assert "upper case: write GPIO22" in found[8]
    for line in (9, 11):
        assert "GPIO17 (header pin 11) is already used by gpio.outputs.lamp (line 5)" in found[line]
    path = tmp_path / "config.yaml"
    path.write_text(BAD_PINS)
    for argv in (["check", str(path)], ["run", "-c", str(path)]):
        result = subprocess.run(
            [sys.executable, "-m", "livetrigger", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1, (argv, result.stderr)
        assert "Traceback" not in result.stderr and "already used by" in result.stderr


def test_the_header_table_is_gpiozeros() -> None:
    # check reads pins without gpiozero: its table must say what gpiozero's does
    board = MockFactory().board_info
    header = board.headers["J8"]
    for position, info in header.pins.items():
        want = int(info.name[4:]) if info.name.startswith("GPIO") else None
        assert (HEADER[position - 1] if want is not None else None) == want
        for name in info.names:
            assert resolve(name).gpio == want, name
    assert {resolve(f"WPI{n}").gpio for n in WIRINGPI} == {
        int(i.name[4:]) for i in header.pins.values() if i.name.startswith("GPIO")
    }


def config_for(room: FakeLiveRoom, tmp: Path, outputs: str) -> str:
    return f"""\
tiktok: {{web_url: "{room.base_url}", webcast_url: "{room.base_url}", sign_url: "{room.base_url}",
         live_check_interval: 200ms, reconnect_initial: 100ms}}
gpio:
  pin_factory: mock
  outputs:
{outputs}
daemon: {{state_dir: "{tmp}", status_socket: "{tmp}/s.sock"}}
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: lamp_on
        on: follow
        do: [{{gpio: {{output: lamp, action: "on"}}}}]
"""


async def test_run_on_a_board_without_the_pin_logs_it_and_exits_1(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeLiveRoom() as room:
        text = config_for(room, tmp_path, "    lamp: {pin: 17}\n    fan: {pin: 26}")
        daemon = Daemon(load_config_text(text), pin_factory=MockFactory(revision=PI_1_B))
        with caplog.at_level(logging.ERROR):
            assert await asyncio.wait_for(daemon.run(), 30) == 1
    errors = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert "gpio.outputs.fan.pin: pin 26 is not on this Raspberry Pi" in errors, errors
    assert "not starting" in errors


@asynccontextmanager
async def running(config_path: Path, factory: MockFactory) -> AsyncIterator[Daemon]:
    daemon = Daemon(load_config(config_path), pin_factory=factory)
    task = asyncio.create_task(daemon.run())
    try:
        while daemon.outputs.dispatcher is None:
            assert not task.done(), task
            await asyncio.sleep(0.01)
        yield daemon
    finally:
        daemon.request_stop()
        assert await asyncio.wait_for(task, 30) == 0


async def test_a_reload_the_board_refuses_keeps_the_running_config(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    never_retrieved: list[object] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, ctx: never_retrieved.append(ctx))
    path = tmp_path / "config.yaml"
    async with FakeLiveRoom() as room:
        path.write_text(config_for(room, tmp_path, "    lamp: {pin: 17, kind: relay}"))
        async with running(path, MockFactory(revision=PI_1_B, pin_class=MockPWMPin)) as daemon:
            before = daemon.config
            path.write_text(
                config_for(room, tmp_path, "    lamp: {pin: 27, kind: relay}\n    fan: {pin: 26}")
            )
            with caplog.at_level(logging.ERROR):
                assert await daemon.control.reload() is False
            assert daemon.config is before and daemon.reloader.config_errors == 1
            assert daemon.outputs.sink("gpio") is not None and set(daemon.outputs.sink("gpio").outputs) == {"lamp"}
            lamp = daemon.outputs.sink("gpio").outputs["lamp"]
            assert lamp.settings.pin == 17
            await daemon.outputs.sink("gpio").handle(GpioCommand(rule_id="lamp_on", output="lamp", verb="on"))
            assert lamp.device.pin.state == 1  # the old output still drives its pin
    errors = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert "keeping the running config" in errors
    assert "gpio.outputs.fan.pin: pin 26 is not on this Raspberry Pi" in errors, errors
    assert never_retrieved == []


async def test_a_reload_may_give_an_inputs_pin_to_an_output(tmp_path: Path) -> None:
    # the old input kept its pin until after the new outputs were built: GPIOPinInUse
    path = tmp_path / "config.yaml"
    async with FakeLiveRoom() as room:
        first = config_for(room, tmp_path, "    lamp: {pin: 17}")
        path.write_text(
            first.replace("gpio:\n", "gpio:\n  inputs:\n    kill: {pin: 22, role: kill_switch}\n")
        )
        async with running(path, MockFactory(pin_class=MockPWMPin)) as daemon:
            assert daemon.outputs.sink("gpio") is not None and set(daemon.outputs.sink("gpio").inputs) == {"kill"}
            path.write_text(config_for(room, tmp_path, "    lamp: {pin: 17}\n    fan: {pin: 22}"))
            assert await daemon.control.reload() is True
            assert set(daemon.outputs.sink("gpio").outputs) == {"lamp", "fan"} and not daemon.outputs.sink("gpio").inputs

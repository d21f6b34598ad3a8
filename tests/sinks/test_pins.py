"""The pin driver: chosen per board in gpiozero's order, named at start, and a clear refusal
(not silent mock pins) when the config has outputs and no real pins can be opened."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from livetrigger.actions.sinks import pins
from livetrigger.actions.sinks.pins import NoPinsError, open_pin_factory
from livetrigger.config import load_config
from livetrigger.daemon import Daemon

NO_DRIVERS = pytest.mark.skipif(
    any(importlib.util.find_spec(m) for m in ("lgpio", "RPi", "pigpio"))
    or Path("/proc/device-tree/model").exists(),
    reason="this machine has a pin driver or a board: the no-pins path cannot be shown here",
)


@pytest.fixture
def pi5(tmp_path: Path) -> Path:
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\0")
    return model


def test_mock_only_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "livetrigger.actions.sinks.pins")
    assert isinstance(open_pin_factory("mock"), MockFactory)
    assert "mock pins (pin_factory: mock)" in caplog.text


@NO_DRIVERS
def test_auto_without_hardware_is_an_error_that_says_why(tmp_path: Path) -> None:
    with pytest.raises(NoPinsError) as caught:
        open_pin_factory("auto", model_file=tmp_path / "absent")
    message = str(caught.value)
    assert "does not look like a Raspberry Pi" in message
    assert "lgpio: its Python module lgpio is not installed" in message
    assert "apt install python3-lgpio" in message and "--system-site-packages" in message
    assert "native: " in message  # gpiozero's last resort was tried too
    assert "gpio.pin_factory: mock" in message


@NO_DRIVERS
def test_a_pi5_is_driven_by_lgpio_only(pi5: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RPi.GPIO and the native driver were written for the older chips: on a Pi 5 only lgpio
    is tried, and the board is not called foreign."""
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    with pytest.raises(NoPinsError) as caught:
        open_pin_factory("auto", model_file=pi5)
    message = str(caught.value)
    assert "lgpio:" in message
    assert "rpigpio" not in message and "native" not in message
    assert "does not look like a Raspberry Pi" not in message


@NO_DRIVERS
def test_gpiozero_pin_factory_variable_is_an_explicit_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "pigpio")
    with pytest.raises(NoPinsError) as caught:
        open_pin_factory("auto", model_file=tmp_path / "absent")
    assert "pigpio:" in str(caught.value) and "lgpio:" not in str(caught.value)


def test_the_chosen_driver_is_named(pi5: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # gpiozero's mock factory stands in for a driver that opens (no Pi 5 on a CI machine)
    monkeypatch.setitem(pins.DRIVERS, "lgpio", ("gpiozero.pins.mock", "MockFactory"))
    caplog.set_level(logging.INFO, "livetrigger.actions.sinks.pins")
    assert isinstance(open_pin_factory("auto", model_file=pi5), MockFactory)
    assert "gpio: pins via lgpio on Raspberry Pi 5 Model B Rev 1.0" in caplog.text


def test_an_unwritable_working_directory_is_named_for_lgpio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """gpiozero issue 1106: lgpio creates files in the working directory."""
    monkeypatch.setattr(pins.os, "access", lambda path, mode: path != ".")
    text = pins.explain([("lgpio", "can not open gpiochip")], "Raspberry Pi 5 Model B Rev 1.0")
    assert "lgpio: can not open gpiochip" in text
    assert "working directory" in text and "not writable" in text


@NO_DRIVERS
def test_run_with_outputs_and_no_pins_exits_1_with_the_reason(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    # its own socket and state: not the machine's defaults, which a running daemon (or the same
    # test in a suite side by side) holds
    config.write_text(
        f"daemon: {{status_socket: {tmp_path}/s.sock, state_dir: {tmp_path}/state}}\n"
        + textwrap.dedent(
            """\
            gpio:
              outputs:
                lamp: {pin: 17, kind: relay}
            rooms:
              - username: "@someone"
                rules:
                  - {id: lamp, on: gift, do: [{gpio: {output: lamp, action: pulse, duration: 1s}}]}
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "livetrigger", "run", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "no real pins can be opened" in done.stderr
    assert "gpio.pin_factory: mock" in done.stderr
    assert "Traceback" not in done.stderr


@NO_DRIVERS
async def test_a_reload_that_adds_outputs_without_pins_keeps_the_running_config(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    room = """\
        rooms:
          - username: "@someone"
            rules:
              - {id: hello, on: follow, do: [{log: "followed"}]}
        """
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent(room))
    daemon = Daemon(load_config(path))
    path.write_text(textwrap.dedent("gpio:\n  outputs:\n    lamp: {pin: 17}\n") + textwrap.dedent(room))
    assert await daemon.control.reload() is False
    assert "no real pins can be opened" in caplog.text and "keeping the running config" in caplog.text
    assert daemon.outputs.sink("gpio") is None and not daemon.config.gpio.outputs
    assert daemon.reloader.config_errors == 1

"""Which pin driver drives the GPIO outputs, and why none can when none can.

``auto`` tries the drivers in gpiozero's own order (lgpio, rpigpio, pigpio, native), except
on a Raspberry Pi 5 where only lgpio can reach the pins (the others were written for the
older chips). Whatever is chosen is named in the log at start. When nothing can open real
pins, ``open_pin_factory`` raises ``NoPinsError`` with the reasons that apply on this machine
(no Raspberry Pi, the driver's Python module missing, no permission on /dev/gpiochip*, a
working directory lgpio cannot write): mock pins are used only when the config says
``pin_factory: mock`` (and in the demo and the tests), never as a silent fallback.
"""

from __future__ import annotations

import grp
import importlib
import logging
import os
import platform
import pwd
import warnings
from pathlib import Path
from typing import Any

from livetrigger.errors import LivetriggerError

log = logging.getLogger(__name__)

# gpiozero's preference order (Device._default_pin_factory) and where each driver lives
DRIVERS: dict[str, tuple[str, str]] = {
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory"),
    "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory"),
    "native": ("gpiozero.pins.native", "NativeFactory"),
}
# the Python module each driver needs, and where Debian / Raspberry Pi OS ship it
MODULES = {
    "lgpio": ("lgpio", "python3-lgpio"),
    "rpigpio": ("RPi", "python3-rpi.gpio"),
    "pigpio": ("pigpio", "python3-pigpio"),
}
MODEL_FILE = Path("/proc/device-tree/model")


class NoPinsError(LivetriggerError):
    """The config has GPIO outputs or inputs and no driver can open real pins here."""


def board_model(model_file: Path = MODEL_FILE) -> str | None:
    """The board's name from the device tree ("Raspberry Pi 5 Model B Rev 1.0"), if any."""
    try:
        return model_file.read_bytes().rstrip(b"\0\n").decode("utf-8", "replace") or None
    except OSError:
        return None


def open_pin_factory(name: str, *, model_file: Path = MODEL_FILE) -> Any:
    """The gpiozero pin factory for ``gpio.pin_factory``, named in the log."""
    if name == "mock":
        from gpiozero.pins.mock import MockFactory, MockPWMPin  # noqa: PLC0415

        log.info("gpio: mock pins (pin_factory: mock): outputs are simulated, nothing switches")
        return MockFactory(pin_class=MockPWMPin)
    model = board_model(model_file)
    if name != "auto":
        candidates = [name]
    elif os.environ.get("GPIOZERO_PIN_FACTORY"):
        # the variable gpiozero itself honours: an explicit choice, as in gpiozero
        candidates = [os.environ["GPIOZERO_PIN_FACTORY"].lower()]
    elif model is not None and model.startswith("Raspberry Pi 5"):
        candidates = ["lgpio"]
    else:
        candidates = list(DRIVERS)
    failures: list[tuple[str, str]] = []
    for driver in candidates:
        if driver not in DRIVERS:
            failures.append((driver, "not a pin driver gpiozero knows"))
            continue
        module, cls = DRIVERS[driver]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # gpiozero warns about native; we log below
                factory = getattr(importlib.import_module(module), cls)()
        except Exception as exc:
            failures.append((driver, str(exc) or type(exc).__name__))
            continue
        where = model or platform.machine()
        log.info("gpio: pins via %s on %s", driver, where)
        if driver == "native":
            log.warning("gpio: the native driver has no hardware PWM and is gpiozero's last resort")
        return factory
    raise NoPinsError(explain(failures, model))


def explain(failures: list[tuple[str, str]], model: str | None) -> str:
    """Why no driver opened the pins, in the order a person would check: the board, the
    driver's module, the device permissions, lgpio's working directory."""
    reasons: list[str] = []
    chips = sorted(Path("/dev").glob("gpiochip*"))
    if model is None or not model.startswith("Raspberry Pi"):
        board = f"the board is {model!r}" if model else f"no board model ({platform.machine()})"
        reasons.append(
            f"this does not look like a Raspberry Pi ({board}"
            + (", and no /dev/gpiochip*" if not chips else "")
            + ")"
        )
    for driver, message in failures:
        module = MODULES.get(driver)
        if module is not None and f"No module named '{module[0]}'" in message:
            reasons.append(
                f"{driver}: its Python module {module[0]} is not installed here (Debian: "
                f"apt install {module[1]}, and give a venv --system-site-packages; or pip "
                f"install {module[0] if driver != 'rpigpio' else 'RPi.GPIO'} into it)"
            )
        else:
            reasons.append(f"{driver}: {message}")
    denied = [c for c in chips if not os.access(c, os.R_OK | os.W_OK)]
    if denied:
        reasons.append(
            f"no permission on {', '.join(map(str, denied))} for user {_user()}: add it to the "
            f"group that owns them ({_group(denied[0])}): sudo usermod -aG {_group(denied[0])} "
            f"{_user()}, then log in again (the service from install-service has it)"
        )
    if not os.access(".", os.W_OK) and any(d == "lgpio" for d, _ in failures):
        reasons.append(
            f"the working directory {Path.cwd()} is not writable, and lgpio creates files "
            "there: start livetrigger from a writable directory (the service uses its state "
            "directory)"
        )
    return (
        "gpio: no real pins can be opened, so the outputs in the config would do nothing:\n  - "
        + "\n  - ".join(reasons)
        + "\nTo run without hardware on purpose, set gpio.pin_factory: mock "
        "(outputs are simulated; `livetrigger demo` does this)."
    )


def _user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def _group(path: Path) -> str:
    try:
        return grp.getgrgid(path.stat().st_gid).gr_name
    except (KeyError, OSError):
        return "gpio"

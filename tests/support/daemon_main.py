"""The real daemon in a subprocess, on MockFactory pins, with every pin change appended to a
file the test reads (``WALL NAME VALUE MONOTONIC`` per line):
``python -m tests.support.daemon_main CONFIG PINLOG``. ``LIVETRIGGER_TEST_CLOCK_SHIFT``
(seconds) moves the wall clock the outbox stamps and measures ages with: a daemon that
believes it is days earlier leaves a journal that is days old."""

from __future__ import annotations

from livetrigger.system import early_signals

early_signals.catch()  # as `livetrigger run` does: a stop during the imports below is clean

import asyncio  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from gpiozero.pins.mock import MockFactory, MockPWMPin  # noqa: E402

from livetrigger.config import load_config  # noqa: E402
from livetrigger.daemon import Daemon, Hooks  # noqa: E402
from livetrigger.system.logs import setup_logging  # noqa: E402


def main() -> int:
    config = load_config(sys.argv[1])
    pin_log = Path(sys.argv[2]).open("a", buffering=1)  # noqa: SIM115 - lives as long as the process

    def pin_change(name: str, value: float) -> None:
        # wall clock (compared with the sender's time in bench/e2e.py), then the monotonic
        # clock, which is system-wide: tests order pin changes against their own moments
        pin_log.write(f"{time.time():.6f} {name} {value:g} {time.monotonic():.6f}\n")

    level = os.environ.get("LIVETRIGGER_TEST_LOG_LEVEL", "debug")
    redactor = setup_logging(level, "text", secrets=config.secrets)
    shift = float(os.environ.get("LIVETRIGGER_TEST_CLOCK_SHIFT", "0"))
    daemon = Daemon(
        config,
        pin_factory=MockFactory(pin_class=MockPWMPin),
        hooks=Hooks(pin_change=pin_change),
        redactor=redactor,
        wall_clock=lambda: time.time() + shift,
    )
    return asyncio.run(daemon.run())


if __name__ == "__main__":
    sys.exit(main())

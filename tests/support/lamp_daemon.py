"""The real daemon in a subprocess (tests/support/daemon_main.py) against a FakeLiveRoom in
the test's process, with one MockFactory relay `lamp` and no broker: the smallest whole daemon
for fault tests that watch its pins and its log."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from livetrigger.simulator.server import FakeLiveRoom

ROOT = Path(__file__).resolve().parents[2]


def lamp_config(room: FakeLiveRoom, tmp_path: Path, rules: str, extra: str = "") -> str:
    """A config for ``room`` whose rules (YAML list items indented by six) can switch `lamp`."""
    return f"""\
tiktok:
  web_url: {room.base_url}
  webcast_url: {room.base_url}
  sign_url: {room.base_url}
  live_check_interval: 200ms
  reconnect_initial: 100ms
gpio:
  pin_factory: mock
  outputs:
    lamp: {{pin: 17, kind: relay}}
daemon:
  status_socket: {tmp_path}/status.sock
{extra}rooms:
  - username: "@{room.unique_id}"
    rules:
{rules}"""


@dataclass
class LampDaemon:
    proc: subprocess.Popen[bytes]
    config: Path
    pins: Path
    log: Path

    def lamp_turned_on(self) -> bool:
        return "lamp 1" in self.pins.read_text()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
        """Wait for an event; the timeout only catches a hang (the log is in the message)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"no {what}; daemon log:\n{self.log_text()[-3000:]}")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def lamp_daemon(
    tmp_path: Path, room: FakeLiveRoom, config_text: str
) -> AsyncIterator[LampDaemon]:
    config = tmp_path / "config.yaml"
    config.write_text(config_text)
    pins = tmp_path / "pins.log"
    pins.write_text("")
    log = tmp_path / "daemon.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.daemon_main", str(config), str(pins)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LIVETRIGGER_TEST_LOG_LEVEL": "info"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        await room.wait_for_client(60)
        yield LampDaemon(proc, config, pins, log)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)

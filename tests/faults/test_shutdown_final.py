"""Shutdown is final (issue 19, item 4): once SIGTERM's all-off has run, nothing turns an
output on again. The scheduler's own `disconnected` event while its room stops, a rule
that turns a relay on when that happens and GPIO commands still queued all meet the
stopped daemon, not the pin. Every transition of the pin is recorded by the pin itself.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon
from livetrigger.simulator.server import FakeLiveRoom


class RecordingPin(MockPWMPin):
    """Every state change, in order, with the moment it happened."""

    log: list[tuple[float, str, float]]  # (monotonic time, pin name, value)

    def _change_state(self, value: float) -> bool:  # type: ignore[override]
        changed: bool = super()._change_state(value)
        if changed:
            RecordingPin.log.append((time.monotonic(), self.info.name, float(value)))
        return changed


def config_for(room: FakeLiveRoom, state_dir: Path) -> str:
    return f"""\
tiktok: {{web_url: "{room.base_url}", webcast_url: "{room.base_url}", sign_url: "{room.base_url}",
         live_check_interval: 200ms, reconnect_initial: 100ms}}
gpio:
  pin_factory: mock
  outputs:
    relay: {{pin: 17, kind: relay}}
    siren: {{pin: 27, kind: relay}}
daemon: {{state_dir: "{state_dir}", status_socket: "{state_dir}/s.sock", shutdown_timeout: 2s}}
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: on_connect
        on: connected
        do: [{{gpio: {{output: relay, action: "on"}}}}]
      - id: lost_it
        description: the kind of rule that bit us - a relay on when the stream drops
        on: disconnected
        do:
          - gpio: {{output: relay, action: "on"}}
          - gpio: {{output: siren, action: pulse, duration: 5s}}
"""


async def test_no_output_comes_back_on_after_the_all_off(tmp_path: Path) -> None:
    RecordingPin.log = []
    async with FakeLiveRoom() as room:
        config = load_config_text(config_for(room, tmp_path))
        daemon = Daemon(config, pin_factory=MockFactory(pin_class=RecordingPin))
        task = asyncio.create_task(daemon.run())
        try:
            await room.wait_for_client()
            deadline = time.monotonic() + 60  # only catches a hang
            while not any(pin == "GPIO17" and value == 1 for _, pin, value in RecordingPin.log):
                assert time.monotonic() < deadline, "the connected rule never turned the relay on"
                await asyncio.sleep(0.01)
        finally:
            daemon.request_stop()  # what SIGTERM calls
            all_off = time.monotonic()
            await asyncio.wait_for(task, 30)
    after = [(pin, value) for t, pin, value in RecordingPin.log if t >= all_off]
    assert ("GPIO17", 0.0) in [(p, v) for t, p, v in RecordingPin.log if t <= all_off]
    assert not any(value > 0 for _, value in after), f"on again after the all-off: {after}"
    fired = daemon.event_path.rule_fires
    assert fired["on_connect"] == 1 and fired["lost_it"] == 0, dict(fired)

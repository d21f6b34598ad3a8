"""`max_on` holds when the event loop does not (issue 19, item 3): a catastrophic regex or a
slow template once froze the loop for 104 s while a `max_on: 2s` relay stayed on. Here a rule
turns a relay on and the very next thing the loop runs blocks it; the relay must go off at
its deadline while the loop is still blocked, switched by a thread that does not need it.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon
from livetrigger.simulator.server import FakeLiveRoom

HANG = 60.0  # only to end the test if the relay never goes off: the loop is blocked this long


class GuardedRelayPin(MockPWMPin):
    """GPIO17 blocks the event loop the moment it goes on, and says when it goes off."""

    off = threading.Event()
    blocked = threading.Event()  # set while the loop is blocked
    off_while_blocked: list[bool] = []
    off_thread: list[int] = []
    loop_thread = 0

    def _change_state(self, value: float) -> bool:  # type: ignore[override]
        changed: bool = super()._change_state(value)
        if not changed or self.info.name != "GPIO17":
            return changed
        cls = GuardedRelayPin
        if value:
            cls.loop_thread = threading.get_ident()
            asyncio.get_running_loop().call_soon(cls.block_loop)
        else:
            cls.off_while_blocked.append(cls.blocked.is_set())
            cls.off_thread.append(threading.get_ident())
            cls.off.set()
        return changed

    @classmethod
    def block_loop(cls) -> None:
        # what a 31-character comment against `(a+)+$` did: nothing else runs on the loop
        cls.blocked.set()
        try:
            cls.off.wait(HANG)
        finally:
            cls.blocked.clear()


def config_for(room: FakeLiveRoom, state_dir: Path) -> str:
    return f"""\
tiktok: {{web_url: "{room.base_url}", webcast_url: "{room.base_url}", sign_url: "{room.base_url}",
         live_check_interval: 200ms, reconnect_initial: 100ms}}
gpio:
  pin_factory: mock
  outputs:
    relay: {{pin: 17, kind: relay, max_on: 300ms}}
daemon: {{state_dir: "{state_dir}", status_socket: "{state_dir}/s.sock"}}
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: relay_on
        on: connected
        do: [{{gpio: {{output: relay, action: "on"}}}}]
"""


async def test_max_on_switches_the_relay_off_while_the_loop_is_blocked(tmp_path: Path) -> None:
    GuardedRelayPin.off.clear()
    GuardedRelayPin.off_while_blocked.clear()
    GuardedRelayPin.off_thread.clear()
    async with FakeLiveRoom() as room:
        config = load_config_text(config_for(room, tmp_path))
        daemon = Daemon(config, pin_factory=MockFactory(pin_class=GuardedRelayPin))
        task = asyncio.create_task(daemon.run())
        try:
            # the loop runs here again only once the blocked callback has returned
            await asyncio.wait_for(asyncio.to_thread(GuardedRelayPin.off.wait, HANG), HANG + 5)
        finally:
            daemon.request_stop()
            await asyncio.wait_for(task, 30)
    assert GuardedRelayPin.off_while_blocked, "the relay never went off"
    assert GuardedRelayPin.off_while_blocked[0], "off only once the loop was free again"
    assert GuardedRelayPin.off_thread[0] != GuardedRelayPin.loop_thread
    assert daemon.event_path.rule_fires["relay_on"] == 1

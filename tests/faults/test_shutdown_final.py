"""Shutdown is final (issue 19, item 4): once SIGTERM's all-off has run, nothing turns an
output on again, though three things are set to: a blink pattern running on the relay at the
stop (its next "on" is due), GPIO commands a rule submitted just before the stop and still
queued when the all-off runs, and the scheduler's own `disconnected` event while its room
stops, which a rule turns into a relay on and a siren pulse. Each is checked to have happened
after the all-off (issue 29: the test once passed with none of them trying), and every
transition of the pins is recorded by the pins themselves.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger import events as ev
from livetrigger.actions import ActionRequest, GpioCommand
from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon, Hooks
from livetrigger.daemon.dispatch import Outcome
from livetrigger.rules.engine import Firing
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.waiting import wait_until


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
        do: [{{gpio: {{output: relay, action: blink, on_time: 30ms, off_time: 30ms}}}}]
      - id: surge
        description: fired just before the stop; its commands are still queued at the all-off
        on: gift
        do:
          - gpio: {{output: siren, action: "on"}}
          - gpio: {{output: relay, action: "on"}}
      - id: lost_it
        description: the kind of rule that bit us - a relay on when the stream drops
        on: disconnected
        do:
          - gpio: {{output: relay, action: "on"}}
          - gpio: {{output: siren, action: pulse, duration: 5s}}
"""


def ons(pin: str, since: float = 0.0) -> int:
    return sum(1 for t, p, v in RecordingPin.log if p == pin and v > 0 and t >= since)


async def test_no_output_comes_back_on_after_the_all_off(tmp_path: Path) -> None:
    RecordingPin.log = []
    all_off: list[float] = []  # when the stop's all-off had run
    done: list[tuple[ActionRequest, Outcome, float]] = []  # (request, outcome, when)
    daemon: Daemon

    def stop() -> None:
        daemon.request_stop()  # what SIGTERM calls
        all_off.append(time.monotonic())

    def firing(room: str, f: Firing) -> None:
        if f.rule_id == "surge":
            # the signal comes now, while this firing's commands go into the queue: the
            # queue runs them after the all-off (a callback scheduled before their worker)
            asyncio.get_running_loop().call_soon(stop)

    def action_done(request: ActionRequest, outcome: Outcome, seconds: float) -> None:
        done.append((request, outcome, time.monotonic()))

    async with FakeLiveRoom() as room:
        config = load_config_text(config_for(room, tmp_path))
        daemon = Daemon(
            config,
            pin_factory=MockFactory(pin_class=RecordingPin),
            hooks=Hooks(firing=firing, action_done=action_done),
        )
        task = asyncio.create_task(daemon.run())
        try:
            await room.wait_for_client()
            # the blink runs: its next "on" is always due
            await wait_until(lambda: ons("GPIO17") >= 3, "the relay blinking")
            await room.send(
                ev.GiftEvent(
                    msg_id=room.next_msg_id(),
                    user=ev.User(id=5, unique_id="late"),
                    gift_id=7934,
                    gift_name="Galaxy",
                    diamonds=500,
                    repeat_count=1,
                    streak=ev.StreakState.SINGLE,
                )
            )
            await wait_until(lambda: all_off, "the stop during the gift's firing")
            await asyncio.wait_for(task, 30)
        finally:
            if not task.done():
                daemon.request_stop()
                await asyncio.wait_for(task, 30)
    (stopped,) = all_off
    after = [(pin, value) for t, pin, value in RecordingPin.log if t >= stopped]
    assert not any(value > 0 for _, value in after), f"on again after the all-off: {after}"
    # the relay was on or blinking until the all-off, which left both pins off
    assert ons("GPIO17") >= 3
    last = {pin: value for t, pin, value in RecordingPin.log if t < stopped}
    assert last.get("GPIO17", 0.0) == 0.0 and last.get("GPIO27", 0.0) == 0.0
    # the surge's commands met the stopped sink after the all-off, and were refused
    surge = [(r, o, t) for r, o, t in done if r.rule_id == "surge"]
    assert [(r.output, o) for r, o, _t in surge if isinstance(r, GpioCommand)] == [
        ("siren", "failed"),
        ("relay", "failed"),
    ], surge
    assert all(t >= stopped for _r, _o, t in surge)
    # the room's `disconnected` came after the all-off and ran no rule
    (runtime,) = daemon.rooms.values()
    assert runtime.events["disconnected"] >= 1
    fired = daemon.event_path.rule_fires
    assert fired["on_connect"] == 1 and fired["surge"] == 1 and fired["lost_it"] == 0, dict(fired)

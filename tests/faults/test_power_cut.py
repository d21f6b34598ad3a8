"""A power cut loses at most the last second (issue 25, item 2): the real daemon in a
subprocess, SIGKILLed against the fake room and a real Mosquitto, started again on the same
state directory. What viewers sent while no process ran fires once at the next start; what
fired before the kill never fires again; a streak open at the kill ends once.

The window at the kill is the saved horizon (docs/connection.md, "State across restarts"):
the room's document vouches that nothing created after it has fired, so the tests read it
from the file the killed process left and send gifts created on either side of it. They wait
for the file to show what they need, never for time."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
from pathlib import Path
from typing import Any

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom
from tests.integration.test_daemon import wait_until
from tests.integration.test_restart import daemon, entered, gift, payloads, stop
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker


def config_text(room: FakeLiveRoom, broker: int, tmp: Path) -> str:
    return f"""\
tiktok:
  web_url: {room.base_url}
  webcast_url: {room.base_url}
  sign_url: {room.base_url}
  live_check_interval: 200ms
  reconnect_initial: 100ms
  streak_timeout: 2s
mqtt: {{host: 127.0.0.1, port: {broker}, client_id: lt-power-cut}}
homeassistant: {{discovery: false}}
daemon:
  state_dir: {tmp}/state
  status_socket: {tmp}/status.sock
  shutdown_timeout: 2s
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: gift
        on: gift
        do: [{{mqtt: {{topic: "t/gift", payload: "{{{{ msg_id }}}}", qos: 1}}}}]
      - id: streak
        on: gift
        if: "gift_name == 'Rose'"
        do: [{{mqtt: {{topic: "t/rose", payload: "{{{{ repeat_count }}}}", qos: 1}}}}]
"""


def decoder_state(tmp: Path) -> dict[str, Any] | None:
    """The decoder's part of the room's document as it is on disk (None: not yet there)."""
    try:
        doc = json.loads((tmp / "state" / "room.demo_streamer.json").read_text())
    except FileNotFoundError:
        return None
    part: dict[str, Any] | None = doc["data"]["parts"].get("scheduler", {}).get("decoder")
    return part


def on_disk(tmp: Path, msg_id: int) -> bool:
    state = decoder_state(tmp)
    return state is not None and msg_id in state["seen"]


def horizon(tmp: Path) -> int:
    """Server ms up to which the saved state vouches for what fired (before the horizon
    existed: its watermark, the newest message handled)."""
    state = decoder_state(tmp)
    assert state is not None
    return int(state.get("horizon") or state["watermark"][1])


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(5) == -signal.SIGKILL


def created_at(room: FakeLiveRoom, ms: int) -> ev.GiftEvent:
    return dataclasses.replace(gift(room), create_time=ms)


def rose(room: FakeLiveRoom, n: int) -> ev.GiftEvent:
    return ev.GiftEvent(
        msg_id=room.next_msg_id(),
        user=ev.User(id=12, unique_id="ria"),
        gift_id=5655,
        gift_name="Rose",
        diamonds=1,
        repeat_count=n,
        streak_id=4242,
        streakable=True,
        streak=ev.StreakState.PROGRESS,
    )


async def test_gifts_sent_while_the_daemon_was_down_after_a_sigkill_fire_once(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "t/#")
    # TikTok's way: what is sent while nobody is connected reaches only the next initial fetch
    async with FakeLiveRoom(queue_until_entered=False) as room:
        config = config_text(room, mosquitto.port, tmp_path)
        g1 = gift(room)
        async with daemon(tmp_path, config) as first:
            await entered(room, 1)
            await room.send(g1)
            await wait_until(lambda: payloads(listener, "t/gift") == [str(g1.msg_id)], what="g1")
            await wait_until(lambda: on_disk(tmp_path, g1.msg_id), what="g1 in the saved state")
            kill(first)
        vouched = horizon(tmp_path)
        # sent while no process runs: one inside the window at the kill (it may have fired
        # before the kill, for all the next process can tell: history), two after it
        inside = created_at(room, vouched)
        after = [created_at(room, vouched + 1), created_at(room, vouched + 2)]
        await room.send(inside, *after)
        async with daemon(tmp_path, config) as second:
            await entered(room, 2)
            want = [str(g.msg_id) for g in (g1, *after)]
            await wait_until(lambda: payloads(listener, "t/gift") == want, what=f"{want}")
            g4 = gift(room)
            await room.send(g4)  # live after them: anything doubled would be there by now
            want.append(str(g4.msg_id))
            await wait_until(lambda: payloads(listener, "t/gift") == want, what=f"{want}")
            await stop(second)
    assert payloads(listener, "t/gift") == want
    log = (tmp_path / "daemon.log").read_text()
    assert "2 message(s) sent while we were away" in log
    listener.close()


async def test_a_gift_fired_just_before_a_sigkill_is_not_fired_again(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "t/#")
    async with FakeLiveRoom(queue_until_entered=False) as room:
        config = config_text(room, mosquitto.port, tmp_path)
        g1, g2 = gift(room), gift(room)
        async with daemon(tmp_path, config) as first:
            await entered(room, 1)
            await room.send(g1)
            await wait_until(lambda: on_disk(tmp_path, g1.msg_id), what="g1 in the saved state")
            # received, fired and at the broker: killed the moment the subscriber has it,
            # most likely before the next write of the state (which would show it seen)
            await room.send(g2)
            await wait_until(lambda: str(g2.msg_id) in payloads(listener, "t/gift"), what="g2")
            kill(first)
        g3 = gift(room)
        await room.send(g3)  # while down, created after g2 (inside the window or after it)
        async with daemon(tmp_path, config) as second:
            await entered(room, 2)
            g4 = gift(room)
            await room.send(g4)
            await wait_until(lambda: str(g4.msg_id) in payloads(listener, "t/gift"), what="g4")
            await stop(second)
    fired = payloads(listener, "t/gift")
    assert fired.count(str(g1.msg_id)) == 1 and fired.count(str(g2.msg_id)) == 1, fired
    assert fired.count(str(g3.msg_id)) <= 1 and fired[-1] == str(g4.msg_id), fired
    listener.close()


async def test_a_streak_open_at_a_sigkill_ends_once(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "t/#")
    async with FakeLiveRoom(queue_until_entered=False) as room:
        config = config_text(room, mosquitto.port, tmp_path)

        def open_on_disk(count: int) -> bool:
            state = decoder_state(tmp_path)
            return state is not None and [s[1] for s in state["streaks"]] == [count]

        async with daemon(tmp_path, config) as first:
            await entered(room, 1)
            await room.send(rose(room, 1), rose(room, 2), rose(room, 3))
            # its end frame never comes; killed while the saved state shows it open
            await wait_until(lambda: open_on_disk(3), what="the open streak in the saved state")
            kill(first)
        # a timeout end is on disk before it fires: open there means it has not fired
        async with daemon(tmp_path, config) as second:
            await entered(room, 2)
            await wait_until(lambda: payloads(listener, "t/rose") == ["3"], what="its end")
            g = gift(room)
            await room.send(g)  # live after it: a second end would be there by now
            await wait_until(lambda: str(g.msg_id) in payloads(listener, "t/gift"), what="g")
            await stop(second)
    assert payloads(listener, "t/rose") == ["3"]
    listener.close()

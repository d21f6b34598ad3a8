"""A SIGTERM while a session's end is being saved does not lose its trigger (issue 29, soak
seed 3: "1 missed: stream_ended"). A `live` or `stream_ended` is on disk before its triggers
leave, so that a SIGKILL between the two cannot make the next process start or end the
session again; a stop that came during that write dropped the triggers ("rule ended not run:
stopping"), though the saved state already said the session was over: nobody would ever fire
them. They were decided before the stop, so they leave; and the next process does not end
the session a second time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from livetrigger import events as ev
from livetrigger.actions import ActionRequest
from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon, Hooks
from livetrigger.daemon.dispatch import Outcome
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.waiting import wait_until


def config_for(room: FakeLiveRoom, tmp: Path) -> str:
    return f"""\
tiktok: {{web_url: "{room.base_url}", webcast_url: "{room.base_url}", sign_url: "{room.base_url}",
         live_check_interval: 200ms, reconnect_initial: 100ms}}
daemon: {{state_dir: "{tmp}/state", status_socket: "{tmp}/s.sock", shutdown_timeout: 5s}}
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: ended
        on: stream_ended
        do: [{{log: "ended {{{{ reason }}}}"}}]
"""


async def test_a_stop_during_the_session_ends_write_still_sends_its_triggers(
    tmp_path: Path,
) -> None:
    done: list[tuple[str, Outcome]] = []
    daemon: Daemon

    def event(room: str, e: ev.Event) -> None:
        if e.kind == "stream_ended":
            # SIGTERM arrives now: after the event was acted on, before its write is done
            asyncio.get_running_loop().call_soon(daemon.request_stop)

    def action_done(request: ActionRequest, outcome: Outcome, seconds: float) -> None:
        done.append((request.rule_id, outcome))

    async with FakeLiveRoom() as room:
        config = load_config_text(config_for(room, tmp_path))
        daemon = Daemon(config, hooks=Hooks(event=event, action_done=action_done))
        task = asyncio.create_task(daemon.run())
        try:
            await room.wait_for_client()
            await room.end_stream()
            assert await asyncio.wait_for(task, 30) == 0
        finally:
            if not task.done():
                daemon.request_stop()
                await asyncio.wait_for(task, 30)
        assert daemon.event_path.rule_fires["ended"] == 1
        assert done == [("ended", "ok")]

        # the next process knows the session is over: no second stream_ended
        again = Daemon(config, hooks=Hooks(action_done=action_done))
        task = asyncio.create_task(again.run())
        try:
            await wait_until(
                lambda: again.rooms
                and next(iter(again.rooms.values())).source.state == "waiting",
                "the next process waiting for the next stream",
            )
        finally:
            again.request_stop()
            await asyncio.wait_for(task, 30)
        assert again.event_path.rule_fires["ended"] == 0
        assert done == [("ended", "ok")]

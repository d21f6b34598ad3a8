"""The hot path: an event from a room's source → its rules engine → the dispatcher's queues,
then the features. No queue hop on the way to the sinks, which is where latency is won."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from livetrigger.actions import ActionRequest, MqttPublish
from livetrigger.daemon.firing_log import FiringLog
from livetrigger.daemon.latency import LatencyStats
from livetrigger.events import UnknownEvent
from livetrigger.events.kinds import count_method

if TYPE_CHECKING:
    from livetrigger.daemon.controller import Daemon
    from livetrigger.daemon.dispatch import Outcome
    from livetrigger.daemon.rooms import RoomRuntime
    from livetrigger.events import Event
    from livetrigger.rules.engine import Firing

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Hooks:
    """Optional observers (the demo's console uses them)."""

    event: Callable[[str, Event], None] | None = None
    firing: Callable[[str, Firing], None] | None = None
    tested: Callable[[str, Firing], None] | None = None  # a test press ran a rule's actions
    action_done: Callable[[ActionRequest, Outcome, float], None] | None = None
    pin_change: Callable[[str, float], None] | None = None
    log_line: Callable[[ActionRequest, str], None] | None = None


class EventPath:
    """Runs each event through its room's rules and hands the firings to the queues."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.rule_fires: Counter[str] = Counter()
        self.room_rule_fires: Counter[str] = Counter()  # per room: its own device's figure
        self.test_fires = 0
        self.latency = LatencyStats()
        self.firing_log = FiringLog()
        self._held: set[asyncio.Task[None]] = set()  # firings waiting for a feature's hold

    def on_event(self, room: str, event: Event) -> None:
        """An event from a room's source (called by the source, on the event loop)."""
        d = self.daemon
        runtime = d.rooms.get(room)
        if runtime is None:
            return
        runtime.events[event.kind] += 1
        if isinstance(event, UnknownEvent):
            count_method(runtime.unknown_methods, event.method)
        if d.hooks.event is not None:
            d.hooks.event(room, event)
        if d.stopping:
            # shutdown is final: the `disconnected` a stopping room emits must not run a rule,
            # reach the event stream or Home Assistant's event entity after the all-off
            log.debug("room %s: %s while stopping: not acted on", room, event.kind)
            return
        # the rules' ages (cooldowns, max_fires, queues) are monotonic: a step of the wall
        # clock moves none of them; the wall clock is only what templates show as `now`
        now, wall = time.monotonic(), time.time()
        for feature in d.features:
            feature.before_rules(room, event, now, wall)
        firings = runtime.engine.firings(event, now, wall)
        holds = [h for f in d.features if (h := f.hold(room, event, firings)) is not None]
        if holds:
            job = asyncio.get_running_loop().create_task(self._submit_after(holds, room, firings))
            self._held.add(job)  # a reference until done, and what a stop waits for
            job.add_done_callback(self._held_done)
        else:
            self.submit(room, firings)
        for feature in d.features:
            feature.on_event(room, event, firings)
        self.arm_queue_timer(runtime)
        if event.kind == "stream_ended" and d.stop_when_ended:
            asyncio.get_running_loop().call_later(0.5, d.stop_soon)

    async def _submit_after(
        self, holds: Sequence[Awaitable[None]], room: str, firings: list[Firing]
    ) -> None:
        for hold in holds:
            await hold
        if self.daemon.outputs.dispatcher is not None:
            # decided before any stop, and what they waited for (a session's start or end on
            # disk) means no later process sends them: a stop meanwhile must not drop them
            # (their GPIO actions meet the stopped outputs)
            self.submit(room, firings, decided=True)

    def _held_done(self, task: asyncio.Task[None]) -> None:
        self._held.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("held firings failed: %s", exc, exc_info=exc)

    async def drain_held(self) -> None:
        """Wait for firings still held (at a stop, before the queues close)."""
        await asyncio.gather(*self._held, return_exceptions=True)

    def submit(
        self, room: str, firings: Sequence[Firing], *, test: bool = False, decided: bool = False
    ) -> None:
        """Queue the firings' requests (and what features add to a real firing). After the
        stop only ``decided`` ones (decided before it) go, and only to the queues."""
        d = self.daemon
        if d.stopping and not decided:
            for firing in firings:  # queued releases, test buttons: nothing acts after all-off
                log.info("room %s: rule %s not run: stopping", room, firing.rule_id)
            return
        for firing in firings:
            if test:
                # a test runs the actions only: no device trigger, not a rule firing
                self.test_fires += 1
            else:
                self.rule_fires[firing.rule_id] += 1
                self.room_rule_fires[room] += 1
                log.debug("room %s: rule %s fired", room, firing.rule_id)
                for feature in d.features:
                    for request in feature.on_firing(room, firing):
                        d.outputs.submit(request)
            self.firing_log.fired(room, firing, test=test)
            hook = d.hooks.tested if test else d.hooks.firing
            if hook is not None:
                hook(room, firing)
            for request in firing.requests:
                d.outputs.submit(request)

    def arm_queue_timer(self, runtime: RoomRuntime) -> None:
        """Release a rule's queued firings when the first of them is due (the engine's clock
        is the monotonic one, as the loop's timers)."""
        due = runtime.engine.next_due()
        if due is None or runtime.timer is not None:
            return
        loop = asyncio.get_running_loop()

        def release() -> None:
            runtime.timer = None
            self.submit(runtime.name, runtime.engine.due(time.monotonic(), time.time()))
            self.arm_queue_timer(runtime)

        runtime.timer = loop.call_later(max(0.0, due - time.monotonic()), release)

    def action_done(self, request: ActionRequest, outcome: Outcome, seconds: float) -> None:
        """A request finished (ok, failed, dropped): log it and count its latency."""
        self.firing_log.done(request, outcome, seconds)
        rule_action = not (isinstance(request, MqttPublish) and request.lane)  # not rule_fired
        event = request.event
        if rule_action and outcome == "ok" and event is not None and event.received_at:
            self.latency.add(seconds)
        hook: Callable[[ActionRequest, Outcome, float], None] | None = self.daemon.hooks.action_done
        if hook is not None:
            hook(request, outcome, seconds)

"""Routes action requests to their sinks: one bounded queue and one worker per target.

A target is ``mqtt``, ``gpio:<output>``, ``http:<endpoint>``, ``chat:<room>`` or ``log``. Each
has its own queue, so a hung webhook never delays a lamp, and requests to one target run in
the order they were submitted. ``submit`` never blocks: when a queue is full the overflow
policy drops the oldest or the new request, and the drop is counted and logged with the rule
id — never silent. A request its target refuses by its own limit (``Refused``: a device's
``max_per_minute``) is dropped the same way. Each request gets ``timeout`` seconds once its
sink is ready; a sink that is waiting for its connection (MQTT while the broker is away) holds
its queue without timing out, which is how queued triggers survive a broker restart.

A request's age (``max_age``) is counted on the monotonic clock from when it was queued: NTP
stepping the wall clock (a board without a clock battery syncs minutes after boot) must not make
what just arrived look old. Only a request replayed from the outbox comes with an age, which the
outbox took from its journal's wall-clock times, the one clock that survives a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Literal, Protocol, runtime_checkable

from livetrigger.actions import ActionRequest
from livetrigger.actions.outlet import Journal, QueuePolicy, Sink, delivering
from livetrigger.config.durations import format_age
from livetrigger.errors import Refused, SinkError

log = logging.getLogger(__name__)

Outcome = Literal["ok", "failed", "dropped"]


@runtime_checkable
class WaitsForConnection(Protocol):
    async def ready(self) -> None:
        """Return once the sink can take a request (e.g. the broker is connected)."""


@dataclass(slots=True)
class _Queued:
    request: ActionRequest
    since: float  # monotonic: when it was queued, less the age it came with
    lag: float  # seconds from its event's arrival to its queueing (latency, not age)
    delivered_at: float | None = None  # monotonic: when its sink said the effect happened


@dataclass(slots=True)
class TargetStats:
    ok: int = 0
    failed: int = 0
    dropped: int = 0

    def as_dict(self, queued: int) -> dict[str, int]:
        return {"ok": self.ok, "failed": self.failed, "dropped": self.dropped, "queued": queued}


DROP_REPORT_INTERVAL = 5.0  # seconds: drops after the first are logged as one count per interval
STEP_MIN = 1.0  # seconds: a smaller jump of the wall clock is not called a step
SLEW_RATE = 0.0005  # the most the kernel slews the wall clock (500 ppm): drift, not a step


class ClockStepWatch:
    """Notices the wall clock jumping against the monotonic one and says so once per jump.
    Nothing depends on it (ages are monotonic): the log line explains timestamps that jump."""

    def __init__(self, wall: Callable[[], float], monotonic: Callable[[], float]) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self._at = monotonic()
        self._offset = wall() - self._at

    def check(self) -> float:
        """The step since the last check (0.0 for none, or for a slew's drift)."""
        at = self._monotonic()
        offset = self._wall() - at
        step = offset - self._offset
        self._offset = offset
        elapsed, self._at = at - self._at, at
        if abs(step) < STEP_MIN + SLEW_RATE * elapsed:
            return 0.0
        log.warning(
            "wall clock stepped %s by %s (NTP, or set by hand); waiting triggers, cooldowns and "
            "queued firings keep their ages, counted on the monotonic clock",
            "forward" if step > 0 else "back",
            format_age(round(abs(step))),  # the clocks are read apart: 899.99 s is 15m
        )
        return step


class _Lane:
    """The queue and worker of one target."""

    def __init__(self, target: str, sink: Sink, policy: QueuePolicy) -> None:
        self.target = target
        self.sink = sink
        self.policy = policy
        self.items: deque[_Queued] = deque()
        self.wakeup = asyncio.Event()
        self.stats = TargetStats()
        self.task: asyncio.Task[None] | None = None
        self.busy = False
        self.unreported: Counter[str] = Counter()  # drops not logged yet, by reason
        self.report: asyncio.TimerHandle | None = None


class Dispatcher:
    """Per-target bounded queues in front of the sinks.

    ``sinks`` maps a target (``gpio:lamp``) or a target family (``gpio``) to its sink.
    ``on_done(request, outcome, seconds)`` reports every request's end, with the time since
    the event that caused it was received (``event.received_at``, wall clock, until it was
    queued; the monotonic clock from then on). ``clock``: the monotonic clock ages are counted
    on; ``wall_clock``: the one watched for steps (said once each, never acted on).
    """

    def __init__(
        self,
        sinks: Mapping[str, Sink],
        *,
        policies: Mapping[str, QueuePolicy] | None = None,
        timeout: float = 10.0,
        on_done: Callable[[ActionRequest, Outcome, float], None] | None = None,
        journal: Journal | None = None,
        max_age: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._sinks = dict(sinks)
        # told of every queued request, and when it leaves the queue for its sink (or is
        # dropped): what a restart replays is what never left a queue, so nothing is sent twice
        self._journal = journal
        self._policies = dict(policies or {})
        self._timeout = timeout
        self._on_done = on_done
        self._lanes: dict[str, _Lane] = {}
        self._closing = False
        # a trigger that waited longer than this (a broker away for hours) is stale: the lamp
        # must not flash for last night's gift when the broker comes back this morning
        self._max_age = max_age
        self._clock = clock
        self._wall_clock = wall_clock  # only to read an event's arrival stamp against
        self._steps = ClockStepWatch(wall_clock, clock)

    # -- configuration ----------------------------------------------------------------------

    def set_sinks(
        self, sinks: Mapping[str, Sink], policies: Mapping[str, QueuePolicy] | None = None
    ) -> None:
        """Swap sinks and policies (reload). Queued requests stay queued; lanes whose target
        disappeared finish what they hold with the old sink."""
        self._sinks = dict(sinks)
        if policies is not None:
            self._policies = dict(policies)
        for lane in self._lanes.values():
            sink = self._sink_for(lane.target)
            if sink is not None:
                lane.sink = sink
            lane.policy = self._policy_for(lane.target)

    def set_max_age(self, max_age: float | None) -> None:
        """``daemon.outbox_max_age`` after a reload; None: a trigger never gets too old."""
        self._max_age = max_age

    def _too_old(self, item: _Queued) -> bool:
        return self._max_age is not None and self._clock() - item.since > self._max_age

    def _sink_for(self, target: str) -> Sink | None:
        return self._sinks.get(target) or self._sinks.get(target.split(":", 1)[0])

    def _policy_for(self, target: str) -> QueuePolicy:
        return (
            self._policies.get(target)
            or self._policies.get(target.split(":", 1)[0])
            or QueuePolicy()
        )

    # -- submitting -------------------------------------------------------------------------

    def submit(self, request: ActionRequest, *, age: float = 0.0) -> bool:
        """Queue ``request`` for its target; False when it was dropped (counted, logged).
        ``age``: seconds it is old already (one the outbox replays)."""
        event = request.event
        lag = self._wall_clock() - event.received_at if event and event.received_at else 0.0
        item = _Queued(request, self._clock() - max(0.0, age), max(0.0, lag))
        target = request.target
        lane = self._lanes.get(target)
        if lane is None:
            sink = self._sink_for(target)
            if sink is None or self._closing:
                why = "shutting down" if self._closing else "no such target"
                log.error("rule %s: %s dropped: %s", request.rule_id, target, why)
                self._done(item, "dropped")
                self._lanes.setdefault(target, _Lane(target, _NoSink(), QueuePolicy(size=0)))
                self._lanes[target].stats.dropped += 1
                return False
            lane = self._lanes[target] = _Lane(target, sink, self._policy_for(target))
            lane.task = asyncio.get_running_loop().create_task(
                self._work(lane), name=f"dispatch:{target}"
            )
        if self._closing:
            return self._drop(lane, item, "shutting down")
        if len(lane.items) >= lane.policy.size:
            if lane.policy.overflow == "drop_new" or not lane.items:
                return self._drop(lane, item, "queue full")
            self._drop(lane, lane.items.popleft(), "queue full, oldest dropped")
        lane.items.append(item)
        if self._journal is not None:
            self._journal.accept(request)
        lane.wakeup.set()
        return True

    def _drop(self, lane: _Lane, item: _Queued, why: str) -> bool:
        """Count a drop. The first of a burst is logged with its rule at once; the rest of the
        burst as one line with the count every DROP_REPORT_INTERVAL (a full queue at 200/s
        would otherwise log 200 lines a second)."""
        lane.stats.dropped += 1
        if lane.report is None:
            log.warning(
                "rule %s: request to %s dropped (%s)", item.request.rule_id, lane.target, why
            )
            lane.report = asyncio.get_running_loop().call_later(
                DROP_REPORT_INTERVAL, self._report_drops, lane
            )
        else:
            lane.unreported[why] += 1
        self._done(item, "dropped")
        return False

    def _report_drops(self, lane: _Lane, *, last: bool = False) -> None:
        lane.report = None
        if not lane.unreported:
            return  # the burst is over: the next drop is logged with its rule again
        for why, n in lane.unreported.items():
            log.warning(
                "%s: %d more request(s) dropped in the last %.0f s (%s); %d dropped in all",
                lane.target,
                n,
                DROP_REPORT_INTERVAL,
                why,
                lane.stats.dropped,
            )
        lane.unreported.clear()
        if not last:
            lane.report = asyncio.get_running_loop().call_later(
                DROP_REPORT_INTERVAL, self._report_drops, lane
            )

    def _done(self, item: _Queued, outcome: Outcome) -> None:
        request = item.request
        if self._journal is not None and outcome == "dropped":
            self._journal.done(request)
        if self._on_done is not None:
            event = request.event
            end = self._clock() if item.delivered_at is None else item.delivered_at
            latency = item.lag + end - item.since if event and event.received_at else 0.0
            self._on_done(request, outcome, latency)

    # -- working ----------------------------------------------------------------------------

    async def _work(self, lane: _Lane) -> None:
        while True:
            while not lane.items:
                lane.wakeup.clear()
                await lane.wakeup.wait()
            sink = lane.sink
            ready = getattr(
                sink, "ready", None
            )  # WaitsForConnection; a runtime Protocol check costs ~50 µs
            if ready is not None:
                await ready()
            item = lane.items.popleft()
            request = item.request
            self._steps.check()
            if self._too_old(item):
                self._drop(lane, item, "older than daemon.outbox_max_age")
                continue
            if self._journal is not None:
                self._journal.done(request)  # handed over: a restart never sends it again
            lane.busy = True
            timeout = lane.policy.timeout or self._timeout
            try:
                async with asyncio.timeout(timeout):
                    with delivering(partial(self._delivered, item)):
                        await sink.handle(request)
            except TimeoutError:
                if self._journal is not None:
                    self._journal.done(request)  # given up on: not for the next process either
                lane.stats.failed += 1
                log.warning(
                    "rule %s: %s timed out after %.1fs", request.rule_id, lane.target, timeout
                )
                self._done(item, "failed")
            except Refused as exc:  # by the target's own limit: a gift bomb logs a count
                self._drop(lane, item, str(exc))
            except SinkError as exc:
                lane.stats.failed += 1
                log.warning("rule %s: %s failed: %s", request.rule_id, lane.target, exc)
                self._done(item, "failed")
            except Exception:  # a bug in a sink must not kill its lane
                lane.stats.failed += 1
                log.exception("rule %s: %s raised unexpectedly", request.rule_id, lane.target)
                self._done(item, "failed")
            else:
                lane.stats.ok += 1
                self._done(item, "ok")
            finally:
                lane.busy = False

    def _delivered(self, item: _Queued) -> None:
        if item.delivered_at is None:
            item.delivered_at = self._clock()

    def stats(self) -> dict[str, dict[str, int]]:
        return {
            t: lane.stats.as_dict(len(lane.items) + int(lane.busy))
            for t, lane in sorted(self._lanes.items())
        }

    def pending(self) -> int:
        return sum(len(lane.items) + int(lane.busy) for lane in self._lanes.values())

    async def drain(self, timeout: float) -> dict[str, int]:
        """Wait up to ``timeout`` for every queue to empty; returns what is left per target."""
        deadline = time.monotonic() + timeout
        while self.pending() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return {
            t: len(lane.items) + int(lane.busy)
            for t, lane in self._lanes.items()
            if lane.items or lane.busy
        }

    async def aclose(self, drain_timeout: float = 5.0) -> dict[str, int]:
        """Stop taking requests, drain for at most ``drain_timeout``, report what was left."""
        self._closing = True
        left = await self.drain(drain_timeout)
        for target, n in left.items():
            log.warning("shutdown: %d request(s) to %s not carried out", n, target)
        for lane in self._lanes.values():
            if lane.report is not None:
                lane.report.cancel()
                self._report_drops(lane, last=True)  # what the last interval dropped
            if lane.task is not None:
                lane.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await lane.task
        return left


class _NoSink:
    async def handle(self, request: ActionRequest) -> None:
        raise SinkError(f"no sink for {request.target}")


__all__ = ["Dispatcher", "Journal", "Outcome", "QueuePolicy", "Sink"]

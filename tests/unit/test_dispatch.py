"""The dispatcher: isolation between targets, order, overflow policies, drain on close."""

from __future__ import annotations

import asyncio

import pytest

from livetrigger import events as ev
from livetrigger.actions import ActionRequest, LogMessage
from livetrigger.actions.outlet import delivered
from livetrigger.daemon.dispatch import Dispatcher, QueuePolicy
from livetrigger.errors import SinkError
from tests.support.waiting import wait_until


class Recorder:
    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.delay = delay
        self.fail = fail
        self.seen: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def handle(self, request: ActionRequest) -> None:
        await self.gate.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise SinkError("nope")
        assert isinstance(request, LogMessage)
        self.seen.append(request.message)


def req(msg: str, target: str = "log") -> ActionRequest:
    if target == "log":
        return LogMessage(rule_id="r", message=msg)
    from livetrigger.actions import HttpCall  # noqa: PLC0415

    return HttpCall(rule_id="r", endpoint=target, body=msg.encode())


async def test_hung_target_does_not_delay_another() -> None:
    hung = Recorder()
    hung.gate.clear()
    fast = Recorder()
    d = Dispatcher({"http": hung, "log": fast})
    d.submit(req("x", "slow"))
    for i in range(50):
        d.submit(req(str(i)))
    await wait_until(lambda: len(fast.seen) == 50, "the fast target's 50")
    assert fast.seen == [str(i) for i in range(50)]  # in order, not behind the hung one
    hung.gate.set()
    await d.aclose(1)


async def test_drop_oldest_and_drop_new_are_counted() -> None:
    for policy, kept in (("drop_oldest", ["7", "8", "9"]), ("drop_new", ["0", "1", "2"])):
        sink = Recorder()
        sink.gate.clear()
        outcomes: list[str] = []
        d = Dispatcher(
            {"log": sink},
            policies={"log": QueuePolicy(size=3, overflow=policy)},  # type: ignore[arg-type]
            on_done=lambda r, o, s, out=outcomes: out.append(o),
        )
        for i in range(10):
            d.submit(req(str(i)))
        assert d.stats()["log"]["dropped"] == 7
        sink.gate.set()
        await d.drain(1)
        assert sink.seen == kept
        assert outcomes.count("dropped") == 7 and outcomes.count("ok") == 3
        await d.aclose(1)


async def test_timeout_and_failure_counted_and_worker_survives() -> None:
    slow = Recorder(delay=3600)  # only the dispatcher's timeout ends it
    d = Dispatcher({"log": slow}, timeout=0.05)
    d.submit(req("a"))
    await wait_until(lambda: d.stats()["log"]["failed"] == 1, "the timeout")
    slow.delay = 0
    d.submit(req("b"))
    await d.drain(1)
    assert d.stats()["log"] == {"ok": 1, "failed": 1, "dropped": 0, "queued": 0}
    await d.aclose(1)


async def test_unknown_target_is_dropped_loudly() -> None:
    d = Dispatcher({})
    assert d.submit(req("x")) is False
    assert d.stats()["log"]["dropped"] == 1


async def test_close_drains_within_timeout_and_reports_leftovers() -> None:
    sink = Recorder()
    sink.gate.clear()
    d = Dispatcher({"log": sink})
    for i in range(5):
        d.submit(req(str(i)))
    left = await d.aclose(0.1)
    assert left == {"log": 5}
    assert d.submit(req("late")) is False


class WaitsForBroker(Recorder):
    """A sink whose connection is away until ``up`` is set (the dispatcher waits on ready())."""

    def __init__(self) -> None:
        super().__init__()
        self.up = asyncio.Event()

    async def ready(self) -> None:
        await self.up.wait()


def chat_at(msg: str, received_at: float) -> ActionRequest:
    event = ev.ChatEvent(msg_id=1, received_at=received_at, text=msg)
    return LogMessage(rule_id="r", message=msg, event=event)


class Clocks:
    """A monotonic and a wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.monotonic = 5_000.0
        self.wall = 1_000_000.0

    def tick(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += seconds


async def test_a_trigger_that_waited_past_the_max_age_is_dropped_not_sent() -> None:
    """A broker away for hours: what waited longer than daemon.outbox_max_age is counted as
    dropped when the broker returns, not sent; the younger ones go out in order."""
    clocks = Clocks()
    sink = WaitsForBroker()
    outcomes: list[str] = []
    d = Dispatcher(
        {"log": sink},
        max_age=600.0,
        clock=lambda: clocks.monotonic,
        wall_clock=lambda: clocks.wall,
        on_done=lambda _r, outcome, _s: outcomes.append(outcome),
    )
    d.submit(chat_at("last night", clocks.wall))
    clocks.tick(3000)
    d.submit(chat_at("an hour ago", clocks.wall))
    clocks.tick(600)  # the broker comes back an hour after the first
    d.submit(chat_at("just now", clocks.wall))
    sink.up.set()
    await wait_until(lambda: len(outcomes) == 3, "three outcomes")
    assert sink.seen == ["an hour ago", "just now"]  # exactly max_age is not too old
    assert outcomes == ["dropped", "ok", "ok"]
    assert d.stats()["log"]["dropped"] == 1
    d.set_max_age(None)  # a reload to no limit: nothing is too old
    sink.up.clear()
    d.submit(chat_at("last year", clocks.wall))
    clocks.tick(3e7)
    sink.up.set()
    await wait_until(lambda: len(outcomes) == 4, "the fourth outcome")
    assert sink.seen[-1] == "last year"
    await d.aclose(1)


async def test_a_wall_clock_step_ages_nothing_and_is_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """NTP steps the wall clock 15 minutes forward (or back an hour) while triggers wait: each
    keeps the age it has on the monotonic clock; the step is one warning, not one a trigger."""
    clocks = Clocks()
    sink = WaitsForBroker()
    outcomes: list[str] = []
    d = Dispatcher(
        {"log": sink},
        max_age=600.0,
        clock=lambda: clocks.monotonic,
        wall_clock=lambda: clocks.wall,
        on_done=lambda _r, outcome, _s: outcomes.append(outcome),
    )
    for step in (15 * 60.0, -3600.0):
        caplog.clear()
        for i in range(100):
            d.submit(chat_at(str(i), clocks.wall))
        clocks.tick(10)
        clocks.wall += step
        sink.up.set()
        await wait_until(lambda: len(outcomes) == 100, "every outcome")
        assert outcomes == ["ok"] * 100, step
        warnings = [r.getMessage() for r in caplog.records if "wall clock stepped" in r.message]
        assert len(warnings) == 1, warnings
        assert ("forward by 15m" if step > 0 else "back by 1h") in warnings[0]
        outcomes.clear()
        sink.up.clear()
    # what the kernel's slew does in an hour (500 ppm: 1.8 s) is drift, not a step
    d.submit(chat_at("slewed", clocks.wall))
    clocks.tick(3600)
    clocks.wall += 1.7
    sink.up.set()
    await wait_until(lambda: len(outcomes) == 1, "the slewed one")
    assert not [r for r in caplog.records if "wall clock stepped" in r.message][1:]
    await d.aclose(1)


async def test_a_replayed_trigger_keeps_the_age_its_journal_gave_it() -> None:
    """The outbox replays a trigger accepted 9 minutes before the restart (by the journal's
    wall-clock times); waiting 2 more minutes for the broker makes it 11 minutes old."""
    clocks = Clocks()
    sink = WaitsForBroker()
    outcomes: list[str] = []
    d = Dispatcher(
        {"log": sink},
        max_age=600.0,
        clock=lambda: clocks.monotonic,
        wall_clock=lambda: clocks.wall,
        on_done=lambda _r, outcome, _s: outcomes.append(outcome),
    )
    d.submit(LogMessage(rule_id="r", message="replayed"), age=540.0)
    d.submit(LogMessage(rule_id="r", message="new"))
    clocks.tick(120)
    sink.up.set()
    await wait_until(lambda: len(outcomes) == 2, "both outcomes")
    assert outcomes == ["dropped", "ok"]
    assert sink.seen == ["new"]
    await d.aclose(1)


class Holds:
    """A device's alert: the packet leaves, then the alert holds its device for its duration."""

    def __init__(self, clocks: Clocks, *, says_delivered: bool) -> None:
        self.clocks = clocks
        self.says_delivered = says_delivered
        self.release = asyncio.Event()

    async def handle(self, request: ActionRequest) -> None:
        self.clocks.tick(0.004)  # the send
        if self.says_delivered:
            delivered()
        self.clocks.tick(5.0)  # the hold: `duration: 5s`
        await self.release.wait()


@pytest.mark.parametrize(("says_delivered", "latency"), [(True, 0.004), (False, 5.004)])
async def test_latency_ends_when_the_sink_says_the_effect_happened(
    says_delivered: bool, latency: float
) -> None:
    """A lamp lit 4 ms after the gift and held 5 s has a latency of 4 ms, not 5 s: the sink
    says when its packet left; one that does not say is counted to its end, as before."""
    clocks = Clocks()
    sink = Holds(clocks, says_delivered=says_delivered)
    latencies: list[float] = []
    d = Dispatcher(
        {"log": sink},
        clock=lambda: clocks.monotonic,
        wall_clock=lambda: clocks.wall,
        on_done=lambda _r, _o, seconds: latencies.append(seconds),
    )
    d.submit(chat_at("gift", clocks.wall))
    sink.release.set()
    await wait_until(lambda: latencies, "the outcome")
    assert latencies == [pytest.approx(latency)]
    await d.aclose(1)

"""The safety limits hold on every activation of an output, not only its first (issue 29):
``max_on`` is armed again on each off→on, also while the event loop is blocked; ``min_off``
counts from the latest off, whoever switched it (a command, ``max_on``, a pattern);
``max_per_minute`` slides on, minute after minute. gpiozero's MockFactory pins throughout."""

from __future__ import annotations

import threading
import time

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger.actions.sinks.gpio import GpioSink
from livetrigger.errors import SinkError
from livetrigger.settings import GpioOutputSettings, GpioSettings
from tests.sinks.test_gpio import Changes, FakeClock, cmd, pin_states, sink

HANG = 60.0  # only ends a test whose pin never goes off


async def test_max_on_forces_off_the_second_and_later_activations() -> None:
    changes = Changes()
    s = sink(GpioOutputSettings(name="lamp", pin=17, max_on=0.1), on_change=changes)
    # the first activation ends before its max_on: the later ones must be armed on their own
    await s.handle(cmd("on"))
    await s.handle(cmd("off"))
    for n, how in enumerate(("on", "pulse", "blink"), start=2):
        sent = time.monotonic()
        if how == "on":
            await s.handle(cmd("on"))
        elif how == "pulse":
            await s.handle(cmd("pulse", duration=30))
        else:
            await s.handle(cmd("blink", on_time=30, off_time=0.01))
        assert s.states()["lamp"] == 1
        off = await changes.off(n)
        assert off - sent >= 0.1, f"activation {n} ({how}) was cut before its max_on"
        assert s.states()["lamp"] == 0
    assert s.limited() == 3  # the three forced offs
    assert pin_states(s) == [0] + [1, 0] * 4
    await s.aclose()


class OffSignal(MockPWMPin):
    """Says from the pin itself when GPIO17 goes off (on whichever thread switched it)."""

    off = threading.Event()

    def _change_state(self, value: float) -> bool:  # type: ignore[override]
        changed: bool = super()._change_state(value)
        if changed and not value and self.info.name == "GPIO17":
            OffSignal.off.set()
        return changed


async def test_max_on_holds_while_the_loop_is_blocked_on_later_activations() -> None:
    s = GpioSink(
        GpioSettings(outputs=(GpioOutputSettings(name="relay", pin=17, max_on=0.1),)),
        pin_factory=MockFactory(pin_class=OffSignal),
    )
    relay = s.outputs["relay"]
    await s.handle(cmd("on", output="relay"))
    await s.handle(cmd("off", output="relay"))
    for _ in range(3):
        OffSignal.off.clear()
        await s.handle(cmd("on", output="relay"))
        # block the loop, as a catastrophic regex did: only the max_on thread can switch it off
        assert OffSignal.off.wait(HANG), "the relay stayed on while the loop was blocked"
        assert relay.value == 0
    assert s.limited() == 3
    await s.aclose()


async def test_min_off_counts_from_the_latest_off() -> None:
    clock = FakeClock()
    s = sink(GpioOutputSettings(name="lamp", pin=17, min_off=1.0), clock=clock)
    for _ in range(3):
        await s.handle(cmd("on"))
        clock.now += 0.5
        await s.handle(cmd("off"))
        clock.now += 0.9  # too soon after this off, though long after the ones before
        with pytest.raises(SinkError, match="min_off"):
            await s.handle(cmd("on"))
        clock.now += 0.1
    assert pin_states(s) == [0] + [1, 0] * 3
    assert s.limited() == 3
    await s.aclose()


async def test_min_off_counts_from_an_off_forced_by_max_on() -> None:
    changes = Changes()
    clock = FakeClock()  # the limits' clock: frozen, so only an off can start min_off
    s = sink(
        GpioOutputSettings(name="lamp", pin=17, max_on=0.05, min_off=10.0),
        clock=clock,
        on_change=changes,
    )
    for n in (1, 2, 3):
        await s.handle(cmd("on"))
        await changes.off(n)  # forced by max_on
        with pytest.raises(SinkError, match="min_off"):
            await s.handle(cmd("on"))
        clock.now += 10.0
    assert pin_states(s) == [0] + [1, 0] * 3
    await s.aclose()


async def test_min_off_holds_inside_a_blink() -> None:
    changes = Changes()
    clock = FakeClock()
    s = sink(GpioOutputSettings(name="lamp", pin=17, min_off=10.0), clock=clock, on_change=changes)
    await s.handle(cmd("blink", on_time=0.01, off_time=0.01, count=3))
    task = s.outputs["lamp"].task
    assert task is not None
    await task  # the blink's own second "on" is refused (logged): the pattern ends there
    assert pin_states(s) == [0, 1, 0]
    assert s.limited() == 1
    await s.aclose()


async def test_max_per_minute_slides_minute_after_minute() -> None:
    clock = FakeClock()
    s = sink(GpioOutputSettings(name="lamp", pin=17, max_per_minute=2), clock=clock)

    async def flash() -> bool:
        try:
            await s.handle(cmd("on"))
        except SinkError as exc:
            assert "max_per_minute" in str(exc)
            return False
        await s.handle(cmd("off"))
        return True

    allowed = []
    for at in (0.0, 1.0, 2.0, 59.9, 60.0, 60.5, 61.0, 61.5, 120.0, 121.0, 121.5):
        clock.now = 1000.0 + at
        if await flash():
            allowed.append(at)
    # at most two in any 60 s: each new minute frees only what left the window
    assert allowed == [0.0, 1.0, 60.0, 61.0, 120.0, 121.0]
    assert s.limited() == 5
    await s.aclose()


async def test_max_per_minute_counts_a_patterns_own_activations() -> None:
    clock = FakeClock()
    s = sink(GpioOutputSettings(name="lamp", pin=17, max_per_minute=2), clock=clock)
    await s.handle(cmd("blink", on_time=0.01, off_time=0.01, count=5))
    task = s.outputs["lamp"].task
    assert task is not None
    await task
    assert pin_states(s) == [0, 1, 0, 1, 0]  # the third "on" of the blink is refused
    with pytest.raises(SinkError, match="max_per_minute"):
        await s.handle(cmd("pulse", duration=0.01))
    await s.aclose()

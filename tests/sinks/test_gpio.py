"""GPIO outputs on gpiozero's MockFactory pins: pattern timelines, overlap, safety limits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger.actions import GpioCommand
from livetrigger.actions.sinks.gpio import GpioSink
from livetrigger.errors import SinkError
from livetrigger.settings import GpioInputSettings, GpioOutputSettings, GpioSettings


def sink(
    *outputs: GpioOutputSettings, inputs: tuple[GpioInputSettings, ...] = (), **kw: object
) -> GpioSink:
    return GpioSink(
        GpioSettings(outputs=outputs, inputs=inputs),
        pin_factory=MockFactory(pin_class=MockPWMPin),
        **kw,  # type: ignore[arg-type]
    )


def cmd(verb: str, output: str = "lamp", **kw: object) -> GpioCommand:
    return GpioCommand(rule_id="r", output=output, verb=verb, **kw)  # type: ignore[arg-type]


class Changes:
    """Every change a GpioSink reports, stamped with time.monotonic() (the sink's clock), so a
    test can wait for the next one instead of sleeping and compare stamps with the clock."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, float]] = []
        self._event = asyncio.Event()

    def __call__(self, name: str, value: float) -> None:
        if not self.seen or self.seen[-1][1] != value:
            self.seen.append((time.monotonic(), value))
            self._event.set()

    async def until(self, done: Callable[[], bool], timeout: float = 60.0) -> None:
        """Wait for ``done()``; the timeout only catches a hang."""
        async with asyncio.timeout(timeout):
            while not done():
                self._event.clear()
                await self._event.wait()

    async def off(self, times: int = 1) -> float:
        """Wait for the ``times``-th change to off; its stamp."""
        await self.until(lambda: len(self.offs()) >= times)
        return self.offs()[times - 1]

    def offs(self) -> list[float]:
        return [t for t, v in self.seen if v == 0]

    def values(self) -> list[float]:
        return [v for _, v in self.seen]


def pin_states(s: GpioSink, name: str = "lamp") -> list[float]:
    return [float(h.state) for h in s.outputs[name].device.pin.states]


LAMP = GpioOutputSettings(name="lamp", pin=17)


async def test_pulse_turns_on_at_once_and_off_after_duration() -> None:
    changes = Changes()
    s = sink(LAMP, on_change=changes)
    sent = time.monotonic()
    await s.handle(cmd("pulse", duration=0.2))
    assert s.outputs["lamp"].device.pin.state == 1  # on before handle returns: no task between
    off = await changes.off()
    assert off - sent >= 0.2  # never early; how late is bench/latency_under_load.py's figure
    assert pin_states(s) == [0, 1, 0]


async def test_blink_count() -> None:
    changes = Changes()
    s = sink(LAMP, on_change=changes)
    await s.handle(cmd("blink", on_time=0.05, off_time=0.05, count=3))
    await changes.off(3)
    await s.outputs["lamp"].task  # type: ignore[misc]  # the pattern ends after its count
    assert pin_states(s) == [0, 1, 0, 1, 0, 1, 0] and s.states()["lamp"] == 0


# Each overlap case is decided by the order of events, never by how late the loop runs: the
# second command comes in the same loop step as the first ("same-tick") or once the pulse's
# task is asleep ("running"); the times compared are lower bounds the sink must respect.
SETTLE = pytest.mark.parametrize("settle", [False, True], ids=["same-tick", "running"])


async def second(s: GpioSink, settle: bool, duration: float) -> float:
    if settle:
        await asyncio.sleep(0)  # the pulse's task starts and sleeps
    assert s.outputs["lamp"].running
    sent = time.monotonic()
    await s.handle(cmd("pulse", duration=duration))
    return sent


@SETTLE
async def test_overlap_restart_starts_the_pulse_again(settle: bool) -> None:
    changes = Changes()
    s = sink(GpioOutputSettings(name="lamp", pin=17, overlap="restart"), on_change=changes)
    await s.handle(cmd("pulse", duration=30))
    sent = await second(s, settle, 0.05)
    off = await changes.off()  # long before the first pulse's 30 s: it was replaced
    assert off - sent >= 0.05
    assert pin_states(s) == [0, 1, 0]  # restarting does not blink the output


@SETTLE
@pytest.mark.parametrize(("first", "later"), [(0.05, 0.3), (0.3, 0.01)])
async def test_overlap_extend_keeps_the_later_end(settle: bool, first: float, later: float) -> None:
    changes = Changes()
    s = sink(GpioOutputSettings(name="lamp", pin=17, overlap="extend"), on_change=changes)
    started = time.monotonic()
    await s.handle(cmd("pulse", duration=first))
    sent = await second(s, settle, later)
    off = await changes.off()
    assert off - started >= first and off - sent >= later  # a shorter one never cuts it short
    assert pin_states(s) == [0, 1, 0]


@SETTLE
async def test_overlap_ignore_refuses_the_second(settle: bool) -> None:
    changes = Changes()
    s = sink(GpioOutputSettings(name="lamp", pin=17, overlap="ignore"), on_change=changes)
    started = time.monotonic()
    await s.handle(cmd("pulse", duration=0.05))
    with pytest.raises(SinkError, match="busy"):
        await second(s, settle, 30)
    off = await changes.off()  # long before the refused pulse's 30 s
    assert off - started >= 0.05
    assert pin_states(s) == [0, 1, 0]


async def test_max_on_forces_off() -> None:
    changes = Changes()
    s = sink(GpioOutputSettings(name="lamp", pin=17, max_on=0.1), on_change=changes)
    sent = time.monotonic()
    await s.handle(cmd("on"))
    assert s.states()["lamp"] == 1
    off = await changes.off()
    assert off - sent >= 0.1
    assert s.states()["lamp"] == 0
    assert s.limited() == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_min_off_and_max_per_minute_hold_under_a_storm() -> None:
    clock = FakeClock()
    s = sink(GpioOutputSettings(name="lamp", pin=17, min_off=0.05, max_per_minute=5), clock=clock)
    refused = []
    for n in range(60):  # an "on" every 15 ms, each off again 5 ms later
        try:
            await s.handle(cmd("on"))
        except SinkError as exc:
            refused.append((n, str(exc)))
        clock.now += 0.005
        await s.handle(cmd("off"))
        clock.now += 0.010
    allowed = sorted(set(range(60)) - {n for n, _ in refused})
    # min_off: after an off at 5 ms, 15, 30 and 45 ms later are too soon, 60 ms is not;
    # max_per_minute: five in the storm's first 0.9 s, then nothing
    assert allowed == [0, 4, 8, 12, 16]
    assert all("min_off" in why for n, why in refused if n < 16)
    assert all("max_per_minute" in why for n, why in refused if n >= 20)
    assert pin_states(s).count(1) == 5 and len(refused) == 55 == s.limited()
    clock.now += 60.0  # a minute on, the budget is back
    await s.handle(cmd("on"))
    assert s.states()["lamp"] == 1


async def test_kill_switch_pauses_everything() -> None:
    s = sink(LAMP, inputs=(GpioInputSettings(name="kill", pin=22, role="kill_switch"),))
    await s.handle(cmd("on"))
    button_pin = s.inputs["kill"].pin
    button_pin.drive_low()  # pressed (pull-up): MockPin calls back on this thread, at once
    assert s.paused and s.states()["lamp"] == 0
    with pytest.raises(SinkError, match="paused"):
        await s.handle(cmd("on"))
    button_pin.drive_high()
    assert not s.paused
    await s.handle(cmd("on"))
    assert s.states()["lamp"] == 1


async def test_test_button_fires_its_rule() -> None:
    fired: list[str] = []
    s = sink(
        LAMP,
        inputs=(GpioInputSettings(name="t", pin=23, role="test_button", rule="big_gift"),),
        on_test_button=fired.append,
    )
    s.inputs["t"].pin.drive_low()
    assert fired == ["big_gift"]


async def test_reconfigure_turns_removed_outputs_off() -> None:
    s = sink(LAMP, GpioOutputSettings(name="fan", pin=18))
    await s.handle(cmd("on", output="fan"))
    fan_pin = s.outputs["fan"].device.pin
    s.reconfigure(GpioSettings(outputs=(LAMP,)))
    assert fan_pin.state == 0 and "fan" not in s.outputs


async def test_pwm_and_fade() -> None:
    changes = Changes()
    s = sink(GpioOutputSettings(name="lamp", pin=12, kind="pwm_led"), on_change=changes)
    await s.handle(cmd("pwm", value=0.5))
    assert s.states()["lamp"] == pytest.approx(0.5)
    await s.handle(cmd("fade", value=1.0, duration=0.1))
    await changes.until(lambda: changes.values()[-1] == pytest.approx(1.0))
    steps = changes.values()[1:]
    assert steps == sorted(steps) and len(steps) > 2  # up in steps, not in one jump
    assert s.states()["lamp"] == pytest.approx(1.0)


async def test_all_off_cancels_patterns() -> None:
    s = sink(LAMP)
    await s.handle(cmd("blink", on_time=0.02, off_time=0.02))
    pattern = s.outputs["lamp"].task
    assert pattern is not None
    s.all_off()
    with pytest.raises(asyncio.CancelledError):
        await pattern  # ended: nothing is left that could turn the lamp on again
    assert s.states()["lamp"] == 0
    assert [h.state for h in s.outputs["lamp"].device.pin.states][-1] == 0


async def test_inputs_are_logged_with_the_input_that_sent_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="livetrigger.actions.sinks.gpio")
    s = sink(
        LAMP,
        inputs=(
            GpioInputSettings(name="kill", pin=22, role="kill_switch"),
            GpioInputSettings(name="t", pin=23, role="test_button", rule="big_gift"),
        ),
        on_test_button=lambda rule: None,
    )
    s.inputs["t"].pin.drive_low()
    s.inputs["kill"].pin.drive_low()
    s.inputs["kill"].pin.drive_high()
    lines = [r.getMessage() for r in caplog.records]
    assert "gpio: test button t (pin 23) pressed: rule big_gift" in lines
    assert "gpio: kill switch kill (pin 22) on" in lines
    assert "gpio: kill switch kill (pin 22) off" in lines

"""A pattern ends where it found the output: a pulse over a lamp a moderator switched on leaves it
on. Waits on the pattern's own task, never on the clock."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger.actions import GpioCommand
from livetrigger.actions.sinks.gpio import GpioSink
from livetrigger.settings import GpioOutputSettings, GpioSettings

LAMP = GpioOutputSettings(name="lamp", pin=17)
DIMMER = GpioOutputSettings(name="lamp", pin=12, kind="pwm_led")


def sink(out: GpioOutputSettings, **kw: object) -> GpioSink:
    return GpioSink(
        GpioSettings(outputs=(out,)),
        pin_factory=MockFactory(pin_class=MockPWMPin),
        **kw,  # type: ignore[arg-type]
    )


def cmd(verb: str, **kw: object) -> GpioCommand:
    return GpioCommand(rule_id="r", output="lamp", verb=verb, **kw)  # type: ignore[arg-type]


async def finish(s: GpioSink) -> None:
    task = s.outputs["lamp"].task
    assert task is not None
    await task


def transitions(s: GpioSink) -> list[float]:
    states = [float(h.state) for h in s.outputs["lamp"].device.pin.states]
    return [v for i, v in enumerate(states) if i == 0 or v != states[i - 1]]


@pytest.mark.parametrize(
    "pattern",
    [
        {"verb": "pulse", "duration": 0.05},
        {"verb": "blink", "on_time": 0.01, "off_time": 0.01, "count": 2},
        {"verb": "beep", "on_time": 0.01, "off_time": 0.01, "count": 1},
    ],
)
async def test_a_pattern_over_a_switched_on_lamp_leaves_it_on(pattern: dict[str, object]) -> None:
    s = sink(LAMP)
    await s.handle(cmd("on"))
    await s.handle(cmd(**pattern))  # type: ignore[arg-type]
    await finish(s)
    assert s.states()["lamp"] == 1.0


async def test_a_pulse_over_an_off_lamp_ends_off() -> None:
    s = sink(LAMP)
    await s.handle(cmd("pulse", duration=0.02))
    await finish(s)
    assert transitions(s) == [0.0, 1.0, 0.0]


async def test_a_pulse_over_a_dimmed_lamp_returns_to_the_dim_level() -> None:
    s = sink(DIMMER)
    await s.handle(cmd("pwm", value=0.3))
    await s.handle(cmd("pulse", duration=0.02))
    assert s.states()["lamp"] == 1.0
    await finish(s)
    assert s.states()["lamp"] == pytest.approx(0.3)


async def test_a_restarted_pulse_still_returns_to_the_state_before_the_first() -> None:
    s = sink(LAMP)
    await s.handle(cmd("pulse", duration=0.5))
    await s.handle(cmd("pulse", duration=0.02))  # overlap restart: starts while the lamp is on
    await finish(s)
    assert s.states()["lamp"] == 0.0


async def test_off_during_a_pulse_is_where_the_pulse_ends() -> None:
    s = sink(LAMP)
    await s.handle(cmd("on"))
    await s.handle(cmd("pulse", duration=0.5))
    await s.handle(cmd("off"))  # cancels the pattern; the lamp's state is now off
    await s.handle(cmd("pulse", duration=0.02))
    await finish(s)
    assert s.states()["lamp"] == 0.0


async def test_fade_end_is_the_new_resting_level() -> None:
    s = sink(DIMMER)
    await s.handle(cmd("fade", value=0.6, duration=0.05))
    await finish(s)
    await s.handle(cmd("pulse", duration=0.02))
    await finish(s)
    assert s.states()["lamp"] == pytest.approx(0.6)


async def test_pause_clears_the_resting_state() -> None:
    s = sink(LAMP)
    await s.handle(cmd("on"))
    s.pause()
    s.resume()
    await s.handle(cmd("pulse", duration=0.02))
    await finish(s)
    assert s.states()["lamp"] == 0.0

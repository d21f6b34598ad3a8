"""GPIO outputs on gpiozero's MockFactory pins: pattern timelines, overlap, safety limits."""

from __future__ import annotations

import asyncio
import time

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger.actions import GpioCommand
from livetrigger.errors import SinkError
from livetrigger.settings import GpioInputSettings, GpioOutputSettings, GpioSettings
from livetrigger.sinks.gpio import GpioSink


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


def timeline(s: GpioSink, name: str = "lamp") -> list[tuple[float, float]]:
    pin = s.outputs[name].device.pin
    hist = pin.states
    t0 = hist[0].timestamp
    return [(round(h.timestamp - t0, 2), float(h.state)) for h in hist]


LAMP = GpioOutputSettings(name="lamp", pin=17)


async def test_pulse_turns_on_at_once_and_off_after_duration() -> None:
    s = sink(LAMP)
    pin = s.outputs["lamp"].device.pin
    before = time.monotonic()
    await s.handle(cmd("pulse", duration=0.2))
    assert pin.state == 1
    await asyncio.sleep(0.3)
    assert pin.state == 0
    states = [h.state for h in pin.states]
    assert states[-2:] == [1, 0]
    on_for = pin.states[-1].timestamp - pin.states[-2].timestamp
    assert 0.18 <= on_for <= 0.28, on_for
    assert time.monotonic() - before < 1


async def test_blink_count() -> None:
    s = sink(LAMP)
    await s.handle(cmd("blink", on_time=0.05, off_time=0.05, count=3))
    await asyncio.sleep(0.4)
    ons = [h.state for h in s.outputs["lamp"].device.pin.states].count(1)
    assert ons == 3 and s.states()["lamp"] == 0


@pytest.mark.parametrize(
    ("policy", "expected_off_after"),
    [("restart", 0.3), ("extend", 0.35), ("ignore", 0.2)],
)
async def test_overlap_policies(policy: str, expected_off_after: float) -> None:
    s = sink(GpioOutputSettings(name="lamp", pin=17, overlap=policy))  # type: ignore[arg-type]
    pin = s.outputs["lamp"].device.pin
    start = time.monotonic()
    await s.handle(cmd("pulse", duration=0.2))
    await asyncio.sleep(0.1)
    if policy == "ignore":
        with pytest.raises(SinkError, match="busy"):
            await s.handle(cmd("pulse", duration=0.2))
    elif policy == "extend":
        await s.handle(cmd("pulse", duration=0.25))
    else:
        await s.handle(cmd("pulse", duration=0.2))
    while pin.state == 1 and time.monotonic() - start < 2:
        await asyncio.sleep(0.005)
    assert abs((time.monotonic() - start) - expected_off_after) < 0.06


async def test_max_on_forces_off() -> None:
    s = sink(GpioOutputSettings(name="lamp", pin=17, max_on=0.1))
    await s.handle(cmd("on"))
    assert s.states()["lamp"] == 1
    await asyncio.sleep(0.2)
    assert s.states()["lamp"] == 0
    assert s.limited() == 1


async def test_min_off_and_max_per_minute_hold_under_a_storm() -> None:
    s = sink(GpioOutputSettings(name="lamp", pin=17, min_off=0.05, max_per_minute=5))
    refused = 0
    for _ in range(60):  # a pulse every 15 ms, each over before the next
        try:
            await s.handle(cmd("pulse", duration=0.005))
        except SinkError:
            refused += 1
        await asyncio.sleep(0.015)
    await asyncio.sleep(0.05)
    ons = [h.state for h in s.outputs["lamp"].device.pin.states].count(1)
    assert 1 <= ons <= 5
    assert refused == 60 - ons == s.limited()


async def test_kill_switch_pauses_everything() -> None:
    s = sink(LAMP, inputs=(GpioInputSettings(name="kill", pin=22, role="kill_switch"),))
    await s.handle(cmd("on"))
    button_pin = s.inputs["kill"].pin
    button_pin.drive_low()  # pressed (pull-up)
    await asyncio.sleep(0.01)
    assert s.paused and s.states()["lamp"] == 0
    with pytest.raises(SinkError, match="paused"):
        await s.handle(cmd("on"))
    button_pin.drive_high()
    await asyncio.sleep(0.01)
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
    await asyncio.sleep(0.01)
    assert fired == ["big_gift"]


async def test_reconfigure_turns_removed_outputs_off() -> None:
    s = sink(LAMP, GpioOutputSettings(name="fan", pin=18))
    await s.handle(cmd("on", output="fan"))
    fan_pin = s.outputs["fan"].device.pin
    s.reconfigure(GpioSettings(outputs=(LAMP,)))
    assert fan_pin.state == 0 and "fan" not in s.outputs


async def test_pwm_and_fade() -> None:
    s = sink(GpioOutputSettings(name="lamp", pin=12, kind="pwm_led"))
    await s.handle(cmd("pwm", value=0.5))
    assert s.states()["lamp"] == pytest.approx(0.5)
    await s.handle(cmd("fade", value=1.0, duration=0.1))
    await asyncio.sleep(0.2)
    assert s.states()["lamp"] == pytest.approx(1.0)


async def test_all_off_cancels_patterns() -> None:
    s = sink(LAMP)
    await s.handle(cmd("blink", on_time=0.02, off_time=0.02))
    s.all_off()
    await asyncio.sleep(0.1)
    assert s.states()["lamp"] == 0
    assert [h.state for h in s.outputs["lamp"].device.pin.states][-1] == 0

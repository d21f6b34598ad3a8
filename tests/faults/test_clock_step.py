"""A wall-clock step never drops what just arrived (issue 25, item 1): a Raspberry Pi without a
clock battery boots on a stale clock and NTP steps it forward minutes or hours later. Triggers
waiting for a stopped broker when the clock steps +15 min are all delivered when the broker
returns, and the step is said once. The daemon runs in-process against a real Mosquitto and the
fake room, on a wall clock the test steps (``Daemon(wall_clock=...)``: the clock its outbox
stamps and its ages would be read with). Across a restart the age comes from the journal's
wall-clock times: tests/faults/test_outbox_restart.py."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger import events as ev
from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon
from tests.connection.test_lifecycle import realistic, rose, running
from tests.support.outage import (
    RULE_FIRED_TOPIC,
    TRIGGER_TOPIC,
    config_text,
    entered,
    fired_id,
    firsts,
    gift,
    online,
    rig,
    wait_until,
)

N = 100
STEP = 15 * 60.0  # past daemon.outbox_max_age (10 min by default)


class SteppedClock:
    """The system's wall clock, plus whatever steps the test gives it."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


def mqtt_lanes(daemon: Daemon) -> dict[str, dict[str, int]]:
    dispatcher = daemon.outputs.dispatcher
    assert dispatcher is not None
    return {t: s for t, s in dispatcher.stats().items() if t.startswith("mqtt")}


async def test_a_forward_clock_step_keeps_every_waiting_trigger(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    clock = SteppedClock()
    async with rig(tmp_path) as (broker, listener, room):
        config = load_config_text(config_text(room, broker.port, tmp_path))
        daemon = Daemon(config, pin_factory=MockFactory(pin_class=MockPWMPin), wall_clock=clock)
        task = asyncio.create_task(daemon.run())
        try:
            await entered(room)
            await online(listener)
            broker.stop(signal.SIGTERM)  # idle: nothing in flight
            mqtt = daemon.outputs.mqtt
            assert mqtt is not None
            await wait_until(lambda: not mqtt.connected.is_set(), 60, "the broker seen gone")
            sent = []
            for _ in range(N):
                event = gift(room)
                await room.send(event)
                sent.append(event.msg_id)
            await wait_until(
                lambda: [s["queued"] for s in mqtt_lanes(daemon).values()] == [N, N],
                60,
                "every trigger and rule_fired waiting for the broker",
            )
            clock.shift += STEP  # NTP's first sync
            broker.start()
            await wait_until(
                lambda: all(s["queued"] == 0 for s in mqtt_lanes(daemon).values()),
                60,
                "the daemon to empty its MQTT queues",
            )
            lanes = mqtt_lanes(daemon)
            assert [s["dropped"] for s in lanes.values()] == [0, 0], lanes
            await asyncio.to_thread(listener.wait_for, N, 30.0, TRIGGER_TOPIC)
            await asyncio.to_thread(listener.wait_for, N, 30.0, RULE_FIRED_TOPIC)
            assert [int(p) for p in firsts(listener, TRIGGER_TOPIC)] == sent
            assert firsts(listener, RULE_FIRED_TOPIC, fired_id) == sent
        finally:
            daemon.request_stop()
            await task
    steps = [r.getMessage() for r in caplog.records if "wall clock stepped" in r.getMessage()]
    assert len(steps) == 1, steps
    assert "forward by 15m" in steps[0]
    assert not [r for r in caplog.records if "older than daemon.outbox_max_age" in r.getMessage()]


async def test_a_backward_clock_step_does_not_hold_a_streak_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a streak whose end frame never comes ends after streak_timeout on the process's own
    # clock; on the wall clock a step back of an hour held it for that hour
    real = time.time
    async with realistic() as room, running(room, streak_timeout=0.3) as run:
        await room.wait_for_client()
        await room.send(rose(room, 1, 77), rose(room, 2, 77))
        await run.wait(lambda: len(run.of(ev.GiftEvent)) == 2)
        monkeypatch.setattr(time, "time", lambda: real() - 3600.0)
        await run.wait(lambda: any(g.is_final for g in run.of(ev.GiftEvent)))
    (end,) = [g for g in run.of(ev.GiftEvent) if g.is_final]
    assert (end.repeat_count, end.streak_timed_out) == (2, True)

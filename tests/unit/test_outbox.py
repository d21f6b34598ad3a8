"""The durable outbox's journal: what is recovered, in what order, what a cut line does, and
that finished segments are deleted."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from livetrigger.actions import GpioCommand, HttpCall, MqttPublish
from livetrigger.state import outbox as ob
from livetrigger.state.outbox import Outbox


def mqtt(n: int, **kw: object) -> MqttPublish:
    return MqttPublish(rule_id="r", room="demo", topic="t/x", payload=str(n).encode(), **kw)  # type: ignore[arg-type]


def test_recovers_what_was_not_done_in_order_and_skips_a_cut_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = Outbox(tmp_path)
    requests = [mqtt(n) for n in range(5)] + [mqtt(9, lane="rule_fired")]
    hook = HttpCall(
        rule_id="h",
        room="demo",
        endpoint="hook",
        path="/a\nb",
        body=b"\xff\x00{}",
        headers=(("X-Who", "😀"),),
        query=(("q", "1"),),
    )
    for request in requests[:3]:
        first.accept(request)
    first.accept(hook)
    for request in requests[3:]:
        first.accept(request)
    first.done(requests[1])
    first.accept(GpioCommand(rule_id="g", output="lamp", verb="on"))  # not kept
    first.accept(mqtt(7, qos=0))  # not kept
    segment = next((tmp_path / "mqtt").glob("*.jsonl"))
    with segment.open("ab") as f:
        f.write(b'{"s": 99, "r": {"k": "mq')  # a write cut by a crash
    with caplog.at_level(logging.WARNING):
        got = Outbox(tmp_path).recover()
    assert got == [requests[0], requests[2], hook, requests[3], requests[4], requests[5]]
    assert "skipped" in caplog.text and segment.name in caplog.text


def test_a_recovered_request_is_not_written_twice_and_done_frees_it(tmp_path: Path) -> None:
    first = Outbox(tmp_path)
    first.accept(mqtt(1))
    second = Outbox(tmp_path)
    (request,) = second.recover()
    second.accept(request)  # the dispatcher queues it again: already in the journal
    assert second.pending() == 1 and second.accepted == 0
    second.done(request)
    assert Outbox(tmp_path).recover() == []


async def test_finished_segments_are_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ob, "SEGMENT_BYTES", 1024)
    outbox = Outbox(tmp_path)
    kept = mqtt(-1)
    outbox.accept(kept)  # pending throughout: its segment stays
    for n in range(2000):
        request = mqtt(n)
        outbox.accept(request)
        outbox.done(request)
    await outbox.sync()
    files = sorted((tmp_path / "mqtt").glob("*.jsonl"))
    assert len(files) == 2  # the first (holds `kept`) and the current one
    outbox.done(kept)
    await outbox.aclose()
    assert list((tmp_path / "mqtt").glob("*.jsonl")) == []


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_requests_older_than_max_age_are_not_replayed_counted_and_said_once_per_target(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    first = Outbox(tmp_path, clock=clock)
    old = [mqtt(n) for n in range(3)]
    old_hook = HttpCall(rule_id="h", room="demo", endpoint="hook")
    for request in old:
        first.accept(request)
    first.accept(old_hook)
    clock.now += 2 * 86400 + 3 * 3600  # the weekend
    fresh = [mqtt(n) for n in range(10, 13)]
    for request in fresh:
        first.accept(request)
    clock.now += 600  # exactly max_age: still replayed
    second = Outbox(tmp_path, max_age=600, clock=clock)
    with caplog.at_level(logging.WARNING):
        assert second.recover() == fresh
    assert (second.replayed, second.expired, second.pending()) == (3, 4, 3)
    said = [r.getMessage() for r in caplog.records if "not replayed" in r.getMessage()]
    assert said == [
        "outbox: 1 trigger(s) for http:hook older than 10m not replayed (oldest 2d 3h ago)",
        "outbox: 3 trigger(s) for mqtt older than 10m not replayed (oldest 2d 3h ago)",
    ]
    # marked done: the next start neither replays nor counts them again
    third = Outbox(tmp_path, max_age=None, clock=clock)
    assert third.recover() == fresh
    assert third.expired == 0


async def test_when_every_request_is_too_old_the_journal_ends_empty(tmp_path: Path) -> None:
    clock = Clock()
    first = Outbox(tmp_path, clock=clock)
    for n in range(5):
        first.accept(mqtt(n))
    await first.aclose()
    clock.now += 3600
    second = Outbox(tmp_path, max_age=60, clock=clock)
    assert second.recover() == []
    assert second.expired == 5
    await second.aclose()
    assert list(tmp_path.rglob("*.jsonl")) == []


def test_no_limit_and_a_clock_set_back_replay_everything(tmp_path: Path) -> None:
    clock = Clock()
    first = Outbox(tmp_path, clock=clock)
    requests = [mqtt(n) for n in range(3)]
    for request in requests:
        first.accept(request)
    clock.now += 365 * 86400
    assert Outbox(tmp_path, max_age=None, clock=clock).recover() == requests
    # a clock that went back (a board without a real-time clock before NTP) makes them
    # look new: replayed, as without the limit
    clock.now -= 2 * 365 * 86400
    again = Outbox(tmp_path, max_age=600, clock=clock)
    assert again.recover() == requests and again.expired == 0


def test_a_line_without_an_accept_time_is_as_old_as_its_file(tmp_path: Path) -> None:
    """What a daemon from before the accept time left: its lines count as accepted when their
    segment was last written (never earlier than the truth)."""
    clock = Clock()
    written = Outbox(tmp_path, clock=clock)
    requests = [mqtt(n) for n in range(4)]
    for request in requests:
        written.accept(request)
    segment = next((tmp_path / "mqtt").glob("*.jsonl"))
    lines = [json.loads(line) for line in segment.read_text().splitlines()]
    assert all(line.pop("t") == clock.now for line in lines)
    segment.write_text("".join(json.dumps(line) + "\n" for line in lines))  # the old format
    os.utime(segment, (clock.now, clock.now))
    clock.now += 599
    within = Outbox(tmp_path, max_age=600, clock=clock)
    assert within.recover() == requests and within.expired == 0
    clock.now += 2
    beyond = Outbox(tmp_path, max_age=600, clock=clock)
    assert beyond.recover() == [] and beyond.expired == 4


def test_a_bad_accept_time_is_as_old_as_its_file(tmp_path: Path) -> None:
    clock = Clock()
    (tmp_path / "mqtt").mkdir()
    segment = tmp_path / "mqtt" / "00000001.jsonl"
    record = ob.encode(mqtt(1))
    segment.write_text(
        "".join(
            json.dumps({"s": n, "t": t, "r": record}) + "\n"
            for n, t in enumerate(["x", True, None, float("nan")], 1)
        )
    )
    os.utime(segment, (clock.now - 10, clock.now - 10))
    got = Outbox(tmp_path, max_age=5, clock=clock)
    assert got.recover() == [] and got.expired == 4

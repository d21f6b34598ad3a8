"""The durable outbox's journal: what is recovered, in what order, what a cut line does, and
that finished segments are deleted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from livetrigger import outbox as ob
from livetrigger.actions import GpioCommand, HttpCall, MqttPublish
from livetrigger.outbox import Outbox


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

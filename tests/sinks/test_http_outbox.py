"""A webhook call between its attempts is in the outbox: the endpoint turned it away, so a
process stopped during the backoff leaves it to the next one, in its place; a call on the
wire, taken, or given up on is not kept (bench/soak.py lost such calls at SIGKILLs)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from livetrigger.actions import HttpCall
from livetrigger.actions.sinks.http import WebhookSink
from livetrigger.errors import SinkError
from livetrigger.settings import WebhookSettings
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from livetrigger.state.outbox import Outbox
from tests.support.waiting import wait_until


def call(n: int) -> HttpCall:
    return HttpCall(rule_id="r", room="demo", endpoint="hook", body=b'{"n": %d}' % n)


def endpoint(url: str, **kw: object) -> WebhookSettings:
    base: dict[str, object] = {"name": "hook", "url": url, "retries": 2, "retry_initial": 0.05}
    base.update(kw)
    return WebhookSettings(**base)  # type: ignore[arg-type]


async def test_a_call_turned_away_is_kept_for_the_next_process_in_its_place(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path)
    first, second = call(1), call(2)
    outbox.accept(first)
    outbox.accept(second)  # queued behind it
    outbox.done(first)  # what the dispatcher writes as it hands the call to the sink
    async with WebhookReceiver() as rx:
        rx.responses = [(503, {"Retry-After": "60"})]  # a backoff longer than the test
        sink = WebhookSink([endpoint(rx.url)], journal=outbox)
        sending = asyncio.create_task(sink.handle(first))
        await wait_until(lambda: outbox.pending() == 2, "the turned-away call kept again")
        # the process dies in the backoff: what is on disk is what the next one finds
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        await sink.aclose()
    again = Outbox(tmp_path).recover()
    assert again == [first, second]  # equal by value: the same calls, first still first
    assert len(rx.calls) == 1


async def test_a_call_taken_on_a_retry_or_given_up_on_is_not_kept(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    taken, failed = call(1), call(2)
    async with WebhookReceiver() as rx:
        sink = WebhookSink([endpoint(rx.url)], journal=outbox)
        rx.responses = [(503, {})]
        outbox.accept(taken)
        outbox.done(taken)
        await sink.handle(taken)
        rx.responses = [(500, {})] * 3
        outbox.accept(failed)
        outbox.done(failed)
        with pytest.raises(SinkError):
            await sink.handle(failed)
        await sink.aclose()
    assert [status for _c, status in rx.answered] == [503, 200, 500, 500, 500]
    assert outbox.pending() == 0 and Outbox(tmp_path).recover() == []

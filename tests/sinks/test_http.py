"""Webhooks against a real local HTTP server that can be slow, hang, or refuse."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from livetrigger.actions import HttpCall
from livetrigger.actions.sinks.http import WebhookSink, retry_after
from livetrigger.cli import main
from livetrigger.errors import SinkError
from livetrigger.settings import WebhookSettings
from livetrigger.simulator.webhook_receiver import WebhookReceiver


def call(body: bytes = b'{"a": 1}', **kw: object) -> HttpCall:
    return HttpCall(rule_id="r", endpoint="hook", body=body, **kw)  # type: ignore[arg-type]


def endpoint(url: str, **kw: object) -> WebhookSettings:
    base: dict[str, object] = {"name": "hook", "url": url, "retries": 2, "retry_initial": 0.05}
    base.update(kw)
    return WebhookSettings(**base)  # type: ignore[arg-type]


async def test_signed_post_with_path_query_and_headers() -> None:
    async with WebhookReceiver(secret="s3cret") as rx:
        sink = WebhookSink([endpoint(rx.url + "/base", secret="s3cret", headers=(("X-A", "1"),))])
        await sink.handle(call(path="/gift", query=(("u", "ann"),), headers=(("X-B", "2"),)))
        await sink.aclose()
    (got,) = rx.calls
    assert got.method == "POST" and got.path == "/base/gift?u=ann"
    assert got.signature_ok is True
    assert got.headers["x-a"] == "1" and got.headers["x-b"] == "2"
    assert got.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("base", "path"), [("/base/", "u/x"), ("/base", "u/x"), ("/base/", "/u/x")]
)
async def test_an_action_path_goes_under_the_endpoint_path(base: str, path: str) -> None:
    # `url: .../base/` with `path: "u/x"` requested /baseu/x
    async with WebhookReceiver() as rx:
        sink = WebhookSink([endpoint(rx.url + base)])
        await sink.handle(call(path=path))
        await sink.aclose()
    assert [c.path for c in rx.calls] == ["/base/u/x"]


def test_check_shows_the_path_requested(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "rooms: [{username: '@x'}]\n"
        "webhooks: {hook: {url: 'https://h.example/base/?token=t0ken'}}\n"
        "rules: [{id: r, on: chat, do: [{webhook: {endpoint: hook, path: 'u/x'}}]}]\n"
    )
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "→ webhook hook /base/u/x\n" in out and "t0ken" not in out


async def test_retries_on_500_and_honours_retry_after() -> None:
    async with WebhookReceiver() as rx:
        rx.responses = [(500, {}), (429, {"Retry-After": "0.3"})]
        sink = WebhookSink([endpoint(rx.url)])
        start = time.monotonic()
        await sink.handle(call())
        elapsed = time.monotonic() - start
        await sink.aclose()
    assert len(rx.calls) == 3
    assert elapsed >= 0.3 + 0.05


async def test_no_retry_on_404() -> None:
    async with WebhookReceiver() as rx:
        rx.responses = [(404, {})]
        sink = WebhookSink([endpoint(rx.url)])
        with pytest.raises(SinkError, match="404"):
            await sink.handle(call())
        await sink.aclose()
    assert len(rx.calls) == 1


async def test_hung_server_cannot_hold_the_worker_past_timeout() -> None:
    async with WebhookReceiver() as rx:
        rx.delay = 3600  # hung for longer than the test's own hang guard
        sink = WebhookSink([endpoint(rx.url, timeout=0.3, retries=1)])
        with pytest.raises(SinkError, match="timed out"):
            async with asyncio.timeout(60):  # only without the endpoint's timeout does this fire
                await sink.handle(call())
        assert len(rx.calls) == 2  # each attempt given up after its timeout, then retried once
        await sink.aclose()


async def test_connection_refused_is_retried_then_fails() -> None:
    sink = WebhookSink([endpoint("http://127.0.0.1:9/", retries=1)])
    with pytest.raises(SinkError, match="after 2 attempts"):
        await sink.handle(call())
    await sink.aclose()


def test_retry_after_parses_seconds_and_dates() -> None:
    assert retry_after("3") == 3.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert retry_after("soon") is None


async def test_slow_server_completes_within_timeout() -> None:
    async with WebhookReceiver() as rx:
        rx.delay = 0.1
        sink = WebhookSink([endpoint(rx.url, timeout=30.0)])  # slow, not hung: it answers
        await asyncio.wait_for(sink.handle(call()), 60)
        await sink.aclose()
    assert len(rx.calls) == 1

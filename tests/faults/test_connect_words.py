"""A failed connection says which failure it is (issue 26, item 8): a name that does not
resolve, a refused connection, a timeout, TLS. MQTT said nothing (paho logs at debug level)
and the dashboard "MQTT reconnecting" for all of them; a webhook said "ConnectError".
Real sockets, a real paho client and a real HTTP client throughout."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from livetrigger.actions import HttpCall
from livetrigger.actions.sinks.http import WebhookSink
from livetrigger.actions.sinks.mqtt import MqttClient
from livetrigger.errors import SinkError
from livetrigger.settings import MqttSettings, WebhookSettings
from livetrigger.text.networds import describe_network_error

NO_SUCH_HOST = "no-such-host.invalid"  # .invalid never resolves (RFC 2606)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


@pytest.fixture
def full_listener() -> Iterator[int]:
    """A port whose accept queue is full: a further connect is never answered."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = int(server.getsockname()[1])
    fillers = []
    for _ in range(4):  # the kernel lets backlog + 1 wait; the rest of these fill it
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        fillers.append(c)
    time.sleep(0.1)
    try:
        yield port
    finally:
        for c in fillers:
            c.close()
        server.close()


async def mqtt_warnings(host: str, port: int, caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings of a client that failed to connect three times."""
    client = MqttClient(MqttSettings(host=host, port=port, reconnect_min=1, reconnect_max=1))
    failed = 0
    caplog.set_level(logging.WARNING, logger="livetrigger.actions.sinks.mqtt")
    await client.start()
    assert client._client is not None
    inner = client._client.on_connect_fail

    def counting(c: Any, userdata: Any) -> None:
        nonlocal failed
        inner(c, userdata)
        failed += 1

    client._client.on_connect_fail = counting
    deadline = time.monotonic() + 30
    while failed < 3:
        assert time.monotonic() < deadline, f"{failed} attempts"
        await asyncio.sleep(0.05)
    assert client.failure is not None
    await client.aclose()
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_mqtt_says_the_name_does_not_resolve(caplog: pytest.LogCaptureFixture) -> None:
    (warning,) = await mqtt_warnings(NO_SUCH_HOST, 1883, caplog)
    assert warning == (
        f"mqtt: cannot connect to {NO_SUCH_HOST}:1883: its name does not resolve "
        "(DNS down, or a typo in the host name)"
    )


async def test_mqtt_says_the_connection_was_refused(caplog: pytest.LogCaptureFixture) -> None:
    port = closed_port()
    (warning,) = await mqtt_warnings("127.0.0.1", port, caplog)  # once, not at every attempt
    assert warning.startswith(f"mqtt: cannot connect to 127.0.0.1:{port}: the connection was")
    assert "refused" in warning


def test_a_connect_that_times_out_says_so(full_listener: int) -> None:
    try:
        socket.create_connection(("127.0.0.1", full_listener), timeout=0.3).close()
    except OSError as exc:
        words = describe_network_error(exc, connecting=True)
    else:
        raise AssertionError("a full accept queue answered")
    assert words.startswith("the connection timed out")


def endpoint(url: str) -> WebhookSettings:
    return WebhookSettings(name="hook", url=url, retries=0, connect_timeout=0.3)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"http://{NO_SUCH_HOST}/", "its name does not resolve"),
        ("http://127.0.0.1:{closed}/", "the connection was refused"),
        ("http://127.0.0.1:{full}/", "timed out (no connection within the timeout"),
    ],
)
async def test_a_webhook_says_which_failure(url: str, words: str, full_listener: int) -> None:
    sink = WebhookSink([endpoint(url.format(closed=closed_port(), full=full_listener))])
    with pytest.raises(SinkError) as info:
        await sink.handle(HttpCall(rule_id="r", endpoint="hook", body=b"{}"))
    await sink.aclose()
    assert str(info.value).startswith(f"webhook hook: {words}"), info.value
    assert "Error" not in str(info.value)

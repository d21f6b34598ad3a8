"""One CA bundle per process (livetrigger/system/trust.py, issue 18): the webhook clients and the
daemon's HTTP client share one verifying context, every wss:// connection another, and they
trust what httpx and websockets trusted before — here a throwaway CA given by SSL_CERT_FILE,
which both honour — and refuse what they refused. Real TLS servers on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.asyncio.server import ServerConnection, serve

from livetrigger.actions import HttpCall
from livetrigger.actions.sinks.http import WebhookSink
from livetrigger.errors import RoomError, SinkError
from livetrigger.settings import WebhookSettings
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from livetrigger.system import trust
from livetrigger.webcast.connection import open_socket


def _cert(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, Any] | None, ca: bool
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer or (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        local = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(local), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    """(the CA's file, a server context for 127.0.0.1 signed by it)."""
    d = tmp_path_factory.mktemp("trust")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("trust test CA", ca_key, None, ca=True)
    leaf = _cert("server", key, ("trust test CA", ca_key), ca=False)
    (d / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (d / "server.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (d / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(d / "server.pem", d / "server.key")
    return d / "ca.pem", context


@pytest.fixture
def contexts_made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every verifying context made from here on (each one loads a CA bundle); the shared
    ones are made again for this test."""
    made: list[object] = []
    real = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(kwargs.get("cafile") or kwargs.get("capath") or "system")
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counted)
    trust.http_context.cache_clear()
    trust.websocket_context.cache_clear()
    yield made
    trust.http_context.cache_clear()
    trust.websocket_context.cache_clear()


def endpoint(name: str, url: str) -> WebhookSettings:
    return WebhookSettings(name=name, url=url, retries=0)


async def test_https_webhooks_and_the_http_client_load_one_bundle_and_trust_it(
    server_tls: tuple[Path, ssl.SSLContext],
    contexts_made: list[object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, context = server_tls
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    async with WebhookReceiver(tls=context) as rx:
        sink = WebhookSink([endpoint("a", rx.url + "/a"), endpoint("b", rx.url + "/b")])
        await sink.handle(HttpCall(rule_id="r", endpoint="a", body=b"{}"))
        await sink.handle(HttpCall(rule_id="r", endpoint="b", body=b"{}"))
        await sink.aclose()
        async with httpx.AsyncClient(verify=trust.http_context()) as daemons:
            assert (await daemons.get(rx.url + "/c")).status_code == 200
    assert [c.path for c in rx.calls] == ["/a", "/b", "/c"]
    assert contexts_made == [str(ca)]  # one bundle for all of them: the one httpx would load


async def test_a_webhook_whose_certificate_is_not_trusted_is_refused_saying_why(
    server_tls: tuple[Path, ssl.SSLContext],
    contexts_made: list[object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, context = server_tls  # SSL_CERT_FILE unset: certifi's bundle, which lacks the test CA
    caplog.set_level(logging.INFO, logger="livetrigger.actions.sinks.http")
    async with WebhookReceiver(tls=context) as rx:
        sink = WebhookSink([endpoint("a", rx.url)])
        with pytest.raises(SinkError) as info:
            await sink.handle(HttpCall(rule_id="r", endpoint="a", body=b"{}"))
        await sink.aclose()
    assert rx.calls == []
    # was "webhook a: ConnectError after 1 attempts": no word of TLS or certificates
    why = "TLS: its certificate was not accepted (unable to get local issuer certificate)"
    assert str(info.value) == f"webhook a: {why} after 1 attempts"


async def _echo(ws: ServerConnection) -> None:
    await ws.wait_closed()


async def test_wss_connections_share_one_system_store_and_trust_it(
    server_tls: tuple[Path, ssl.SSLContext],
    contexts_made: list[object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, context = server_tls
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # OpenSSL's default paths honour it
    async with serve(_echo, "127.0.0.1", 0, ssl=context) as server:
        port = server.sockets[0].getsockname()[1]
        for _ in range(3):
            ws = await open_socket(
                f"wss://127.0.0.1:{port}/ws", cookies={}, user_agent="t", timeout=60, max_size=1024
            )
            await ws.close()
    assert contexts_made == ["system"]  # one store for three connections


async def test_a_wss_server_that_is_not_trusted_is_refused(
    server_tls: tuple[Path, ssl.SSLContext], contexts_made: list[object]
) -> None:
    _, context = server_tls
    async with serve(_echo, "127.0.0.1", 0, ssl=context) as server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(RoomError, match="certificate"):
            await open_socket(
                f"wss://127.0.0.1:{port}/ws", cookies={}, user_agent="t", timeout=60, max_size=1024
            )

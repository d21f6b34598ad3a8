"""TLS to the broker and reload failures (issue 19, items 9 and 10): a missing CA file or a certificate without its
key passed `check` and ended `run` in a traceback; a wrong CA, a certificate for another host
name and a plain port were silent after one "not reachable yet". Now the files are config
errors at their line, and each connect failure is a warning naming its cause, once per cause.

A throwaway CA is made per test session with `cryptography`; the broker is a real Mosquitto
with a TLS listener.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from livetrigger import events as ev
from livetrigger.actions.sinks.mqtt import MqttClient
from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError
from livetrigger.settings import MqttSettings, TlsSettings
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.lamp_daemon import lamp_config, lamp_daemon
from tests.support.mosquitto import MosquittoBroker


@dataclass
class Pki:
    ca: Path  # the CA that signed everything below
    other_ca: Path  # a CA that signed nothing here
    server_cert: Path  # for 127.0.0.1 and localhost
    server_key: Path
    foreign_cert: Path  # signed by `ca`, but for other.example only
    foreign_key: Path
    client_cert: Path
    client_key: Path
    encrypted_key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
    sans: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, *items: Any, password: bytes | None = None) -> Path:
    out = b""
    for item in items:
        if isinstance(item, x509.Certificate):
            out += item.public_bytes(serialization.Encoding.PEM)
        else:
            encryption = (
                serialization.BestAvailableEncryption(password)
                if password
                else serialization.NoEncryption()
            )
            out += item.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
            )
    path.write_bytes(out)
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca_key, other_key, server_key, foreign_key, client_key = (_key() for _ in range(5))
    ca = _cert("livetrigger test CA", ca_key, None)
    local = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    return Pki(
        ca=_write(d / "ca.pem", ca),
        other_ca=_write(d / "other-ca.pem", _cert("another CA", other_key, None)),
        server_cert=_write(
            d / "server.pem", _cert("broker", server_key, ("livetrigger test CA", ca_key), local)
        ),
        server_key=_write(d / "server.key", server_key),
        foreign_cert=_write(
            d / "foreign.pem",
            _cert(
                "other",
                foreign_key,
                ("livetrigger test CA", ca_key),
                [x509.DNSName("other.example")],
            ),
        ),
        foreign_key=_write(d / "foreign.key", foreign_key),
        client_cert=_write(
            d / "client.pem", _cert("client", client_key, ("livetrigger test CA", ca_key))
        ),
        client_key=_write(d / "client.key", client_key),
        encrypted_key=_write(d / "encrypted.key", client_key, password=b"secret"),
    )


# -- files: config errors at their line --------------------------------------------------------


def tls_config(**tls: str) -> str:
    lines = "".join(f"    {k}: {v}\n" for k, v in tls.items())
    return f"""\
mqtt:
  host: 127.0.0.1
  tls:
{lines}rooms: [{{username: "@x"}}]
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "c.yaml")
    return list(info.value.problems)


def test_missing_ca_file_is_an_error_at_its_line(tmp_path: Path) -> None:
    (problem,) = problems_of(tls_config(ca_file=str(tmp_path / "nope.pem")))
    assert problem.startswith("c.yaml:4:") and "mqtt.tls.ca_file" in problem
    assert "nope.pem does not exist" in problem


def test_a_certificate_without_its_key_is_an_error(pki: Pki) -> None:
    (problem,) = problems_of(tls_config(ca_file=str(pki.ca), cert_file=str(pki.client_cert)))
    assert problem.startswith("c.yaml:5:") and "mqtt.tls.cert_file" in problem
    assert "holds no private key" in problem and "give key_file" in problem


@pytest.mark.parametrize(
    ("files", "key", "says"),
    [
        ({"key_file": "client_key"}, "key_file", "key_file needs cert_file"),
        (
            {"cert_file": "client_cert", "key_file": "server_key"},
            "key_file",
            "is not the private key",
        ),
        ({"cert_file": "client_cert", "key_file": "encrypted_key"}, "key_file", "is encrypted"),
        ({"ca_file": "client_key"}, "ca_file", "holds no PEM certificate"),
    ],
)
def test_files_that_do_not_pair_or_parse_are_errors(
    pki: Pki, files: dict[str, str], key: str, says: str
) -> None:
    text = tls_config(**{k: str(getattr(pki, v)) for k, v in files.items()})
    (problem,) = problems_of(text)
    assert f"mqtt.tls.{key}" in problem and says in problem
    assert "secret" not in problem


def test_check_and_run_say_so_without_a_traceback(tmp_path: Path, pki: Pki) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(tls_config(ca_file=str(tmp_path / "nope.pem"), cert_file=str(pki.client_cert)))
    for argv in (["check"], ["run", "-c"]):
        result = subprocess.run(
            [sys.executable, "-m", "livetrigger", *argv, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode != 0
        assert "nope.pem does not exist" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


# -- connecting: each cause named once ---------------------------------------------------------


@pytest.fixture
def tls_broker(tmp_path: Path, pki: Pki) -> Iterator[MosquittoBroker]:
    yield from _broker(tmp_path, pki.server_cert, pki.server_key)


@pytest.fixture
def foreign_broker(tmp_path: Path, pki: Pki) -> Iterator[MosquittoBroker]:
    yield from _broker(tmp_path, pki.foreign_cert, pki.foreign_key)


def _broker(tmp_path: Path, cert: Path, key: Path) -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker(tmp_path / "broker")
    with broker.conf_path.open("a") as conf:
        conf.write(f"certfile {cert}\nkeyfile {key}\n")
    with broker:
        yield broker


async def attempts(
    port: int, ca: Path, caplog: pytest.LogCaptureFixture, n: int = 3
) -> tuple[MqttClient, list[str]]:
    """Start a client, wait for ``n`` failed connects; the warnings it logged."""
    client = MqttClient(
        MqttSettings(
            host="127.0.0.1",
            port=port,
            tls=TlsSettings(ca_file=str(ca)),
            reconnect_min=1,
            reconnect_max=1,
        )
    )
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
    while failed < n:
        assert time.monotonic() < deadline, f"{failed} attempts"
        assert not client.connected.is_set()
        await asyncio.sleep(0.05)
    await client.aclose()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    return client, warnings


async def test_wrong_ca_is_a_warning_once(
    tls_broker: MosquittoBroker, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    _, warnings = await attempts(tls_broker.port, pki.other_ca, caplog)
    (warning,) = warnings
    assert "certificate verify failed" in warning and "ca_file" in warning


async def test_wrong_hostname_is_a_warning_once(
    foreign_broker: MosquittoBroker, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    _, warnings = await attempts(foreign_broker.port, pki.ca, caplog)
    (warning,) = warnings
    assert "hostname mismatch" in warning and "127.0.0.1" in warning


async def test_a_plain_port_is_a_protocol_warning_once(
    mosquitto: MosquittoBroker, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    _, warnings = await attempts(mosquitto.port, pki.ca, caplog)
    (warning,) = warnings
    assert "protocol" in warning and "TLS listener" in warning


async def test_the_right_ca_connects(tls_broker: MosquittoBroker, pki: Pki) -> None:
    client = MqttClient(
        MqttSettings(host="127.0.0.1", port=tls_broker.port, tls=TlsSettings(ca_file=str(pki.ca)))
    )
    await client.start()
    try:
        assert await client.wait_connected(30)
    finally:
        await client.aclose()


# -- reload: a failure keeps the running config and says why -----------------------------------


async def test_a_reload_that_fails_to_apply_keeps_the_old_config(tmp_path: Path) -> None:
    """Two outputs on one pin (refused by the loader or by the pin library): the reload is
    refused with a message, never "Task exception was never retrieved", and the old rule
    still drives the lamp."""
    rule = """\
      - id: ping
        on: chat
        when: {text: {contains: ping}}
        do: [{gpio: {output: lamp, action: "on"}}]
"""
    async with (
        FakeLiveRoom() as room,
        lamp_daemon(tmp_path, room, lamp_config(room, tmp_path, rule)) as daemon,
    ):
        broken = lamp_config(room, tmp_path, rule).replace(
            "    lamp: {pin: 17, kind: relay}\n",
            "    lamp: {pin: 17, kind: relay}\n    twin: {pin: 17, kind: relay}\n",
        )
        daemon.config.write_text(broken)
        daemon.proc.send_signal(signal.SIGHUP)
        await daemon.wait_for(
            lambda: "the running config" in daemon.log_text(), "the reload's message"
        )
        await room.send(ev.ChatEvent(msg_id=room.next_msg_id(), user=ev.User(id=8), text="ping"))
        await daemon.wait_for(daemon.lamp_turned_on, "lamp on from the old rule")
        log = daemon.log_text()
        assert "Task exception was never retrieved" not in log and "Traceback" not in log

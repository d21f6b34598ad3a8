"""Logging formats, secret redaction, and the sd_notify protocol on a socket the test owns."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from livetrigger.config import load_config
from livetrigger.system.logs import JournalFormatter, SecretRedactor, setup_logging
from livetrigger.system.sdnotify import Notifier, watchdog_interval


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_format_is_one_object_per_line() -> None:
    out = io.StringIO()
    setup_logging("info", "json", stream=out)
    logging.getLogger("livetrigger.test").info("gift from %s", "alice\nline2")
    (line,) = out.getvalue().splitlines()
    obj = json.loads(line)
    assert obj["message"] == "gift from alice\nline2" and obj["level"] == "info"


def test_secrets_are_redacted_in_messages_args_and_tracebacks() -> None:
    out = io.StringIO()
    setup_logging("debug", "text", stream=out, secrets=["s3cr3t-api-key", "sess-1234"])
    log = logging.getLogger("livetrigger.test")
    log.debug("key=%s", "s3cr3t-api-key")
    try:
        raise RuntimeError("bad session sess-1234")
    except RuntimeError:
        log.exception("failed")
    text = out.getvalue()
    assert "s3cr3t-api-key" not in text and "sess-1234" not in text
    assert text.count("***") == 3  # the message, the traceback source line, the exception


def test_redactor_replaces_longest_secret_first() -> None:
    r = SecretRedactor(["abcd", "abcdefgh"])
    assert r.redact("x abcdefgh y abcd") == "x *** y ***"


def test_journal_lines_have_priority_and_no_timestamp() -> None:
    record = logging.LogRecord("livetrigger.x", logging.WARNING, __file__, 1, "a\nb", None, None)
    assert JournalFormatter().format(record) == "<4>livetrigger.x: a\n<4>  b"


def test_notifier_sends_ready_status_and_watchdog(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(2)
    try:
        n = Notifier(path)
        assert n.ready("config loaded") and n.watchdog() and n.status("connected to room 7")
        got = [server.recv(4096).decode() for _ in range(3)]
        assert got == ["READY=1\nSTATUS=config loaded", "WATCHDOG=1", "STATUS=connected to room 7"]
        n.close()
    finally:
        server.close()


def test_notifier_is_a_no_op_outside_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = Notifier()
    assert not n.enabled and not n.ready()


def test_watchdog_interval_is_half_of_watchdog_usec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert watchdog_interval() is None


def test_credential_headers_of_a_webhook_are_redacted(tmp_path: Path) -> None:
    """The config's endpoint headers that carry credentials reach the redactor, whole and
    without their scheme; other header values stay readable."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("""\
webhooks:
  hook:
    url: http://127.0.0.1:9/x
    headers: {Authorization: "Bearer hdr-canary-1", X-Api-Key: hdr-canary-2, Accept: text/plain}
rooms:
  - username: "@someone"
    rules: [{id: a, on: gift, do: [{webhook: {endpoint: hook}}]}]
""")
    config = load_config(cfg)
    out = io.StringIO()
    setup_logging("debug", "text", stream=out, secrets=config.secrets)
    log = logging.getLogger("livetrigger.test")
    log.debug("sent Authorization: %s", "Bearer hdr-canary-1")
    log.debug("token alone: %s; key %s; accept %s", "hdr-canary-1", "hdr-canary-2", "text/plain")
    text = out.getvalue()
    assert "hdr-canary" not in text and "Bearer" not in text
    assert text.count("***") == 3 and "accept text/plain" in text

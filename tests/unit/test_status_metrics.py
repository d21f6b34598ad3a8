"""The status socket (0600, one JSON snapshot per connection) and the Prometheus rendering."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from livetrigger.cli import main
from livetrigger.commands.status import render
from livetrigger.daemon.features.metrics import registry_for
from livetrigger.daemon.status_socket import StatusServer, fetch

SNAPSHOT = {
    "daemon": {"version": "0.1.0", "uptime": 12.5, "paused": False},
    "rooms": {
        "demo_streamer": {
            "state": "connected",
            "events": {"gift": 3, "chat": 10},
            "reconnects": 1,
            "sign_requests": 2,
            "stall_detections": 0,
        }
    },
    "rules": {"big_gift": 2},
    "actions": {"mqtt": {"ok": 5, "failed": 0, "dropped": 1, "queued": 0}},
    "latency_ms": {"count": 5, "sum": 12.0, "buckets": [[1, 2], [5, 5], ["+Inf", 5]]},
}


async def test_status_socket_serves_snapshot_with_owner_only_mode(tmp_path: Path) -> None:
    path = tmp_path / "run" / "livetrigger.sock"
    async with StatusServer(path, lambda: SNAPSHOT):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        got = await asyncio.to_thread(fetch, path)
    assert got == SNAPSHOT
    assert not path.exists()


async def test_a_path_near_the_socket_limit_is_served() -> None:
    """A socket path holds 107 bytes. The socket is made in a private directory next to its
    path before it is linked into place; that staged path once carried 17 bytes more than
    `livetrigger.sock`, so a path of 100 bytes that clients could reach failed to bind."""
    base = Path(tempfile.mkdtemp(prefix="lt"))
    try:
        name = "livetrigger.sock"
        path = base / ("d" * (100 - len(str(base)) - 2 - len(name))) / name
        assert len(str(path)) == 100
        async with StatusServer(path, lambda: SNAPSHOT):
            assert await asyncio.to_thread(fetch, path) == SNAPSHOT
    finally:
        shutil.rmtree(base)


async def test_two_servers_starting_together_leave_the_umask_alone(tmp_path: Path) -> None:
    """The umask is process-wide: two daemons starting in one loop (Home Assistant's tests do)
    once interleaved around the bind and left every later file in the process at 0600."""
    before = os.umask(0o022)
    try:
        a = StatusServer(tmp_path / "a.sock", lambda: SNAPSHOT)
        b = StatusServer(tmp_path / "b.sock", lambda: SNAPSHOT)
        await asyncio.gather(a.__aenter__(), b.__aenter__())
        await asyncio.gather(a.__aexit__(None, None, None), b.__aexit__(None, None, None))
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(before)


async def test_a_failing_snapshot_does_not_stop_the_server(tmp_path: Path) -> None:
    calls = []

    def snapshot() -> dict[str, object]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return {"ok": True}

    path = tmp_path / "s.sock"
    async with StatusServer(path, snapshot):
        with pytest.raises(ValueError):  # the failed request gets an empty answer
            await asyncio.to_thread(fetch, path)
        assert await asyncio.to_thread(fetch, path) == {"ok": True}


async def test_a_command_is_logged_on_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    asked: list[str] = []

    def reconnect(room: str) -> dict[str, object]:
        asked.append(room)
        return {"ok": True} if room == "demo" else {"error": f"no room {room!r}; rooms: demo"}

    path = tmp_path / "s.sock"
    caplog.set_level(logging.INFO, logger="livetrigger.daemon.status_socket")
    async with StatusServer(path, lambda: SNAPSHOT, {"reconnect": reconnect}):
        assert await asyncio.to_thread(fetch, path, 5.0, "reconnect demo") == {"ok": True}
        assert "error" in await asyncio.to_thread(fetch, path, 5.0, "reconnect nobody")
    assert asked == ["demo", "nobody"]
    # a refusal is logged as one: the log says what was done
    assert [r.getMessage() for r in caplog.records] == [
        "status socket: reconnect demo",
        "status socket: reconnect nobody: refused: no room 'nobody'; rooms: demo",
    ]


def test_prometheus_text_has_every_family() -> None:
    text = generate_latest(registry_for(lambda: SNAPSHOT)).decode()
    assert 'livetrigger_events_total{kind="gift",room="demo_streamer"} 3.0' in text
    assert 'livetrigger_actions_total{result="dropped",target="mqtt"} 1.0' in text
    assert 'livetrigger_rule_fired_total{rule="big_gift"} 2.0' in text
    assert 'livetrigger_action_latency_seconds_bucket{le="0.001"} 2.0' in text
    assert "livetrigger_room_connected" in text


def test_status_command_renders_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = render(SNAPSHOT)
    assert "demo_streamer" in text and "big_gift" in text and "mqtt" in text
    assert "unreachable" not in text and "outbox" not in text
    down = {**SNAPSHOT, "daemon": {**SNAPSHOT["daemon"], "mqtt": "disconnected"}}
    down["daemon"]["outbox_pending"] = 7
    text = render(down)
    assert "MQTT broker unreachable" in text
    assert "7 accepted trigger(s) not yet sent" in text
    assert main(["status", "--socket", str(tmp_path / "none.sock")]) == 1
    assert "no daemon answers" in capsys.readouterr().err


def test_status_says_what_the_outbox_replayed_and_held_back() -> None:
    assert "outbox" not in render(SNAPSHOT)  # nothing to say
    daemon = {**SNAPSHOT["daemon"], "outbox_replayed": 12, "outbox_expired": 37}
    text = render({**SNAPSHOT, "daemon": daemon})
    assert "outbox at start: 12 replayed, 37 older than daemon.outbox_max_age not replayed" in text


def test_status_names_unknown_messages_by_method_escaped() -> None:
    snap = {
        "daemon": {"version": "x", "uptime": 1},
        "rooms": {
            "r": {
                "state": "connected",
                "events": {"unknown": 3},
                "unknown_methods": {"WebcastNew\x1b[2J": 1, "WebcastBrandNew": 2},
            }
        },
    }
    text = render(snap)  # type: ignore[arg-type]
    line = next(ln for ln in text.splitlines() if "does not decode" in ln)
    assert "WebcastBrandNew 2, WebcastNew" in line and "\x1b" not in line

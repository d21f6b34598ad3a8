"""The status socket (issue 19, item 12): `daemon.status_socket` deleted whatever file was at
its path, and a second daemon took over the first one's socket and deleted it on exit. Now
only a socket whose owner is gone is replaced, and a second daemon on the same path stops
with a message before it touches anything.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger.daemon.status_socket import StatusServer, fetch
from livetrigger.errors import StatusSocketTaken
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.lamp_daemon import ROOT, lamp_config, lamp_daemon

SNAPSHOT = {"daemon": {"version": "x"}}


async def test_a_file_at_the_path_is_never_deleted(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("precious")
    with pytest.raises(StatusSocketTaken, match="is not a socket; livetrigger never deletes"):
        async with StatusServer(path, lambda: SNAPSHOT):
            pass
    assert path.read_text() == "precious"


async def test_a_socket_whose_owner_is_gone_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(path))
    dead.close()  # what a SIGKILLed daemon leaves behind
    async with StatusServer(path, lambda: SNAPSHOT):
        assert await asyncio.to_thread(fetch, path) == SNAPSHOT
        assert path.stat().st_mode & 0o777 == 0o600
    assert not path.exists()


async def test_a_second_server_on_a_live_path_is_refused_and_leaves_it_alone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sock"
    async with StatusServer(path, lambda: {"who": "first"}):
        second = StatusServer(path, lambda: {"who": "second"})
        with pytest.raises(StatusSocketTaken, match="another livetrigger daemon is answering"):
            async with second:
                pass
        await second.aclose()
        assert await asyncio.to_thread(fetch, path) == {"who": "first"}


async def test_exit_leaves_a_file_that_replaced_the_socket(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    async with StatusServer(path, lambda: SNAPSHOT):
        path.unlink()
        path.write_text("someone else's")
    assert path.read_text() == "someone else's"


async def test_a_second_daemon_on_the_same_socket_stops_and_the_first_keeps_it(
    tmp_path: Path,
) -> None:
    rule = """\
      - id: ping
        on: chat
        when: {text: {contains: ping}}
        do: [{log: pong}]
"""
    async with FakeLiveRoom() as room:
        text = lamp_config(room, tmp_path, rule)
        async with lamp_daemon(tmp_path, room, text) as first:
            status = tmp_path / "status.sock"
            await first.wait_for(status.exists, "the first daemon's socket")
            before = fetch(status, 60.0)["daemon"]["uptime"]
            other = tmp_path / "second"
            other.mkdir()
            config = other / "config.yaml"
            config.write_text(text)
            second = subprocess.run(
                [sys.executable, "-m", "tests.support.daemon_main", str(config), str(other / "p")],
                cwd=ROOT,
                env={
                    **os.environ,
                    "PYTHONPATH": str(ROOT),
                    "STATE_DIRECTORY": str(other / "state"),
                },
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert second.returncode == 1, second.stdout + second.stderr
            output = second.stdout + second.stderr
            assert f"another livetrigger daemon is answering on {status}" in output
            assert "Traceback" not in output
            assert fetch(status, 60.0)["daemon"]["uptime"] >= before  # still the first one's
            assert first.proc.poll() is None
            assert "Traceback" not in first.log_text()  # its probe is a quiet hang-up


async def test_a_daemon_pointed_at_a_file_stops_and_the_file_stays(tmp_path: Path) -> None:
    async with FakeLiveRoom() as room:
        config = tmp_path / "config.yaml"
        config.write_text(
            lamp_config(room, tmp_path, "      - {id: r, on: chat, do: [{log: x}]}\n")
        )
        (tmp_path / "status.sock").write_text("not a socket")
        result = subprocess.run(
            [sys.executable, "-m", "tests.support.daemon_main", str(config), str(tmp_path / "p")],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1
        assert "is not a socket" in result.stdout + result.stderr
        assert (tmp_path / "status.sock").read_text() == "not a socket"

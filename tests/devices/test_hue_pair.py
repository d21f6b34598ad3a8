"""``livetrigger hue-pair`` against the fake Hue bridge (tests/support/fake_hue.py): it says to
press the button and keeps asking while it is not pressed, writes the key (0600, never
printed) once it is, and explains when it never is, when nothing answers and when a key file
is there already."""

from __future__ import annotations

import asyncio
import socket
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from livetrigger.cli import main
from livetrigger.commands.hue_pair import pair
from tests.support.fake_hue import FakeHueBridge
from tests.support.waiting import wait_until


@pytest.fixture
async def bridge() -> AsyncIterator[FakeHueBridge]:
    fake = await FakeHueBridge().start()
    yield fake
    await fake.stop()


async def test_the_key_is_written_once_the_button_is_pressed(
    bridge: FakeHueBridge, tmp_path: Path
) -> None:
    key_file = tmp_path / "hue.key"
    said: list[str] = []
    pairing = asyncio.create_task(
        pair("127.0.0.1", key_file, port=bridge.port, wait=60, every=0.01, say=said.append)
    )
    await wait_until(lambda: any("not pressed yet" in line for line in said), "the first refusal")
    assert not key_file.exists()
    bridge.press_button()
    assert await asyncio.wait_for(pairing, 60) == 0
    (key,) = bridge.app_keys
    assert key_file.read_text() == key + "\n"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not any(key in line for line in said)
    assert said[0] == (
        f"Pairing with the Hue bridge at 127.0.0.1:{bridge.port}: press the round link button on"
        " the bridge (waiting up to 60 s)."
    )
    assert said[-2].startswith(f"Paired: wrote the application key to {key_file} (mode 0600")
    assert bridge.pair_attempts >= 2


async def test_the_command_line_explains_a_button_never_pressed(
    bridge: FakeHueBridge, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "hue.key"
    argv = ["hue-pair", "--bridge", "127.0.0.1", "--port", str(bridge.port)]
    code = await asyncio.to_thread(main, [*argv, "--key-file", str(key_file), "--wait", "0"])
    out = capsys.readouterr().out
    assert code == 1 and not key_file.exists()
    assert "The link button was not pressed within 0 s. Press the round button on the bridge," in out
    bridge.press_button()
    assert await asyncio.to_thread(main, [*argv, "--key-file", str(key_file)]) == 0
    assert key_file.read_text().strip() in bridge.app_keys
    assert "Paired: wrote the application key" in capsys.readouterr().out
    # run again: the working key is kept unless --force
    assert await asyncio.to_thread(main, [*argv, "--key-file", str(key_file)]) == 1
    assert "exists already: --force replaces it" in capsys.readouterr().out


async def test_nothing_answering_is_said(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    said: list[str] = []
    code = await pair("127.0.0.1", tmp_path / "k", port=closed, say=said.append)
    assert code == 1
    assert said[-1] == f"Cannot reach a Hue bridge at 127.0.0.1:{closed}: Connection refused."

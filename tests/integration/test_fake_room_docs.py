"""docs/fake-room.md's show and config, as a user would use them: the show plays through
`fake-room` to `watch` (every kind of step arrives), and the config runs the daemon against
it (its rule fires). Timeouts here only catch a hang."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "fake-room.md"
HANG = 120.0


def block(label: str) -> str:
    """The YAML block the doc marks with ``label`` (a comment the reader sees as a promise)."""
    found = re.search(
        rf"<!-- tests/integration/test_fake_room_docs.py {label} -->\n```yaml\n(.*?)```",
        DOC.read_text(encoding="utf-8"),
        re.S,
    )
    assert found, f"docs/fake-room.md has no block marked {label!r}"
    return found.group(1)


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "livetrigger",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def line_with(stream: asyncio.StreamReader | None, text: str) -> str:
    """The first line of ``stream`` holding ``text``."""
    assert stream is not None

    async def read() -> str:
        while line := (await stream.readline()).decode():
            if text in line:
                return line
        raise AssertionError(f"the output ended without {text!r}")

    return await asyncio.wait_for(read(), HANG)


async def fake_room(show: Path) -> tuple[asyncio.subprocess.Process, str]:
    room = await start("fake-room", "--show", str(show), "--speed", "20")
    found = re.search(r"base URL (\S+)", await line_with(room.stdout, "base URL"))
    assert found
    return room, found.group(1)


async def stopped(proc: asyncio.subprocess.Process, sig: signal.Signals | None = None) -> int:
    if sig is not None and proc.returncode is None:
        proc.send_signal(sig)
    _, err = await asyncio.wait_for(proc.communicate(), HANG)
    assert b"Traceback" not in err, err.decode()
    assert proc.returncode is not None
    return proc.returncode


async def test_the_documented_show_plays_every_kind_to_watch(tmp_path: Path) -> None:
    show = tmp_path / "show.yaml"
    show.write_text(block("plays this show"), encoding="utf-8")
    room, url = await fake_room(show)
    watch = await start("watch", "@demo_streamer", "--base-url", url, "--json")
    try:
        kinds: list[str] = []
        assert watch.stdout is not None
        while "stream_ended" not in kinds:
            line = await asyncio.wait_for(watch.stdout.readline(), HANG)
            assert line, "watch ended before the stream did"
            kinds.append(json.loads(line)["kind"])
        assert await stopped(room) == 0  # the whole show played, then the room closed
    finally:
        if room.returncode is None:
            room.kill()
        await stopped(watch, signal.SIGINT)
    for kind in (
        "join",
        "chat",
        "question",
        "like",
        "gift",
        "follow",
        "share",
        "subscribe",
        "viewers",
        "goal",
        "message_deleted",
        "battle",
        "battle_points",
        "battle_ended",
        "rank",
    ):
        assert kind in kinds, (kind, kinds)


async def test_the_documented_config_runs_against_the_fake_room(tmp_path: Path) -> None:
    show = tmp_path / "show.yaml"
    show.write_text(block("plays this show"), encoding="utf-8")
    room, url = await fake_room(show)
    config = tmp_path / "fake.yaml"
    text = block("runs this config").replace("http://127.0.0.1:8090", url)
    config.write_text(text.replace("/tmp/livetrigger-fake", str(tmp_path)), encoding="utf-8")
    run = await start("run", "-c", str(config), "--log-format", "text")
    try:
        await line_with(run.stderr, "Leo sent 12 roses")  # the rule's log action
    finally:
        if room.returncode is None:
            room.kill()
        await room.wait()
        code = await stopped(run, signal.SIGTERM)
    assert code == 0  # a daemon stopped by SIGTERM exits 0 (docs/cli.md)
    assert (tmp_path / "state").is_dir()  # its own state, not the real room's

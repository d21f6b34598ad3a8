"""A hostile nickname and comment in what `watch` and `replay` print to a terminal: one line
per event or action, no carriage return, no escape sequence (clear screen, window title), no
line or paragraph separator."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

from livetrigger import events as ev
from livetrigger.simulator import wire
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.system.logs import JsonFormatter
from livetrigger.webcast.capture import CaptureWriter

ROOT = Path(__file__).resolve().parents[2]
NICK = "Zoë\r\x1b[2J\x1b]0;pwned\x07"
TEXT = "hi\nforged line\x85\u2028 🌹"
RAW = ("\r", "\x1b", "\x07", "\x85", "\u2028")


def _chat(msg_id: int) -> ev.ChatEvent:
    return ev.ChatEvent(msg_id=msg_id, user=ev.User(id=9, unique_id="zoe", nickname=NICK), text=TEXT)


async def test_watch_prints_a_hostile_chat_as_one_clean_line() -> None:
    async with FakeLiveRoom() as room:
        proc = subprocess.Popen(
            [sys.executable, "-m", "livetrigger", "watch", "@demo_streamer", "--base-url", room.base_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        stdout = proc.stdout
        try:
            await room.wait_for_client(60)
            await room.send(_chat(room.next_msg_id()))
            line = await asyncio.wait_for(asyncio.to_thread(_line_with, stdout, "(@zoe)"), 60)
        finally:
            proc.terminate()
            proc.communicate(timeout=60)
    assert not any(c in line for c in RAW), repr(line)
    assert line == (
        "chat          Zoë\\r\\x1b[2J\\x1b]0;pwned\\x07 (@zoe): hi\\nforged line\\x85\\u2028 🌹\n"
    )


def _livetrigger(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "livetrigger", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _line_with(stream: object, marker: str) -> str:
    while line := stream.readline():  # type: ignore[attr-defined]
        if marker in line:
            return str(line)
    raise AssertionError(f"watch ended before printing {marker}")


def test_replay_prints_hostile_actions_without_escapes(tmp_path: Path) -> None:
    capture = tmp_path / "show.jsonl"
    with CaptureWriter(capture, unique_id="demo_streamer", room_id=1) as writer:
        writer.write(wire.frame_of_events([_chat(1)], log_id=1), time.time())
    config = tmp_path / "config.yaml"
    config.write_text("""\
webhooks: {hook: {url: "http://127.0.0.1:9/x"}}
rooms:
  - username: "@demo_streamer"
    rules:
      - id: echo
        on: chat
        do:
          - log: "{{ user.nickname }} says {{ text }}"
          - webhook: {endpoint: hook, body: "{{ user.nickname }}"}
""")
    done = _livetrigger("replay", str(capture), "-c", str(config))
    assert done.returncode == 0, done.stderr
    assert not any(c in done.stdout for c in RAW), repr(done.stdout)
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("[") for line in lines), lines
    assert "→ log Zoë\\r\\x1b[2J\\x1b]0;pwned\\x07 says hi\\nforged line\\x85\\u2028 🌹" in lines[1]


def test_decode_json_lines_hold_no_raw_control_character(tmp_path: Path) -> None:
    """JSON escapes C0 itself; DEL, C1 and the separators it leaves raw, and a terminal acts on
    C1 (U+009B is a CSI). Each is written as \\uXXXX: the same JSON, one clean line."""
    capture = tmp_path / "show.jsonl"
    hostile = ev.ChatEvent(
        msg_id=2,
        user=ev.User(id=9, unique_id="zoe", nickname="Zoë\x7f\x9b2J"),
        text="a\x85b\u2028c\u2029d 🌹",
    )
    with CaptureWriter(capture, unique_id="demo_streamer", room_id=1) as writer:
        writer.write(wire.frame_of_events([hostile], log_id=1), time.time())
    done = _livetrigger("decode", str(capture))
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if "zoe" in x]
    assert not any(c in line for c in ("\x7f", "\x9b", "\x85", "\u2028", "\u2029")), repr(line)
    assert "Zoë\\u007f\\u009b2J" in line and "🌹" in line
    data = json.loads(line)
    assert data["user"]["nickname"] == "Zoë\x7f\x9b2J" and data["text"] == hostile.text


def test_the_json_log_format_holds_no_raw_control_character() -> None:
    text = "n\x9b\x85\u2028 é \ud800"  # and a lone surrogate, which UTF-8 cannot write
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (text,), None)
    line = JsonFormatter().format(record)
    assert not any(c in line for c in ("\x9b", "\x85", "\u2028")), repr(line)
    line.encode("utf-8")
    assert json.loads(line)["message"] == text

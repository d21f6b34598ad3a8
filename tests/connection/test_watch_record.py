"""`watch` and `record` against the fake room, then `decode` and `replay` of the recording;
`record --quiet`, and both when the reader of their output goes away."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from livetrigger import events as ev
from livetrigger.commands.decode import events_of
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.webcast.capture import open_input, read_input
from livetrigger.webcast.decode import Decoder

ROOT = Path(__file__).resolve().parents[2]


async def _printed(proc: subprocess.Popen[bytes], *wanted: bytes, timeout: float = 30.0) -> bytes:
    """What ``proc`` printed up to the first moment every ``wanted`` appeared (read on a thread;
    the timeout only catches a hang, and the STOP after it ends the read)."""
    assert proc.stdout is not None
    stdout = proc.stdout
    seen = bytearray()

    def read() -> None:
        while not all(w in seen for w in wanted) and (chunk := stdout.readline()):
            seen.extend(chunk)

    await asyncio.wait_for(asyncio.to_thread(read), timeout)
    return bytes(seen)


# Stops them as Ctrl-C does (the same handler). Not SIGINT itself: a shell starts background
# jobs with SIGINT ignored and exec keeps that, so under `scripts/test &` it never arrives.
STOP = signal.SIGTERM


async def _until(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_record_then_decode_and_replay(tmp_path: Path) -> None:
    capture = tmp_path / "show.jsonl.gz"
    async with FakeLiveRoom() as room:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "livetrigger",
                "record",
                "@demo_streamer",
                "--base-url",
                room.base_url,
                "-o",
                str(capture),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            await room.wait_for_client(60)
            user = ev.User(id=4, unique_id="sam", nickname="Sam")
            await room.send(
                ev.ChatEvent(msg_id=room.next_msg_id(), user=user, text="hello"),
                ev.GiftEvent(
                    msg_id=room.next_msg_id(),
                    user=user,
                    gift_id=7934,
                    gift_name="Galaxy",
                    diamonds=500,
                    repeat_count=1,
                    total_diamonds=500,
                ),
            )
            printed = await _printed(proc, b"Galaxy", b"hello")
        finally:
            proc.send_signal(STOP)
            out, _err = proc.communicate(timeout=30)
    out = printed + out
    assert b"Galaxy" in out and b"hello" in out
    decoded = subprocess.run(
        [sys.executable, "-m", "livetrigger", "decode", str(capture)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    kinds = [json.loads(line)["kind"] for line in decoded.stdout.splitlines()]
    assert "chat" in kinds and "gift" in kinds
    replay = subprocess.run(
        [
            sys.executable,
            "-m",
            "livetrigger",
            "replay",
            str(capture),
            "-c",
            str(ROOT / "config.example.yaml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "rule big_gift fired" in replay.stdout


async def test_watch_json_lines(tmp_path: Path) -> None:
    async with FakeLiveRoom() as room:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "livetrigger",
                "watch",
                "demo_streamer",
                "--base-url",
                room.base_url,
                "--json",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            await room.wait_for_client(60)
            await room.send(
                ev.FollowEvent(msg_id=room.next_msg_id(), user=ev.User(id=1, unique_id="neo"))
            )
            printed = await _printed(proc, b'"follow"')
        finally:
            proc.send_signal(STOP)
            out, _ = proc.communicate(timeout=30)
    out = printed + out
    events = [json.loads(line) for line in out.decode().splitlines()]
    assert [e["kind"] for e in events if e["kind"] == "follow"] == ["follow"]
    assert events[0]["kind"] == "live"


async def test_watch_with_a_rejected_sign_key_exits_1_and_says_why() -> None:
    async with FakeLiveRoom() as room:
        room.sign_api_key = "the-right-key"
        result = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "livetrigger",
                "watch",
                "@demo_streamer",
                "--base-url",
                room.base_url,
                "--sign-api-key",
                "a-wrong-key",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert result.returncode == 1, result.stderr
    assert "the API key is wrong" in result.stderr and "a-wrong-key" not in result.stderr


def _recorded_chats(capture: Path) -> list[str]:
    """The chat texts in a capture being written (the writer flushes whole lines)."""
    decoder = Decoder()
    texts: list[str] = []
    with open_input(str(capture)) as stream:
        for rec in read_input(stream, str(capture)):
            for event in events_of(rec.data, rec.kind, decoder, rec.received_at):
                if isinstance(event, ev.ChatEvent):
                    texts.append(event.text)
    return texts


def _record(room: FakeLiveRoom, capture: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "livetrigger",
            "record",
            "@demo_streamer",
            "--base-url",
            room.base_url,
            "-o",
            str(capture),
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def _chat(room: FakeLiveRoom, text: str) -> None:
    user = ev.User(id=4, unique_id="sam", nickname="Sam")
    await room.send(ev.ChatEvent(msg_id=room.next_msg_id(), user=user, text=text))


async def test_record_quiet_prints_no_events_and_records_them(tmp_path: Path) -> None:
    capture = tmp_path / "show.jsonl"
    async with FakeLiveRoom() as room:
        proc = _record(room, capture, "--quiet")
        try:
            await room.wait_for_client(60)
            await _chat(room, "hello")
            await _until(lambda: "hello" in _recorded_chats(capture))
        finally:
            proc.send_signal(STOP)
            out, err = proc.communicate(timeout=30)
    assert out == b"", out
    assert b"recording to" in err


async def test_record_goes_on_recording_when_its_reader_goes(tmp_path: Path) -> None:
    """`record ... | head -1`: the pipe closes after one line; the recording goes on, with one
    note on stderr and no traceback per event."""
    capture = tmp_path / "show.jsonl"
    async with FakeLiveRoom() as room:
        proc = _record(room, capture)
        assert proc.stdout is not None
        try:
            await room.wait_for_client(60)
            await _chat(room, "first")
            await _printed(proc, b"first")
            proc.stdout.close()  # what `head` does once it has its line
            for i in range(3):  # the first write after the close fails; later ones are skipped
                await _chat(room, f"later {i}")
            await _until(lambda: "later 2" in _recorded_chats(capture))
        finally:
            proc.send_signal(STOP)
            _, err = proc.communicate(timeout=30)
    text = err.decode()
    assert "Traceback" not in text and "handler failed" not in text, text
    assert text.count("stdout closed: no more event lines; still recording to") == 1, text
    assert _recorded_chats(capture) == ["first", "later 0", "later 1", "later 2"]
    assert proc.returncode == 143  # stopped by SIGTERM (as by Ctrl-C), the file closed whole


async def test_watch_ends_when_its_reader_goes() -> None:
    async with FakeLiveRoom() as room:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "livetrigger",
                "watch",
                "@demo_streamer",
                "--base-url",
                room.base_url,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None
        try:
            await room.wait_for_client(60)
            await _chat(room, "first")
            await _printed(proc, b"first")
            proc.stdout.close()
            await _chat(room, "later")
            code = await asyncio.to_thread(proc.wait, 60)
        finally:
            if proc.poll() is None:
                proc.send_signal(STOP)
            _, err = proc.communicate(timeout=30)
    assert code == 0 and b"Traceback" not in err, err

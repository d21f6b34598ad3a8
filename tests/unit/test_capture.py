"""Capture files and the `livetrigger decode` command."""

from __future__ import annotations

import base64
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger.cli import main
from livetrigger.errors import CaptureError
from livetrigger.simulator import wire
from livetrigger.webcast.capture import CaptureWriter, open_input, read_input
from tests.unit.test_decode import EVERY_KIND

DATA = Path(__file__).parent.parent / "data"


def test_capture_round_trips_records(tmp_path: Path) -> None:
    path = tmp_path / "room.capture.jsonl"
    frames_ = [wire.frame_of_events(EVERY_KIND[i : i + 2]) for i in range(0, 6, 2)]
    with CaptureWriter(path, unique_id="alice", room_id=7) as w:
        for i, f in enumerate(frames_):
            w.write(f, 100.0 + i)
    with open_input(str(path)) as stream:
        records = list(read_input(stream, str(path)))
    assert [r.data for r in records] == frames_
    assert [r.received_at for r in records] == [100.0, 101.0, 102.0]


def test_gzip_capture_is_read_transparently(tmp_path: Path) -> None:
    path = tmp_path / "room.capture.jsonl.gz"
    with CaptureWriter(path) as w:
        w.write(b"\x01\x02", 5.0)
    with gzip.open(path, "rt") as raw:
        assert json.loads(raw.readline())["format"] == "livetrigger-capture"
    with open_input(str(path)) as stream:
        assert [r.data for r in read_input(stream)] == [b"\x01\x02"]


def test_truncated_last_line_is_skipped_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cut.jsonl"
    with CaptureWriter(path) as w:
        w.write(b"abc", 1.0)
    with path.open("a") as f:
        f.write('{"t": 2.0, "k": "ws", "b64": "YW')  # the process died mid-write
    with open_input(str(path)) as stream:
        assert [r.data for r in read_input(stream, str(path))] == [b"abc"]
    # as for a cut gzip file: where the capture ends is said, not left for the user to guess
    assert f"{path}: the file is cut off in line 3" in caplog.text


def test_future_capture_version_is_refused() -> None:
    text = '{"format": "livetrigger-capture", "version": 9}\n'
    with pytest.raises(CaptureError, match="version 9 is not supported"):
        list(read_input(io.StringIO(text), "x.jsonl"))


def test_non_base64_line_names_the_line() -> None:
    with pytest.raises(CaptureError, match=r"x.txt:2: not base64"):
        list(read_input(io.StringIO("AAAA\n!!!not base64!!!\n"), "x.txt"))
    # JSON that is not a capture: said as such, not as "not base64"
    with pytest.raises(CaptureError, match=r"x.jsonl:1: a JSON line, but not a capture"):
        list(read_input(io.StringIO('{"x": 1}\n'), "x.jsonl"))


def test_decode_prints_json_lines_for_committed_capture(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", str(DATA / "sample.capture.jsonl")]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # recorded when there were 20 kinds: an old capture still decodes, kind for kind
    assert [d["kind"] for d in lines] == [e.kind for e in EVERY_KIND[:20]]
    gift = lines[1]
    assert gift["gift_name"] == "GG" and gift["total_diamonds"] == 500 and gift["is_final"]
    assert lines[0]["user"]["follow_role"] == "friend"


def test_decode_reads_pasted_base64_from_stdin() -> None:
    text = base64.b64encode(wire.frame_of_events(EVERY_KIND[:2], compress=True)).decode()
    proc = subprocess.run(
        [sys.executable, "-m", "livetrigger", "decode", "-"],
        input=text + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert [json.loads(line)["kind"] for line in proc.stdout.splitlines()] == ["chat", "gift"]


def test_decode_raw_adds_unknown_methods(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = wire.fetch_result([wire.WireMessage("WebcastBrandNewMessage", b"\x08\x01", 9)])
    path = tmp_path / "frames.txt"
    path.write_text(base64.b64encode(wire.push_frame(result)).decode() + "\n")
    assert main(["decode", str(path)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["decode", "--raw", str(path)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line) | {"received_at": 0} == json.loads(line) | {
        "kind": "unknown",
        "method": "WebcastBrandNewMessage",
        "payload": "CAE=",
        "received_at": 0,
    }


def test_decode_reports_corrupt_frames_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "frames.txt"
    good = base64.b64encode(wire.frame_of_events(EVERY_KIND[:1])).decode()
    path.write_text(base64.b64encode(b"\xff\xff\xff").decode() + "\n" + good + "\n")
    assert main(["decode", str(path)]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1
    assert "record 1" in captured.err


def test_decode_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "/nonexistent/capture.jsonl"]) == 2
    assert "cannot open" in capsys.readouterr().err


def test_gzip_capture_cut_mid_write_reads_what_is_there(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cut.capture.jsonl.gz"
    frames_ = [wire.frame_of_events(EVERY_KIND[i : i + 1]) for i in range(40)]
    with CaptureWriter(path) as w:
        for i, f in enumerate(frames_):
            w.write(f, 100.0 + i)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) * 2 // 3])  # the recorder was killed mid-write
    with open_input(str(path)) as stream:
        records = list(read_input(stream, str(path)))
    assert 0 < len(records) < len(frames_)
    assert [r.data for r in records] == frames_[: len(records)]
    assert "is cut off after line" in caplog.text


def test_record_stopped_by_sigterm_leaves_a_whole_gzip_file(tmp_path: Path) -> None:
    import signal  # noqa: PLC0415
    import time  # noqa: PLC0415

    out = tmp_path / "rec.capture.jsonl.gz"
    # nothing listens on port 9: the recorder sits in its retry loop, file open, when signalled
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "livetrigger",
            "record",
            "@someone",
            "-o",
            str(out),
            "--base-url",
            "http://127.0.0.1:9",
        ],
        cwd=DATA.parent.parent,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert "recording to" in proc.stderr.readline()
    deadline = time.monotonic() + 30
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    with gzip.open(out, "rt") as raw:  # a cut file raises EOFError here
        assert json.loads(raw.readline())["format"] == "livetrigger-capture"
        raw.read()

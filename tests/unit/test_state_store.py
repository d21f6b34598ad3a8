"""The state directory's store and writer, on a real directory."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from livetrigger.state.store import StateStore, StateWriter, document_name
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_store_round_trip_writes_a_versioned_envelope(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    assert store.load("sign", 1) is None  # nothing yet: no warning, no file
    assert store.save("sign", 1, {"times": [1.5, 2.5]})
    assert store.load("sign", 1) == {"times": [1.5, 2.5]}
    doc = json.loads((tmp_path / "state" / "sign.json").read_text())
    assert doc["format"] == "livetrigger-state"
    assert (doc["document"], doc["version"]) == ("sign", 1)
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"{not json", "is not valid JSON"),
        (b"\xff\xfe", "is not valid JSON"),
        (b'{"format": "livetrigger-state", "document": "sign", "version": 2, "data": {}}',
         "has version 2; this livetrigger reads version 1"),
        (b'{"format": "livetrigger-state", "document": "other", "version": 1, "data": {}}',
         "holds document 'other'"),
        (b'{"format": "livetrigger-state", "document": "sign", "version": 1, "data": []}',
         "has no data object"),
        (b'["someone", "else"]', "was not written by livetrigger"),
    ],
)  # fmt: skip
def test_store_bad_file_is_a_warning_moved_aside_and_a_fresh_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, why: str
) -> None:
    (tmp_path / "sign.json").write_bytes(content)
    store = StateStore(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert store.load("sign", 1) is None
    assert why in caplog.text and "starting it fresh" in caplog.text
    assert not (tmp_path / "sign.json").exists()
    (aside,) = tmp_path.glob("sign.json.corrupt-*")
    assert aside.read_bytes() == content
    assert store.save("sign", 1, {"ok": True})  # and the fresh start can be saved
    assert store.load("sign", 1) == {"ok": True}


def test_store_keeps_only_the_newest_corrupt_copies(tmp_path: Path) -> None:
    clock = iter(range(1_000_000, 1_000_000 + 3600 * 10, 3600))
    store = StateStore(tmp_path, wall=lambda: float(next(clock)))
    for n in range(6):
        (tmp_path / "sign.json").write_text(f"broken {n}")
        assert store.load("sign", 1) is None
    kept = sorted(tmp_path.glob("sign.json.corrupt-*"))
    assert [p.read_text() for p in kept] == ["broken 3", "broken 4", "broken 5"]


def test_store_bound_refuses_big_writes_and_big_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StateStore(tmp_path, max_bytes=1000)
    assert store.save("room.a", 1, {"ids": list(range(10))})
    with caplog.at_level(logging.WARNING):
        assert not store.save("room.a", 1, {"ids": list(range(1000))})
    assert "over the 1000 byte bound; keeping the previous one" in caplog.text
    assert store.load("room.a", 1) == {"ids": list(range(10))}
    (tmp_path / "room.a.json").write_bytes(b" " * 1001)
    assert store.load("room.a", 1) is None
    assert "larger than the 1000 byte bound" in caplog.text


def test_store_reads_a_legacy_file_through_its_converter(tmp_path: Path) -> None:
    (tmp_path / "paused.json").write_text('{"demo": true}')
    store = StateStore(tmp_path)

    def legacy(doc: Any) -> dict[str, Any] | None:
        return {"rooms": doc} if isinstance(doc, dict) else None

    assert store.load("paused", 1, legacy=legacy) == {"rooms": {"demo": True}}


def test_store_crash_between_write_and_rename_leaves_the_old_file(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    assert store.save("sign", 1, {"n": 1})
    # a real process dies at the worst instant: new bytes written and fsynced, not renamed
    crash = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from livetrigger.state.store import StateStore
        Path.replace = lambda self, target: os._exit(9)
        StateStore(Path({str(tmp_path)!r})).save("sign", 1, {{"n": 2}})
        """
    )
    result = subprocess.run([sys.executable, "-c", crash], cwd=ROOT, check=False)
    assert result.returncode == 9
    assert list(tmp_path.glob(".sign.json.*.tmp"))  # the half-done write is there...
    after = StateStore(tmp_path)
    assert after.load("sign", 1) == {"n": 1}  # ...but the document is the old one
    assert not list(tmp_path.glob(".sign.json.*.tmp"))  # and the leftover is cleaned


def test_store_on_an_unusable_directory_warns_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "file").write_text("")
    with caplog.at_level(logging.WARNING):
        store = StateStore(tmp_path / "file" / "state")
        assert store.load("sign", 1) is None
        assert store.save("sign", 1, {}) is False
    assert "cannot create" in caplog.text and "daemon.state_dir" in caplog.text


def test_document_name_is_file_safe_and_distinct() -> None:
    assert document_name("room", "demo_streamer") == "room.demo_streamer"
    a, b = document_name("room", "Dj/Night"), document_name("room", "dj_night")
    assert a != b and "/" not in a
    assert document_name("room", "../..").startswith("room.")


async def test_writer_coalesces_marks_and_skips_unchanged_documents(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    state = {"n": 0}
    writer = StateWriter(store, interval=3600)
    writer.register("room.a", 1, lambda: dict(state))
    for n in range(100):
        state["n"] = n
        writer.mark("room.a")
    assert await writer.write_changed() == 1
    assert store.load("room.a", 1) == {"n": 99}
    writer.mark("room.a")
    assert await writer.write_changed() == 0  # same data: no disk write
    assert store.writes == 1


async def test_writer_writes_urgent_marks_at_once_and_plain_ones_on_the_tick(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path)
    state = {"n": 0}
    writer = StateWriter(store, interval=3600)
    writer.register("room.a", 1, lambda: dict(state))
    task = asyncio.create_task(writer.run())
    try:
        state["n"] = 1
        writer.mark("room.a")
        await asyncio.sleep(0.2)  # time for a wrong write to show
        assert store.load("room.a", 1) is None  # waits for its tick (an hour here)
        writer.mark("room.a", urgent=True)
        await wait_until(lambda: store.load("room.a", 1) == {"n": 1}, "the urgent write")
    finally:
        task.cancel()


async def test_writer_probe_catches_unmarked_changes_and_flush_writes_everything(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StateStore(tmp_path)
    used = [0]
    writer = StateWriter(store, interval=3600)
    writer.register("sign", 1, lambda: {"used": used[0]}, probe=lambda: used[0])

    def broken() -> dict[str, Any]:
        raise RuntimeError("bug")

    writer.register("room.b", 1, broken)
    writer.register("paused", 1, lambda: {"rooms": {}})
    assert await writer.write_changed() == 0
    used[0] = 3
    assert await writer.write_changed() == 1
    assert store.load("sign", 1) == {"used": 3}
    with caplog.at_level(logging.ERROR):
        assert await writer.flush() == 1  # paused; sign unchanged; the broken one logged
    assert "cannot take a snapshot of room.b" in caplog.text
    assert store.load("paused", 1) == {"rooms": {}}


async def test_writer_tells_the_owner_each_snapshot_on_disk_and_never_a_failed_one(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path, max_bytes=200)
    data = {"n": 1, "pad": ""}
    told: list[dict[str, Any]] = []
    writer = StateWriter(store, interval=3600)
    writer.register("room.a", 1, lambda: dict(data), written=told.append)
    writer.mark("room.a")
    assert await writer.write_changed() == 1
    assert told == [{"n": 1, "pad": ""}]
    writer.mark("room.a")  # the same bytes: on disk already, so it holds
    assert await writer.write_changed() == 0
    assert told == [{"n": 1, "pad": ""}] * 2
    data.update(n=2, pad="x" * 300)  # over the bound: refused, the old file stays
    writer.mark("room.a")
    assert await writer.write_changed() == 0
    assert len(told) == 2 and store.load("room.a", 1) == {"n": 1, "pad": ""}

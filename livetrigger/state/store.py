"""The state directory: small JSON documents that outlive the process (design.md §8).

One document per concern (``sign``, ``paused``, ``room.<name>``, ...), each a file
``<name>.json`` holding an envelope::

    {"format": "livetrigger-state", "document": "<name>", "version": N, "saved_at": <epoch s>,
     "data": {...}}

Writes are atomic: the bytes go to a temporary file in the same directory, which is fsynced,
renamed over the old file, and the directory fsynced, so a crash or power cut at any instant
leaves either the old document or the new one, never a mix. A document is at most
``MAX_BYTES``: a bigger one is refused on write (the old file stays; the producers keep their
own snapshots far below it) and on read.

Reading never stops the daemon: a file that cannot be read, is not JSON, is too big, or was
written for another document or version is logged as a warning, moved aside as
``<name>.json.corrupt-<UTC time>`` (the newest few are kept for a post-mortem) and the caller
starts fresh.

``StateWriter`` decides when to write: the daemon marks a document dirty when it changes and
the writer writes it at most once per ``interval`` (coalescing a busy room's hundreds of
changes a second into one write), at once when marked urgent, and everything on ``flush()``
(shutdown). A document's owner may be told which snapshot reached the disk (``written``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = "livetrigger-state"
MAX_BYTES = 2 * 1024 * 1024  # per document; a room's snapshot is ~100-200 KB at its fullest
KEEP_ASIDE = 3  # corrupt copies kept per document
# seconds between two writes of one document while it changes: a room's messages stay inside
# the horizon its last write vouched for (webcast/decode.py, HORIZON_MS)
WRITE_INTERVAL = 0.5
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,100}$")
_TMP_SUFFIX = ".tmp"


def document_name(prefix: str, key: str) -> str:
    """A file-safe document name for a free-form key (a room name): lower-case letters,
    digits, ``-`` and ``_`` kept, anything else replaced, with a checksum of the original
    when something was replaced, so two keys never share a file."""
    safe = re.sub(r"[^a-z0-9_-]", "_", key.lower())[:60] or "_"
    if safe != key:
        safe = f"{safe}-{zlib.crc32(key.encode()):08x}"
    return f"{prefix}.{safe}"


class StateStore:
    """Reads and writes the documents of one directory. Nothing here raises to the caller on
    a bad disk or a bad file: problems are logged and the caller gets ``None`` / ``False``."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int = MAX_BYTES,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.wall = wall
        self.writes = 0
        self.write_failures = 0
        self._usable = self._prepare()

    def _prepare(self) -> bool:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            log.warning(
                "state: cannot create %s (%s); nothing will survive a restart. Set "
                "daemon.state_dir to a writable directory",
                self.directory,
                exc,
            )
            return False
        # temporary files of writes a crash interrupted: the documents they were for are intact
        for stale in self.directory.glob(f".*.json.*{_TMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                stale.unlink()
        return True

    def path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise ValueError(f"bad state document name {name!r}")
        return self.directory / f"{name}.json"

    # -- reading ----------------------------------------------------------------------------

    def load(
        self,
        name: str,
        version: int,
        *,
        legacy: Callable[[Any], dict[str, Any] | None] | None = None,
    ) -> dict[str, Any] | None:
        """The document's data, or None (none yet, or unusable: then it is moved aside).
        ``legacy`` may accept a file from before the envelope (returns its data or None)."""
        path = self.path(name)
        try:
            with path.open("rb") as f:
                raw = f.read(self.max_bytes + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._reject(name, f"cannot be read ({exc})")
            return None
        if len(raw) > self.max_bytes:
            self._reject(name, f"is larger than the {self.max_bytes} byte bound")
            return None
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            self._reject(name, f"is not valid JSON ({exc})")
            return None
        if isinstance(doc, dict) and doc.get("format") == FORMAT:
            if doc.get("document") != name:
                self._reject(name, f"holds document {doc.get('document')!r}, not {name!r}")
                return None
            if doc.get("version") != version:
                self._reject(
                    name,
                    f"has version {doc.get('version')!r}; this livetrigger reads version {version}",
                )
                return None
            data = doc.get("data")
            if not isinstance(data, dict):
                self._reject(name, "has no data object")
                return None
            return data
        if legacy is not None:
            data = legacy(doc)
            if data is not None:
                return data
        self._reject(name, "was not written by livetrigger's state store")
        return None

    def set_aside(self, name: str, why: str) -> None:
        """A document whose content its owner refused (``restore`` raised): move it aside."""
        self._reject(name, why)

    def _reject(self, name: str, why: str) -> None:
        path = self.path(name)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.wall()))
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        try:
            path.replace(aside)
        except OSError as exc:
            log.warning(
                "state: %s %s; starting it fresh (could not move it aside: %s)", path, why, exc
            )
            return
        log.warning("state: %s %s; moved to %s and starting it fresh", path, why, aside.name)
        olds = sorted(path.parent.glob(f"{path.name}.corrupt-*"))
        for old in olds[:-KEEP_ASIDE]:
            with contextlib.suppress(OSError):
                old.unlink()

    # -- writing ----------------------------------------------------------------------------

    def encode(self, name: str, version: int, data: dict[str, Any]) -> bytes:
        return self.wrap(name, version, encode_data(data))

    def wrap(self, name: str, version: int, data: bytes) -> bytes:
        """The envelope around already-encoded data."""
        head = {
            "format": FORMAT,
            "document": name,
            "version": version,
            "saved_at": round(self.wall(), 3),
        }
        return json.dumps(head, separators=(",", ":")).encode()[:-1] + b',"data":' + data + b"}"

    def save(self, name: str, version: int, data: dict[str, Any]) -> bool:
        return self.write_bytes(name, self.encode(name, version, data))

    def write_bytes(self, name: str, payload: bytes) -> bool:
        """Replace the document atomically; False (and a warning) when it could not be."""
        path = self.path(name)
        if len(payload) > self.max_bytes:
            self.write_failures += 1
            log.warning(
                "state: %s would be %d bytes, over the %d byte bound; keeping the previous one",
                path.name,
                len(payload),
                self.max_bytes,
            )
            return False
        if not self._usable:
            self._usable = self._prepare()
            if not self._usable:
                self.write_failures += 1
                return False
        try:
            _write_atomic(path, payload)
        except OSError as exc:
            self.write_failures += 1
            log.warning("state: cannot write %s: %s", path, exc)
            return False
        self.writes += 1
        return True


def encode_data(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _write_atomic(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    # the rename itself is durable only once the directory is
    dir_fd = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass
class _Entry:
    version: int
    snapshot: Callable[[], dict[str, Any]]
    probe: Callable[[], object] | None = None
    written: Callable[[dict[str, Any]], None] | None = None  # told each snapshot on disk
    dirty: bool = False
    last_probe: object = None
    last_written: bytes = field(default=b"", repr=False)


class StateWriter:
    """Writes registered documents when they change, coalesced.

    ``mark(name)`` says a document changed: it is written within ``interval``. ``mark(name,
    urgent=True)`` wakes the writer at once (a rule counter milestone fired: the window in
    which a SIGKILL could make it fire again shrinks to one write). A ``probe`` (a cheap value
    that changes when the document does) catches changes nobody marks. Snapshots are taken
    and encoded on the event loop (consistent), the disk work runs in a thread."""

    def __init__(self, store: StateStore, *, interval: float = WRITE_INTERVAL) -> None:
        self.store = store
        self.interval = interval
        self._docs: dict[str, _Entry] = {}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._inflight: asyncio.Future[list[tuple[str, bytes]]] | None = None

    def register(
        self,
        name: str,
        version: int,
        snapshot: Callable[[], dict[str, Any]],
        *,
        probe: Callable[[], object] | None = None,
        written: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.store.path(name)  # validates the name now, not at the first write
        entry = _Entry(version, snapshot, probe, written)
        if probe is not None:
            entry.last_probe = probe()
        self._docs[name] = entry

    def unregister(self, name: str) -> None:
        self._docs.pop(name, None)

    def mark(self, name: str, *, urgent: bool = False) -> None:
        entry = self._docs.get(name)
        if entry is not None:
            entry.dirty = True
            if urgent:
                self._wake.set()

    async def run(self) -> None:
        """Write what changed, every ``interval`` (at once when marked urgent)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            await self.write_changed()

    async def write_changed(self) -> int:
        """Write every dirty (or probed-changed) document now; returns how many."""
        async with self._lock:
            # a writer cancelled mid-write (a room's task, the writer task at shutdown) left
            # its write running: it ends before this one starts, or the older snapshot could
            # land last. Waited for under the lock, so no two writes ever run together.
            if self._inflight is not None and not self._inflight.done():
                await asyncio.wait([self._inflight])
            batch: list[tuple[str, int, bytes]] = []
            snaps: dict[str, dict[str, Any]] = {}
            for name, entry in self._docs.items():
                if entry.probe is not None:
                    token = entry.probe()
                    if token != entry.last_probe:
                        entry.last_probe = token
                        entry.dirty = True
                if not entry.dirty:
                    continue
                entry.dirty = False
                encoded = self._encode(name, entry)
                if encoded is None:
                    continue
                snap, data = encoded
                if data != entry.last_written:
                    batch.append((name, entry.version, data))
                    snaps[name] = snap
                elif entry.written is not None:
                    entry.written(snap)  # the same bytes are on disk already
            if not batch:
                return 0
            fut = self._inflight = asyncio.ensure_future(asyncio.to_thread(self._write_all, batch))
            ok = await asyncio.shield(fut)
            for name, data in ok:
                written = self._docs.get(name)
                if written is not None:
                    written.last_written = data  # unchanged data is not written again
                    if written.written is not None:
                        written.written(snaps[name])
            return len(ok)

    async def flush(self) -> int:
        """Write every registered document that differs from disk (shutdown)."""
        for entry in self._docs.values():
            entry.dirty = True
        return await self.write_changed()

    def _encode(self, name: str, entry: _Entry) -> tuple[dict[str, Any], bytes] | None:
        try:
            snap = entry.snapshot()
            return snap, encode_data(snap)
        except Exception:  # a snapshot bug must not stop the writer or the daemon
            log.exception("state: cannot take a snapshot of %s", name)
            return None

    def _write_all(self, batch: list[tuple[str, int, bytes]]) -> list[tuple[str, bytes]]:
        return [
            (name, data)
            for name, version, data in batch
            if self.store.write_bytes(name, self.store.wrap(name, version, data))
        ]

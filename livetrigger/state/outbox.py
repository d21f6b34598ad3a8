"""The durable outbox: triggers accepted but not yet sent outlive the process.

What is kept: every QoS 1/2 MQTT trigger (rule actions and Home Assistant's ``rule_fired``)
and every webhook call from the moment the dispatcher queues it until it leaves its queue —
handed to paho / the webhook sink, or dropped by the queue's overflow policy. At start the
daemon queues what a previous process left, in the order it was accepted, before any room
connects. GPIO, chat and log actions are not kept: a lamp pulse from before a restart is
stale.

Why "until it leaves its queue" and not "until acknowledged": the daemon's rule across restarts
is *may be lost, never doubled* (docs/connection.md). A request already handed over when the
process stopped may have arrived (the broker got it but its PUBACK did not come back, the
endpoint acted but did not answer yet); sending it again could fire twice. So what was in flight
— per MQTT queue at most ``mqtt.max_inflight``, per webhook endpoint one — is not replayed;
everything still waiting in a queue is, exactly once. A webhook call waiting for its next
attempt is not in flight: the endpoint turned it away, so the sink keeps it again under its
first number (``retrying``) until that attempt starts.

Why an age limit: a trigger belongs to a moment of a stream. A daemon stopped during an outage
on Friday and started on Monday must not click a relay for Friday's gift, so ``recover`` holds
back what was accepted longer than ``max_age`` ago (counted, logged once per target, marked
done so the next start does not count it again). Ages across a restart are wall clock: the
accept time is the only thing that survives a reboot. Within a process the dispatcher counts a
request's age on the monotonic clock, starting from the age ``recover`` found
(livetrigger/daemon/dispatch.py), so a wall-clock step never ages what is waiting.

Format: an append-only journal per dispatch target, ``<state_dir>/outbox/<target>/`` with
segment files ``<n>.jsonl`` of one JSON object per line — ``{"s": seq, "t": unix_time,
"r": request}`` when accepted, ``{"d": seq}`` when it left the queue. ``t`` (the accept time,
seconds, wall clock) came later: a line without it counts as accepted when its file was last
written, which is never earlier than the truth, so such a line is at worst replayed as before
(an older daemon reading a newer journal ignores ``t``). A segment is deleted once every request it
accepted is done (a lane is first-in first-out, so segments free in order), so the disk held is
about the pending requests' size plus one segment. The bound is the queues' own: at most
``queue_size`` requests per target are pending.

Costs and windows: each line is one ``write`` on the event loop (no buffering in the process),
so a SIGKILL loses nothing that was accepted, and a request whose "done" line a SIGKILL cut off
was never handed over (the line is written first). ``fsync`` runs off the loop at most once a
second, so a power cut may lose the last second's lines (accepted ones: lost; done ones: sent
again). A line that is cut or not JSON is skipped with a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import re
import time
import zlib
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livetrigger.actions import ActionRequest, HttpCall, registry
from livetrigger.actions.shared import text_at
from livetrigger.config.durations import format_age, format_duration

log = logging.getLogger(__name__)

SEGMENT_BYTES = 256 * 1024  # a new segment after this many bytes
FSYNC_INTERVAL = 1.0  # seconds: what a power cut may lose
MAX_LINE = 8 * 1024 * 1024  # a longer line is not ours (a webhook body is at most a few MiB)


def durable(request: ActionRequest) -> bool:
    """Whether its kind keeps it (QoS 1/2 MQTT triggers and webhook calls); nothing else."""
    kind = registry.of(request)
    return kind is not None and kind.outbox is not None and kind.outbox.keeps(request)


def encode(request: ActionRequest) -> dict[str, Any]:
    kind = registry.of(request)
    if kind is None or kind.outbox is None:
        raise TypeError(f"{type(request).__name__} is not kept in the outbox")
    codec = kind.outbox
    return {"rule": request.rule_id, "room": request.room, "k": codec.tag, **codec.encode(request)}


def decode(d: Any) -> ActionRequest:
    """A request from its journal form; ValueError when the record is not one of ours."""
    if not isinstance(d, dict):
        raise ValueError("not an object")
    rule_id, room = text_at(d, "rule"), text_at(d, "room")
    codec = registry.codec_tagged(d.get("k"))
    if codec is None:
        raise ValueError("unknown kind")
    try:
        request: ActionRequest = codec.decode(d, rule_id=rule_id, room=room)
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None
    return request


def lane_directory(target: str) -> str:
    """A file-safe directory name for a dispatch target (``mqtt:rule_fired``, ``http:hook``)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", target)[:60] or "_"
    return safe if safe == target else f"{safe}-{zlib.crc32(target.encode()):08x}"


@dataclass(slots=True)
class _Segment:
    number: int
    path: Path
    pending: int = 0  # accepted here and not done yet
    mtime: float | None = None  # its last write: the accept time of a line without one


@dataclass(slots=True)
class _Found:
    """A request a previous process accepted and did not finish."""

    seq: int
    request: ActionRequest
    segment: _Segment
    accepted_at: float  # wall clock


class _Journal:
    """One target's segments: the current one is appended to, older ones wait to be freed."""

    def __init__(self, directory: Path, next_number: int) -> None:
        self.directory = directory
        self.segments: OrderedDict[int, _Segment] = OrderedDict()
        self.fd: int | None = None
        self.current: _Segment | None = None
        self.written = 0  # bytes in the current segment
        self.next_number = next_number
        self.dirty = False
        self.new_file = False
        self.retired: list[int] = []  # descriptors of full segments: fsynced, then closed

    def _roll(self) -> _Segment:
        old = self.current
        if self.fd is not None:
            self.retired.append(self.fd)
            self.fd = None
        if old is not None and old.pending == 0:
            self._free(old)
        segment = _Segment(self.next_number, self.directory / f"{self.next_number:08d}.jsonl")
        self.next_number += 1
        self.fd = os.open(segment.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.segments[segment.number] = segment
        self.current, self.written, self.new_file = segment, 0, True
        return segment

    def append(self, line: bytes) -> _Segment:
        segment = self.current
        if segment is None or self.written >= SEGMENT_BYTES:
            segment = self._roll()
        assert self.fd is not None
        os.write(self.fd, line)
        self.written += len(line)
        self.dirty = True
        return segment

    def done(self, segment: _Segment) -> None:
        segment.pending -= 1
        if segment.pending <= 0 and segment is not self.current:
            self._free(segment)

    def _free(self, segment: _Segment) -> None:
        self.segments.pop(segment.number, None)
        with contextlib.suppress(OSError):
            segment.path.unlink()

    def sync_work(self) -> tuple[list[int], Path | None]:
        """On the loop: descriptors to fsync and close (their own copies, so a roll on the
        loop never closes one under the thread) and the directory when a file is new."""
        fds, self.retired = self.retired, []
        if self.fd is not None and self.dirty:
            fds.append(os.dup(self.fd))
        directory = self.directory if self.new_file else None
        self.dirty = self.new_file = False
        return fds, directory

    def close(self) -> None:
        for fd in self.retired:
            os.close(fd)
        self.retired = []
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.current is not None and self.current.pending == 0:
            self._free(self.current)
        self.current = None


class Outbox:
    """The journal of every durable target under ``directory`` (``<state_dir>/outbox``).

    ``max_age``: at start, requests accepted longer ago than this (seconds) are not replayed;
    None: no limit. ``clock``: the wall clock accept times are written and measured with."""

    def __init__(
        self,
        directory: Path,
        *,
        max_age: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.max_age = max_age
        self.clock = clock
        self.usable = True
        self.accepted = 0
        self.finished = 0
        self.replayed = 0
        self.expired = 0  # found at start, older than max_age: not replayed
        self._seq = 0
        self._journals: dict[str, _Journal] = {}
        # id(request) -> (request, seq, segment, accepted at): the request is held so its id
        # stays unique
        self._pending: dict[int, tuple[ActionRequest, int, _Segment, float]] = {}
        # webhook calls handed over and not finished: (request, seq, accepted at), so a call
        # the endpoint turned away can be kept again where it was (``retrying``)
        self._handed: dict[int, tuple[ActionRequest, int, float]] = {}
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            log.warning(
                "outbox: cannot use %s (%s); undelivered triggers will not survive a restart",
                directory,
                exc,
            )
            self.usable = False

    # -- start: what a previous process left ------------------------------------------------

    def recover(self) -> list[ActionRequest]:
        """Read every journal; the requests accepted and not done, in the order they were
        accepted (per target; targets by their first pending request), less those older than
        ``max_age`` (counted in ``expired``, marked done). Call once, first."""
        if not self.usable:
            return []
        found: list[_Found] = []
        for lane_dir in sorted(p for p in self.directory.iterdir() if p.is_dir()):
            found.extend(self._recover_lane(lane_dir))
        found.sort(key=lambda item: item.seq)
        now = self.clock()
        fresh: list[_Found] = []
        too_old: list[_Found] = []
        for f in found:
            old = self.max_age is not None and now - f.accepted_at > self.max_age
            (too_old if old else fresh).append(f)
        if too_old:
            self._expire(too_old, now)
        out = []
        for f in fresh:
            self._pending[id(f.request)] = (f.request, f.seq, f.segment, f.accepted_at)
            out.append(f.request)
        self.replayed = len(out)
        if out:
            log.warning(
                "outbox: %d trigger(s) accepted by the previous process and not delivered; "
                "sending them now, in order",
                len(out),
            )
        return out

    def _expire(self, too_old: list[_Found], now: float) -> None:
        """Mark ``too_old`` done in one write per target and say so once per target."""
        by_target: defaultdict[str, list[_Found]] = defaultdict(list)
        for f in too_old:
            by_target[f.request.target].append(f)
        for target, items in sorted(by_target.items()):
            journal = self._journals[target]
            if self.usable:
                try:
                    journal.append(b"".join(b'{"d":%d}\n' % f.seq for f in items))
                except OSError as exc:
                    self._disk_failed(exc)  # counted again at the next start: nothing sent
            if self.usable:
                for f in items:
                    journal.done(f.segment)
            assert self.max_age is not None
            log.warning(
                "outbox: %d trigger(s) for %s older than %s not replayed (oldest %s ago)",
                len(items),
                target,
                format_duration(self.max_age),
                format_age(now - min(f.accepted_at for f in items)),
            )
        self.expired = len(too_old)

    def _recover_lane(self, lane_dir: Path) -> list[_Found]:
        files = sorted(lane_dir.glob("*.jsonl"))
        numbers = [int(f.stem) for f in files if f.stem.isdigit()]
        journal = _Journal(lane_dir, max(numbers, default=0) + 1)
        accepted: dict[int, _Found] = {}
        for path in files:
            if not path.stem.isdigit():
                continue
            segment = _Segment(int(path.stem), path)
            journal.segments[segment.number] = segment
            for lineno, raw in enumerate(_lines(path), 1):
                try:
                    record = json.loads(raw)
                    if "d" in record:
                        accepted.pop(int(record["d"]), None)
                    else:
                        seq = int(record["s"])
                        when = _accept_time(record.get("t"))
                        if when is None:
                            when = _mtime(segment, self.clock)
                        accepted[seq] = _Found(seq, decode(record["r"]), segment, when)
                        self._seq = max(self._seq, seq)
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning(
                        "outbox: %s:%d skipped (%s): a line cut by a crash or not ours",
                        path,
                        lineno,
                        str(exc)[:80] or type(exc).__name__,
                    )
        for f in accepted.values():
            f.segment.pending += 1
        for segment in list(journal.segments.values()):
            if segment.pending == 0:
                journal._free(segment)
        found = list(accepted.values())
        for f in found:
            self._journals.setdefault(f.request.target, journal)
        if not found:
            with contextlib.suppress(OSError):
                lane_dir.rmdir()
        return found

    # -- running ----------------------------------------------------------------------------

    def accept(self, request: ActionRequest) -> None:
        """Record a request the dispatcher queued (a no-op for one already recorded and for
        the kinds not kept). Raises nothing: a disk error is a warning."""
        if not self.usable or id(request) in self._pending or not durable(request):
            return
        self._seq += 1
        if self._keep(request, self._seq, round(self.clock(), 3)):
            self.accepted += 1

    def _keep(self, request: ActionRequest, seq: int, accepted_at: float) -> bool:
        line = json.dumps(
            {"s": seq, "t": accepted_at, "r": encode(request)},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        try:
            segment = self._journal(request.target).append(line.encode() + b"\n")
        except OSError as exc:
            self._disk_failed(exc)
            return False
        segment.pending += 1
        self._pending[id(request)] = (request, seq, segment, accepted_at)
        return True

    def done(self, request: ActionRequest) -> None:
        """The request left its queue (handed to its sink, or dropped): forget it."""
        entry = self._pending.pop(id(request), None)
        if entry is None or not self.usable:
            return  # unknown, or the disk failed: said once, not once per trigger
        _request, seq, segment, accepted_at = entry
        if isinstance(request, HttpCall):
            self._handed[id(request)] = (request, seq, accepted_at)
        journal = self._journal(request.target)
        try:
            journal.append(b'{"d":%d}\n' % seq)
        except OSError as exc:
            self._disk_failed(exc)
            return
        journal.done(segment)
        self.finished += 1

    def retrying(self, request: ActionRequest) -> None:
        """A webhook call the endpoint turned away (5xx, 429, no connection, no answer in
        time) waits for its next attempt: kept again under its first number, so a process
        stopped meanwhile leaves it to the next one, still ahead of what was queued after it.
        The next attempt's ``done`` hands it over again."""
        entry = self._handed.pop(id(request), None)
        if entry is not None and self.usable:
            self._keep(*entry)

    def settled(self, request: ActionRequest) -> None:
        """The sink is through with the call (taken, or given up on)."""
        self._handed.pop(id(request), None)

    def pending(self) -> int:
        return len(self._pending)

    def age(self, request: ActionRequest) -> float:
        """How long ago a pending request was accepted, by the wall clock (what ``recover``
        returned: the one age that crosses a restart); 0.0 for one not pending. From here
        the dispatcher counts on, on the monotonic clock."""
        entry = self._pending.get(id(request))
        return 0.0 if entry is None else max(0.0, self.clock() - entry[3])

    def _journal(self, target: str) -> _Journal:
        journal = self._journals.get(target)
        if journal is None:
            directory = self.directory / lane_directory(target)
            directory.mkdir(exist_ok=True, mode=0o700)
            directory.chmod(0o700)  # whatever the umask was
            journal = self._journals[target] = _Journal(directory, 1)
        return journal

    def _disk_failed(self, exc: OSError) -> None:
        log.warning(
            "outbox: cannot write to %s (%s); undelivered triggers will not survive a restart",
            self.directory,
            exc.strerror or exc,
        )
        self.usable = False

    async def run(self) -> None:
        """fsync what was written, at most once per FSYNC_INTERVAL, off the event loop."""
        while True:
            await asyncio.sleep(FSYNC_INTERVAL)
            await self.sync()

    async def sync(self) -> None:
        fds: list[int] = []
        directories: list[Path] = []
        for journal in self._journals.values():
            more, directory = journal.sync_work()
            fds.extend(more)
            if directory is not None:
                directories.append(directory)
        if fds or directories:
            await asyncio.to_thread(_sync, fds, directories)

    async def aclose(self) -> None:
        """At shutdown: what is still pending stays on disk for the next start."""
        await self.sync()
        for journal in self._journals.values():
            journal.close()
        if self._pending:
            log.info(
                "outbox: %d trigger(s) not delivered are kept in %s for the next start",
                len(self._pending),
                self.directory,
            )


def _sync(fds: list[int], directories: list[Path]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.fsync(fd)
        os.close(fd)
    for directory in directories:
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _accept_time(value: Any) -> float | None:
    """A journal line's ``t``, or None when it has none (an older daemon wrote it) or it is
    not a time."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _mtime(segment: _Segment, clock: Callable[[], float]) -> float:
    """When the segment was last written (read once); now, if that cannot be read."""
    if segment.mtime is None:
        try:
            segment.mtime = segment.path.stat().st_mtime
        except OSError:
            segment.mtime = clock()
    return segment.mtime


def _lines(path: Path) -> list[bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.warning("outbox: %s cannot be read (%s); skipped", path, exc.strerror or exc)
        return []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line[:MAX_LINE] for line in lines]

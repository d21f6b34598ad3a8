"""What the daemon keeps in its state directory, and when (design.md §8; docs/connection.md,
"State across restarts").

Documents (``<state_dir>/<name>.json``, see state_store.py for the format):

- ``daemon``: whether the previous process stopped cleanly (written ``running`` at start and
  ``stopped`` as the very last write of a clean shutdown);
- ``sign``: the sign requests of the last day (wall clock), shared by every room;
- ``paused``: Home Assistant's pause switch per room;
- ``room.<name>``: per room, whom it follows, the scheduler's place in the streamer's sessions
  with the decoder's dedupe window and open streaks, the rule counters and cooldowns, and what
  Home Assistant shows (live, totals).

The cores take their state in (``restore``) before they run and give it back (``snapshot``)
when the writer asks, and hear which snapshot reached the disk (``written``). A room's
document is marked on every event and state change and written at most every 0.5 s; a
counter milestone (a rule with ``every``/``threshold`` fired) is written at once, and so is
what a source asks for before it acts (``write_room``: messages beyond the saved horizon, a
streak's timeout end); everything is written at shutdown. After a clean stop the next process
continues exactly; after SIGKILL or a power cut it continues from the last write, and of the
initial fetch takes as new only what the saved horizon says cannot have fired (at most the
second after the newest message handled is lost, nothing doubled: webcast/decode.py).

One process owns a directory (an advisory lock): a second daemon pointed at the same directory
keeps no state rather than overwrite the first one's.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from livetrigger.state.store import WRITE_INTERVAL, StateStore, StateWriter, document_name
from livetrigger.webcast.retry import SignQuota

log = logging.getLogger(__name__)

VERSION = 1  # of every document below; a core's own snapshot carries its own version too


class Part(Protocol):
    """A core that can hand its state over a restart."""

    def snapshot(self) -> dict[str, Any]: ...

    def restore(self, data: dict[str, Any]) -> None: ...


class FnPart:
    """A part made of two functions (for cores whose restore takes more arguments)."""

    def __init__(
        self,
        snapshot: Callable[[], dict[str, Any] | None],
        restore: Callable[[dict[str, Any]], None],
        written: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._restore = restore
        self._written = written

    def snapshot(self) -> dict[str, Any]:
        return self._snapshot() or {}

    def restore(self, data: dict[str, Any]) -> None:
        self._restore(data)

    def written(self, data: dict[str, Any]) -> None:
        """This snapshot is on disk."""
        if self._written is not None:
            self._written(data)


class _Room:
    def __init__(self, doc: str, follows: str, saved: dict[str, Any] | None) -> None:
        self.doc = doc
        self.follows = follows
        self.saved = saved  # the previous process's parts, until each part has taken its own
        self.parts: dict[str, Part] = {}

    def snapshot(self) -> dict[str, Any]:
        return {
            "follows": self.follows,
            "parts": {name: part.snapshot() for name, part in self.parts.items()},
        }

    def written(self, snapshot: dict[str, Any]) -> None:
        for name, data in snapshot["parts"].items():
            part = self.parts.get(name)
            if isinstance(part, FnPart):
                part.written(data)


class DaemonState:
    """The daemon's state directory. ``None``-safe to use: when the directory is unusable
    or owned by another process everything still runs, only nothing outlives the process."""

    def __init__(
        self,
        directory: Path,
        *,
        interval: float = WRITE_INTERVAL,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.wall = wall
        self.store = StateStore(directory, wall=wall)
        self.writer = StateWriter(self.store, interval=interval)
        self._lock_fd: int | None = None
        self.enabled = self._lock()
        previous = self.store.load("daemon", VERSION) if self.enabled else None
        # anything but a recorded clean stop (first run, SIGKILL, power cut) is unclean
        self.clean = previous is not None and previous.get("running") is False
        self.restored = previous is not None
        self._rooms: dict[str, _Room] = {}
        if self.clean:
            log.info("state: continuing where the previous process stopped (%s)", directory)
        elif previous is not None:
            log.warning(
                "state: the previous process did not stop cleanly (SIGKILL, power cut?); "
                "continuing from its last write, and nothing in the first fetch counts as new"
            )

    def _lock(self) -> bool:
        try:
            fd = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return False  # the store already said why the directory is unusable
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            log.warning(
                "state: another livetrigger is using %s; this one keeps no state. Give each "
                "daemon its own daemon.state_dir",
                self.directory,
            )
            return False
        self._lock_fd = fd
        return True

    # -- start -------------------------------------------------------------------------------

    def begin(self) -> None:
        """Record that a process runs (before any room connects): if it dies without
        ``end()``, the next start knows its state may be up to one interval old."""
        if self.enabled:
            self.store.save("daemon", VERSION, {"running": True, "pid": os.getpid()})

    def attach_quota(self, quota: SignQuota, clock: Callable[[], float]) -> None:
        if not self.enabled:
            return
        data = self.store.load("sign", VERSION)
        if data is not None:
            try:
                quota.restore(data, clock(), self.wall())
            except ValueError as exc:
                self.store.set_aside("sign", str(exc))
            else:
                log.info(
                    "state: %d sign request(s) of the last day were made by the previous process",
                    quota.used,
                )
        self.writer.register(
            "sign",
            VERSION,
            lambda: quota.snapshot(clock(), self.wall()),
            probe=lambda: quota.changes,  # an answer moves a request's time: saved within 1 s
        )

    def load_paused(self, snapshot: Callable[[], dict[str, bool]]) -> dict[str, bool]:
        """The pause switches as saved (also reads the pre-store ``{"room": true}`` file)."""
        if not self.enabled:
            return {}

        def legacy(doc: Any) -> dict[str, Any] | None:
            if isinstance(doc, dict) and all(isinstance(v, bool) for v in doc.values()):
                return {"rooms": doc}
            return None

        data = self.store.load("paused", VERSION, legacy=legacy) or {}
        rooms = data.get("rooms")
        self.writer.register("paused", VERSION, lambda: {"rooms": snapshot()})
        if not isinstance(rooms, dict):
            return {}
        return {str(k): v for k, v in rooms.items() if isinstance(v, bool)}

    def paused_changed(self) -> None:
        self.writer.mark("paused", urgent=True)

    def attach_room(self, room: str, follows: str, *, load: bool = True) -> None:
        """Load the room's saved state (``load``: at start; a room a reload adds starts
        fresh); parts then take theirs with ``add_part``. A room that now follows someone
        else starts fresh."""
        if not self.enabled:
            return
        doc = document_name("room", room)
        saved: dict[str, Any] | None = None
        data = self.store.load(doc, VERSION) if load else None
        if data is not None:
            parts = data.get("parts")
            if data.get("follows") != follows:
                log.info(
                    "state: room %s followed %s before and follows %s now; starting it fresh",
                    room,
                    data.get("follows"),
                    follows,
                )
            elif isinstance(parts, dict):
                saved = parts
            else:
                self.store.set_aside(doc, "has no parts")
        entry = self._rooms[room] = _Room(doc, follows, saved)
        self.writer.register(doc, VERSION, entry.snapshot, written=entry.written)

    def add_part(self, room: str, name: str, part: Part) -> None:
        """Give ``part`` its saved state (if any) and include it in the room's document."""
        entry = self._rooms.get(room)
        if entry is None:
            return
        entry.parts[name] = part
        saved = (entry.saved or {}).pop(name, None)
        if not saved:
            return
        try:
            part.restore(saved)
        except ValueError as exc:
            log.warning("state: room %s: saved %s state not used (%s); fresh", room, name, exc)

    def started(self) -> None:
        """Every room has taken its state: forget what was loaded."""
        for entry in self._rooms.values():
            entry.saved = None

    def detach_room(self, room: str) -> None:
        entry = self._rooms.pop(room, None)
        if entry is not None:
            self.writer.unregister(entry.doc)

    async def sign_recorded(self) -> None:
        """A sign request was counted (in flight) and is about to be made: it is written
        (with anything else that changed) before it is spent, so a SIGKILL cannot hand it
        back to the next process's budget, which counts it as unanswered."""
        if self.enabled:
            self.writer.mark("sign")
            await self.save_now()

    async def save_now(self) -> None:
        """Write whatever changed now, before something a SIGKILL must not make happen
        twice (a sign request, a session's triggers)."""
        if not self.enabled:
            return
        try:
            await self.writer.write_changed()
        except Exception:  # the disk must not stop the daemon; the writer says what failed
            log.exception("state: cannot save the state")

    async def write_room(self, room: str) -> None:
        """Write the room's document (and whatever else changed) now: its source is about
        to act on something a SIGKILL right after must not let the next process act on
        again."""
        self.room_changed(room)
        await self.save_now()

    def room_changed(self, room: str, *, urgent: bool = False) -> None:
        entry = self._rooms.get(room)
        if entry is not None:
            self.writer.mark(entry.doc, urgent=urgent)

    # -- running and stopping ----------------------------------------------------------------

    async def run(self) -> None:
        if self.enabled:
            await self.writer.run()

    async def end(self) -> None:
        """The clean stop: every document, then the mark that says so (last)."""
        if not self.enabled:
            return
        await self.writer.flush()
        self.store.save("daemon", VERSION, {"running": False, "pid": os.getpid()})
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None


def state_directory(configured: str | None) -> Path:
    """daemon.state_dir, else systemd's STATE_DIRECTORY, else ~/.local/state/livetrigger."""
    chosen = configured or os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    if chosen:
        return Path(chosen)
    return Path.home() / ".local" / "state" / "livetrigger"

"""``livetrigger status``: the running daemon's figures over a local unix socket (mode 0600).

The daemon answers every connection with one JSON document (a :data:`Snapshot`) and closes
it; the socket lives in the runtime directory so only the daemon's user can read it. The same
snapshot feeds the optional Prometheus endpoint (livetrigger.metrics) and Home Assistant.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# {"daemon": {...}, "rooms": {name: {...}}, "rules": {id: fired}, "actions": {target: {...}},
#  "latency_ms": {"count", "p50", "p99", "max", "buckets": [[le_ms, cumulative], ...]}}
Snapshot = dict[str, Any]


def default_socket_path() -> Path:
    runtime = os.environ.get("RUNTIME_DIRECTORY") or os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime.split(":")[0]) / "livetrigger.sock"
    return Path("/tmp") / f"livetrigger-{os.getuid()}.sock"


COMMAND_WAIT = 1.0  # how long a client that neither writes nor half-closes is waited for


class StatusServer:
    """Serves ``snapshot()`` as JSON to each client of a 0600 unix socket.

    A client may first send one command line (``reconnect ROOM``) and half-close; one that
    only half-closes (or says nothing for a second) gets the snapshot."""

    def __init__(
        self,
        path: Path,
        snapshot: Callable[[], Snapshot],
        commands: dict[str, Callable[[str], Snapshot]] | None = None,
    ) -> None:
        self.path = path
        self._snapshot = snapshot
        self._commands = commands or {}
        self._server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> StatusServer:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a stale socket from a crash
        # the socket is born 0600: no window where others can read. The umask is process-wide,
        # so it is set around the bind alone, with no await inside: two daemons starting in one
        # loop used to interleave here and leave the process at 0177 for good
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            old_umask = os.umask(0o177)
            try:
                sock.bind(str(self.path))
            finally:
                os.umask(old_umask)
            self._server = await asyncio.start_unix_server(self._serve, sock=sock)
        except BaseException:
            sock.close()
            raise
        self.path.chmod(0o600)
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                async with asyncio.timeout(COMMAND_WAIT):
                    line = await reader.readline()
            except (TimeoutError, ValueError):
                line = b""
            body = json.dumps(self._answer(line), default=str).encode()
            writer.write(body)
            await writer.drain()
        except Exception:  # a status request must never hurt the daemon
            log.exception("status request failed")
        finally:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    def _answer(self, line: bytes) -> Snapshot:
        words = line.decode("utf-8", "replace").split(maxsplit=1)
        if not words:
            return self._snapshot()
        handler = self._commands.get(words[0])
        if handler is None:
            return {"error": f"unknown command {words[0][:40]!r}; known: {sorted(self._commands)}"}
        log.info("status socket: %s", " ".join(words)[:200])
        return handler(words[1].strip() if len(words) > 1 else "")

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def fetch(path: Path, timeout: float = 5.0, command: str = "") -> Snapshot:
    """Read one snapshot (or a command's answer) from a running daemon (blocking; the CLI)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        if command:
            s.sendall(command.encode() + b"\n")
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    data: Snapshot = json.loads(b"".join(chunks))
    return data

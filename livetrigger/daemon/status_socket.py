"""``livetrigger status``: the running daemon's figures over a local unix socket (mode 0600).

The daemon deletes only the socket it made: at start a path that another daemon answers on,
or that is not a socket, stops it with a message (a socket nobody answers on is a crashed
daemon's, and is replaced); at exit the path is removed only if it is still its own socket.

The daemon answers every connection with one JSON document (a :data:`Snapshot`) and closes
it; the socket lives in the runtime directory so only the daemon's user can read it. The same
snapshot feeds the optional Prometheus endpoint (daemon/features/metrics.py) and Home
Assistant.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from livetrigger.errors import StatusSocketTaken

log = logging.getLogger(__name__)

# {"daemon": {...}, "rooms": {name: {...}}, "rules": {id: fired}, "actions": {target: {...}},
#  "latency_ms": {"count", "p50", "p99", "max", "buckets": [[le_ms, cumulative], ...]}}
Snapshot = dict[str, Any]


def default_socket_path() -> Path:
    runtime = os.environ.get("RUNTIME_DIRECTORY") or os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime.split(":")[0]) / "livetrigger.sock"
    return Path("/tmp") / f"livetrigger-{os.getuid()}.sock"


_OWN_PATH = "give each daemon its own daemon.status_socket, or stop the other one"


def _remove_if_stale(path: Path) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise StatusSocketTaken(
            f"{path} exists and is not a socket; livetrigger never deletes a file it did not"
            " create: set daemon.status_socket to another path, or remove the file"
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2.0)
    try:
        probe.connect(str(path))  # accepted: someone lives there (their server sees a hang-up)
    except ConnectionRefusedError:  # nobody listens: its daemon is gone (a crash, SIGKILL)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        log.info("status socket: removed %s, left by a daemon that is gone", path)
        return
    except OSError as exc:  # another user's socket, ...
        raise StatusSocketTaken(
            f"{path} is a socket this daemon cannot use ({exc.strerror or exc}); {_OWN_PATH}"
        ) from None
    finally:
        probe.close()
    raise StatusSocketTaken(f"another livetrigger daemon is answering on {path}; {_OWN_PATH}")


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
        self._sock: socket.socket | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of our socket

    def claim(self) -> None:
        """Take the socket path now, before the daemon starts anything: a path that another
        daemon answers on, or that is not a socket, is a StatusSocketTaken error; a socket
        whose owner is gone (refuses connections) is removed. The socket is made 0600 in a
        private directory and linked into place, so it never exists with looser rights and
        never replaces a file that appeared meanwhile."""
        if self._sock is not None:
            return
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_if_stale(path)
        # short names: a socket path has a limit of 107 bytes, and the staged one must not
        # be what pushes a path that fits over it
        private = Path(tempfile.mkdtemp(prefix=".lt", dir=path.parent))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            staged = private / "s"
            sock.bind(str(staged))
            staged.chmod(0o600)
            sock.listen(64)  # clients queue until serving starts (a refusal would look stale)
            try:
                os.link(staged, path)
            except FileExistsError:
                raise StatusSocketTaken(
                    f"{path} appeared while this daemon started; {_OWN_PATH}"
                ) from None
        except BaseException:
            sock.close()
            raise
        finally:
            with contextlib.suppress(OSError):
                staged.unlink()
            with contextlib.suppress(OSError):
                private.rmdir()
        st = path.lstat()
        self._identity = (st.st_dev, st.st_ino)
        self._sock = sock

    async def __aenter__(self) -> StatusServer:
        self.claim()
        self._server = await asyncio.start_unix_server(self._serve, sock=self._sock)
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
        except ConnectionError:  # the client left first (another daemon's probe does)
            pass
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
        argument = words[1].strip() if len(words) > 1 else ""
        # the client ends its line with a newline: logged as it was, the record had a blank line
        asked = f"{words[0]} {argument}".strip()[:200]
        answer = handler(argument)
        if "error" in answer:  # the log says what was done: a refusal is not an action
            log.info("status socket: %s: refused: %s", asked, str(answer["error"])[:200])
        else:
            log.info("status socket: %s", asked)
        return answer

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        elif self._sock is not None:
            self._sock.close()
        self._sock = None
        if self._identity is None:
            return
        # only the socket this daemon made: never a file someone put there since
        with contextlib.suppress(OSError):
            st = self.path.lstat()
            if (st.st_dev, st.st_ino) == self._identity:
                self.path.unlink()
        self._identity = None

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

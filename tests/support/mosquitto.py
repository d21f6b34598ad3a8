"""A real Mosquitto broker for tests, on a free loopback port, that can be stopped and restarted.

    with MosquittoBroker(tmp_path) as broker:
        broker.port            # connect here
        broker.stop()          # SIGTERM, waits; broker.kill() sends SIGKILL
        broker.start()         # again, same port (and same persistence file when enabled)

Under CI (env CI set) a missing binary fails the test; elsewhere it skips with an install hint.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import pytest

_CANDIDATES = ("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


def find_mosquitto() -> str:
    for name in _CANDIDATES:
        path = shutil.which(name) or (name if Path(name).is_file() else None)
        if path:
            return path
    message = "mosquitto not found: run scripts/setup (it apt-get installs mosquitto)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MosquittoBroker:
    def __init__(self, workdir: Path, *, persistence: bool = False, port: int | None = None):
        self.binary = find_mosquitto()
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.persistence = persistence
        self.log_path = self.workdir / f"mosquitto-{self.port}.log"
        self.conf_path = self.workdir / f"mosquitto-{self.port}.conf"
        self._proc: subprocess.Popen[bytes] | None = None
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            f"persistence {'true' if persistence else 'false'}",
            f"persistence_location {self.workdir}/",
            f"persistence_file mosquitto-{self.port}.db",
            "autosave_interval 1",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "max_queued_messages 100000",
            # Mosquitto acknowledges a QoS 1 message once it holds it; what it holds back for a
            # lagging subscriber (by default 20 may be unacknowledged) dies with a SIGKILL
            # unless autosave caught it. No limit narrows that window (it does not close it:
            # tests that count every message at a subscriber stop the broker with SIGTERM).
            "max_inflight_messages 0",
            # as root mosquitto drops to its own user, which cannot write the persistence
            # file into a test's directory ("Permission denied", sessions lost on restart);
            # for any other user this has no effect
            f"user {pwd.getpwuid(os.geteuid()).pw_name}",
        ]
        self.conf_path.write_text("\n".join(lines) + "\n")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 60.0) -> None:
        assert not self.running, "broker already running"
        log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [self.binary, "-c", str(self.conf_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout}s")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(sig)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout)
        self._proc = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def freeze(self) -> None:
        """SIGSTOP: the broker holds its sockets open but answers nothing (no PUBACK)."""
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGSTOP)

    def __enter__(self) -> MosquittoBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

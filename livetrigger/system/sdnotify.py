"""systemd's notify protocol (``Type=notify``): READY, STATUS, WATCHDOG, STOPPING.

A datagram to the unix socket named by ``NOTIFY_SOCKET`` (``@`` = abstract namespace). When
the variable is unset — not under systemd — every call is a no-op, so callers never branch.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, address: str | None = None) -> None:
        addr = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        self._address: str | bytes | None = None
        if addr:
            self._address = b"\0" + addr[1:].encode() if addr.startswith("@") else addr
        self._sock: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, *fields: str) -> bool:
        if self._address is None:
            return False
        message = "\n".join(fields).encode()
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(message, self._address)
        except OSError as exc:
            # systemd restarting or the socket gone: log once per failure, never crash
            log.warning("sd_notify failed: %s", exc)
            return False
        return True

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self, status: str = "") -> bool:
        return self.send("STOPPING=1", *([f"STATUS={status}"] if status else []))

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings (half of ``WATCHDOG_USEC``), or None when not asked."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


def status_text(room: str, state: str, detail: str) -> str | None:
    """The STATUS= line systemd shows for a room's new connection state, if any."""
    return {
        "waiting": f"{room}: waiting for the stream to go live",
        "connecting": f"{room}: connecting",
        "connected": f"{room}: connected to room {detail.removeprefix('room ')}",
        "reconnecting": f"{room}: reconnecting {detail}",
        "blocked": f"{room}: blocked ({detail[:80]})",
        "rate_limited": f"{room}: rate-limited ({detail})",
    }.get(state)

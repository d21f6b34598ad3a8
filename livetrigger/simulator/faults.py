"""The misbehaviours a test can switch on in the fake room, as TikTok shows them."""

from __future__ import annotations


class Faults:
    """Switches the endpoints and the push server consult before answering."""

    def __init__(self, *, heartbeat_replies: bool = True) -> None:
        self.heartbeat_replies = heartbeat_replies  # False: heartbeats go unanswered
        self.stalled = False  # nothing is sent, heartbeat replies included; sockets stay open
        self.blocked_handshake: str | None = None  # e.g. "415 DEVICE_BLOCKED"
        self.check_alive_failure: int | None = None  # HTTP status check_alive answers with
        self._sign_failures: list[tuple[int, float | None]] = []

    def fail_sign(self, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """The next ``times`` sign requests answer ``status`` (429: with Retry-After)."""
        self._sign_failures.extend([(status, retry_after)] * times)

    def next_sign_failure(self) -> tuple[int, float | None] | None:
        """The failure this sign request answers with (status, Retry-After), if one is due."""
        return self._sign_failures.pop(0) if self._sign_failures else None

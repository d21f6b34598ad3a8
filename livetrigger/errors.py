"""The one error tree of livetrigger.

::

    LivetriggerError
    ├── ConfigError (ValueError)          a config file is wrong: carries every problem found
    ├── ProtocolError                     bytes from TikTok (or a capture) make no sense
    │   ├── FrameDecodeError (ValueError) an outer frame or fetch result is not valid protobuf
    │   └── FrameTooLargeError            a frame inflates past the configured limit
    │   └── ConfigFileError               the file is missing or unreadable (exit code 2)
    ├── CaptureError (ValueError)         a capture file is not in a format we read
    │   └── CaptureFileError              the file cannot be opened (exit code 2)
    ├── RoomError                         looking up or joining a room failed
    │   ├── UserNotFoundError             the username does not exist or cannot go live
    │   ├── UserOfflineError              the user is not live right now
    │   ├── BlockedError                  TikTok answered with a captcha or refused us
    │   ├── AgeRestrictedError            the room needs a logged-in session
    │   └── HandshakeBlockedError         the push server refused the websocket handshake
    ├── SignError                         the sign server failed
    │   ├── SignRateLimitError            429: carries when to try again
    │   └── SignAuthError                 401/402/403: a key or plan problem, never retried
    ├── SinkError                         an action target (MQTT, GPIO, HTTP, chat) failed
    │   └── Refused                       it declined by its own limit: a drop, not a failure
    └── StatusSocketTaken                 the status socket path is another daemon's or a file

Every message says what was wrong, where, and what to do about it. Secrets never appear in
messages: code that builds one from user input passes it through ``redact`` first.
"""

from __future__ import annotations


class LivetriggerError(Exception):
    """Base of every error livetrigger raises on purpose."""


class ConfigError(LivetriggerError, ValueError):
    """A configuration problem; ``problems`` lists each one (file:line, path, what to do)."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems or (message,)


class ConfigFileError(ConfigError):
    """The config (or show) file is missing or unreadable: exit code 2, not 1."""


class ProtocolError(LivetriggerError):
    """Bytes from the push service (or a capture) could not be understood."""


class FrameDecodeError(ProtocolError, ValueError):
    """An outer websocket message or fetch result is corrupt."""


class FrameTooLargeError(ProtocolError):
    """A compressed payload inflates past the configured limit; it was not allocated."""


class CaptureError(LivetriggerError, ValueError):
    """A capture file is unreadable or in an unknown format or version."""


class CaptureFileError(CaptureError):
    """The capture file cannot be opened: exit code 2 (a corrupt one is 1)."""


class RoomError(LivetriggerError):
    """Resolving, checking or joining a live room failed."""


class UserNotFoundError(RoomError):
    """The username does not exist, or the account cannot go live."""


class UserOfflineError(RoomError):
    """The user exists but is not live right now."""


class BlockedError(RoomError):
    """TikTok answered with a captcha page or refused the request from this address."""


class AgeRestrictedError(RoomError):
    """The room is age-restricted; its info needs a logged-in session."""


class HandshakeBlockedError(RoomError):
    """The push server refused the websocket handshake (HTTP 200/4xx with Handshake-Msg)."""

    def __init__(self, message: str, status: int | None = None, handshake_msg: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.handshake_msg = handshake_msg


class SignError(LivetriggerError):
    """The sign server could not give us a signed connection. ``answered``: it said so (the
    request reached it), rather than no answer coming back (network error, timeout): the
    sign budget counts an unanswered request as possibly heard later."""

    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        self.answered = answered


class SignRateLimitError(SignError):
    """The sign server said 429; ``retry_after`` is seconds to wait (None if unknown)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message, answered=True)
        self.retry_after = retry_after


class SignAuthError(SignError):
    """The sign server refused the key or the feature (401/402/403): fix the config."""

    def __init__(self, message: str) -> None:
        super().__init__(message, answered=True)


class SinkError(LivetriggerError):
    """An action target failed; ``retryable`` tells the dispatcher whether to try again."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class Refused(SinkError):
    """A target declined a request by its own limit (a device's ``max_per_minute``): the
    dispatcher counts and logs it as a drop (a burst summed up), not as the target failing.
    The message is the reason, like ``over max_per_minute 5``."""


class StatusSocketTaken(LivetriggerError):
    """The status socket path belongs to someone else: a live daemon, or a file that is not
    a socket. livetrigger never deletes either."""


def redact(text: str, secrets: tuple[str, ...] | list[str]) -> str:
    """Replace every occurrence of each non-empty secret in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text

"""Logging set-up: readable on a terminal, one clean line per record under journald, or JSON.

Under systemd (``JOURNAL_STREAM`` names our stderr) lines carry no timestamp — journald adds
its own — and start with a ``<N>`` syslog priority so ``journalctl -p warning`` works. Every
handler passes records through :class:`SecretRedactor`, a last line of defence that replaces any
configured secret with ``***`` even if some code path formats one into a message.

Messages carry viewer content (a ``log`` action printing a nickname), so the line formats
escape control characters (``\r``, ``\x1b``…) and indent continuation lines: a nickname cannot
overwrite or forge a line, or send escape sequences to a terminal. JSON escapes them itself.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable
from typing import IO, Literal

from livetrigger.text.printable import escape_controls, json_line

LogFormat = Literal["auto", "text", "json"]

_SYSLOG_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}
_COLOURS = {
    logging.CRITICAL: "\033[1;31m",
    logging.ERROR: "\033[31m",
    logging.WARNING: "\033[33m",
    logging.INFO: "\033[36m",
    logging.DEBUG: "\033[2m",
}
_RESET = "\033[0m"


def printable(text: str) -> str:
    """``text`` with control characters written as escapes and continuation lines indented."""
    return escape_controls(text, keep_newlines=True).replace("\n", "\n  ")


class SecretRedactor(logging.Filter):
    """Replaces every known secret in a record's final message (and exception text)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()
        self.update(secrets)

    def update(self, secrets: Iterable[str]) -> None:
        # longest first, so a secret containing another is replaced whole
        self._secrets = tuple(sorted({s for s in secrets if s and len(s) >= 4}, key=len)[::-1])

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = self.redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def under_journald(stream: IO[str]) -> bool:
    """True when ``stream`` is the journal socket systemd handed us (``JOURNAL_STREAM``)."""
    value = os.environ.get("JOURNAL_STREAM", "")
    if not value:
        return False
    try:
        device, inode = (int(x) for x in value.split(":"))
        st = os.fstat(stream.fileno())
    except (ValueError, OSError):
        return False
    return st.st_dev == device and st.st_ino == inode


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        prio = _SYSLOG_PRIORITY.get(record.levelno, 6)
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info or record.exc_text:
            text += "\n" + (record.exc_text or self.formatException(record.exc_info))  # type: ignore[arg-type]
        # one record, one journal entry: continuation lines keep the priority
        return f"<{prio}>" + printable(text).replace("\n", f"\n<{prio}>")


class TerminalFormatter(logging.Formatter):
    def __init__(self, colour: bool) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = record.levelname.lower()
        if self.colour:
            level = f"{_COLOURS.get(record.levelno, '')}{level:<7}{_RESET}"
        else:
            level = f"{level:<7}"
        text = f"{record.name.removeprefix('livetrigger.')}: {record.getMessage()}"
        if record.exc_info or record.exc_text:
            text += "\n" + (record.exc_text or self.formatException(record.exc_info))  # type: ignore[arg-type]
        return f"{stamp} {level} {printable(text)}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        obj: dict[str, object] = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            obj["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json_line(obj)


def setup_logging(
    level: str | int = "info",
    fmt: LogFormat = "auto",
    *,
    stream: IO[str] | None = None,
    secrets: Iterable[str] = (),
) -> SecretRedactor:
    """Configure the root logger once; returns the redactor so a reload can update secrets."""
    out = stream or sys.stderr
    handler = logging.StreamHandler(out)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    elif fmt == "auto" and under_journald(out):
        handler.setFormatter(JournalFormatter())
    else:
        colour = fmt == "auto" and out.isatty() and not os.environ.get("NO_COLOR")
        handler.setFormatter(TerminalFormatter(colour))
    redactor = SecretRedactor(secrets)
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # libraries chatter at DEBUG; they stay at WARNING at every level, as their lines carry
    # secrets the redactor may not know: httpx's INFO request line has the whole URL (a
    # webhook's may hold a token), websockets' DEBUG every handshake header (the session cookie)
    for noisy in ("websockets", "httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return redactor

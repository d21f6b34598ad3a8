"""Capture files: raw websocket messages with their receive times, for decode and replay.

Format (docs/capture-format.md), version 1: UTF-8 JSON lines, optionally gzip-compressed
(by file name ending ``.gz``). The first line is a header::

    {"format": "livetrigger-capture", "version": 1, "created": 1732406400.0,
     "unique_id": "someone", "room_id": "7140000000000000001"}

Every further line is one record::

    {"t": 1732406401.25, "k": "ws", "b64": "<base64 of the websocket binary message>"}

``k`` is ``ws`` for a websocket binary message (a ``WebcastPushFrame``) or ``fetch`` for the
body of an initial signed fetch (a bare ``ProtoMessageFetchResult``). Readers skip record kinds
they do not know and a truncated last line (a capture cut off by a crash stays readable).

:func:`read_input` also accepts plain text with one base64 websocket message per line: what
browser devtools show when you copy a frame.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import logging
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

from livetrigger.errors import CaptureError, CaptureFileError

log = logging.getLogger(__name__)
FORMAT_NAME = "livetrigger-capture"
FORMAT_VERSION = 1

RecordKind = Literal["ws", "fetch"]


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    received_at: float
    kind: RecordKind
    data: bytes


@dataclass(frozen=True, slots=True)
class CaptureHeader:
    version: int
    created: float
    unique_id: str = ""
    room_id: int = 0


class CaptureWriter:
    """Appends records to a capture file; flushes each record so a crash loses at most one."""

    def __init__(self, path: str | Path, *, unique_id: str = "", room_id: int = 0) -> None:
        p = Path(path)
        # closed by close()
        raw = cast(IO[bytes], gzip.GzipFile(p, "wb") if p.suffix == ".gz" else p.open("wb"))
        self._out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        header = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "created": round(time.time(), 3),
            "unique_id": unique_id,
            "room_id": str(room_id),
        }
        self._write(header)

    def _write(self, obj: dict[str, Any]) -> None:
        self._out.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self._out.flush()

    def write(self, data: bytes, received_at: float, kind: RecordKind = "ws") -> None:
        self._write({"t": round(received_at, 6), "k": kind, "b64": base64.b64encode(data).decode()})

    def close(self) -> None:
        self._out.close()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _b64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CaptureError(
            f"{where}: not base64. Expected one base64-encoded websocket message per line "
            "(as copied from browser devtools) or a livetrigger capture file."
        ) from None


def _json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _parse_header(line: str, name: str) -> CaptureHeader | None:
    if not line.startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT_NAME:
        return None
    version = obj.get("version")
    if version != FORMAT_VERSION:
        raise CaptureError(
            f"{name}: capture format version {version!r} is not supported "
            f"(this livetrigger reads version {FORMAT_VERSION}); upgrade livetrigger."
        )
    room = str(obj.get("room_id", "0"))
    return CaptureHeader(
        version=version,
        created=float(obj.get("created", 0.0)),
        unique_id=str(obj.get("unique_id", "")),
        room_id=int(room) if room.isdigit() else 0,
    )


def _records(lines: Iterator[str], name: str, header: CaptureHeader) -> Iterator[CaptureRecord]:
    for lineno, raw_line in enumerate(lines, start=2):
        line = raw_line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            # only the last line may be cut short; anything else is corruption
            rest = [rest for rest in lines if rest.strip()]
            if rest:
                raise CaptureError(f"{name}:{lineno}: not a JSON record") from None
            log.warning(
                "%s: the file is cut off in line %d (a recorder stopped mid-write); "
                "read what was before it",
                name,
                lineno,
            )
            return
        kind = obj.get("k") if isinstance(obj, dict) else None
        if kind not in ("ws", "fetch"):
            continue
        yield CaptureRecord(
            received_at=float(obj.get("t", header.created)),
            kind=kind,
            data=_b64(str(obj.get("b64", "")), f"{name}:{lineno}"),
        )


def _whole_lines(stream: IO[str], name: str) -> Iterator[str]:
    """The stream's lines up to where a compressed file was cut off (a recorder killed
    mid-write): what is there is read, and a warning says where it ends."""
    n = 0
    try:
        for n, line in enumerate(stream, start=1):  # noqa: B007 - n is read after the loop
            yield line
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        log.warning(
            "%s: the file is cut off after line %d (%s); read what was there",
            name,
            n,
            "compressed data ends early" if isinstance(exc, EOFError) else exc,
        )


def read_input(stream: IO[str], name: str = "<stdin>") -> Iterator[CaptureRecord]:
    """Records from a capture file or from base64 lines; sniffs which from the first line."""
    lines = _whole_lines(stream, name)
    first = ""
    for first in lines:
        if first.strip():
            break
    else:
        return
    header = _parse_header(first.strip(), name)
    if header is not None:
        yield from _records(lines, name, header)
        return
    if _json_object(first):
        raise CaptureError(
            f"{name}:1: a JSON line, but not a capture file's first line (a capture that"
            f' `livetrigger record` wrote starts with {{"format": "{FORMAT_NAME}", ...}});'
            " expected a capture file or one base64-encoded websocket message per line"
        )
    now = time.time()
    yield CaptureRecord(now, "ws", _b64(first, f"{name}:1"))
    for lineno, line in enumerate(lines, start=2):
        if line.strip():
            yield CaptureRecord(now, "ws", _b64(line, f"{name}:{lineno}"))


def open_input(path: str) -> IO[str]:
    """Open a capture or base64 file by path (``.gz`` transparently); ``-`` is stdin."""
    if path == "-":
        return sys.stdin
    p = Path(path)
    try:
        if p.suffix == ".gz":
            return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8")
        return p.open(encoding="utf-8")
    except OSError as exc:
        raise CaptureFileError(f"{path}: cannot open: {exc.strerror}") from None

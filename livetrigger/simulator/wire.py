"""Event model → WebCast wire bytes: how the fake live room speaks.

Messages are built from the protocol facts the way TikTok's servers would send them (one encoder
per event kind, in ``encode/``), so a client test against these bytes is a protocol test.
This module wraps them into fetch results and push frames; tests, benchmarks and the demo build
their frames here.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from livetrigger import events as ev
from livetrigger.simulator.encode import ENCODERS, Quirks, avatar_urls, user_pb
from livetrigger.webcast._pb import webcast_pb2 as pb

__all__ = [
    "WireMessage",
    "avatar_urls",
    "encode_event",
    "fetch_result",
    "frame_of_events",
    "push_frame",
    "user_pb",
]

_USUAL, _BARE_GIFTS = Quirks(), Quirks(embed_gift=False)


@dataclass(frozen=True, slots=True)
class WireMessage:
    """One inner message: what goes into ``ProtoMessageFetchResult.messages``."""

    method: str
    payload: bytes
    msg_id: int
    is_history: bool = False


def encode_event(event: ev.Event, *, embed_gift: bool = True) -> WireMessage:
    """Encode an event as the message TikTok sends for it (``encode.ENCODERS`` has each kind).

    Lifecycle events (connected, waiting, ...) have no wire form: TypeError.
    """
    if isinstance(event, ev.UnknownEvent):
        return WireMessage(event.method, event.payload, event.msg_id, event.is_history)
    encoder = ENCODERS.get(type(event))
    if encoder is None:
        raise TypeError(f"{type(event).__name__} has no wire form")
    method, message = encoder(event, _USUAL if embed_gift else _BARE_GIFTS)
    return WireMessage(method, message.SerializeToString(), event.msg_id, event.is_history)


def fetch_result(
    messages: Iterable[WireMessage],
    *,
    cursor: str = "",
    internal_ext: str = "",
    need_ack: bool = False,
    push_server: str = "",
    route_params: dict[str, str] | None = None,
    is_first: bool = False,
    now_ms: int = 0,
) -> pb.ProtoMessageFetchResult:
    """A ``ProtoMessageFetchResult`` carrying ``messages``: a sign answer, a poll or a push."""
    result = pb.ProtoMessageFetchResult(
        cursor=cursor,
        internal_ext=internal_ext,
        need_ack=need_ack,
        push_server=push_server,
        is_first=is_first,
        now=now_ms,
        fetch_interval=1000,
        fetch_type=1,
        heartbeat_duration=10_000,
    )
    for msg in messages:
        result.messages.add(
            method=msg.method, payload=msg.payload, msg_id=msg.msg_id, is_history=msg.is_history
        )
    if route_params:
        result.route_params.update(route_params)
    return result


def push_frame(
    result: pb.ProtoMessageFetchResult | bytes,
    *,
    log_id: int = 0,
    seq_id: int = 0,
    compress: bool = False,
    payload_type: str = "msg",
) -> bytes:
    """Wrap a fetch result in a ``WebcastPushFrame``, gzipped (with header) if asked."""
    body = result if isinstance(result, bytes) else result.SerializeToString()
    frame = pb.WebcastPushFrame(
        seq_id=seq_id,
        log_id=log_id,
        service=8888,
        method=8,
        payload_encoding="pb",
        payload_type=payload_type,
    )
    if compress:
        frame.headers.add(key="compress_type", value="gzip")
        frame.payload = gzip.compress(body, compresslevel=6, mtime=0)
    else:
        frame.headers.add(key="compress_type", value="none")
        frame.payload = body
    return frame.SerializeToString()


def frame_of_events(
    events: Sequence[ev.Event],
    *,
    log_id: int = 0,
    compress: bool = False,
    need_ack: bool = False,
    internal_ext: str = "",
) -> bytes:
    """The websocket message carrying ``events`` (a convenience for tests and benchmarks)."""
    result = fetch_result(
        (encode_event(e) for e in events), need_ack=need_ack, internal_ext=internal_ext
    )
    return push_frame(result, log_id=log_id, compress=compress)

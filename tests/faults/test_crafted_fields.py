"""Crafted field values (issue 19, item 11): a frame that parses but carries odd values
(``follow_status=-1``, a badge level "²", a 5,000-digit id, out-of-range enums, invalid
UTF-8) never raises when an event's field is first read, and ``livetrigger decode -`` keeps
going past it.

The seeded fuzzer (test_fuzz_decoder.py) flips bytes, which mostly breaks parsing; these
tests keep every message well-formed and vary the *values* field by field, which is where
the converters (ids from strings, levels from badges, enums from ints) can trip.
"""

from __future__ import annotations

import base64
import dataclasses
import subprocess
import sys
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livetrigger import events as ev
from livetrigger.events import event_to_dict
from livetrigger.simulator import wire
from livetrigger.webcast import frames
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.decode import Decoder
from tests.unit.test_decode import EVERY_KIND

ODD_STRINGS = ["", "²", "٣", "12", "-1", "9" * 5000, "1" * 25, "\u0000", "\ufffd", "🦄" * 3]
ODD_BADGE_URLS = [
    "https://x/ranklist_top_gifter_².png",
    "https://x/ranklist_top_gifter_" + "9" * 5000 + ".png",
    "https://x/grade_badge_icon_lite_lv٣_v1.png",
    "https://x/fans_badge_icon_lv" + "9" * 5000 + "_v2.png",
]
_INT_RANGE = {
    FieldDescriptor.CPPTYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.CPPTYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.CPPTYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.CPPTYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.CPPTYPE_ENUM: (-(2**31), 2**31 - 1),
}


def _odd_int(lo: int, hi: int) -> st.SearchStrategy[int]:
    edges = [v for v in (-1, 0, 1, 2, 3, 4, 19, lo, hi, hi - 1) if lo <= v <= hi]
    return st.sampled_from(edges) | st.integers(lo, hi)


def _fill(draw: st.DrawFn, message: Message, depth: int) -> None:
    """Set a random subset of ``message``'s fields to odd values, nested messages included."""
    desc: Descriptor = message.DESCRIPTOR
    for field in desc.fields:
        if not draw(st.booleans()):
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue  # maps: left as the seed has them
        repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == 3
        count = draw(st.integers(0, 2)) if repeated else 1
        for _ in range(count):
            if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
                if depth >= 4:
                    break
                child = getattr(message, field.name).add() if repeated else None
                if child is None:
                    child = getattr(message, field.name)
                    child.SetInParent()
                _fill(draw, child, depth + 1)
                continue
            value = _scalar(draw, field)
            if repeated:
                getattr(message, field.name).append(value)
            else:
                setattr(message, field.name, value)


def _scalar(draw: st.DrawFn, field: FieldDescriptor) -> Any:
    t = field.cpp_type
    if t in _INT_RANGE:
        return draw(_odd_int(*_INT_RANGE[t]))
    if t == FieldDescriptor.CPPTYPE_BOOL:
        return draw(st.booleans())
    if t in (FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT):
        return draw(st.sampled_from([0.0, -1.0, 1e30]))
    if field.type == FieldDescriptor.TYPE_BYTES:
        return draw(st.binary(max_size=40))
    return draw(st.sampled_from(ODD_STRINGS + ODD_BADGE_URLS) | st.text(max_size=12))


SEEDS = [wire.encode_event(e) for e in EVERY_KIND]
_METHOD_CLASS = {m.method: getattr(pb, m.method) for m in SEEDS}  # the full message classes


@st.composite
def crafted_message(draw: st.DrawFn) -> wire.WireMessage:
    seed = draw(st.sampled_from(SEEDS))
    message = _METHOD_CLASS[seed.method].FromString(seed.payload)
    _fill(draw, message, 0)
    msg_id = draw(st.integers(1, 2**62))
    return dataclasses.replace(seed, payload=message.SerializeToString(), msg_id=msg_id)


def read_everything(event: ev.Event) -> None:
    for f in dataclasses.fields(event):
        getattr(event, f.name)
    event_to_dict(event)
    repr(event)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(crafted_message(), min_size=1, max_size=4))
def test_every_field_of_every_event_from_crafted_values_reads(
    messages: list[wire.WireMessage],
) -> None:
    data = wire.push_frame(wire.fetch_result(messages))
    inbound = frames.decode_ws_message(data)
    assert inbound is not None
    for event in Decoder().decode_result(inbound.result, 0.0):
        read_everything(event)


def _chat(msg_id: int = 7) -> ev.ChatEvent:
    return ev.ChatEvent(
        msg_id=msg_id, user=ev.User(id=5, unique_id="crafted", nickname="c"), text="x"
    )


def _chat_frame(mutate: Any, msg_id: int = 7) -> bytes:
    seed = wire.encode_event(_chat(msg_id))
    chat = pb.WebcastChatMessage.FromString(seed.payload)
    mutate(chat)
    payload = chat.SerializeToString()
    return wire.push_frame(wire.fetch_result([dataclasses.replace(seed, payload=payload)]))


def _badge_level(chat: pb.WebcastChatMessage) -> None:
    badge = chat.user.badge_list.add(scene_type=8)
    badge.privilege_log_extra.level = "²"


CRAFTED = {
    "follow_status=-1": lambda c: setattr(c.user.follow_info, "follow_status", -1),
    "follow_status=huge": lambda c: setattr(c.user.follow_info, "follow_status", 2**63 - 1),
    "badge level ²": _badge_level,
    "id_str ²": lambda c: (setattr(c.user, "id", 0), setattr(c.user, "id_str", "²")),
    "id_str 5000 digits": lambda c: (
        setattr(c.user, "id", 0),
        setattr(c.user, "id_str", "9" * 5000),
    ),
    "top gifter 5000 digits": lambda c: c.user.badge_list.add().image.image.url_list.append(
        ODD_BADGE_URLS[1]
    ),
}


def test_each_crafted_value_reads_as_a_sane_default() -> None:
    for name, mutate in CRAFTED.items():
        inbound = frames.decode_ws_message(_chat_frame(mutate))
        assert inbound is not None
        (event,) = Decoder().decode_result(inbound.result, 0.0)
        read_everything(event)
        assert isinstance(event, ev.ChatEvent) and event.text == "x", name
        assert event.user.follow_role in tuple(ev.FollowRole), name
    huge = Decoder().decode_result(
        frames.decode_ws_message(_chat_frame(CRAFTED["follow_status=huge"])).result,  # type: ignore[union-attr]
        0.0,
    )
    assert huge[0].user.follow_role is ev.FollowRole.FRIEND
    negative = Decoder().decode_result(
        frames.decode_ws_message(_chat_frame(CRAFTED["follow_status=-1"])).result,  # type: ignore[union-attr]
        0.0,
    )
    assert negative[0].user.follow_role is ev.FollowRole.NONE


def test_invalid_utf8_in_a_nickname_does_not_raise_on_read() -> None:
    seed = wire.encode_event(_chat())
    assert b"crafted" in seed.payload
    payload = seed.payload.replace(b"crafted", b"cr\xff\xfeted")  # same length: still parses
    data = wire.push_frame(wire.fetch_result([dataclasses.replace(seed, payload=payload)]))
    inbound = frames.decode_ws_message(data)
    assert inbound is not None
    for event in Decoder().decode_result(inbound.result, 0.0):
        read_everything(event)


def test_decode_command_keeps_going_past_crafted_frames() -> None:
    lines = [
        base64.b64encode(_chat_frame(m, msg_id=100 + i)).decode()
        for i, m in enumerate(CRAFTED.values())
    ]
    lines.append(base64.b64encode(wire.frame_of_events(EVERY_KIND[:1])).decode())
    result = subprocess.run(
        [sys.executable, "-m", "livetrigger", "decode", "-"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    assert len(printed) == len(CRAFTED) + 1  # every crafted chat, then the plain one after them
    assert '"text": "!light on please"' in printed[-1]

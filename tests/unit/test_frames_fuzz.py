"""Property tests: whatever bytes arrive, only the codec's own errors escape."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livetrigger.errors import ProtocolError
from livetrigger.simulator import wire
from livetrigger.webcast import frames
from livetrigger.webcast.decode import Decoder
from tests.unit.test_decode import EVERY_KIND

VALID = [
    wire.frame_of_events(EVERY_KIND, compress=False),
    wire.frame_of_events(EVERY_KIND, compress=True),
]


def _decode_fully(data: bytes, decoder: Decoder) -> None:
    try:
        inbound = frames.decode_ws_message(data, max_inflated=1 << 20)
    except ProtocolError:
        return
    if inbound is None:
        return
    for event in decoder.decode_result(inbound.result, 0.0):
        # reading every field materialises deferred events: that must not raise either
        for f in dataclasses.fields(event):
            getattr(event, f.name)
        repr(event)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_raise_only_protocol_errors(data: bytes) -> None:
    _decode_fully(data, Decoder())


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.sampled_from(VALID),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(min_value=0),
)
def test_mutated_frames_raise_only_protocol_errors(
    frame: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(frame)
    for pos, value in flips:
        data[pos % len(data)] = value
    data = data[: max(1, len(data) - cut % 64)]
    _decode_fully(bytes(data), Decoder())


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=512),
    st.sampled_from(
        sorted(
            {
                "WebcastChatMessage",
                "WebcastGiftMessage",
                "WebcastLikeMessage",
                "WebcastMemberMessage",
                "WebcastSocialMessage",
                "WebcastRoomUserSeqMessage",
                "WebcastLinkMicArmies",
                "WebcastLinkMicBattle",
                "WebcastEnvelopeMessage",
                "WebcastControlMessage",
                "WebcastBarrageMessage",
                "WebcastQuestionNewMessage",
                "WebcastEmoteChatMessage",
            }
        )
    ),
)
def test_random_inner_payloads_never_escape(payload: bytes, method: str) -> None:
    result = wire.fetch_result([wire.WireMessage(method, payload, 1)])
    _decode_fully(wire.push_frame(result), Decoder())

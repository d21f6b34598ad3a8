"""The message table: every method the decoder handled before it was a table is still in it,
and can still be skipped by exactly the kinds it could be skipped by."""

from __future__ import annotations

import pytest

from livetrigger import events as ev
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.decode import Decoder
from livetrigger.webcast.messages.registry import MESSAGES

# method -> the kinds it becomes, as Decoder had them written out (empty: never skipped)
BEFORE: dict[str, set[str]] = {
    "WebcastChatMessage": {"chat"},
    "WebcastGiftMessage": {"gift"},
    "WebcastLikeMessage": {"like"},
    "WebcastMemberMessage": {"join", "social"},
    "WebcastSocialMessage": {"follow", "share", "social"},
    "WebcastRoomUserSeqMessage": {"viewers"},
    "WebcastSubNotifyMessage": {"subscribe"},
    "WebcastQuestionNewMessage": {"question"},
    "WebcastLinkMicBattle": {"battle"},
    "WebcastLinkMicArmies": {"battle_points"},
    "WebcastEmoteChatMessage": {"emote"},
    "WebcastEnvelopeMessage": {"envelope"},
    "WebcastControlMessage": set(),
    "WebcastLiveIntroMessage": {"live_intro"},
    "WebcastRoomMessage": {"room_message"},
    "WebcastBarrageMessage": {"barrage"},
}


def test_every_method_handled_before_is_in_the_table() -> None:
    assert {m: set(MESSAGES[m].kinds) for m in BEFORE if m in MESSAGES} == BEFORE


def test_the_table_names_only_real_event_kinds() -> None:
    for method, entry in MESSAGES.items():
        assert entry.kinds <= set(ev.EVENT_KINDS), method


@pytest.mark.parametrize("method", sorted(BEFORE))
def test_the_decoder_knows_each_method(method: str) -> None:
    result = pb.ProtoMessageFetchResult()
    result.messages.add(method=method, payload=b"", msg_id=1)
    decoder = Decoder()
    for event in decoder.decode_result(result, 0.0):
        assert not isinstance(event, ev.UnknownEvent)
    assert (decoder.stats.unknown, decoder.stats.failed) == (0, 0)

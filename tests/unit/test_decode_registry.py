"""The message table: every method the decoder handled before it was a table is still in it,
and can still be skipped by exactly the kinds it could be skipped by; and each method issue 27
added."""

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
    # issue 27: a battle's steps and scores also tell its result and this room's side
    "WebcastLinkMicBattle": {"battle", "battle_ended", "battle_points"},
    "WebcastLinkMicArmies": {"battle_points", "battle_ended"},
    "WebcastEmoteChatMessage": {"emote"},
    "WebcastEnvelopeMessage": {"envelope"},
    "WebcastControlMessage": set(),
    "WebcastLiveIntroMessage": {"live_intro"},
    "WebcastRoomMessage": {"room_message"},
    "WebcastBarrageMessage": {"barrage"},
    # issue 27: every method the community clients decode, and those seen in captures
    "WebcastLinkmicBattleTaskMessage": {"battle_task"},
    "WebcastLinkMicBattlePunishFinish": {"battle_punish_ended"},
    "WebcastLinkmicBattleNoticeMessage": {"battle_notice"},
    "WebcastLinkMicBattleItemCard": {"battle_item_card"},
    "WebcastRankUpdateMessage": {"rank"},
    "WebcastHourlyRankMessage": {"rank"},
    "WebcastRankTextMessage": {"rank_text"},
    "WebcastHourlyRankRewardMessage": {"rank_reward"},
    "WebcastGameRankNotifyMessage": {"game_rank"},
    "WebcastGoalUpdateMessage": {"goal"},
    "WebcastImDeleteMessage": {"message_deleted"},
    "WebcastRoomPinMessage": {"pinned"},
    "WebcastUnauthorizedMemberMessage": {"unauthorized_member"},
    "WebcastRoomVerifyMessage": {"room_verify"},
    "WebcastPerceptionMessage": {"perception"},
    "WebcastAccessRecallMessage": {"access_recall"},
    "WebcastAccessControlMessage": {"access_control"},
    "WebcastPartnershipPunishMessage": {"partnership_punish"},
    "WebcastBottomMessage": {"bottom_message"},
    "WebcastPollMessage": {"poll"},
    "WebcastGiftBroadcastMessage": {"gift_broadcast"},
    "WebcastHashtagMessage": {"hashtag"},
    "WebcastCaptionMessage": {"caption"},
    "WebcastInRoomBannerMessage": {"in_room_banner"},
    "WebcastOecLiveShoppingMessage": {"shopping"},
    "WebcastMsgDetectMessage": {"msg_detect"},
    "WebcastSystemMessage": {"system"},
    "WebcastNoticeMessage": {"notice"},
    "WebcastToastMessage": {"toast"},
    "WebcastGuideMessage": {"guide"},
    "WebcastCapsuleMessage": {"capsule"},
    "WebcastBoostCardMessage": {"boost_card"},
    "WebcastGiftDynamicRestrictionMessage": {"gift_restriction"},
    "WebcastGiftPanelUpdateMessage": {"gift_panel_update"},
    "WebcastGiftPromptMessage": {"gift_prompt"},
    "WebcastLiveGameIntroMessage": {"live_game_intro"},
    "WebcastMarqueeAnnouncementMessage": {"marquee"},
    "WebcastPartnershipDropsUpdateMessage": {"partnership_drops"},
    "WebcastPartnershipGameOfflineMessage": {"partnership_game_offline"},
    "WebcastRoomNotifyMessage": {"room_notify"},
    "WebcastSpeakerMessage": {"speaker"},
    "WebcastSubPinEventMessage": {"sub_pin"},
    "WebcastViewerPicksUpdateMessage": {"viewer_picks"},
    "WebcastLinkLayerMessage": {"link_layer"},
    "WebcastLinkMicMethod": {"link_mic"},
    "LinkMicMethod": {"link_mic"},
    "WebcastLinkMicFanTicketMethod": {"link_mic_fan_ticket"},
    "WebcastLinkMicLayoutStateMessage": {"link_mic_layout"},
    "WebcastLinkStateMessage": {"link_state"},
    "WebcastLinkMessage": {"guest_joined", "guest_left", "link"},
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

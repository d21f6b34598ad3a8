"""Which WebCast method becomes which event, and which code decodes it: the one table.

A method missing here arrives as an ``UnknownEvent`` carrying its raw payload. To decode one
more, write its decoder in the module of its theme (or a new one) and add its line below.
"""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages import (
    battles,
    gifts,
    linkmic,
    moderation,
    notices,
    ranks,
    room,
    social,
)
from livetrigger.webcast.messages.common import MessageDecoder, deferred, eager

# deferred(view, event class or chooser, fill, *kinds): the event is filled on its first read;
# eager(view, build, *kinds): built at once (state to keep, or may be dropped).
# No kinds: always decoded, whatever the rules listen to.
MESSAGES: dict[str, MessageDecoder] = {
    "WebcastChatMessage": deferred(pb.ChatView, ev.ChatEvent, social.chat, "chat"),
    "WebcastGiftMessage": eager(pb.GiftView, gifts.gift, "gift"),
    "WebcastLikeMessage": deferred(pb.LikeView, ev.LikeEvent, social.like, "like"),
    "WebcastMemberMessage": deferred(
        pb.MemberView, social.member_kind, social.member, "join", "social"
    ),
    "WebcastSocialMessage": deferred(
        pb.SocialView, social.social_kind, social.social, "follow", "share", "social"
    ),
    "WebcastRoomUserSeqMessage": deferred(
        pb.RoomUserSeqView, ev.ViewerCountEvent, room.viewers, "viewers"
    ),
    "WebcastSubNotifyMessage": deferred(
        pb.WebcastSubNotifyMessage, ev.SubscribeEvent, social.subscribe, "subscribe"
    ),
    "WebcastQuestionNewMessage": deferred(
        pb.WebcastQuestionNewMessage, ev.QuestionEvent, social.question, "question"
    ),
    # eager: they learn which host is this room and tell a battle's result once
    "WebcastLinkMicBattle": eager(
        pb.WebcastLinkMicBattle, battles.battle, "battle", "battle_ended", "battle_points"
    ),
    "WebcastLinkMicArmies": eager(
        pb.WebcastLinkMicArmies, battles.armies, "battle_points", "battle_ended"
    ),
    "WebcastEmoteChatMessage": deferred(
        pb.WebcastEmoteChatMessage, ev.EmoteEvent, social.emote, "emote"
    ),
    "WebcastEnvelopeMessage": deferred(
        pb.WebcastEnvelopeMessage, ev.EnvelopeEvent, room.envelope, "envelope"
    ),
    "WebcastControlMessage": eager(pb.WebcastControlMessage, room.control),
    "WebcastLiveIntroMessage": deferred(
        pb.WebcastLiveIntroMessage, ev.LiveIntroEvent, room.intro, "live_intro"
    ),
    "WebcastRoomMessage": deferred(
        pb.WebcastRoomMessage, ev.RoomMessageEvent, room.room_message, "room_message"
    ),
    "WebcastBarrageMessage": deferred(
        pb.WebcastBarrageMessage, ev.BarrageEvent, room.barrage, "barrage"
    ),
    # issue 27: the rest of what the community clients decode
    "WebcastLinkmicBattleTaskMessage": deferred(
        pb.WebcastLinkmicBattleTaskMessage, ev.BattleTaskEvent, battles.task, "battle_task"
    ),
    "WebcastLinkMicBattlePunishFinish": deferred(
        pb.WebcastLinkMicBattlePunishFinish,
        ev.BattlePunishEndedEvent,
        battles.punish_finished,
        "battle_punish_ended",
    ),
    "WebcastLinkmicBattleNoticeMessage": deferred(
        pb.WebcastLinkmicBattleNoticeMessage, ev.BattleNoticeEvent, battles.notice, "battle_notice"
    ),
    "WebcastLinkMicBattleItemCard": deferred(
        pb.WebcastLinkMicBattleItemCard,
        ev.BattleItemCardEvent,
        battles.item_card,
        "battle_item_card",
    ),
    "WebcastRankUpdateMessage": deferred(
        pb.WebcastRankUpdateMessage, ev.RankEvent, ranks.rank_update, "rank"
    ),
    "WebcastHourlyRankMessage": deferred(
        pb.WebcastHourlyRankMessage, ev.RankEvent, ranks.hourly_rank, "rank"
    ),
    "WebcastRankTextMessage": deferred(
        pb.WebcastRankTextMessage, ev.RankTextEvent, ranks.rank_text, "rank_text"
    ),
    "WebcastHourlyRankRewardMessage": deferred(
        pb.WebcastHourlyRankRewardMessage, ev.RankRewardEvent, ranks.rank_reward, "rank_reward"
    ),
    "WebcastGameRankNotifyMessage": deferred(
        pb.WebcastGameRankNotifyMessage, ev.GameRankEvent, ranks.game_rank, "game_rank"
    ),
    "WebcastGoalUpdateMessage": deferred(
        pb.WebcastGoalUpdateMessage, ev.GoalEvent, ranks.goal, "goal"
    ),
    "WebcastImDeleteMessage": deferred(
        pb.WebcastImDeleteMessage, ev.MessageDeletedEvent, moderation.deleted, "message_deleted"
    ),
    "WebcastRoomPinMessage": deferred(
        pb.WebcastRoomPinMessage, ev.PinnedEvent, moderation.pinned, "pinned"
    ),
    "WebcastUnauthorizedMemberMessage": deferred(
        pb.WebcastUnauthorizedMemberMessage,
        ev.UnauthorizedMemberEvent,
        moderation.unauthorized_member,
        "unauthorized_member",
    ),
    "WebcastRoomVerifyMessage": deferred(
        pb.WebcastRoomVerifyMessage, ev.RoomVerifyEvent, moderation.room_verify, "room_verify"
    ),
    "WebcastPerceptionMessage": deferred(
        pb.WebcastPerceptionMessage, ev.PerceptionEvent, moderation.perception, "perception"
    ),
    "WebcastAccessRecallMessage": deferred(
        pb.WebcastAccessRecallMessage,
        ev.AccessRecallEvent,
        moderation.access_recall,
        "access_recall",
    ),
    "WebcastAccessControlMessage": deferred(
        pb.WebcastAccessControlMessage, ev.AccessControlEvent, moderation.plain, "access_control"
    ),
    "WebcastPartnershipPunishMessage": deferred(
        pb.WebcastPartnershipPunishMessage,
        ev.PartnershipPunishEvent,
        moderation.plain,
        "partnership_punish",
    ),
    "WebcastBottomMessage": deferred(
        pb.WebcastBottomMessage, ev.BottomMessageEvent, moderation.bottom, "bottom_message"
    ),
    "WebcastPollMessage": deferred(pb.WebcastPollMessage, ev.PollEvent, notices.poll, "poll"),
    "WebcastGiftBroadcastMessage": deferred(
        pb.WebcastGiftBroadcastMessage,
        ev.GiftBroadcastEvent,
        notices.gift_broadcast,
        "gift_broadcast",
    ),
    "WebcastHashtagMessage": deferred(
        pb.WebcastHashtagMessage, ev.HashtagEvent, notices.hashtag, "hashtag"
    ),
    "WebcastCaptionMessage": deferred(
        pb.WebcastCaptionMessage, ev.CaptionEvent, notices.caption, "caption"
    ),
    "WebcastInRoomBannerMessage": deferred(
        pb.WebcastInRoomBannerMessage,
        ev.InRoomBannerEvent,
        notices.in_room_banner,
        "in_room_banner",
    ),
    "WebcastOecLiveShoppingMessage": deferred(
        pb.WebcastOecLiveShoppingMessage, ev.ShoppingEvent, notices.shopping, "shopping"
    ),
    "WebcastMsgDetectMessage": deferred(
        pb.WebcastMsgDetectMessage, ev.MessageDetectEvent, notices.msg_detect, "msg_detect"
    ),
    "WebcastSystemMessage": deferred(
        pb.WebcastSystemMessage, ev.SystemEvent, notices.system, "system"
    ),
    "WebcastNoticeMessage": deferred(
        pb.WebcastNoticeMessage, ev.NoticeEvent, notices.notice, "notice"
    ),
    "WebcastToastMessage": deferred(pb.WebcastToastMessage, ev.ToastEvent, notices.toast, "toast"),
    "WebcastGuideMessage": deferred(pb.WebcastGuideMessage, ev.GuideEvent, notices.guide, "guide"),
    "WebcastCapsuleMessage": deferred(
        pb.WebcastCapsuleMessage, ev.CapsuleEvent, notices.capsule, "capsule"
    ),
    "WebcastBoostCardMessage": deferred(
        pb.WebcastBoostCardMessage, ev.BoostCardEvent, notices.boost_card, "boost_card"
    ),
    "WebcastGiftDynamicRestrictionMessage": deferred(
        pb.WebcastGiftDynamicRestrictionMessage,
        ev.GiftRestrictionEvent,
        moderation.plain,
        "gift_restriction",
    ),
    "WebcastGiftPanelUpdateMessage": deferred(
        pb.WebcastGiftPanelUpdateMessage,
        ev.GiftPanelUpdateEvent,
        notices.gift_panel_update,
        "gift_panel_update",
    ),
    "WebcastGiftPromptMessage": deferred(
        pb.WebcastGiftPromptMessage, ev.GiftPromptEvent, notices.gift_prompt, "gift_prompt"
    ),
    "WebcastLiveGameIntroMessage": deferred(
        pb.WebcastLiveGameIntroMessage,
        ev.LiveGameIntroEvent,
        notices.live_game_intro,
        "live_game_intro",
    ),
    "WebcastMarqueeAnnouncementMessage": deferred(
        pb.WebcastMarqueeAnnouncementMessage, ev.MarqueeEvent, notices.marquee, "marquee"
    ),
    "WebcastPartnershipDropsUpdateMessage": deferred(
        pb.WebcastPartnershipDropsUpdateMessage,
        ev.PartnershipDropsEvent,
        notices.partnership_drops,
        "partnership_drops",
    ),
    "WebcastPartnershipGameOfflineMessage": deferred(
        pb.WebcastPartnershipGameOfflineMessage,
        ev.PartnershipGameOfflineEvent,
        notices.partnership_game_offline,
        "partnership_game_offline",
    ),
    "WebcastRoomNotifyMessage": deferred(
        pb.WebcastRoomNotifyMessage, ev.RoomNotifyEvent, notices.room_notify, "room_notify"
    ),
    "WebcastSpeakerMessage": deferred(
        pb.WebcastSpeakerMessage, ev.SpeakerEvent, moderation.plain, "speaker"
    ),
    "WebcastSubPinEventMessage": deferred(
        pb.WebcastSubPinEventMessage, ev.SubPinEvent, notices.sub_pin, "sub_pin"
    ),
    "WebcastViewerPicksUpdateMessage": deferred(
        pb.WebcastViewerPicksUpdateMessage,
        ev.ViewerPicksEvent,
        notices.viewer_picks,
        "viewer_picks",
    ),
    "WebcastLinkLayerMessage": deferred(
        pb.WebcastLinkLayerMessage, ev.LinkLayerEvent, linkmic.link_layer, "link_layer"
    ),
    "WebcastLinkMicMethod": deferred(
        pb.WebcastLinkMicMethod, ev.LinkMicEvent, linkmic.link_mic, "link_mic"
    ),
    "LinkMicMethod": deferred(
        pb.WebcastLinkMicMethod, ev.LinkMicEvent, linkmic.link_mic, "link_mic"
    ),
    "WebcastLinkMicFanTicketMethod": deferred(
        pb.WebcastLinkMicFanTicketMethod,
        ev.LinkMicFanTicketEvent,
        linkmic.fan_ticket,
        "link_mic_fan_ticket",
    ),
    "WebcastLinkMicLayoutStateMessage": deferred(
        pb.WebcastLinkMicLayoutStateMessage,
        ev.LinkMicLayoutEvent,
        linkmic.layout,
        "link_mic_layout",
    ),
    "WebcastLinkStateMessage": deferred(
        pb.WebcastLinkStateMessage, ev.LinkStateEvent, linkmic.state, "link_state"
    ),
    "WebcastLinkMessage": deferred(
        pb.WebcastLinkMessage, linkmic.link_kind, linkmic.link, "guest_joined", "guest_left", "link"
    ),
}

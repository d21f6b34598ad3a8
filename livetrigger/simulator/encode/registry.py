"""Which event the fake room sends as which WebCast message: the one table.

Each encoder lives in the module of its theme (as the decoders do in webcast/messages/). A
new event kind the fake room can play is one encoder there (or a `flat` line here, for a
message whose fields each hold one event field) and one line below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from livetrigger import events as ev
from livetrigger.simulator.encode import (
    battles,
    gifts,
    linkmic,
    moderation,
    notices,
    ranks,
    room,
    social,
)
from livetrigger.simulator.encode.common import Encoded, Quirks, common, counted, flat, text_of
from livetrigger.webcast._pb import webcast_pb2 as pb

# event class → its encoder. Lifecycle events (connected, waiting, ...) have no wire form;
# UnknownEvent carries its own method and payload (wire.encode_event).
ENCODERS: dict[type[ev.Event], Callable[[Any, Quirks], Encoded]] = {
    ev.ChatEvent: social.chat,
    ev.GiftEvent: gifts.gift,
    ev.LikeEvent: social.like,
    ev.JoinEvent: social.join,
    ev.FollowEvent: social.follow,
    ev.ShareEvent: social.share,
    ev.SocialEvent: social.social,
    ev.SubscribeEvent: social.subscribe,
    ev.ViewerCountEvent: room.viewers,
    ev.QuestionEvent: social.question,
    ev.BattleEvent: battles.battle,
    ev.BattlePointsEvent: battles.battle_points,
    ev.EmoteEvent: social.emote,
    ev.EnvelopeEvent: room.envelope,
    ev.LiveIntroEvent: room.live_intro,
    ev.RoomMessageEvent: room.room_message,
    ev.BarrageEvent: room.barrage,
    ev.StreamPausedEvent: room.stream_paused,
    ev.StreamResumedEvent: room.stream_resumed,
    ev.StreamEndedEvent: room.stream_ended,
    # the moments of a LIVE (issue 27)
    ev.BattleEndedEvent: battles.battle_ended,
    ev.BattleTaskEvent: battles.battle_task,
    ev.BattlePunishEndedEvent: battles.battle_punish_ended,
    ev.BattleNoticeEvent: battles.battle_notice,
    ev.BattleItemCardEvent: battles.battle_item_card,
    ev.RankEvent: ranks.rank,
    ev.RankTextEvent: ranks.rank_text,
    ev.RankRewardEvent: ranks.rank_reward,
    ev.GameRankEvent: lambda e, q: text_of(
        e, "WebcastGameRankNotifyMessage", pb.WebcastGameRankNotifyMessage, "notify_text"
    ),
    ev.GoalEvent: ranks.goal,
    ev.MessageDeletedEvent: moderation.message_deleted,
    ev.PinnedEvent: moderation.pinned,
    ev.PollEvent: notices.poll,
    ev.GiftBroadcastEvent: notices.gift_broadcast,
    ev.HashtagEvent: notices.hashtag,
    ev.GuestJoinedEvent: linkmic.guest_joined,
    ev.GuestLeftEvent: linkmic.guest_left,
    ev.LinkEvent: linkmic.link,
    ev.LinkLayerEvent: linkmic.link_layer,
    ev.LinkMicEvent: flat(
        "WebcastLinkMicMethod",
        pb.WebcastLinkMicMethod,
        message_type="message_type",
        channel_id="channel_id",
        user_id="guest_id",
        rival_anchor_id="rival_id",
        fan_ticket="fan_tickets",
        total_linkmic_fan_ticket="total_fan_tickets",
    ),
    ev.LinkMicFanTicketEvent: flat(
        "WebcastLinkMicFanTicketMethod",
        pb.WebcastLinkMicFanTicketMethod,
        **{
            "fan_ticket_room_notice.total_linkmic_fan_ticket": "total_fan_tickets",
            "fan_ticket_room_notice.match_id": "match_id",
        },
    ),
    ev.LinkMicLayoutEvent: flat(
        "WebcastLinkMicLayoutStateMessage",
        pb.WebcastLinkMicLayoutStateMessage,
        channel_id="channel_id",
        scene="scene",
    ),
    ev.LinkStateEvent: flat(
        "WebcastLinkStateMessage",
        pb.WebcastLinkStateMessage,
        channel_id="channel_id",
        scene="scene",
    ),
    ev.UnauthorizedMemberEvent: flat(
        "WebcastUnauthorizedMemberMessage",
        pb.WebcastUnauthorizedMemberMessage,
        action="action",
        nick_name="nickname",
        **{"enter_text.default_pattern": "text"},
    ),
    ev.CaptionEvent: notices.caption,
    ev.InRoomBannerEvent: flat(
        "WebcastInRoomBannerMessage", pb.WebcastInRoomBannerMessage, json_data="data"
    ),
    ev.ShoppingEvent: flat(
        "WebcastOecLiveShoppingMessage",
        pb.WebcastOecLiveShoppingMessage,
        action_type="action_type",
        live_product_number="products",
        **{
            "pop_product.product_id": "product_id",
            "pop_product.title": "product_title",
            "pop_product.price": "price",
        },
    ),
    ev.MessageDetectEvent: flat(
        "WebcastMsgDetectMessage",
        pb.WebcastMsgDetectMessage,
        d_type="detect_type",
        trigger_by="trigger_by",
        from_region="from_region",
    ),
    ev.RoomVerifyEvent: flat(
        "WebcastRoomVerifyMessage",
        pb.WebcastRoomVerifyMessage,
        action="action",
        content="text",
        notice_type="notice_type",
        close_room="close_room",
    ),
    ev.SystemEvent: flat("WebcastSystemMessage", pb.WebcastSystemMessage, message="text"),
    ev.NoticeEvent: flat(
        "WebcastNoticeMessage",
        pb.WebcastNoticeMessage,
        notice_type="notice_type",
        content="text",
        scene="scene",
        **{"title.default_pattern": "title"},
    ),
    ev.ToastEvent: notices.toast,
    ev.GuideEvent: flat(
        "WebcastGuideMessage",
        pb.WebcastGuideMessage,
        guide_type="guide_type",
        gift_id="gift_id",
        description="text",
        scene="scene",
    ),
    ev.BottomMessageEvent: flat(
        "WebcastBottomMessage",
        pb.WebcastBottomMessage,
        content="text",
        duration="duration",
        violation_user_id="violation_user_id",
    ),
    ev.CapsuleEvent: notices.capsule,
    ev.BoostCardEvent: counted(
        "WebcastBoostCardMessage", pb.WebcastBoostCardMessage, "cards", "cards"
    ),
    ev.AccessControlEvent: flat("WebcastAccessControlMessage", pb.WebcastAccessControlMessage),
    ev.AccessRecallEvent: flat(
        "WebcastAccessRecallMessage",
        pb.WebcastAccessRecallMessage,
        status="status",
        scene="scene",
        end_time="end_time",
        **{"content.default_pattern": "text"},
    ),
    ev.GiftRestrictionEvent: flat(
        "WebcastGiftDynamicRestrictionMessage", pb.WebcastGiftDynamicRestrictionMessage
    ),
    ev.GiftPanelUpdateEvent: flat(
        "WebcastGiftPanelUpdateMessage",
        pb.WebcastGiftPanelUpdateMessage,
        timestamp="timestamp",
        room_id="room_id",
    ),
    ev.GiftPromptEvent: flat(
        "WebcastGiftPromptMessage", pb.WebcastGiftPromptMessage, title="title", body="text"
    ),
    ev.LiveGameIntroEvent: flat(
        "WebcastLiveGameIntroMessage",
        pb.WebcastLiveGameIntroMessage,
        has_rank_info="has_rank_info",
        **{"content.default_pattern": "text"},
    ),
    ev.MarqueeEvent: notices.marquee,
    ev.PartnershipDropsEvent: flat(
        "WebcastPartnershipDropsUpdateMessage",
        pb.WebcastPartnershipDropsUpdateMessage,
        change_mode="change_mode",
        drops_id="drops_id",
        task_id="task_id",
        event_id="event_id",
    ),
    ev.PartnershipGameOfflineEvent: counted(
        "WebcastPartnershipGameOfflineMessage",
        pb.WebcastPartnershipGameOfflineMessage,
        "offline_game_list",
        "games",
    ),
    ev.PartnershipPunishEvent: flat(
        "WebcastPartnershipPunishMessage", pb.WebcastPartnershipPunishMessage
    ),
    ev.PerceptionEvent: flat(
        "WebcastPerceptionMessage",
        pb.WebcastPerceptionMessage,
        end_time="end_time",
        show_violation_warning="violation_warning",
        **{"toast.default_pattern": "text"},
    ),
    ev.RoomNotifyEvent: notices.room_notify,
    ev.SpeakerEvent: flat("WebcastSpeakerMessage", pb.WebcastSpeakerMessage),
    ev.SubPinEvent: lambda e, q: (
        "WebcastSubPinEventMessage",
        pb.WebcastSubPinEventMessage(
            common=common(e, "WebcastSubPinEventMessage"),
            action_type=2 if e.action == "unpin" else 1,
            operator_user_id=e.operator_id,
        ),
    ),
    ev.ViewerPicksEvent: flat(
        "WebcastViewerPicksUpdateMessage",
        pb.WebcastViewerPicksUpdateMessage,
        update_type="update_type",
    ),
}

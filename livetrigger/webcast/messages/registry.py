"""Which WebCast method becomes which event, and which code decodes it: the one table.

A method missing here arrives as an ``UnknownEvent`` carrying its raw payload. To decode one
more, write its decoder in the module of its theme (or a new one) and add its line below.
"""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages import battles, gifts, room, social
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
    "WebcastLinkMicBattle": deferred(
        pb.WebcastLinkMicBattle, ev.BattleEvent, battles.battle, "battle"
    ),
    "WebcastLinkMicArmies": deferred(
        pb.WebcastLinkMicArmies, ev.BattlePointsEvent, battles.armies, "battle_points"
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
}

"""Viewers' own messages: chat, likes, joins, follows, shares, subscriptions, questions, emotes."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.simulator.encode.common import Encoded, Quirks, common, user_pb
from livetrigger.webcast._pb import webcast_pb2 as pb


def chat(e: ev.ChatEvent, q: Quirks) -> Encoded:
    method = "WebcastChatMessage"
    chat = pb.WebcastChatMessage(common=common(e, method), user=user_pb(e.user), content=e.text)
    chat.content_language = e.language
    for mention in e.mentions:
        chat.mention_users.append(user_pb(mention))
        chat.mention_user_list.append(mention.id)
    for emote in e.emotes:
        item = chat.emotes.add(index=emote.index or 0)
        item.emote.emote_id = emote.emote_id
        if emote.image_url:
            item.emote.image.url_list.append(emote.image_url)
    return method, chat


def like(e: ev.LikeEvent, q: Quirks) -> Encoded:
    method = "WebcastLikeMessage"
    return method, pb.WebcastLikeMessage(
        common=common(e, method, "pm_mt_msg_viewer", "{0:user} liked the LIVE"),
        user=user_pb(e.user),
        count=e.count,
        total=e.total,
    )


def join(e: ev.JoinEvent, q: Quirks) -> Encoded:
    method = "WebcastMemberMessage"
    return method, pb.WebcastMemberMessage(
        common=common(e, method, "live_room_enter_toast", "{0:user} joined"),
        user=user_pb(e.user),
        member_count=e.viewers,
        action=1,
        client_enter_source="homepage_follow-live_cover",
        client_enter_type="click",
    )


def follow(e: ev.FollowEvent, q: Quirks) -> Encoded:
    method = "WebcastSocialMessage"
    return method, pb.WebcastSocialMessage(
        common=common(e, method, "pm_main_follow_message_viewer_2", "{0:user} followed the host"),
        user=user_pb(e.user),
        action=1,
        follow_count=e.follow_count,
    )


def share(e: ev.ShareEvent, q: Quirks) -> Encoded:
    method = "WebcastSocialMessage"
    return method, pb.WebcastSocialMessage(
        common=common(e, method, "pm_mt_guidance_share", "{0:user} shared the LIVE"),
        user=user_pb(e.user),
        action=3,
        share_type=1,
        share_target=e.share_target,
        share_count=e.share_count,
    )


def social(e: ev.SocialEvent, q: Quirks) -> Encoded:
    method = "WebcastSocialMessage"
    return method, pb.WebcastSocialMessage(
        common=common(e, method, e.display_key, "{0:user}"), user=user_pb(e.user)
    )


def subscribe(e: ev.SubscribeEvent, q: Quirks) -> Encoded:
    method = "WebcastSubNotifyMessage"
    return method, pb.WebcastSubNotifyMessage(
        common=common(e, method), user=user_pb(e.user), sub_month=e.sub_month
    )


def question(e: ev.QuestionEvent, q: Quirks) -> Encoded:
    method = "WebcastQuestionNewMessage"
    question = pb.WebcastQuestionNewMessage(common=common(e, method))
    question.data.question_id = e.question_id
    question.data.content = e.text
    question.data.user.CopyFrom(user_pb(e.user))
    return method, question


def emote(e: ev.EmoteEvent, q: Quirks) -> Encoded:
    method = "WebcastEmoteChatMessage"
    em = pb.WebcastEmoteChatMessage(common=common(e, method), user=user_pb(e.user))
    for emote in e.emotes:
        model = em.emote_list.add(emote_id=emote.emote_id)
        if emote.image_url:
            model.image.url_list.append(emote.image_url)
    return method, em

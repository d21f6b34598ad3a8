"""What one viewer does: chat, emotes, likes, joins, follows and shares, subscriptions,
questions."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.events import Event
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages.common import DecodeContext, common_fields
from livetrigger.webcast.users import convert_user, pick_picture


def chat(
    ctx: DecodeContext, e: ev.ChatEvent, m: pb.ChatView, msg_id: int, at: float, history: bool
) -> None:
    """Fill a chat comment: text, mentions and inline emotes."""
    head = common_fields(m.common, msg_id, at, history)
    users = ctx.users
    ev.ChatEvent.__init__(
        e,
        **head,
        user=users.get(m.user, m.user_identity),
        text=m.content,
        mentions=tuple(users.get(u) for u in m.mention_users) if m.mention_users else (),
        emotes=tuple(
            ev.Emote(
                emote_id=e.emote.emote_id,
                image_url=pick_picture(e.emote.image.url_list),
                index=e.index,
            )
            for e in m.emotes
        )
        if m.emotes
        else (),
        language=m.content_language,
    )


def emote(
    ctx: DecodeContext,
    e: ev.EmoteEvent,
    m: pb.WebcastEmoteChatMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill an emote sent on its own (a subscriber emote, not inside a comment)."""
    head = common_fields(m.common, msg_id, at, history)
    identity = m.user_identity if m.HasField("user_identity") else None
    ev.EmoteEvent.__init__(
        e,
        **head,
        user=convert_user(m.user, identity),
        emotes=tuple(
            ev.Emote(emote_id=e.emote_id, image_url=pick_picture(e.image.url_list))
            for e in m.emote_list
        ),
    )


def like(
    ctx: DecodeContext, e: ev.LikeEvent, m: pb.LikeView, msg_id: int, at: float, history: bool
) -> None:
    """Fill a batch of likes: this viewer's count and the room's total."""
    ev.LikeEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        user=ctx.users.get(m.user),
        count=m.count,
        total=m.total,
    )


def member_kind(m: pb.MemberView) -> type[Event]:
    """A member message is a join (action 0 or 1), else some other social notice."""
    return ev.JoinEvent if m.action in (0, 1) else ev.SocialEvent


def member(
    ctx: DecodeContext, e: Event, m: pb.MemberView, msg_id: int, at: float, history: bool
) -> None:
    """Fill the join or social event ``member_kind`` chose from the same message."""
    head = common_fields(m.common, msg_id, at, history)
    user = ctx.users.get(m.user)
    if isinstance(e, ev.JoinEvent):
        ev.JoinEvent.__init__(
            e,
            **head,
            user=user,
            viewers=m.member_count,
        )
    elif isinstance(e, ev.SocialEvent):
        ev.SocialEvent.__init__(
            e,
            **head,
            user=user,
            display_key=m.common.display_text.key or f"member_action_{m.action}",
        )


def social_kind(m: pb.SocialView) -> type[Event]:
    """A social message is a follow or a share by its display key, else a plain social one."""
    key = m.common.display_text.key
    if "follow" in key:
        return ev.FollowEvent
    if "share" in key:
        return ev.ShareEvent
    return ev.SocialEvent


def social(
    ctx: DecodeContext, e: Event, m: pb.SocialView, msg_id: int, at: float, history: bool
) -> None:
    """Fill the follow, share or social event ``social_kind`` chose from the same message."""
    head = common_fields(m.common, msg_id, at, history)
    user = ctx.users.get(m.user)
    if isinstance(e, ev.FollowEvent):
        ev.FollowEvent.__init__(
            e,
            **head,
            user=user,
            follow_count=m.follow_count,
        )
    elif isinstance(e, ev.ShareEvent):
        ev.ShareEvent.__init__(
            e,
            **head,
            user=user,
            share_target=m.share_target,
            share_count=m.share_count,
        )
    elif isinstance(e, ev.SocialEvent):
        ev.SocialEvent.__init__(
            e,
            **head,
            user=user,
            display_key=m.common.display_text.key,
        )


def subscribe(
    ctx: DecodeContext,
    e: ev.SubscribeEvent,
    m: pb.WebcastSubNotifyMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a subscription, with how many months the viewer has subscribed."""
    ev.SubscribeEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        user=convert_user(m.user),
        sub_month=m.sub_month,
    )


def question(
    ctx: DecodeContext,
    e: ev.QuestionEvent,
    m: pb.WebcastQuestionNewMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a question a viewer asked through the Q&A panel."""
    ev.QuestionEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        user=convert_user(m.data.user),
        question_id=m.data.question_id,
        text=m.data.content,
    )

"""Multi-guest and co-host LIVEs (link-mic): guests joining and leaving, and the link
signals around them."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.events import ANONYMOUS, Event
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages.common import DecodeContext, common_fields
from livetrigger.webcast.users import convert_user

_ENTER, _LEAVE = 6, 7  # LinkMessageType
_LINK_ACTIONS = {
    1: "create",
    2: "close",
    3: "invite",
    4: "apply",
    5: "reply",
    6: "enter",
    7: "leave",
    8: "permit",
    9: "cancel_invite",
    10: "waiting_list_change",
    11: "linked_list_change",
    12: "update_user",
    13: "kick_out",
    14: "cancel_apply",
}
_LAYER_ACTIONS = {
    1: "create",
    2: "invite",
    3: "apply",
    4: "permit",
    5: "reply",
    6: "kick_out",
    7: "cancel_apply",
    8: "cancel_invite",
    9: "leave",
    10: "finish",
    11: "list_change",
    12: "join_direct",
    13: "join_group",
    14: "permit_group",
    15: "cancel_group",
    16: "leave_group",
    17: "p2p_group_change",
    18: "group_change",
}


def link_kind(m: pb.WebcastLinkMessage) -> type[Event]:
    """A guest entering or leaving is its own kind; every other link step is ``link``."""
    if m.message_type == _ENTER or m.HasField("enter_content"):
        return ev.GuestJoinedEvent
    if m.message_type == _LEAVE or m.HasField("leave_content"):
        return ev.GuestLeftEvent
    return ev.LinkEvent


def link(
    ctx: DecodeContext,
    e: Event,
    m: pb.WebcastLinkMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a link step, a guest's arrival (all guests named) or departure."""
    head = common_fields(m.common, msg_id, at, history)
    if isinstance(e, ev.GuestJoinedEvent):
        guests = tuple(convert_user(u.user) for u in m.enter_content.linked_users)
        ev.GuestJoinedEvent.__init__(
            e,
            **head,
            user=guests[0] if guests else ANONYMOUS,
            channel_id=m.linker_id,
            guests=guests,
        )
    elif isinstance(e, ev.GuestLeftEvent):
        leave = m.leave_content
        ev.GuestLeftEvent.__init__(
            e,
            **head,
            user=ev.User(id=leave.user_id) if leave.user_id else ANONYMOUS,
            channel_id=m.linker_id,
            guest_id=leave.user_id,
            reason=leave.leave_reason,
        )
    elif isinstance(e, ev.LinkEvent):
        ev.LinkEvent.__init__(
            e,
            **head,
            action=_LINK_ACTIONS.get(m.message_type, f"type_{m.message_type}"),
            channel_id=m.linker_id,
            scene=m.scene,
        )


def link_layer(
    ctx: DecodeContext,
    e: ev.LinkLayerEvent,
    m: pb.WebcastLinkLayerMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a step of the newer link layer."""
    ev.LinkLayerEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        action=_LAYER_ACTIONS.get(m.message_type, f"type_{m.message_type}"),
        channel_id=m.channel_id,
        scene=m.scene,
    )


def link_mic(
    ctx: DecodeContext,
    e: ev.LinkMicEvent,
    m: pb.WebcastLinkMicMethod,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a co-host signal (fan tickets, the rival host)."""
    ev.LinkMicEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        message_type=m.message_type,
        channel_id=m.channel_id,
        guest_id=m.user_id,
        rival_id=m.rival_anchor_id,
        fan_tickets=m.fan_ticket,
        total_fan_tickets=m.total_linkmic_fan_ticket,
    )


def fan_ticket(
    ctx: DecodeContext,
    e: ev.LinkMicFanTicketEvent,
    m: pb.WebcastLinkMicFanTicketMethod,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill the co-hosts' fan ticket total."""
    notice = m.fan_ticket_room_notice
    ev.LinkMicFanTicketEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        total_fan_tickets=notice.total_linkmic_fan_ticket,
        match_id=notice.match_id,
    )


def layout(
    ctx: DecodeContext,
    e: ev.LinkMicLayoutEvent,
    m: pb.WebcastLinkMicLayoutStateMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a change of the guests' layout."""
    ev.LinkMicLayoutEvent.__init__(
        e, **common_fields(m.common, msg_id, at, history), channel_id=m.channel_id, scene=m.scene
    )


def state(
    ctx: DecodeContext,
    e: ev.LinkStateEvent,
    m: pb.WebcastLinkStateMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a change of the link's state."""
    ev.LinkStateEvent.__init__(
        e, **common_fields(m.common, msg_id, at, history), channel_id=m.channel_id, scene=m.scene
    )

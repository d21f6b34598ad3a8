"""Link-mic: guests joining and leaving, link and layer changes."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.simulator.encode.common import Encoded, Quirks, common, user_pb
from livetrigger.webcast._pb import webcast_pb2 as pb

_LINK_ACTIONS = {
    "create": 1,
    "close": 2,
    "invite": 3,
    "apply": 4,
    "reply": 5,
    "permit": 8,
    "kick_out": 13,
}


def guest_joined(e: ev.GuestJoinedEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkMessage"
    m = pb.WebcastLinkMessage(common=common(e, method), message_type=6, linker_id=e.channel_id)
    for guest in e.guests:
        m.enter_content.linked_users.add(linker_id=e.channel_id).user.CopyFrom(user_pb(guest))
    return method, m


def guest_left(e: ev.GuestLeftEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkMessage"
    m = pb.WebcastLinkMessage(common=common(e, method), message_type=7, linker_id=e.channel_id)
    m.leave_content.user_id = e.guest_id
    m.leave_content.leave_reason = e.reason
    return method, m


def link(e: ev.LinkEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkMessage"
    return method, pb.WebcastLinkMessage(
        common=common(e, method),
        message_type=_LINK_ACTIONS.get(e.action, 0),
        linker_id=e.channel_id,
        scene=e.scene,
    )


_LAYER_ACTIONS = {"create": 1, "invite": 2, "apply": 3, "permit": 4, "leave": 9, "finish": 10}


def link_layer(e: ev.LinkLayerEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkLayerMessage"
    return method, pb.WebcastLinkLayerMessage(
        common=common(e, method),
        message_type=_LAYER_ACTIONS.get(e.action, 11),
        channel_id=e.channel_id,
        scene=e.scene,
    )

"""Decoder: every event kind round-trips through real wire bytes; streaks; de-duplication."""

from __future__ import annotations

import argparse
import base64
import dataclasses
from pathlib import Path

import pytest

from livetrigger import events as ev
from livetrigger.commands import decode as decode_command
from livetrigger.events.kinds import UNKNOWN_METHODS_KEPT, UNKNOWN_OTHERS
from livetrigger.simulator import wire
from livetrigger.webcast import frames
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.decode import CatalogueGift, Decoder

ROOM = 7140000000000000001
T0 = 1_732_406_400_000

ALICE = ev.User(
    id=7_000_000_000_000_000_123,
    unique_id="alice.cooks",
    nickname="Alice 🍰",
    avatar_url=wire.avatar_urls("alice.cooks")[1],
    follow_role=ev.FollowRole.FRIEND,
    is_moderator=True,
    is_subscriber=True,
    top_gifter_rank=2,
    gifter_level=17,
    fan_club_level=6,
)
BOB = ev.User(
    id=7_000_000_000_000_000_456,
    unique_id="bob_the_builder",
    nickname="Bob",
    avatar_url=wire.avatar_urls("bob_the_builder")[1],
    follow_role=ev.FollowRole.FOLLOWER,
    is_new_gifter=True,
)

_ids = iter(range(7_400_000_000_000_000_000, 7_500_000_000_000_000_000))


def base(**kw: object) -> dict[str, object]:
    msg_id = next(_ids)
    return {"room_id": ROOM, "msg_id": msg_id, "create_time": T0 + msg_id % 1000, **kw}


EVERY_KIND: list[ev.Event] = [
    ev.ChatEvent(
        **base(user=ALICE),
        text="!light on please",
        mentions=(BOB,),
        emotes=(ev.Emote(emote_id="7211", image_url="https://cdn.example/e.webp", index=3),),
        language="en",
    ),
    ev.GiftEvent(
        **base(user=BOB),
        gift_id=6064,
        gift_name="GG",
        diamonds=500,
        repeat_count=1,
        streak_id=0,
        streak=ev.StreakState.SINGLE,
        streakable=False,
        total_diamonds=500,
        image_url="https://cdn.example/gg.png",
        to_user=ALICE,
    ),
    ev.LikeEvent(**base(user=BOB), count=15, total=1_015),
    ev.JoinEvent(**base(user=BOB), viewers=321),
    ev.FollowEvent(**base(user=BOB), follow_count=12),
    ev.ShareEvent(**base(user=ALICE), share_target="whatsapp", share_count=3),
    ev.SocialEvent(**base(user=ALICE), display_key="pm_mt_some_other_social"),
    ev.SubscribeEvent(**base(user=ALICE), sub_month=4),
    ev.ViewerCountEvent(
        **base(),
        viewers=1_234,
        total_viewers=9_876,
        top_viewers=(
            ev.TopViewer(user=ALICE, coins=5_000, rank=1),
            ev.TopViewer(user=BOB, coins=10, rank=2),
        ),
    ),
    ev.QuestionEvent(**base(user=BOB), question_id=99, text="What camera is that?"),
    ev.BattleEvent(
        **base(),
        battle_id=555,
        action="started",
        duration=300,
        participants=(
            ev.BattleParticipant(user_id=11, unique_id="host_a", nickname="A", room_id=1),
            ev.BattleParticipant(user_id=22, unique_id="host_b", nickname="B", room_id=2),
        ),
    ),
    ev.BattlePointsEvent(
        **base(),
        battle_id=555,
        reason="score_update",
        scores=(ev.BattleScore(host_id=11, points=120), ev.BattleScore(host_id=22, points=95)),
    ),
    ev.EmoteEvent(**base(user=ALICE), emotes=(ev.Emote(emote_id="e1", image_url="https://x/e1"),)),
    ev.EnvelopeEvent(
        **base(user=ev.User(id=ALICE.id, nickname="Alice 🍰")),
        envelope_id="env-1",
        diamonds=100,
        people=20,
        sender_name="Alice 🍰",
        super_fan_box=True,
    ),
    ev.LiveIntroEvent(**base(user=ALICE), text="Cooking till midnight"),
    ev.RoomMessageEvent(**base(), text="Welcome to the LIVE!"),
    ev.BarrageEvent(
        **base(user=BOB),
        display_key="ttlive_superfan_commentnotif_superfanjoined",
        text="{0:user} became a super fan",
        super_fan=True,
        super_fan_joined=True,
    ),
    ev.StreamPausedEvent(**base()),
    ev.StreamResumedEvent(**base()),
    ev.StreamEndedEvent(**base(), reason=ev.StreamEndReason.MODERATOR),
    # issue 27
    ev.BattleEndedEvent(
        **base(),
        battle_id=555,
        result="won",
        points=300,
        rival_points=120,
        winner_id=11,
        scores=(ev.BattleScore(host_id=11, points=300), ev.BattleScore(host_id=22, points=120)),
    ),
    ev.BattleTaskEvent(
        **base(),
        battle_id=555,
        stage="update",
        progress=40,
        prompt_key="pm_mt_match_speedchallenge",
    ),
    ev.BattlePunishEndedEvent(
        **base(), battle_id=555, reason="cut_short", channel_id=77, operator_id=11
    ),
    ev.BattleNoticeEvent(**base(), notice_type=4, text="Learn to play and win the match!"),
    ev.BattleItemCardEvent(**base(), battle_id=555, card="extra_time"),
    ev.RankEvent(
        **base(),
        rank_type="hourly",
        rank=7,
        score=12_000,
        on_rank=True,
        text="Hourly ranking",
        ranks=(
            ev.RankEntry(rank_type="hourly", rank=7, score=12_000),
            ev.RankEntry(rank_type="weekly", rank=0),
        ),
    ),
    ev.RankTextEvent(
        **base(user=ALICE),
        rank=3,
        scene=1,
        display_key="pm_mt_topviewer_comment",
        text="{0:user} just became a top {1:string} viewer!",
    ),
    ev.RankRewardEvent(**base(), winner_ids=(11, 22), text="The hourly rewards are out"),
    ev.GameRankEvent(**base(), text="Top 10 in Gaming"),
    ev.GoalEvent(
        **base(user=ev.User(id=ALICE.id, unique_id=ALICE.unique_id)),
        goal_id=4242,
        description="New microphone",
        current=80,
        target=100,
        progress=80,
        reached=False,
        source="progress_update",
        contribute_count=5,
        contribute_score=5,
    ),
    ev.MessageDeletedEvent(
        **base(),
        deleted_msg_id=7_400_000_000_000_000_003,
        deleted_user_id=BOB.id,
        deleted_msg_ids=(7_400_000_000_000_000_003,),
        deleted_user_ids=(BOB.id,),
    ),
    ev.PinnedEvent(
        **base(user=ALICE),
        action="pin",
        method="WebcastChatMessage",
        text="giveaway at 9!",
        author=BOB,
        pinned_msg_id=7_400_000_000_000_000_004,
    ),
    ev.PollEvent(
        **base(user=ALICE),
        stage="end",
        poll_id=31,
        title="Next recipe?",
        options=(ev.PollOption(text="Pasta", votes=12), ev.PollOption(text="Curry", votes=7)),
        total_votes=19,
        winner="Pasta",
        end_reason="owner",
    ),
    ev.GiftBroadcastEvent(
        **base(user=BOB),
        gift_id=6038,
        gift_name="TikTok Universe",
        to_user=ALICE,
        display_key="pm_mt_live_gift_platform_announcement",
        text="{0:user} sent {1:gift} to {2:user}",
    ),
    ev.HashtagEvent(
        **base(), hashtag_id=8, title="Outdoors", image_url="https://cdn.example/8Outdoors.png"
    ),
    ev.GuestJoinedEvent(**base(user=BOB), channel_id=77, guests=(BOB,)),
    ev.GuestLeftEvent(**base(user=ev.User(id=BOB.id)), channel_id=77, guest_id=BOB.id, reason=1),
    ev.LinkEvent(**base(), action="close", channel_id=77, scene=2),
    ev.LinkLayerEvent(**base(), action="list_change", channel_id=77, scene=4),
    ev.LinkMicEvent(
        **base(), message_type=8, guest_id=BOB.id, fan_tickets=5_561, total_fan_tickets=5_561
    ),
    ev.LinkMicFanTicketEvent(**base(), total_fan_tickets=900, match_id=5),
    ev.LinkMicLayoutEvent(**base(), channel_id=77, scene=4),
    ev.LinkStateEvent(**base(), channel_id=77, scene=4),
    ev.UnauthorizedMemberEvent(**base(), action=1, nickname="123456", text="{0:user} joined"),
    ev.CaptionEvent(**base(), text="welcome everyone", language="en", duration_ms=1_200),
    ev.InRoomBannerEvent(**base(), data='{"banner": 1}'),
    ev.ShoppingEvent(
        **base(), action_type=1, product_id=99, product_title="Knife", price="$12", products=3
    ),
    ev.MessageDetectEvent(**base(), detect_type=1, trigger_by=2, from_region="US"),
    ev.RoomVerifyEvent(**base(), action=1, text="Verify your account", notice_type=2),
    ev.SystemEvent(**base(), text="Keep the LIVE friendly"),
    ev.NoticeEvent(**base(), notice_type=3, title="Notice", text="Be kind", scene="live"),
    ev.ToastEvent(**base(), text="You are on fire", scene="live", duration_ms=3_000),
    ev.GuideEvent(**base(), guide_type=1, gift_id=5655, text="Send a Rose", scene="live"),
    ev.BottomMessageEvent(**base(), text="Content under review", duration=10),
    ev.CapsuleEvent(**base(), text="Join the team", button_text="Join", scene="live"),
    ev.BoostCardEvent(**base(), cards=2),
    ev.AccessControlEvent(**base()),
    ev.AccessRecallEvent(**base(), status=1, text="Restricted", scene="live", end_time=60),
    ev.GiftRestrictionEvent(**base()),
    ev.GiftPanelUpdateEvent(**base(), timestamp=T0),
    ev.GiftPromptEvent(**base(), title="Take a break", text="You sent many gifts"),
    ev.LiveGameIntroEvent(**base(), text="Playing chess", has_rank_info=True),
    ev.MarqueeEvent(**base(), scene="live", text="Big news"),
    ev.PartnershipDropsEvent(**base(), change_mode=1, drops_id="d1", task_id="t1", event_id="e1"),
    ev.PartnershipGameOfflineEvent(**base(), games=2),
    ev.PartnershipPunishEvent(**base()),
    ev.PerceptionEvent(**base(), text="Possible violation", end_time=30, violation_warning=True),
    ev.RoomNotifyEvent(**base(user=BOB), notify_type=1, text="Bob is here", schema="sslocal://x"),
    ev.SpeakerEvent(**base()),
    ev.SubPinEvent(**base(), action="unpin", operator_id=11),
    ev.ViewerPicksEvent(**base(), update_type=2),
]


def decode_all(
    events: list[ev.Event], decoder: Decoder | None = None, **kw: object
) -> list[ev.Event]:
    decoder = decoder or Decoder()
    inbound = frames.decode_ws_message(wire.frame_of_events(events, **kw))  # type: ignore[arg-type]
    assert inbound is not None
    return decoder.decode_result(inbound.result, 1_732_406_401.5)


@pytest.mark.parametrize("event", EVERY_KIND, ids=lambda e: e.kind)
def test_every_kind_round_trips(event: ev.Event) -> None:
    # a battle's finish is also its battle_ended: each kind holds against its own event
    (got,) = [e for e in decode_all([event]) if e.kind == event.kind]
    assert got == dataclasses.replace(event, received_at=1_732_406_401.5)


def test_every_decoded_kind_is_covered() -> None:
    decoded_kinds = {e.kind for e in EVERY_KIND}
    lifecycle = {"waiting", "live", "connected", "disconnected", "unknown"}
    assert decoded_kinds | lifecycle == set(ev.EVENT_KINDS)


def test_gzip_frames_decode_like_plain_ones() -> None:
    assert decode_all(EVERY_KIND, compress=True) == decode_all(EVERY_KIND)


def test_user_roles_derive_from_badges() -> None:
    (chat,) = decode_all([EVERY_KIND[0]])
    assert chat.user.is_moderator and chat.user.is_subscriber and chat.user.is_friend
    assert (chat.user.gifter_level, chat.user.fan_club_level, chat.user.top_gifter_rank) == (
        17,
        6,
        2,
    )
    assert chat.user.avatar_url.endswith(wire.avatar_urls("alice.cooks")[1][-40:])


def test_user_identity_block_marks_moderator_without_badge() -> None:
    chat = pb.WebcastChatMessage(content="hi")
    chat.common.msg_id = 1
    chat.user.id = 5
    chat.user.nickname = "mod"
    chat.user_identity.is_moderator_of_anchor = True
    chat.user_identity.is_follower_of_anchor = True
    result = pb.ProtoMessageFetchResult()
    result.messages.add(method="WebcastChatMessage", payload=chat.SerializeToString(), msg_id=1)
    (got,) = Decoder().decode_result(result, 0.0)
    assert got.user.is_moderator and got.user.follow_role == ev.FollowRole.FOLLOWER


# -- gift streaks ----------------------------------------------------------------------------


def rose(step: int, *, end: bool = False, user: ev.User = ALICE, group: int = 42) -> ev.GiftEvent:
    return ev.GiftEvent(
        **base(user=user),
        gift_id=5655,
        gift_name="Rose",
        diamonds=1,
        repeat_count=step,
        streak_id=group,
        streak=ev.StreakState.END if end else ev.StreakState.PROGRESS,
        streakable=True,
        total_diamonds=step,
    )


def gifts(events: list[ev.Event]) -> list[tuple[str, int, str]]:
    return [
        (e.user.unique_id, e.repeat_count, e.streak.value)
        for e in events
        if isinstance(e, ev.GiftEvent)
    ]


def test_single_rose_is_start_then_end() -> None:
    assert gifts(decode_all([rose(1), rose(1, end=True)])) == [
        ("alice.cooks", 1, "start"),
        ("alice.cooks", 1, "end"),
    ]


def test_thirty_rose_streak_ends_once_with_final_count() -> None:
    decoder = Decoder()
    seen: list[ev.Event] = []
    for step in range(1, 31):
        seen += decode_all([rose(step)], decoder)
    seen += decode_all([rose(30, end=True)], decoder)
    finals = [e for e in seen if isinstance(e, ev.GiftEvent) and e.is_final]
    assert len(finals) == 1
    assert finals[0].repeat_count == 30 and finals[0].total_diamonds == 30
    assert [e.streak for e in seen[:2]] == [ev.StreakState.START, ev.StreakState.PROGRESS]


def test_two_users_streaking_the_same_gift_stay_apart() -> None:
    frame = [
        rose(1, group=1),
        rose(1, user=BOB, group=2),
        rose(2, group=1),
        rose(2, user=BOB, group=2),
        rose(3, user=BOB, group=2),
        rose(2, end=True, group=1),
        rose(3, user=BOB, end=True, group=2),
    ]
    finals = [g for g in gifts(decode_all(frame)) if g[2] == "end"]
    assert finals == [("alice.cooks", 2, "end"), ("bob_the_builder", 3, "end")]


def test_non_streakable_gift_fires_once_as_single() -> None:
    gg = EVERY_KIND[1]
    assert isinstance(gg, ev.GiftEvent)
    again = dataclasses.replace(gg, msg_id=gg.msg_id + 1, streak_id=77)
    got = decode_all([dataclasses.replace(gg, streak_id=77), again])
    assert [(e.streak, e.total_diamonds) for e in got] == [(ev.StreakState.SINGLE, 500)]


def test_repeated_end_and_late_steps_are_dropped() -> None:
    decoder = Decoder()
    got = decode_all([rose(1), rose(2), rose(2, end=True)], decoder)
    got += decode_all([rose(2, end=True), rose(3)], decoder)  # new msg ids, same streak
    assert [e.streak for e in got] == [
        ev.StreakState.START,
        ev.StreakState.PROGRESS,
        ev.StreakState.END,
    ]
    assert decoder.stats.streak_steps_dropped == 2


def test_repeated_step_under_new_msg_id_is_dropped() -> None:
    got = decode_all([rose(1), rose(2), rose(2), rose(3)])
    assert [e.repeat_count for e in got] == [1, 2, 3]


def test_gift_name_and_value_fill_from_catalogue() -> None:
    decoder = Decoder()
    decoder.gift_catalogue[6064] = CatalogueGift("GG", 500)
    gg = dataclasses.replace(EVERY_KIND[1], gift_name="", diamonds=0)  # type: ignore[type-var]
    (got,) = decode_all([gg], decoder)
    assert isinstance(got, ev.GiftEvent) and (got.gift_name, got.diamonds) == ("GG", 500)


# -- de-duplication and robustness -----------------------------------------------------------


def test_replayed_messages_are_dropped() -> None:
    decoder = Decoder()
    first = decode_all(EVERY_KIND[:5], decoder)
    again = decode_all(EVERY_KIND[:5], decoder)
    assert len(first) == 5 and again == []
    assert decoder.stats.duplicates == 5


def test_dedup_window_is_bounded() -> None:
    decoder = Decoder(dedup_window=3)
    events = [ev.LikeEvent(**base(user=BOB), count=1, total=i) for i in range(5)]
    decode_all(events, decoder)
    assert len(decode_all(events[:1], decoder)) == 1  # forgotten: outside the window
    assert decode_all(events[4:], decoder) == []


def test_undecodable_message_does_not_drop_the_frame() -> None:
    result = wire.fetch_result(
        [
            wire.encode_event(EVERY_KIND[2]),
            wire.WireMessage("WebcastChatMessage", b"\xff\xff\xff", 1),
            wire.encode_event(EVERY_KIND[3]),
        ]
    )
    decoder = Decoder()
    got = decoder.decode_result(result, 0.0)
    assert [e.kind for e in got] == ["like", "unknown", "join"]
    assert isinstance(got[1], ev.UnknownEvent) and got[1].error
    assert decoder.stats.failed == 1


def test_unknown_method_becomes_unknown_event() -> None:
    result = wire.fetch_result([wire.WireMessage("WebcastBrandNewMessage", b"\x08\x01", 5)])
    decoder = Decoder()
    (got,) = decoder.decode_result(result, 0.0)
    assert isinstance(got, ev.UnknownEvent) and got.method == "WebcastBrandNewMessage"
    assert got.payload == b"\x08\x01" and decoder.stats.unknown == 1


def test_unknowns_are_counted_by_method_within_bounds() -> None:
    names = ["WebcastNewA", "WebcastNewB", "WebcastNewA", "x" * 500]
    names += [f"Webcast{i}" for i in range(UNKNOWN_METHODS_KEPT)]
    result = wire.fetch_result([wire.WireMessage(n, b"", 0) for n in names])
    decoder = Decoder()
    decoder.decode_result(result, 0.0)
    by = decoder.stats.unknown_by_method
    assert (by["WebcastNewA"], by["WebcastNewB"], by["x" * 80]) == (2, 1, 1)
    assert len(by) == UNKNOWN_METHODS_KEPT + 1 and by[UNKNOWN_OTHERS] == 3
    assert sum(by.values()) == decoder.stats.unknown == len(names)


def test_corrupt_user_blob_keeps_the_event() -> None:
    like = pb.LikeView(count=3, total=10, user=b"\x0a\xff")
    result = pb.ProtoMessageFetchResult()
    result.messages.add(method="WebcastLikeMessage", payload=like.SerializeToString(), msg_id=3)
    decoder = Decoder()
    (got,) = decoder.decode_result(result, 0.0)
    assert isinstance(got, ev.LikeEvent) and got.total == 10 and got.user == ev.ANONYMOUS
    assert decoder.users.corrupt == 1


def test_skipped_kinds_are_not_decoded() -> None:
    decoder = Decoder(skip_kinds={"chat", "like"})
    got = decode_all(EVERY_KIND[:4], decoder)
    assert [e.kind for e in got] == ["gift", "join"]


def test_decode_command_counts_unknowns_by_method(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = wire.frame_of_events(
        [
            ev.UnknownEvent(msg_id=1, method="WebcastBrandNewMessage"),
            ev.UnknownEvent(msg_id=2, method="WebcastBrandNewMessage"),
            ev.UnknownEvent(msg_id=3, method="WebcastOtherMessage"),
            EVERY_KIND[2],
        ]
    )
    path = tmp_path / "frames.txt"
    path.write_text(base64.b64encode(frame).decode() + "\n")
    assert decode_command.run(argparse.Namespace(file=str(path), raw=True)) == 0
    err = capsys.readouterr().err
    assert "unknown by method: WebcastBrandNewMessage 2, WebcastOtherMessage 1" in err

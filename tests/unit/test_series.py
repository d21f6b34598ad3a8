"""The dashboard's stream over time (livetrigger/web/series.py): 10 s buckets of the session,
bounded in time, rules and latencies; a new session starts a new chart; a snapshot restores."""

from __future__ import annotations

import json

import pytest

from livetrigger import events as ev
from livetrigger.daemon.latency import LatencyStats
from livetrigger.web.series import MAX_LATENCIES, MAX_RULES, STEP, RoomSeries, Series

T0 = 1_700_000_000.0  # a multiple of STEP
ROOM_ID = 7001


def live(room_id: int = ROOM_ID) -> ev.LiveStartedEvent:
    return ev.LiveStartedEvent(room_id=room_id, unique_id="demo")


def gift(diamonds: int, streak: ev.StreakState = ev.StreakState.SINGLE) -> ev.GiftEvent:
    return ev.GiftEvent(room_id=ROOM_ID, diamonds=diamonds, total_diamonds=diamonds, streak=streak)


def test_events_are_counted_into_10_s_buckets() -> None:
    s = RoomSeries()
    s.on_event(live(), T0)
    s.on_event(gift(100), T0 + 1)
    s.on_event(gift(5, ev.StreakState.START), T0 + 2)  # a streak counts once, at its end
    s.on_event(gift(50, ev.StreakState.END), T0 + 9.9)
    s.on_event(ev.LikeEvent(room_id=ROOM_ID, count=15, total=15), T0 + 3)
    s.on_event(ev.ViewerCountEvent(room_id=ROOM_ID, viewers=40), T0 + 4)
    s.on_event(ev.ViewerCountEvent(room_id=ROOM_ID, viewers=42), T0 + 8)
    s.on_event(ev.JoinEvent(room_id=ROOM_ID), T0 + 9)  # a join without the count says nothing
    s.on_event(ev.JoinEvent(room_id=ROOM_ID, viewers=43), T0 + 19)
    s.on_event(ev.LikeEvent(room_id=ROOM_ID, count=5, total=20), T0 + 10)
    s.on_event(ev.GiftEvent(room_id=ROOM_ID, total_diamonds=9, is_history=True), T0 + 11)
    s.on_event(ev.ChatEvent(room_id=ROOM_ID, text="hi"), T0 + 35)  # counts nothing
    rows = [(b["t"] - T0, b["diamonds"], b["likes"], b["viewers"]) for b in s.as_dict()["buckets"]]
    assert rows == [(0, 150, 15, 42), (10, 0, 5, 43)]
    assert s.as_dict()["session"] == ROOM_ID and s.as_dict()["start"] == T0


def test_firings_are_marked_with_their_rule_and_bounded_per_bucket() -> None:
    series = Series()
    series.on_event("r", live(), T0)
    for _ in range(2):
        series.fired("r", gift(100), "big_gift", T0 + 3)
    series.fired("r", gift(1), "any_gift", T0 + 14)
    for i in range(MAX_RULES + 5):
        series.fired("r", gift(1), f"rule_{i}", T0 + 25)
    buckets = series.as_dict(T0 + 30)["rooms"]["r"]["buckets"]
    assert [b["fired"] for b in buckets[:2]] == [{"big_gift": 2}, {"any_gift": 1}]
    assert len(buckets[2]["fired"]) == MAX_RULES and buckets[2]["other"] == 5


def test_a_rule_on_live_fires_before_its_event_is_counted_and_is_kept() -> None:
    """on_firing comes before on_event for an event nothing holds: the firing of a rule on
    ``live`` belongs to the session the event begins."""
    series = Series()
    series.on_event("r", live(1), T0)
    series.on_event("r", gift(10), T0 + 1)
    series.fired("r", live(2), "hello", T0 + 100)
    series.on_event("r", live(2), T0 + 100)
    room = series.as_dict(T0 + 101)["rooms"]["r"]
    assert room["session"] == 2 and [b["fired"] for b in room["buckets"]] == [{"hello": 1}]


def test_the_series_keeps_only_the_newest_span() -> None:
    s = RoomSeries(step=STEP, span=60 * STEP)
    s.on_event(live(), T0)
    for i in range(200):
        s.on_event(ev.LikeEvent(room_id=ROOM_ID, count=1), T0 + i * STEP)
    buckets = s.as_dict()["buckets"]
    assert len(buckets) == 60 and buckets[0]["t"] == T0 + 140 * STEP
    # a quiet hour drops every bucket older than the span, not just the count's excess
    s.on_event(ev.LikeEvent(room_id=ROOM_ID, count=1), T0 + 300 * STEP)
    assert [b["t"] for b in s.as_dict()["buckets"]] == [T0 + 300 * STEP]


def test_a_wall_clock_stepped_back_never_runs_the_timeline_back() -> None:
    s = RoomSeries()
    s.on_event(live(), T0 + 100)
    s.on_event(gift(1), T0 + 100)
    s.on_event(gift(2), T0 + 20)  # NTP stepped the clock back
    assert [(b["t"], b["diamonds"]) for b in s.as_dict()["buckets"]] == [(T0 + 100, 3)]


def test_a_new_session_starts_a_new_chart_and_an_ended_one_stays() -> None:
    s = RoomSeries()
    s.on_event(live(1), T0)
    s.on_event(gift(10), T0 + 1)
    s.on_event(live(1), T0 + 2)  # the same session announced again: nothing lost
    assert s.as_dict()["buckets"][0]["diamonds"] == 10
    s.on_event(ev.StreamEndedEvent(room_id=1), T0 + 50)
    s.on_event(gift(10), T0 + 51)  # nothing counts after the end
    s.latencies([3.0], T0 + 52)
    done = s.as_dict()
    assert done["ended"] == T0 + 50 and len(done["buckets"]) == 1
    s.on_event(live(2), T0 + 500)
    assert s.as_dict() == {"session": 2, "start": T0 + 500, "ended": None, "buckets": []}


def test_a_room_met_mid_session_begins_at_connected_and_a_stale_chart_goes() -> None:
    s = RoomSeries()
    s.on_event(ev.ViewerCountEvent(room_id=ROOM_ID, viewers=3), T0)  # no session: not counted
    s.on_event(ev.ConnectedEvent(room_id=ROOM_ID), T0 + 1)
    s.on_event(ev.ViewerCountEvent(room_id=ROOM_ID, viewers=4), T0 + 2)
    s.on_event(ev.ConnectedEvent(room_id=ROOM_ID), T0 + 30)  # a reconnect: the same session
    assert s.session == ROOM_ID and [b["viewers"] for b in s.as_dict()["buckets"]] == [4]
    # a battle's message may name the other room: it begins nothing
    s.on_event(ev.BattlePointsEvent(room_id=ROOM_ID + 1), T0 + 31)
    assert s.session == ROOM_ID
    # restored from a session that ended while the daemon was down: the next one replaces it
    s.on_event(ev.ConnectedEvent(room_id=ROOM_ID + 2), T0 + 900)
    assert s.session == ROOM_ID + 2 and s.as_dict()["buckets"] == []


def test_latency_p50_p99_per_bucket_from_the_daemons_stats() -> None:
    stats = LatencyStats()
    series = Series()
    series.on_event("a", live(1), T0)
    series.on_event("b", live(2), T0)
    series.room("idle")  # not live: no session, no latency
    seen = 0
    for i in range(100):
        stats.add((i + 1) / 1000)  # 1..100 ms
    series.latencies(stats.since(seen), T0 + 1)
    seen = stats.count
    assert stats.since(seen) == []
    stats.add(0.5)
    series.latencies(stats.since(seen), T0 + 12)
    rooms = series.as_dict(T0 + 13)["rooms"]
    for name in ("a", "b"):
        first, second = rooms[name]["buckets"]
        assert (first["actions"], first["p50"], first["p99"]) == (100, 51.0, 100.0)
        assert (second["actions"], second["p50"], second["p99"]) == (1, 500.0, 500.0)
    assert rooms["idle"]["buckets"] == []
    big = RoomSeries()
    big.on_event(live(), T0)
    big.latencies([1.0] * (MAX_LATENCIES + 10) + [9.0] * 10, T0)
    bucket = big.as_dict()["buckets"][0]
    assert bucket["actions"] == MAX_LATENCIES + 20 and bucket["p99"] == 9.0


def test_latency_since_a_count_the_window_no_longer_holds() -> None:
    stats = LatencyStats(window=5)
    for i in range(8):
        stats.add(i / 1000)
    assert stats.since(0) == [3.0, 4.0, 5.0, 6.0, 7.0]  # what the window still holds
    assert stats.since(6) == [6.0, 7.0]


def test_updates_carry_what_changed_since_the_last_push() -> None:
    series = Series()
    series.room("quiet")
    assert series.updates(T0) == []
    series.on_event("r", live(), T0)
    series.on_event("r", gift(10), T0 + 1)
    (first,) = series.updates(T0 + 1)
    assert first["room"] == "r" and first["session"] == ROOM_ID
    assert [b["diamonds"] for b in first["buckets"]] == [10]
    assert series.updates(T0 + 2) == []
    series.on_event("r", gift(1), T0 + 9)
    series.fired("r", gift(1), "big_gift", T0 + 11)  # crosses into the next bucket
    (second,) = series.updates(T0 + 12)
    assert [(b["diamonds"], b["fired"]) for b in second["buckets"]] == [
        (11, {}),
        (0, {"big_gift": 1}),
    ]
    series.on_event("r", ev.StreamEndedEvent(room_id=ROOM_ID), T0 + 20)
    (ended,) = series.updates(T0 + 21)
    assert ended["ended"] == T0 + 20 and ended["buckets"] == []


def test_a_snapshot_restores_the_session_through_json() -> None:
    s = RoomSeries()
    assert s.snapshot() is None  # no session: nothing to keep
    s.on_event(live(), T0)
    s.on_event(gift(100), T0 + 1)
    s.fired("big_gift", T0 + 1)
    s.on_event(ev.ViewerCountEvent(room_id=ROOM_ID, viewers=12), T0 + 25)
    s.latencies([2.0, 4.0], T0 + 26)
    again = RoomSeries()
    again.restore(json.loads(json.dumps(s.snapshot())))
    assert again.as_dict() == s.as_dict()
    again.on_event(gift(1), T0 + 27)  # the session goes on where it was
    assert again.as_dict()["buckets"][-1]["diamonds"] == 1
    assert len(again.as_dict()["buckets"]) == 2


@pytest.mark.parametrize(
    "damage",
    [
        {"version": 2},
        {"step": 60.0},
        {"session": "x"},
        {"likes": {}},
        {"likes": [1, 2]},  # a column shorter than the others
        {"viewers": ["many"]},
        {"fired": [[0, ["not", "a", "map"], 0]]},
        {"fired": [[5, {"r": 1}, 0]]},
        {"fired": [[-1, {"r": 1}, 0]]},
        {
            "at": [T0 // STEP + 1, T0 // STEP],
            "diamonds": [0, 0],
            "likes": [0, 0],
            "viewers": [None, None],
            "actions": [0, 0],
            "p50_us": [None, None],
            "p99_us": [None, None],
            "fired": [],
        },
    ],
)
def test_a_damaged_snapshot_is_a_value_error_and_changes_nothing(damage: dict[str, object]) -> None:
    s = RoomSeries()
    s.on_event(live(), T0)
    s.on_event(gift(100), T0 + 1)
    saved = s.snapshot()
    assert saved is not None
    fresh = RoomSeries()
    with pytest.raises(ValueError):
        fresh.restore({**saved, **damage})
    assert fresh.session is None and not fresh.buckets

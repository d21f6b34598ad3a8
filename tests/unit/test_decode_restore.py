"""The decoder's dedupe window across a restart: ``Decoder.snapshot`` and ``restore`` (pure,
through a JSON round trip, as the state directory stores it)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from livetrigger import events as ev
from livetrigger.simulator import wire
from livetrigger.webcast.decode import HORIZON_MS, PERSISTED_IDS, Decoder

ROOM = 7140000000000000001
FIRST_ID = 7_400_000_000_000_000_000


def likes(ids: range | list[int]) -> list[wire.WireMessage]:
    return [
        wire.encode_event(ev.LikeEvent(room_id=ROOM, msg_id=i, user=ev.User(id=1), count=1))
        for i in ids
    ]


def decoded(decoder: Decoder, ids: range | list[int]) -> list[int]:
    """The ids of ``ids`` the decoder lets through (the others it drops as repeats)."""
    got = decoder.decode_result(wire.fetch_result(likes(ids)), 1_732_406_401.5)
    return [e.msg_id for e in got]


def saved(decoder: Decoder) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(decoder.snapshot()))
    return data


def ids(n: int, start: int = 0) -> list[int]:
    return list(range(FIRST_ID + start, FIRST_ID + start + n))


def test_what_the_previous_process_took_is_a_repeat_after_restore() -> None:
    before = Decoder()
    taken = ids(10)
    assert decoded(before, taken) == taken
    after = Decoder()
    after.restore(saved(before))
    assert decoded(after, taken) == []
    assert after.stats.duplicates == 10
    assert decoded(after, ids(2, start=10)) == ids(2, start=10)  # new ones still pass


def test_only_the_newest_ids_are_kept_and_the_oldest_leaves_first() -> None:
    before = Decoder()
    seen = ids(PERSISTED_IDS + 100)
    decoded(before, seen)
    data = saved(before)
    assert data["seen"] == seen[100:]  # bounded, newest kept, in the order they came
    # a window just the size of what was kept: each new id pushes out the oldest restored one
    after = Decoder(dedup_window=PERSISTED_IDS)
    after.restore(data)
    assert decoded(after, seen[:100]) == seen[:100]  # older than the saved window: forgotten
    # those 100 pushed out the 100 oldest restored; the newest restored are still repeats
    assert decoded(after, seen[-10:]) == []
    assert decoded(after, seen[100:101]) == seen[100:101]


def test_a_smaller_window_keeps_the_newest_of_the_saved_ids() -> None:
    before = Decoder()
    seen = ids(10)
    decoded(before, seen)
    after = Decoder(dedup_window=3)
    after.restore(saved(before))
    assert decoded(after, seen[-3:]) == []
    assert decoded(after, seen[:1]) == seen[:1]


def test_restore_merges_with_ids_already_seen_without_counting_one_twice() -> None:
    before = Decoder()
    decoded(before, ids(5))
    after = Decoder(dedup_window=6)
    decoded(after, ids(2, start=3))  # ids 3 and 4: in the saved window too
    after.restore(saved(before))
    window = saved(after)["seen"]
    assert sorted(window) == ids(5) and len(window) == len(set(window))
    # six places, five ids: one more fits before anything is forgotten
    decoded(after, ids(1, start=5))
    assert decoded(after, ids(6)) == []


def test_a_restored_window_saves_again_unchanged() -> None:
    before = Decoder()
    decoded(before, ids(50))
    data = saved(before)
    after = Decoder()
    after.restore(data)
    assert saved(after)["seen"] == data["seen"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"version": 99}, "version"),
        ({"seen": ["not an id"]}, "damaged"),
        ({"seen": None}, "damaged"),
        ({"streaks": [[1, 2, 3]]}, "damaged"),
    ],
)
def test_a_foreign_or_damaged_snapshot_restores_nothing(change: dict[str, Any], why: str) -> None:
    before = Decoder()
    taken = ids(5)
    decoded(before, taken)
    data = {**saved(before), **change}
    after = Decoder()
    with pytest.raises(ValueError, match=why):
        after.restore(data)
    assert decoded(after, taken) == taken  # all or nothing: no half-restored window


# -- the horizon: what a SIGKILL's next process may take as new ---------------------------------

T0 = 1_732_406_400_000  # server ms


def at(times: list[int], start: int = 0) -> Any:
    """A fetch result of likes created at ``T0 + t`` ms, with ids from ``start``."""
    return wire.fetch_result(
        [
            wire.encode_event(
                ev.LikeEvent(
                    room_id=ROOM,
                    msg_id=FIRST_ID + start + i,
                    create_time=T0 + t,
                    user=ev.User(id=1),
                    count=1,
                )
            )
            for i, t in enumerate(times)
        ]
    )


def live(decoder: Decoder, result: Any) -> list[ev.Event]:
    decoder.note_live(ROOM, result)
    return decoder.decode_result(result, 1.0)


def test_only_a_snapshot_on_disk_lets_messages_beyond_the_horizon_through() -> None:
    d = Decoder()
    assert d.must_save_first(ROOM, at([0]))  # nothing on disk vouches for anything yet
    live(d, at([0]))
    snap = saved(d)
    assert snap["horizon"] == T0 + HORIZON_MS
    assert d.must_save_first(ROOM, at([10], start=1))  # taken, but not yet written
    d.saved(snap)
    assert not d.must_save_first(ROOM, at([10, HORIZON_MS], start=1))
    assert d.must_save_first(ROOM, at([HORIZON_MS + 1], start=1))
    # what a save must cover goes into the next snapshot even before it is decoded
    assert saved(d)["horizon"] == T0 + 2 * HORIZON_MS + 1
    assert not d.must_save_first(ROOM + 1, at([0]), initial=True)  # another room: history


def test_after_an_unclean_stop_only_what_is_beyond_the_saved_horizon_is_new() -> None:
    before = Decoder()
    live(before, at([0, 100]))
    snap = saved(before)
    before.saved(snap)
    after = Decoder()
    after.restore(json.loads(json.dumps(snap)))
    after.after_unclean_stop()
    # the next start's first fetch: what the first process fired (ids 0, 1), what it may
    # have fired after its last write (inside the horizon) and what came after the kill
    fetch = at([0, 100, 600, HORIZON_MS + 100, HORIZON_MS + 101, HORIZON_MS + 500])
    assert after.mark_initial(ROOM, fetch) == 2
    got = after.decode_result(fetch, 2.0)
    assert [(e.msg_id - FIRST_ID, e.is_history) for e in got] == [
        (2, True),
        (3, True),
        (4, False),
        (5, False),
    ]


def test_a_state_from_before_the_horizon_trusts_nothing_after_an_unclean_stop() -> None:
    before = Decoder()
    live(before, at([0]))
    snap = saved(before)
    del snap["horizon"]
    after = Decoder()
    after.restore(snap)
    after.after_unclean_stop()
    fetch = at([0, 5_000, 10_000])
    assert after.mark_initial(ROOM, fetch) == 0


def test_a_gap_message_older_than_the_outbox_age_limit_is_history() -> None:
    # as a trigger that old is not sent: last night's gift does not flash the lamp this morning
    d = Decoder()
    d.gap_max_age = 600.0
    live(d, at([0]))
    fetch = at([1, 2, 3_000_000], start=1)
    fetch.now = T0 + 601_000  # server time of the fetch: the first two are over 600 s old
    assert d.mark_initial(ROOM, fetch) == 1
    assert d.gap_too_old == 2
    assert [e.is_history for e in d.decode_result(fetch, 2.0)] == [True, True, False]

"""The decoder's dedupe window across a restart: ``Decoder.snapshot`` and ``restore`` (pure,
through a JSON round trip, as the state directory stores it)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from livetrigger import events as ev
from livetrigger.simulator import wire
from livetrigger.webcast.decode import PERSISTED_IDS, Decoder

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

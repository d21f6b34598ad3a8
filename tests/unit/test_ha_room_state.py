"""Home Assistant's per-room figures across a daemon restart (pure: RoomState's snapshot)."""

from __future__ import annotations

import pytest

from livetrigger.homeassistant.state import RoomState


def test_room_figures_go_on_from_the_previous_process() -> None:
    first = RoomState()
    first.set_figures({"rules_fired": 7, "reconnects": 2})
    second = RoomState()
    second.restore(first.snapshot())
    # before the new process has counted anything, HA sees what it saw, not unknown or 0
    assert second.document()["rules_fired"] == 7 and second.document()["reconnects"] == 2
    second.set_figures({"rules_fired": 0, "reconnects": 0})  # the new process's own counts
    assert (second.document()["rules_fired"], second.document()["reconnects"]) == (7, 2)
    second.set_figures({"rules_fired": 3, "reconnects": 1})
    assert (second.document()["rules_fired"], second.document()["reconnects"]) == (10, 3)
    third = RoomState()
    third.restore(second.snapshot())  # a second restart carries the sum
    third.set_figures({"rules_fired": 1, "reconnects": 0})
    assert (third.document()["rules_fired"], third.document()["reconnects"]) == (11, 3)
    assert isinstance(third.document()["rules_fired"], int)  # "11" in HA, not "11.0"


def test_a_snapshot_without_figures_starts_them_at_zero() -> None:
    old = RoomState().snapshot()
    del old["figures"]  # written by a version that did not keep them
    state = RoomState()
    state.restore(old)
    assert state.document()["rules_fired"] is None  # unknown until the daemon counts
    state.set_figures({"rules_fired": 2, "reconnects": 0})
    assert state.document()["rules_fired"] == 2


@pytest.mark.parametrize("figures", [{"rules_fired": -1}, {"rules_fired": "x"}, ["a"]])
def test_foreign_figures_are_refused(figures: object) -> None:
    snap = RoomState().snapshot()
    snap["figures"] = figures
    with pytest.raises(ValueError, match="damaged"):
        RoomState().restore(snap)

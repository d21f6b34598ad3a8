"""Show files for the fake room."""

from __future__ import annotations

from pathlib import Path

import pytest

from livetrigger import events as ev
from livetrigger.errors import ConfigError
from livetrigger.simulator.shows import load_show, parse_show

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "livetrigger"
    / "simulator"
    / "examples"
    / "small-show.yaml"
)


def test_example_show_loads_and_expands_streaks() -> None:
    steps = load_show(EXAMPLE)
    gifts = [e for _, e in steps if isinstance(e, ev.GiftEvent)]
    roses = [g for g in gifts if g.gift_name == "Rose"]
    assert [g.streak for g in roses][-2:] == [ev.StreakState.PROGRESS, ev.StreakState.END]
    assert roses[-1].repeat_count == 12 and len({g.streak_id for g in roses}) == 1
    galaxy = next(g for g in gifts if g.gift_name == "Galaxy")
    assert galaxy.total_diamonds == 500 and galaxy.streak == ev.StreakState.SINGLE
    assert steps[-1] == (1.0, "end_stream")


def test_every_problem_is_reported_with_its_step() -> None:
    with pytest.raises(ConfigError) as info:
        parse_show(
            {"steps": [{"chat": {"user": "ghost", "text": "x"}}, {"dance": {}}, {"do": "explode"}]}
        )
    joined = "\n".join(info.value.problems)
    assert "steps[0]" in joined and "unknown user 'ghost'" in joined
    assert "steps[1]" in joined and "steps[2]" in joined

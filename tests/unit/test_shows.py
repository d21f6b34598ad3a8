"""Show files for the fake room."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from livetrigger import events as ev
from livetrigger.errors import ConfigError
from livetrigger.simulator import wire
from livetrigger.simulator.room_state import MessageLog
from livetrigger.simulator.shows import load_show, parse_show
from livetrigger.webcast import frames
from livetrigger.webcast.decode import Decoder

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


def test_a_show_scripts_a_won_battle_a_rank_climb_a_goal_and_a_deleted_comment() -> None:
    steps = parse_show(
        {
            "users": {"leo": {}},
            "steps": [
                {"chat": {"user": "leo", "text": "spam"}},
                {"delete": {"user": "leo"}},
                {"battle": {"rival": "rival_host", "points": [[10, 5], [120, 90]]}},
                {"rank": {"rank": 12}},
                {"rank": {"rank": 3, "type": "weekly"}},
                {"goal": {"current": 50, "target": 100}},
                {"goal": {"current": 100, "target": 100, "user": "leo"}},
            ],
        }
    )
    log = MessageLog((), recent_limit=0, bare_gifts=False)
    room = 7_140_000_000_000_000_009
    sent = [log.stamp(e, room) for _, e in steps if isinstance(e, ev.Event)]
    inbound = frames.decode_ws_message(wire.frame_of_events(sent))
    assert inbound is not None
    got = Decoder().decode_result(inbound.result, 0.0)
    chat = next(e for e in got if isinstance(e, ev.ChatEvent))
    deleted = next(e for e in got if isinstance(e, ev.MessageDeletedEvent))
    assert deleted.deleted_msg_id == chat.msg_id
    assert [(e.points, e.rival_points) for e in got if isinstance(e, ev.BattlePointsEvent)] == [
        (10, 5),
        (120, 90),
    ]
    ended = next(e for e in got if isinstance(e, ev.BattleEndedEvent))
    assert (ended.result, ended.points, ended.rival_points) == ("won", 120, 90)
    assert [(e.rank_type, e.rank) for e in got if isinstance(e, ev.RankEvent)] == [
        ("hourly", 12),
        ("weekly", 3),
    ]
    goals = [(e.progress, e.reached) for e in got if isinstance(e, ev.GoalEvent)]
    assert goals == [(50, False), (100, True)]


def test_a_battle_result_must_be_won_lost_or_draw() -> None:
    with pytest.raises(ConfigError) as info:
        parse_show({"steps": [{"battle": {"points": [[1, 2]], "result": "maybe"}}]})
    assert "won, lost or draw" in "\n".join(info.value.problems)


@pytest.mark.parametrize(
    "data",
    [[{"at": "0s", "gift": "Rose", "count": 5}], {"users": {}}, {"steps": "gift"}],
    ids=["simulate's list", "no steps", "steps not a list"],
)
def test_a_show_without_steps_points_to_the_doc_with_an_example(data: object) -> None:
    """`--show` given simulate's --events list (or no steps) says where the format is and
    shows a short show, one that itself plays."""
    with pytest.raises(ConfigError) as info:
        parse_show(data, "show.yaml")
    text = "\n".join((str(info.value), *info.value.problems))
    assert "docs/fake-room.md" in text, text
    assert ("simulate" in text) == isinstance(data, list), text
    example = textwrap.dedent("\n".join(p for p in info.value.problems if p.startswith(" ")))
    assert example.startswith("steps:") and len(example.splitlines()) == 2, example
    assert any(isinstance(e, ev.GiftEvent) for _, e in parse_show(yaml.safe_load(example)))

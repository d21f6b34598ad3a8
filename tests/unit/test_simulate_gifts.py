"""``livetrigger simulate ... gift --gift NAME`` prices a gift as the fake room does: the
demo, fake-room and ``info`` serve one gift list, and simulate reads the same one, so a rule
tried with simulate sees the diamonds the demo sends."""

from __future__ import annotations

import argparse

import pytest

from livetrigger import events as ev
from livetrigger.cli import build_parser
from livetrigger.commands.simulate import build_event
from livetrigger.simulator.demo_show import demo_show
from livetrigger.simulator.gifts import GIFTS


def simulated(*argv: str) -> ev.GiftEvent:
    full = ["simulate", "gift", *argv]
    args: argparse.Namespace = build_parser(full).parse_args(full)
    event = build_event(args, 0.0)
    assert isinstance(event, ev.GiftEvent)
    return event


def test_the_galaxy_of_simulate_is_the_demos() -> None:
    shown = next(
        e for _, e in demo_show() if isinstance(e, ev.GiftEvent) and e.gift_name == "Galaxy"
    )
    galaxy = simulated("--gift", "Galaxy")
    assert (galaxy.gift_id, galaxy.diamonds, galaxy.total_diamonds) == (
        shown.gift_id,
        shown.diamonds,
        shown.total_diamonds,
    )


@pytest.mark.parametrize("gift", GIFTS, ids=lambda g: str(g["name"]))
def test_every_gift_the_fake_room_serves_is_priced_alike(gift: dict[str, object]) -> None:
    event = simulated("--gift", str(gift["name"]).upper(), "--count", "3")
    assert (event.gift_id, event.diamonds) == (gift["id"], gift["diamond_count"])
    assert event.total_diamonds == 3 * int(str(gift["diamond_count"]))


def test_an_unknown_gift_takes_what_the_command_line_says() -> None:
    event = simulated("--gift", "Teddy", "--gift-id", "42", "--diamonds", "7", "--count", "2")
    assert (event.gift_id, event.diamonds, event.total_diamonds) == (42, 7, 14)

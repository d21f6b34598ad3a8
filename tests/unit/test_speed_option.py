"""``--speed`` of demo, fake-room and replay: one check, at the command line. A speed that is
not a positive number is a usage error (exit 2) that says so, never a ZeroDivisionError once
the show starts, nor a show played all at once."""

from __future__ import annotations

import pytest

from livetrigger.cli import build_parser

COMMANDS = [["demo"], ["fake-room"], ["replay", "capture.bin"]]
BAD = ["0", "-1", "0x", "nan", "inf", "fast"]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("speed", BAD)
def test_a_speed_that_is_not_positive_is_a_usage_error(
    command: list[str], speed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*command, "--speed", speed]
    with pytest.raises(SystemExit) as stopped:
        build_parser(argv).parse_args(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"livetrigger {command[0]}: error: argument --speed:" in err
    assert "speed is a positive number" in err, err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(("speed", "value"), [("2", 2.0), ("0.25", 0.25), ("10x", 10.0)])
def test_a_positive_speed_is_taken(command: list[str], speed: str, value: float) -> None:
    argv = [*command, "--speed", speed]
    assert build_parser(argv).parse_args(argv).speed == value


def test_replay_still_plays_at_most_speed() -> None:
    argv = ["replay", "capture.bin", "--speed", "max"]
    assert build_parser(argv).parse_args(argv).speed is None

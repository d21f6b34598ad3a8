"""docs/cli.md cannot go stale: every command and every option the command line knows is on
it, and README points to it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from livetrigger.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()  # no argv: every command fully registered
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_command_has_a_section() -> None:
    assert set(subcommands()) == set(COMMANDS)
    for name in COMMANDS:
        assert f"`{name}`" in CLI_DOC, f"docs/cli.md does not name the command {name!r}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_and_argument_is_on_the_page(name: str) -> None:
    parser = subcommands()[name]
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            names = [o for o in action.option_strings if o.startswith("--")] or list(
                action.option_strings
            )
        else:
            names = [action.dest]  # a positional argument: its name in the usage line
        missing += [n for n in names if f"`{n}`" not in CLI_DOC and f"`{n} " not in CLI_DOC]
    assert not missing, f"docs/cli.md does not mention {name}'s {missing}"


def test_readme_and_the_cli_docstring_point_to_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`docs/cli.md`" in readme and "`docs/fake-room.md`" in readme
    assert len(readme.splitlines()) <= 160
    assert "docs/cli.md" in (ROOT / "livetrigger" / "cli.py").read_text(encoding="utf-8")

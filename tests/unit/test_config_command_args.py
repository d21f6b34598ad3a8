"""``args.x`` reads a chat command's argument: in ``when:`` as in a template, a name the rule's
command does not define is a ``check`` problem at its line (``when: {args.stat: [on, off]}``
for ``{state}`` passed, and the rule could never fire), and so is ``args`` in a rule without a
command."""

from __future__ import annotations

import pytest

from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError

HEAD = """\
rooms:
  - username: "@room"
    rules:
"""


def problems(rules: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(HEAD + rules, "c.yaml")
    return list(caught.value.problems)


def test_a_when_key_the_command_lacks_says_which_it_has() -> None:
    assert problems(
        """\
      - id: light
        command: "!light {state}"
        when: {args.stat: [on, off]}
        do: [{log: "{{ args.stat }}"}]
"""
    ) == [
        "c.yaml:6:16: rooms[0].rules[0].when.args.stat: unknown command argument `stat`"
        " — did you mean `state`? (arguments: state)",
        "c.yaml:7:15: rooms[0].rules[0].do[0].log.message: unknown command argument `stat`"
        " — did you mean `state`? (arguments: state)",
    ]


def test_args_in_a_rule_without_a_command_say_where_they_come_from() -> None:
    expected = (
        "`args.x` reads a chat command's argument, but this rule has no command: args come"
        ' from `command:`, like `command: "!light {x}"`'
    )
    assert problems(
        """\
      - id: light
        on: chat
        when: {args.x: on}
        do: [{log: "{{ args.x }}"}]
"""
    ) == [
        f"c.yaml:6:16: rooms[0].rules[0].when.args.x: {expected}",
        f"c.yaml:7:15: rooms[0].rules[0].do[0].log.message: {expected}",
    ]


def test_a_command_without_arguments_says_to_add_one() -> None:
    (problem,) = problems(
        """\
      - id: hello
        command: "!hello"
        when: {args.who: alice}
        do: [{log: hi}]
"""
    )
    assert problem.endswith(
        "unknown command argument `who` (arguments: none: add {who} to `command`)"
    )


def test_a_wrong_command_adds_no_problem_at_what_reads_its_arguments() -> None:
    (problem,) = problems(
        """\
      - id: light
        command: "!light {state} {state}"
        when: {args.state: [on, off]}
        do: [{log: "{{ args.state }}"}]
"""
    )
    assert problem.startswith("c.yaml:5:9: rooms[0].rules[0].command: argument {state} appears")


def test_the_arguments_the_command_defines_pass() -> None:
    config = load_config_text(
        HEAD
        + """\
      - id: light
        command: "!light {state} {rest...}"
        when: {args.state: [on, off], args.rest: {contains: x}}
        do: [{log: "{{ args.state }} {{ args.rest }}"}]
"""
    )
    assert config.rooms[0].rules[0].id == "light"

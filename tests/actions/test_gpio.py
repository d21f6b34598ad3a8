"""The ``gpio`` action kind (livetrigger/actions/gpio.py): its entry's problems, the command it
builds (a verb may be a template), its describe line, and that it is never journaled."""

from __future__ import annotations

import pytest

from livetrigger.actions import GpioCommand
from livetrigger.actions.describe import describe
from livetrigger.config import load_config_text
from livetrigger.rules.engine import Engine
from livetrigger.state import outbox
from tests.actions.rules import HEAD, chat, fire, problems


def test_a_command_carries_the_entry_and_a_templated_verb_renders_per_firing() -> None:
    pulse, blink = fire(
        "- gpio: {output: lamp, duration: 2s, overlap: extend}\n"
        "- gpio: {output: buzzer, action: '{{ text }}', on_time: 100ms, count: 3}",
        chat(text="blink"),
    )
    assert pulse == GpioCommand(
        rule_id="r", room="room", event=pulse.event, output="lamp", verb="pulse", duration=2.0,
        overlap="extend",
    )  # fmt: skip
    assert blink == GpioCommand(
        rule_id="r", room="room", event=pulse.event, output="buzzer", verb="blink",
        on_time=0.1, count=3,
    )  # fmt: skip
    assert fire("- gpio: {output: lamp, action: '{{ text }}'}", chat(text=" ON "))[0].verb == "on"  # type: ignore[attr-defined]


@pytest.mark.parametrize("said", ["explode", "pulse"])  # pulse: no duration to pulse for
def test_a_verb_that_renders_to_no_usable_command_is_skipped_and_counted(said: str) -> None:
    config = load_config_text(HEAD + "          - gpio: {output: lamp, action: '{{ text }}'}\n")
    engine = Engine(config.rooms[0].rules, room="room")
    assert engine.evaluate(chat(text=said), now=1.0) == []
    assert engine.stats["r"].render_errors == 1


def test_check_says_what_is_wrong_with_an_entry() -> None:
    assert problems("- gpio: {output: lamp, action: blinky}") == [
        "<config>:10:13: rooms[0].rules[0].do[0].gpio: unknown gpio action 'blinky'; use one of"
        " on, off, toggle, pulse, blink, pwm, fade, beep, tone"
    ]
    assert problems(
        "- gpio: {output: lamb, action: 'on'}\n"
        "- gpio: {output: lamp}\n"
        "- gpio: {output: buzzer, action: tone, duration: 1s}\n"
        "- gpio: {output: lamp, action: '{{ user.nick }}'}\n"
    ) == [
        "<config>:10:20: rooms[0].rules[0].do[0].gpio.output: unknown output `lamb` — did you"
        " mean `lamp`? (outputs: buzzer, lamp)",
        "<config>:11:13: rooms[0].rules[0].do[1].gpio.duration: `pulse` needs a duration, like 2s",
        "<config>:12:13: rooms[0].rules[0].do[2].gpio.frequency: `tone` needs a frequency in Hz, like 440",
        "<config>:13:34: rooms[0].rules[0].do[3].gpio.action: unknown user field `nick` — did"
        " you mean `nickname`? in '{{ user.nick }}'",
    ]


def test_without_outputs_check_says_where_to_add_them() -> None:
    head = HEAD.replace(
        "gpio: {pin_factory: mock, outputs: {lamp: {pin: 17}, buzzer: {pin: 18}}}\n", ""
    )
    assert problems("- gpio: {output: lamp, action: 'on'}", head) == [
        "<config>:9:20: rooms[0].rules[0].do[0].gpio.output: unknown output `lamp` (outputs:"
        " none: add gpio.outputs)"
    ]


@pytest.mark.parametrize(
    ("command", "line"),
    [
        (
            GpioCommand(rule_id="r", output="lamp", verb="pulse", duration=2.5),
            "gpio lamp pulse 2.5s",
        ),
        (GpioCommand(rule_id="r", output="lamp", verb="pulse"), "gpio lamp pulse"),
        (
            GpioCommand(rule_id="r", output="bz", verb="blink", on_time=0.1),
            "gpio bz blink 0.1s/0.5s ×∞",
        ),
        (GpioCommand(rule_id="r", output="bz", verb="beep", count=3), "gpio bz beep 0.5s/0.5s ×3"),
        (GpioCommand(rule_id="r", output="led", verb="pwm", value=0.25), "gpio led pwm 0.25"),
        (GpioCommand(rule_id="r", output="led", verb="fade", duration=1), "gpio led fade 1s"),
        (GpioCommand(rule_id="r", output="lamp", verb="on", duration=9), "gpio lamp on"),
    ],
)
def test_the_describe_line(command: GpioCommand, line: str) -> None:
    assert describe(command) == line


def test_a_command_is_never_journaled() -> None:
    command = GpioCommand(rule_id="r", output="lamp", verb="on")
    assert not outbox.durable(command)
    with pytest.raises(TypeError, match="GpioCommand is not kept in the outbox"):
        outbox.encode(command)

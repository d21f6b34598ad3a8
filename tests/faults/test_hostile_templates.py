"""Templates that ask for too much (issue 19, items 3 and 8): `{{ 'a' * 2000000000 }}` took
7.9 GB and `{{ 9 ** (9 ** 9) }}` hung, in `check`, `run` and a live reload. Now what needs no
event is refused at load with file:line, what depends on the event is refused when rendered
(the action is skipped with a warning), and nothing hangs or eats gigabytes.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger import events as ev
from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError
from livetrigger.rules.engine import Engine
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.lamp_daemon import lamp_config, lamp_daemon

GIB = 1 << 30


def limited_memory() -> None:  # the child may use 1.5 GiB at most: old code would take 8
    resource.setrlimit(resource.RLIMIT_AS, (3 * GIB // 2, 3 * GIB // 2))


def log_rule(message: str, extra: str = "") -> str:
    return f"""\
rooms:
  - username: "@x"
    rules:
      - id: big
        on: chat
{extra}        do: [{{log: "{message}"}}]
"""


def problem_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "c.yaml")
    (problem,) = info.value.problems
    return problem


def run_command(tmp_path: Path, *argv: str, config: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.yaml"
    path.write_text(config)
    return subprocess.run(
        [sys.executable, "-m", "livetrigger", *argv, str(path)],
        capture_output=True,
        text=True,
        timeout=60,  # catches the hang: old code never ends on 9 ** (9 ** 9)
        preexec_fn=limited_memory,
        check=False,
    )


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{{ 'a' * 2000000000 }}", "would make 2,000,000,000 characters"),
        ("{{ 9 ** (9 ** 9) }}", "9 ** 387420489 has about 369,693,100 digits"),
        ("{{ 'x'|center(2000000000) }}", "`center` with 2,000,000,000 (at most 10,000)"),
        ("{{ '%0999999999d' % 1 }}", "a width or precision of 999,999,999"),
        ("{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}", "recursive loops"),
    ],
)
def test_check_refuses_what_needs_no_event_with_its_line(
    tmp_path: Path, template: str, says: str
) -> None:
    text = log_rule(template)
    problem = problem_of(text)
    assert problem.startswith("c.yaml:6:") and "rules[0].do[0].log" in problem
    assert says in problem
    result = run_command(tmp_path, "check", config=text)
    assert result.returncode == 1, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr


def test_an_if_expression_is_bounded_too() -> None:
    problem = problem_of(log_rule("x", extra="        if: '9 ** (9 ** 9) > 1'\n"))
    assert "rules[0].if" in problem and "9 ** 387420489" in problem


def test_run_refuses_the_config_with_a_message(tmp_path: Path) -> None:
    result = run_command(tmp_path, "run", "-c", config=log_rule("{{ 9 ** (9 ** 9) }}"))
    assert result.returncode != 0
    assert "9 ** 387420489" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{{ text * 1000000 }}", "repeating 31 characters 1,000,000 times"),
        ("{{ text|replace('a', text)|replace('a', text)|replace('a', text) }}", "`replace` would"),
        ("{% for a in text %}{% for b in range(1000) %}{% endfor %}{% endfor %}", "loops went"),
        ("{{ (text ~ text)|wordwrap(1, wrapstring=text * 1000) }}", "`wordwrap` would make"),
        ("{{ text.ljust(2000000000) }}", "`ljust` with 2,000,000,000"),
        ("{{ '{:999999999}'.format(text) }}", "a width or precision of 999,999,999"),
        ("{{ range(10 ** 9)|list }}", "range() of 1,000,000,000 steps"),
    ],
)
def test_what_depends_on_the_comment_is_refused_when_rendered(
    template: str, says: str, caplog: pytest.LogCaptureFixture
) -> None:
    (rule,) = load_config_text(log_rule(template), "c.yaml").rooms[0].rules
    engine = Engine([rule], room="r")
    (firing,) = engine.firings(ev.ChatEvent(text="a" * 30 + "!"), 0)
    assert firing.requests == ()  # the action is skipped, the rule still counted
    assert engine.stats["big"].render_errors == 1
    assert says in caplog.text and "template limit" in caplog.text


def test_ordinary_templates_still_render() -> None:
    template = (
        "{{ user.nickname ~ '!' }} {{ 2 ** 64 }} {{ 'ab' * 3 }} {{ '%5d' % 7 }}"
        " {{ [1, 2]|join(',') }} {% for c in 'abc' %}{{ c|upper }}{% endfor %}"
        " {{ '{:>4}'.format('x') }} {{ text|length }}"
    )
    (rule,) = load_config_text(log_rule(template), "c.yaml").rooms[0].rules
    engine = Engine([rule], room="r")
    (firing,) = engine.firings(ev.ChatEvent(text="hi", user=ev.User(nickname="sam")), 0)
    (request,) = firing.requests
    assert request.message == "sam! 18446744073709551616 ababab     7 1,2 ABC    x 2"  # type: ignore[attr-defined]


async def test_a_reload_with_a_hanging_template_keeps_the_old_rules(tmp_path: Path) -> None:
    rule = """\
      - id: ping
        on: chat
        when: {{text: {{contains: ping}}}}
        do: [{{gpio: {{output: lamp, action: "on"}}}}, {{log: "{message}"}}]
"""
    async with FakeLiveRoom() as room:
        good = lamp_config(room, tmp_path, rule.format(message="pong"))
        async with lamp_daemon(tmp_path, room, good) as daemon:
            daemon.config.write_text(
                lamp_config(room, tmp_path, rule.format(message="{{ 9 ** (9 ** 9) }}"))
            )
            daemon.proc.send_signal(signal.SIGHUP)
            await daemon.wait_for(
                lambda: "keeping the running config" in daemon.log_text(), "reload"
            )
            assert "9 ** 387420489" in daemon.log_text()
            await room.send(
                ev.ChatEvent(msg_id=room.next_msg_id(), user=ev.User(id=8), text="ping")
            )
            await daemon.wait_for(daemon.lamp_turned_on, "lamp on from the old rule")
            await daemon.wait_for(lambda: "pong" in daemon.log_text(), "the old rule's log")
            assert "Traceback" not in daemon.log_text()

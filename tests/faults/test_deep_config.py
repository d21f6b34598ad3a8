"""Input nested however deep is a problem at its line, never a traceback (issue 25, item 8):
`if:` with 200 parentheses, 300 nested `{% if %}` and a regex with 500 nested groups made
`check` and `run` die with a RecursionError; 25 nested `{% for %}` with a SyntaxError from
Python compiling Jinja's code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError

DEPTHS = (5, 25, 50, 99, 150, 200, 300, 500, 1000, 5000)
EXPRESSIONS: dict[str, Callable[[int], str]] = {
    "parentheses": lambda n: "(" * n + "1" + ")" * n + " == 1",
    "lists": lambda n: "[" * n + "]" * n + " != 1",
    "not": lambda n: "not " * n + "false",
    "minus": lambda n: "- " * n + "1 != 2",
    "plus": lambda n: " + ".join(["1"] * n) + " > 0",
    "calls": lambda n: "range(" * n + "1" + ")" * n + " != 1",
}
TEMPLATES: dict[str, Callable[[int], str]] = {
    "if blocks": lambda n: "{% if true %}" * n + "x" + "{% endif %}" * n,
    "for blocks": lambda n: "{% for i in range(1) %}" * n + "x" + "{% endfor %}" * n,
    "parentheses": lambda n: "{{ " + "(" * n + "1" + ")" * n + " }}",
    "filters": lambda n: "{{ text" + " | lower" * n + " }}",
}
PATTERNS: dict[str, Callable[[int], str]] = {
    "groups": lambda n: "(" * n + "a" + ")" * n,
    "plain groups": lambda n: "(?:" * n + "a" + ")" * n,
    "alternatives": lambda n: "(a|" * n + "b" + ")" * n,
}


def config(rule: str) -> str:
    """A config whose one rule's keys start on line 5."""
    return f"rooms: [{{username: '@x'}}]\nrules:\n  - id: deep\n    on: chat\n{rule}mqtt: {{host: h}}\n"


def quoted(text: str) -> str:
    return json.dumps(text)  # a YAML double-quoted scalar


def outcome(text: str, path: str) -> str:
    """ "ok", or the one problem, which must be at the rule's `path` on line 5 or 6."""
    try:
        load_config_text(text, "c.yaml")
    except ConfigError as exc:
        (problem,) = exc.problems
        assert problem.startswith(("c.yaml:5:", "c.yaml:6:")), problem
        assert f"rules[0].{path}" in problem, problem
        return problem
    return "ok"


@pytest.mark.parametrize("shape", sorted(EXPRESSIONS))
def test_if_expressions_of_any_depth(shape: str) -> None:
    results = [
        outcome(config(f"    if: {quoted(EXPRESSIONS[shape](n))}\n    do: [{{log: x}}]\n"), "if")
        for n in DEPTHS
    ]
    assert results[0] == "ok"  # shallow ones still load
    assert all(r == "ok" or "nested too deeply" in r for r in results), results


@pytest.mark.parametrize("shape", sorted(TEMPLATES))
def test_templates_of_any_depth(shape: str) -> None:
    for action, path in [("log", "do[0].log.message"), ("mqtt: {topic", "do[0].mqtt.topic")]:
        close = "}" if "{" in action else ""
        results = [
            outcome(config(f"    do: [{{{action}: {quoted(TEMPLATES[shape](n))}{close}}}]\n"), path)
            for n in DEPTHS
        ]
        assert results[0] == "ok"
        assert all(r == "ok" or "nested too deeply" in r for r in results), results
        assert results[-1] != "ok"


@pytest.mark.parametrize("shape", sorted(PATTERNS))
def test_regexes_of_any_depth(shape: str) -> None:
    for n in DEPTHS:
        pattern = quoted(PATTERNS[shape](n))
        rule = f"    when: {{text: {{regex: {pattern}}}}}\n    do: [{{log: x}}]\n"
        result = outcome(config(rule), "when.text.regex")
        assert (result == "ok") == (n <= 100), result


def test_at_a_deeper_stack_it_is_still_a_problem() -> None:
    # a reload runs deeper in the stack than `check`: what fails there is a problem too
    text = config(f"    if: {quoted(EXPRESSIONS['parentheses'](150))}\n    do: [{{log: x}}]\n")

    def deeper(n: int) -> str:
        return outcome(text, "if") if n == 0 else deeper(n - 1)

    assert "nested too deeply" in deeper(600)


@pytest.mark.parametrize("command", ["check", "run"])
def test_check_and_run_print_the_line_not_a_traceback(tmp_path: Path, command: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        config(
            f"    if: {quoted(EXPRESSIONS['parentheses'](200))}\n"
            f"    when: {{text: {{regex: {quoted(PATTERNS['groups'](500))}}}}}\n"
            f"    do: [{{log: {quoted(TEMPLATES['if blocks'](300))}}}]\n"
        )
    )
    argv = [command, str(path)] if command == "check" else [command, "-c", str(path)]
    done = subprocess.run(
        [sys.executable, "-m", "livetrigger", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    for line, words in [
        (5, "rules[0].if: template error: nested too deeply"),
        (6, "rules[0].when.text.regex: groups nested 500 deep"),
        (7, "rules[0].do[0].log.message: template error: nested too deeply"),
    ]:
        assert f"c.yaml:{line}:" in done.stderr and words in done.stderr, done.stderr

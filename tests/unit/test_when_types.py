"""A ``when:`` value of the wrong type is a config problem at its line, never a rule that
silently cannot fire (``total_diamonds: {gte: "100"}`` passed ``check`` and never fired).

The walk takes every operator against every field of every event kind (and of the viewer, and
a command argument) with values of every YAML type. A condition the loader accepts must be
able to hold and to fail for some value the field can take; one it refuses is a problem at the
operator. The field values come from the event classes' declarations, read here on their own.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from livetrigger import events as ev
from livetrigger.cli import main
from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError
from livetrigger.rules.conditions import OPERATORS, compile_when

SCALARS: list[Any] = [100, 5, 1.5, "100", "lots", "Rose", "ro", "^r", "true", "follower", "end"]
SCALARS += [True, False, None]
ELEMENTS: dict[str, Any] = {
    "User": ev.User(id=100, unique_id="lots", nickname="Rose"),
    "Emote": ev.Emote(emote_id="100"),
    "TopViewer": ev.TopViewer(user=ev.User(nickname="lots"), coins=100, rank=1),
    "BattleParticipant": ev.BattleParticipant(user_id=100, unique_id="rose", nickname="Rose"),
    "BattleScore": ev.BattleScore(host_id=1, points=100),
}


def fields() -> Iterator[tuple[str, str, str]]:
    """(kind, path, declared type) for every field rules can read, once per path and type."""
    seen: set[tuple[str, str]] = set()

    def declared(cls: type) -> Iterator[tuple[str, str]]:
        for f in dataclasses.fields(cls):
            yield f.name, str(f.type)
        for name in dir(cls):
            prop = getattr(cls, name)
            if isinstance(prop, property) and prop.fget is not None:
                yield name, str(prop.fget.__annotations__["return"])

    for kind, cls in ev.EVENT_KINDS.items():
        for name, annotation in declared(cls):
            if (name, annotation) not in seen:
                seen.add((name, annotation))
                yield kind, name, annotation
    for name, annotation in declared(ev.User):
        yield "gift", f"user.{name}", annotation
    yield "chat", "args.n", "str | None"  # a command argument: a word, or missing


def domain(annotation: str, args: list[str]) -> list[Any]:
    """Values a field of this declared type takes, enough to make any sane condition hold
    and fail."""
    base = annotation.replace(" | None", "")
    out: list[Any] = [None] if base != annotation else []
    if base in ("int", "float"):
        out += [-1000, 0, 1, 5, 99, 100, 101, 1000, 10**6]
        out += [1.5, 99.5, 100.0] if base == "float" else []
    elif base == "str":
        out += ["", "5", "10", "100", "lots", "Rose", "rose", "true", "follower", "end", "zzz"]
        out += args
    elif base == "bool":
        out += [True, False]
    elif base == "bytes":
        out += [b"", b"100 lots Rose"]
    elif base == "User":
        out += [ev.User(), ELEMENTS["User"]]
    elif base.startswith("tuple["):
        out += [(), (ELEMENTS[base[len("tuple[") : -len(", ...]")]],)]
    else:
        cls = getattr(ev, base)
        assert issubclass(cls, enum.Enum), annotation
        out += list(cls)
    return out


def cases() -> Iterator[tuple[str, Any]]:
    for op in OPERATORS:
        if op in ("in", "not_in"):
            yield from ((op, [v]) for v in SCALARS)
        elif op in ("eq", "ne"):
            yield from ((op, v) for v in SCALARS)
        elif op in ("gt", "gte", "lt", "lte"):
            yield from ((op, v) for v in SCALARS if type(v) in (int, float, str))
        else:
            yield from ((op, v) for v in SCALARS if isinstance(v, str))


def compile_one(kind: str, path: str, spec: Any) -> tuple[list[Any], list[Any]]:
    arguments = ("n",) if path.startswith("args.") else None
    return compile_when({path: spec}, [kind], ("when",), arguments)


def test_every_operator_on_every_field_type_fires_sometimes_or_is_a_problem() -> None:
    types_seen: set[str] = set()
    accepted = refused = 0
    wrong: list[str] = []
    for kind, path, annotation in fields():
        types_seen.add(annotation)
        for op, arg in cases():
            checks, problems = compile_one(kind, path, {op: arg})
            if problems:
                refused += 1
                for where, message in problems:
                    # at the operator, or at the list item that cannot match
                    assert where[:3] == ("when", path, op) and message, (where, message)
                continue
            accepted += 1
            (check,) = checks
            args = [a for a in (arg if isinstance(arg, list) else [arg]) if isinstance(a, str)]
            results = {bool(check.test(v)) for v in domain(annotation, args)}
            if results != {True, False}:
                never = "never" if True not in results else "always"
                wrong.append(f"{kind} {path} ({annotation}): {op}: {arg!r} {never} holds")
    assert not wrong, "\n".join(wrong)
    # every kind of field was walked: numbers, text, true/false, choices, viewers, lists, bytes
    assert {"int", "float", "str", "bool", "int | None", "bytes", "User", "User | None"} <= (
        types_seen
    )
    assert {"FollowRole", "StreakState", "StreamEndReason", "tuple[User, ...]"} <= types_seen
    assert accepted > 500 and refused > 1000, (accepted, refused)


GOOD: dict[str, list[tuple[str, Any]]] = {
    "number": [("eq", 100), ("ne", 0), ("gte", 100), ("lt", 1.5), ("in", [1, 100])],
    "text": [("eq", "Rose"), ("contains", "ro"), ("regex", "^r"), ("not_in", ["Rose"])],
    "bool": [("eq", True), ("ne", False), ("in", [True])],
}


@pytest.mark.parametrize(
    ("kind", "path", "family"),
    [
        ("gift", "total_diamonds", "number"),
        ("gift", "user.top_gifter_rank", "number"),
        ("gift", "received_at", "number"),
        ("gift", "gift_name", "text"),
        ("chat", "args.n", "text"),
        ("gift", "is_final", "bool"),
        ("gift", "user.is_follower", "bool"),
    ],
)
def test_values_of_the_right_type_are_accepted(kind: str, path: str, family: str) -> None:
    for op, arg in GOOD[family]:
        _, problems = compile_one(kind, path, {op: arg})
        assert problems == [], (path, op, arg)


@pytest.mark.parametrize(
    ("kind", "path", "spec"),
    [
        ("gift", "streak", "END"),
        ("gift", "streak", {"contains": "ro"}),  # progress
        ("gift", "user.follow_role", ["follower", "friend"]),
        ("gift", "to_user", None),
        ("gift", "to_user", {"ne": None}),
        ("gift", "user.top_gifter_rank", None),
        ("stream_ended", "reason", "moderator"),
        ("disconnected", "reason", {"contains": "timeout"}),
    ],
)
def test_choices_and_empty_values_that_can_match_are_accepted(
    kind: str, path: str, spec: Any
) -> None:
    assert compile_one(kind, path, spec)[1] == []


def test_a_field_of_several_kinds_passes_when_one_kind_can_match() -> None:
    # `reason` is free text on disconnected, one of host/moderator/lost on stream_ended
    _, problems = compile_when({"reason": "timeout"}, ["disconnected", "stream_ended"], ())
    assert problems == []
    _, problems = compile_when({"reason": "timeout"}, ["stream_ended"], ())
    assert problems and "expected one of host, moderator, lost" in problems[0][1]


RULES = """\
rooms:
  - username: "@someone"
rules:
  - id: quoted
    on: gift
    when:
      total_diamonds: {gte: "100"}
    do: [{log: x}]
  - id: words
    on: gift
    when:
      total_diamonds: {gte: lots}
      gift_name: {gt: 5}
      user.follow_role: {gte: follower}
      streakable: "yes"
      streak: ended
      diamonds: [1, "5"]
    do: [{log: x}]
  - id: bet
    command: "!bet {n}"
    when: {args.n: {gte: 5}}
    do: [{log: x}]
"""


def test_wrong_types_are_problems_at_their_line() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(RULES, "c.yaml")
    for line, path, words in [
        (7, "total_diamonds.gte", "expected a number; write 100 without quotes"),
        (12, "total_diamonds.gte", "expected a number, like 100; got 'lots'"),
        (13, "gift_name.gt", "`gift_name` is text and never compares with a number"),
        (14, "user.follow_role.gte", "like `user.follow_role: [follower, friend]`"),
        (15, "streakable", "expected true or false; got 'yes'"),
        (16, "streak", "expected one of start, progress, end, single; got 'ended'"),
        (17, "diamonds[1]", "item 2: expected a number; write 5 without quotes"),
        (21, "args.n.gte", "write `if: args.n | int >= 5`"),
    ]:
        (problem,) = [p for p in info.value.problems if p.startswith(f"c.yaml:{line}:")]
        assert f".when.{path}: " in problem and words in problem, problem
    assert len(info.value.problems) == 8


def test_check_prints_the_quoted_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(RULES.split("  - id: words", maxsplit=1)[0])
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:7:24: rules[0].when.total_diamonds.gte: expected a number; write 100" in err

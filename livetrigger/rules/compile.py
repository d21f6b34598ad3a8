"""Compiling a rule's templates, expressions and actions, each checked once, at load.

A template or expression is checked against the names the rule offers: template syntax,
names that no event of the rule's kinds has (with a suggestion), unknown command arguments.
Each entry of ``do`` is compiled by its action kind (``actions/<kind>.py``) through an
``_EntryContext`` (in a rule with other problems, a ``_SyntaxContext``, which keeps only the
templates' syntax problems). ``config/compile_rules.py`` drives this for each rule of the file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from livetrigger import events as ev
from livetrigger.actions.kind import ActionKind, CompiledAction, Targets
from livetrigger.rules.command import argument_problem
from livetrigger.rules.conditions import Problem
from livetrigger.rules.fields import KINDS, USER_FIELDS, check_path
from livetrigger.rules.template import (
    JsonTemplate,
    TemplateSyntaxProblem,
    TextTemplate,
    referenced_names,
)
from livetrigger.text.suggest import suggest

# names every template and expression can use besides the event's own fields
CONTEXT_NAMES = frozenset(
    {"event", "kind", "rule", "room", "args", "counter", "counters", "milestone", "now", "base"}
)


def _check_names(
    source: str,
    names: frozenset[str],
    kinds: Iterable[str],
    args: frozenset[str] | None,
    expression: bool,
) -> str | None:
    for head, attr in referenced_names(source, expression=expression):
        if head not in names:
            return f"unknown name `{head}`{suggest(head, names)} in {source!r}"
        if attr is None:
            continue
        if head in ("user", "to_user") and attr not in USER_FIELDS:
            return f"unknown user field `{attr}`{suggest(attr, USER_FIELDS)} in {source!r}"
        if head == "args" and (problem := argument_problem(attr, args)):
            return problem
        if head == "event":
            problem = check_path(attr, kinds)
            if problem:
                return problem
    return None


def checked(
    make: Callable[[], Any],
    where: tuple[str | int, ...],
    problems: list[Problem],
    names: frozenset[str] | None,
    kinds: Iterable[str],
    args: frozenset[str] | None,
    expression: bool = False,
) -> Any:
    """What ``make`` compiles (a template, an expression), its names checked against
    ``names``, ``kinds``' event fields and the command's ``args`` (None: the rule has no
    command); None after recording the problem at ``where``. With ``names`` None, only its
    syntax is checked."""
    try:
        compiled = make()
        if names is None:
            for source in _sources(compiled.source):
                referenced_names(source, expression=expression)
    except TemplateSyntaxProblem as exc:
        problems.append((where, str(exc)))
        return None
    if names is None:
        return compiled
    sources = _sources(compiled.source)
    for source in sources:
        try:
            problem = _check_names(source, names, kinds, args, expression)
        except TemplateSyntaxProblem as exc:
            problem = str(exc)
        if problem:
            problems.append((where, problem))
            return None
    return compiled


def _sources(source: Any) -> list[str]:
    if isinstance(source, str):
        return [source]
    if isinstance(source, dict):
        return [s for v in source.values() for s in _sources(v)]
    if isinstance(source, list):
        return [s for v in source for s in _sources(v)]
    return []


class _EntryContext:
    """The ``CompileContext`` of one entry of ``do``: its templates are checked against the
    names the rule offers; its problems are recorded under ``here`` (``...do.0.mqtt``)."""

    def __init__(
        self,
        here: tuple[str | int, ...],
        targets: Targets,
        problems: list[Problem],
        names: frozenset[str] | None,
        kinds: list[str],
        args: frozenset[str] | None,
    ) -> None:
        self.here = here
        self._targets = targets
        self._problems = problems
        self._before = len(problems)
        self._scope = (names, kinds, args)

    @property
    def targets(self) -> Targets:
        return self._targets

    @property
    def failed(self) -> bool:
        return len(self._problems) > self._before

    def text(
        self, source: str, key: str, escape: Callable[[str], str] | None = None
    ) -> TextTemplate | None:
        result: TextTemplate | None = checked(
            lambda: TextTemplate(source, escape=escape),
            (*self.here, key),
            self._problems,
            *self._scope,
        )
        return result

    def mapping(self, source: Any, key: str) -> JsonTemplate | None:
        result: JsonTemplate | None = checked(
            lambda: JsonTemplate(source), (*self.here, key), self._problems, *self._scope
        )
        return result

    def problem(self, message: str, *keys: str | int) -> None:
        self._problems.append(((*self.here, *keys), message))


class _SyntaxContext(_EntryContext):
    """The context of an entry of a rule that has problems elsewhere (a key that is not one,
    a value of the wrong type): only its templates' syntax problems are kept, which nothing
    else in the file can cause; its names and targets wait until the rule itself is right."""

    def __init__(
        self, here: tuple[str | int, ...], targets: Targets, problems: list[Problem]
    ) -> None:
        # every problem counts for `failed` (a kind stops where it would); syntax ones are kept
        super().__init__(here, targets, [], None, [], None)
        self._kept = problems

    def text(
        self, source: str, key: str, escape: Callable[[str], str] | None = None
    ) -> TextTemplate | None:
        result: TextTemplate | None = self._syntax(lambda: TextTemplate(source, escape=escape), key)
        return result

    def mapping(self, source: Any, key: str) -> JsonTemplate | None:
        result: JsonTemplate | None = self._syntax(lambda: JsonTemplate(source), key)
        return result

    def _syntax(self, make: Callable[[], Any], key: str) -> Any:
        found: list[Problem] = []
        compiled = checked(make, (*self.here, key), found, None, (), None)
        self._problems += found
        self._kept += found
        return compiled


def syntax_problems(
    kind: ActionKind[Any, Any], entry: Any, path: tuple[str | int, ...], targets: Targets
) -> list[Problem]:
    """The template syntax problems of one entry of ``do`` (``entry``, of ``kind``'s schema)
    in a rule that has other problems: nothing else is said of it."""
    problems: list[Problem] = []
    kind.compile(entry, _SyntaxContext((*path, kind.name), targets, problems))
    return problems


def compile_action(
    kind: ActionKind[Any, Any],
    entry: Any,
    path: tuple[str | int, ...],
    targets: Targets,
    names: frozenset[str],
    kinds: list[str],
    args: frozenset[str] | None,
    problems: list[Problem],
) -> CompiledAction | None:
    """One entry of ``do`` (``entry``, of ``kind``'s schema) compiled by its kind."""
    ctx = _EntryContext((*path, kind.name), targets, problems, names, kinds, args)
    built = kind.compile(entry, ctx)
    if built is not None and built.asks is not None:  # the probe says where it was asked
        built = dataclasses.replace(built, asks=dataclasses.replace(built.asks, path=path))
    return built


def sample_event(kind: str, now: float = 0.0) -> ev.Event:
    """A plausible event of ``kind`` for test-firing a rule (HA button, test pin)."""
    user = ev.User(id=1, unique_id="livetrigger_test", nickname="livetrigger test")
    common: Mapping[str, Any] = {"received_at": now, "user": user, "room_id": 0, "msg_id": 0}
    samples: dict[str, dict[str, Any]] = {
        "gift": {
            "gift_id": 5655,
            "gift_name": "Rose",
            "diamonds": 1,
            "repeat_count": 1,
            "total_diamonds": 1,
        },
        "chat": {"text": "test"},
        "like": {"count": 1, "total": 1},
        "viewers": {"viewers": 1},
    }
    return KINDS[kind](**common, **samples.get(kind, {}))

"""Config rules → compiled rules: conditions, filters, templates and actions, checked once.

Everything a rule can get wrong is found here, at load, with the path of the offending key:
unknown fields (with a suggestion), bad operators, template syntax, template names that no
event of the rule's kinds has, actions naming outputs or endpoints that do not exist. Each
entry of ``do`` is compiled by its action kind (``actions/<kind>.py``) through ``_EntryContext``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from livetrigger import events as ev
from livetrigger.actions.kind import ActionKind, CompiledAction, Targets
from livetrigger.config import schema as cs
from livetrigger.rules.command import CommandPattern
from livetrigger.rules.conditions import Problem, compile_when
from livetrigger.rules.fields import (
    KINDS,
    USER_FIELDS,
    check_path,
    fields_of_kinds,
)
from livetrigger.rules.model import CompiledRule
from livetrigger.rules.template import (
    GLOBAL_NAMES,
    Expression,
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
TRIGGER_KINDS = frozenset(k for k in KINDS if k != "unknown") | {"unknown"}


def compile_rule(
    rule: cs.Rule, path: tuple[str | int, ...], targets: Targets
) -> tuple[CompiledRule | None, list[Problem]]:
    problems: list[Problem] = []
    kinds = _kinds(rule, path, problems)
    if problems:  # `on:` is wrong: check the rest against every kind, not against none
        kinds = sorted(KINDS)
    command = None
    if rule.command is not None:
        try:
            command = CommandPattern(rule.command)
        except ValueError as exc:
            problems.append(((*path, "command"), str(exc)))
    args = frozenset(command.arguments) if command else frozenset()
    extra = {f"args.{a}" for a in args} | {"args"}
    checks, when_problems = compile_when(rule.when, kinds, (*path, "when"), extra)
    problems += when_problems
    if rule.gift is not None and "gift" not in kinds:
        problems.append(((*path, "gift"), "a gift filter needs `on: gift`"))
    names = fields_of_kinds(kinds) | CONTEXT_NAMES | GLOBAL_NAMES
    expression = None
    if rule.if_ is not None:
        expression = _compile(
            lambda: Expression(rule.if_ or ""), (*path, "if"), problems, names, kinds, args, True
        )
    for key, spec in (("every", rule.every), ("threshold", rule.threshold)):
        if spec is None:
            continue
        source = str(getattr(spec, "field", None) or spec.sum)
        problem = check_path(source, kinds)
        if problem:
            problems.append(
                ((*path, key, "field" if getattr(spec, "field", None) else "sum"), problem)
            )
    actions: list[CompiledAction] = []
    for i, action in enumerate(rule.do):
        built = compile_action(
            action.action_kind,
            action.entry,
            (*path, "do", i),
            targets,
            names,
            kinds,
            args,
            problems,
        )
        if built is not None:
            actions.append(built)
    if problems:
        return None, problems
    gifts = None
    if rule.gift is not None:
        raw = rule.gift if isinstance(rule.gift, list) else [rule.gift]
        gifts = frozenset(g.lower() if isinstance(g, str) else g for g in raw)
    return (
        CompiledRule(
            id=rule.id,
            description=rule.description,
            enabled=rule.enabled,
            kinds=frozenset(kinds),
            actions=tuple(actions),
            checks=checks,
            expression=expression,
            command=command,
            user=rule.user,
            gifts=gifts,
            streak=rule.streak,
            include_history=rule.include_history,
            every=rule.every,
            threshold=rule.threshold,
            cooldown=rule.cooldown,
            cooldown_per_user=rule.cooldown_per_user,
            max_fires=(rule.max_fires.count, rule.max_fires.per) if rule.max_fires else None,
            overflow=rule.overflow,
            queue_size=rule.queue_size,
        ),
        [],
    )


def _kinds(rule: cs.Rule, path: tuple[str | int, ...], problems: list[Problem]) -> list[str]:
    raw = rule.on if isinstance(rule.on, list) else ([rule.on] if rule.on else [])
    if not raw:
        if rule.command is not None:
            return ["chat"]
        problems.append(((*path, "on"), "say which events the rule reacts to, e.g. `on: gift`"))
        return []
    kinds: list[str] = []
    for i, kind in enumerate(raw):
        if kind not in KINDS:
            where = (*path, "on", i) if isinstance(rule.on, list) else (*path, "on")
            problems.append(
                (
                    where,
                    f"unknown event kind `{kind}`{suggest(kind, KINDS)} "
                    f"(kinds: {', '.join(sorted(KINDS))})",
                )
            )
        else:
            kinds.append(kind)
    if rule.command is not None and kinds != ["chat"] and len(kinds) == len(raw):
        problems.append(((*path, "command"), "a command rule reacts to chat: use `on: chat`"))
    return kinds


def _check_names(
    source: str,
    names: frozenset[str],
    kinds: Iterable[str],
    args: frozenset[str],
    expression: bool,
) -> str | None:
    for head, attr in referenced_names(source, expression=expression):
        if head not in names:
            return f"unknown name `{head}`{suggest(head, names)} in {source!r}"
        if attr is None:
            continue
        if head in ("user", "to_user") and attr not in USER_FIELDS:
            return f"unknown user field `{attr}`{suggest(attr, USER_FIELDS)} in {source!r}"
        if head == "args" and attr not in args:
            have = ", ".join(sorted(args)) or "none: add {name} to `command`"
            return f"unknown command argument `{attr}` (arguments: {have})"
        if head == "event":
            problem = check_path(attr, kinds)
            if problem:
                return problem
    return None


def _compile(
    make: Callable[[], Any],
    where: tuple[str | int, ...],
    problems: list[Problem],
    names: frozenset[str],
    kinds: Iterable[str],
    args: frozenset[str],
    expression: bool = False,
) -> Any:
    try:
        compiled = make()
    except TemplateSyntaxProblem as exc:
        problems.append((where, str(exc)))
        return None
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
        names: frozenset[str],
        kinds: list[str],
        args: frozenset[str],
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
        result: TextTemplate | None = _compile(
            lambda: TextTemplate(source, escape=escape),
            (*self.here, key),
            self._problems,
            *self._scope,
        )
        return result

    def mapping(self, source: Any, key: str) -> JsonTemplate | None:
        result: JsonTemplate | None = _compile(
            lambda: JsonTemplate(source), (*self.here, key), self._problems, *self._scope
        )
        return result

    def problem(self, message: str, *keys: str | int) -> None:
        self._problems.append(((*self.here, *keys), message))


def compile_action(
    kind: ActionKind[Any, Any],
    entry: Any,
    path: tuple[str | int, ...],
    targets: Targets,
    names: frozenset[str],
    kinds: list[str],
    args: frozenset[str],
    problems: list[Problem],
) -> CompiledAction | None:
    """One entry of ``do`` (``entry``, of ``kind``'s schema) compiled by its kind."""
    ctx = _EntryContext((*path, kind.name), targets, problems, names, kinds, args)
    return kind.compile(entry, ctx)


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

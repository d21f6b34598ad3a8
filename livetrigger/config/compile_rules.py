"""The file's rules → compiled rules: the step that reads ``config/schema.py``'s ``Rule`` and
hands its parts to the rules package (conditions, templates, each action to its kind), so
the rules package never reads the config's classes.

Everything a rule can get wrong is found here, at load, with the path of the offending key.
"""

from __future__ import annotations

from livetrigger.actions.kind import CompiledAction, Targets
from livetrigger.config import schema as cs
from livetrigger.rules.command import CommandPattern, written_arguments
from livetrigger.rules.compile import CONTEXT_NAMES, checked, compile_action, syntax_problems
from livetrigger.rules.conditions import Problem, compile_when
from livetrigger.rules.fields import KINDS, check_path, fields_of_kinds
from livetrigger.rules.model import CompiledRule
from livetrigger.rules.template import GLOBAL_NAMES, Expression
from livetrigger.text.suggest import suggest


def compile_rule(
    rule: cs.Rule, path: tuple[str | int, ...], targets: Targets
) -> tuple[CompiledRule | None, list[Problem]]:
    problems: list[Problem] = []
    kinds = _kinds(rule, path, problems)
    if problems:  # `on:` is wrong: check the rest against every kind, not against none
        kinds = sorted(KINDS)
    command = None
    args: frozenset[str] | None = None  # what `args.x` may read: None without a command
    if rule.command is not None:
        try:
            command = CommandPattern(rule.command)
            args = frozenset(command.arguments)
        except ValueError as exc:
            problems.append(((*path, "command"), str(exc)))
            args = written_arguments(rule.command)
    checks, when_problems = compile_when(rule.when, kinds, (*path, "when"), args)
    problems += when_problems
    if rule.gift is not None and "gift" not in kinds:
        problems.append(((*path, "gift"), "a gift filter needs `on: gift`"))
    names = fields_of_kinds(kinds) | CONTEXT_NAMES | GLOBAL_NAMES
    expression = None
    if rule.if_ is not None:
        expression = checked(
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


def rule_syntax(
    if_: str | None,
    actions: list[tuple[tuple[str | int, ...], cs.Action]],
    path: tuple[str | int, ...],
    targets: Targets,
) -> list[Problem]:
    """The template and expression syntax problems of a rule whose own shape is wrong (a key
    that is not one, a value of the wrong type), read from its parts that are right: its
    ``if:`` and its entries of ``do`` with their paths. No other key can cause these, so
    ``check`` says them in the same run; what names a template may read waits for the rule."""
    problems: list[Problem] = []
    if if_ is not None:
        source = if_
        checked(lambda: Expression(source), (*path, "if"), problems, None, (), None, True)
    for at, action in actions:
        problems += syntax_problems(action.action_kind, action.entry, at, targets)
    return problems


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

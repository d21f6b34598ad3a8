"""One rule's filters turned into one function, generated when the rule is loaded.

The engine runs every rule of an event's kind against every event of that kind, so what one
rule costs is what a busy room multiplies. Walking a generic rule record means a dozen
attribute reads and branches for filters the rule does not use; instead each rule gets a
function holding exactly its own checks, in the engine's order (history, streak mode, gift,
user, command, ``when``). Generated source, as ``dataclasses`` does for ``__init__``: only
names and numbers from the validated config reach it, and every value (handles, gift names,
predicates) is passed in as a variable, never written into the source.

The function returns the command's arguments (an empty dict without a command) when the
event passes, else None. ``if:`` expressions stay with the engine, which owns their context.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from livetrigger import events as ev
from livetrigger.rules.conditions import lower_text
from livetrigger.rules.fields import fields_of
from livetrigger.rules.model import CompiledRule, UserFilter

Matcher = Callable[[ev.Event], dict[str, str] | None]


def build_matcher(rule: CompiledRule) -> Matcher:
    env: dict[str, Any] = {"GiftEvent": ev.GiftEvent, "lower": lower_text}
    lines: list[str] = []
    add = lines.append
    if not rule.include_history:
        add("if e.is_history: return None")
    if "gift" in rule.kinds:
        _gift_checks(rule, env, lines)
    if rule.user is not None:
        _user_checks(rule.user, env, lines)
    result = "{}"
    if rule.command is not None:
        env["command"] = rule.command.match
        add("args = command(e.text)")
        add("if args is None: return None")
        result = "args"
    shared = _fields_on_every_kind(rule.kinds)
    scope = "e"
    for i, check in enumerate(rule.checks):
        env[f"test_{i}"] = check.test
        if check.path in shared and check.path.isidentifier() and not keyword.iskeyword(check.path):
            value = f"e.{check.path}"  # a plain attribute read: no getter call
        else:
            if rule.command is not None and scope == "e":
                env["Scope"] = Scope  # `args.x` paths read the command's arguments
                add("scope = Scope(e, args) if args else e")
                scope = "scope"
            env[f"get_{i}"] = check.get
            value = f"get_{i}({scope})"
        if check.inline is None:
            add(f"if not test_{i}({value}): return None")
            continue
        env[f"x_{i}"] = check.operand
        add(f"v = {value}")
        add(f"if not {check.inline.format(v='v', x=f'x_{i}', p=f'test_{i}')}: return None")
    add(f"return {result}")
    source = "def match(e):\n" + "".join(f"    {line}\n" for line in lines)
    exec(compile(source, f"<rule {rule.id}>", "exec"), env)
    match: Matcher = env["match"]
    match.__doc__ = source  # what runs, for a debugger or a failing test to show
    return match


def _gift_checks(rule: CompiledRule, env: dict[str, Any], lines: list[str]) -> None:
    inner: list[str] = []
    env["END"], env["SINGLE"], env["START"] = (
        ev.StreakState.END,
        ev.StreakState.SINGLE,
        ev.StreakState.START,
    )
    if rule.streak == "end":
        inner.append("s = e.streak")
        inner.append("if s is not END and s is not SINGLE: return None")
    elif rule.streak == "start":
        inner.append("s = e.streak")
        inner.append("if s is not START and s is not SINGLE: return None")
    if rule.gifts is not None:
        env["gifts"] = rule.gifts
        inner.append("if e.gift_id not in gifts and e.gift_name.lower() not in gifts: return None")
    if not inner:
        return
    if rule.kinds == {"gift"}:
        lines.extend(inner)
    else:
        lines.append("if type(e) is GiftEvent:")
        lines.extend(f"    {line}" for line in inner)


def _user_checks(spec: UserFilter, env: dict[str, Any], lines: list[str]) -> None:
    add = lines.append
    add("u = e.user")
    only = frozenset(u.lstrip("@").lower() for u in spec.users)
    never = frozenset(u.lstrip("@").lower() for u in spec.exclude_users)
    if only or never:
        add("handle = u.unique_id.lower()")
    if only:
        env["only"] = only
        add("if handle not in only: return None")
    if never:
        env["never"] = never
        add("if handle in never: return None")
    for flag in ("follower", "friend", "moderator", "subscriber"):
        want = getattr(spec, flag)
        if want is not None:
            add(f"if u.is_{flag} is not {bool(want)}: return None")
    if spec.top_gifter_rank is not None:
        env["top_rank"] = spec.top_gifter_rank
        add("rank = u.top_gifter_rank")
        add("if rank is None or rank > top_rank: return None")
    if spec.gifter_level is not None:
        env["gifter_level"] = spec.gifter_level
        add("if u.gifter_level < gifter_level: return None")
    if spec.fan_club_level is not None:
        env["fan_club_level"] = spec.fan_club_level
        add("if u.fan_club_level < fan_club_level: return None")


def _fields_on_every_kind(kinds: frozenset[str]) -> frozenset[str]:
    shared: frozenset[str] | None = None
    for kind in kinds:
        names = fields_of(kind)
        shared = names if shared is None else shared & names
    return shared or frozenset()


class Scope:
    """An event seen by ``when`` with the command's ``args`` alongside its fields."""

    __slots__ = ("_event", "args")

    def __init__(self, event: ev.Event, args: dict[str, str]) -> None:
        self._event = event
        self.args = args

    def __getattr__(self, name: str) -> Any:
        return getattr(self._event, name)

"""What a compiled rule is made of: the options the config file writes under a rule (who may
trigger it, counting, rate limits) and the compiled rule itself. The config's ``Rule``
(``config/schema.py``) composes the options; ``config/compile_rules.py`` builds the
``CompiledRule``; the engine, matcher and counters read it. Nothing here reads the config
package."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from livetrigger.settings import key

if TYPE_CHECKING:  # the config file's classes above load without the compiler's modules
    from livetrigger.actions.kind import CompiledAction
    from livetrigger.rules.command import CommandPattern
    from livetrigger.rules.conditions import Check
    from livetrigger.rules.template import Expression


@dataclass(frozen=True, slots=True, kw_only=True)
class UserFilter:
    """Who may trigger the rule. Every given filter must pass."""

    follower: bool | None = None
    friend: bool | None = None
    moderator: bool | None = None
    subscriber: bool | None = None
    top_gifter_rank: int | None = key(None, low=1, doc="rank <= N (1 = top gifter)")
    gifter_level: int | None = key(None, low=0, doc="gifter level >= N")
    fan_club_level: int | None = key(None, low=0, doc="fan-club level >= N")
    users: list[str] = key([], doc="only these @handles")
    exclude_users: list[str] = key([], doc="never these @handles")


@dataclass(frozen=True, slots=True, kw_only=True)
class Every:
    """Fire at every multiple of ``step``: of a field that grows (``field: total`` of likes)
    or of a running sum (``sum: count``). A jump past several multiples fires once for each."""

    field: str | None = None
    sum: str | None = None
    step: int = key(low=1)
    per: Literal["stream", "user"] = "stream"

    def mistake(self) -> str | None:
        if (self.field is None) == (self.sum is None):
            return "give exactly one of field (a growing value) or sum (add it up)"
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold:
    """Fire once when a running sum reaches ``at`` (reset when a stream starts)."""

    sum: str
    at: int = key(low=1)
    per: Literal["stream", "user"] = "stream"


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxFires:
    count: int = key(low=1)
    per: float = key(low=0.1, why="the window the count is kept over")


@dataclass(slots=True)
class CompiledRule:
    """A rule checked and compiled once: what the engine, its matcher and counters run."""

    id: str
    kinds: frozenset[str]
    actions: tuple[CompiledAction, ...]
    description: str = ""
    enabled: bool = True
    checks: list[Check] = field(default_factory=list)
    expression: Expression | None = None
    command: CommandPattern | None = None
    user: UserFilter | None = None
    gifts: frozenset[str | int] | None = None
    streak: str = "end"
    include_history: bool = False
    every: Every | None = None
    threshold: Threshold | None = None
    cooldown: float | None = None
    cooldown_per_user: float | None = None
    max_fires: tuple[int, float] | None = None
    overflow: str = "drop"
    queue_size: int = 100

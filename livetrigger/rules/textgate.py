"""One search that tells whether any keyword rule can match a comment at all.

Most chat rules look for words (``text: {contains: ...}`` or ``{regex: ...}``) and most
comments contain none of them. Rather than run each such rule on every comment, the engine
asks this gate once: every needle and pattern joined into one alternation, searched over the
same capped text the rules themselves see. A closed gate skips the lot; an open one lets every
gated rule run its full checks. The gate may open when no rule matches (two rules' needles,
one comment), never the reverse: ``search(a|b)`` finds something exactly when ``a`` or ``b``
does. Patterns run on RE2 (rules/patterns.py): every pattern it accepts stands on its own
inside ``(?:...)`` (no back-references; inline flags end with the group), so all join the
gate. Should RE2 refuse the joined pattern as too large, the regex rules are simply not gated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from livetrigger.rules.conditions import MAX_MATCH_TEXT, Check, lower_text
from livetrigger.rules.model import CompiledRule
from livetrigger.rules.patterns import compile_any

GATED_FIELD = "text"


class TextGate:
    __slots__ = ("_literals", "_patterns", "gated")

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        rules = tuple(rules)
        needles: list[str] = []
        patterns: list[str] = []
        gated: set[str] = set()
        for rule in rules:
            check = _gate_check(rule)
            if check is None:
                continue
            if check.op == "contains":
                needles.append(re.escape(str(check.arg).lower()))
            else:
                patterns.append(str(check.arg))
            gated.add(rule.id)
        self._literals = re.compile("|".join(needles)).search if needles else None
        self._patterns = compile_any(patterns) if patterns else None
        if patterns and self._patterns is None:  # too large joined: leave them ungated
            gated -= {r.id for r in _regex_gated(rules)}
        self.gated = frozenset(gated)

    def admits(self, text: object) -> bool:
        """False only when no gated rule's keyword or pattern occurs in ``text``."""
        if type(text) is not str:
            return True
        if self._literals is not None and self._literals(lower_text(text)) is not None:
            return True
        return self._patterns is not None and self._patterns(text[:MAX_MATCH_TEXT]) is not None


def _gate_check(rule: CompiledRule) -> Check | None:
    """The rule's first keyword condition on the comment: it must hold for the rule to fire."""
    if rule.kinds != {"chat"}:
        return None
    for check in rule.checks:
        if check.path == GATED_FIELD and check.op in ("contains", "regex"):
            return check
    return None


def _regex_gated(rules: Iterable[CompiledRule]) -> list[CompiledRule]:
    return [r for r in rules if (c := _gate_check(r)) is not None and c.op == "regex"]

"""One search that tells whether any keyword rule can match a comment at all.

Most chat rules look for words (``text: {contains: ...}`` or ``{regex: ...}``) and most
comments contain none of them. Rather than run each such rule on every comment, the engine
asks this gate once: every needle and pattern joined into one alternation, searched over the
same capped text the rules themselves see. A closed gate skips the lot; an open one lets every
gated rule run its full checks. The gate may open when no rule matches (two rules' needles,
one comment), never the reverse: ``search(a|b)`` finds something exactly when ``a`` or ``b``
does, for patterns that stand on their own. Patterns that do not (back-references, global
inline flags, clashing group names) stay out, and their rules are simply not gated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from livetrigger.rules.compile import CompiledRule
from livetrigger.rules.conditions import MAX_MATCH_TEXT, Check, lower_text

GATED_FIELD = "text"
# things that make a pattern depend on its neighbours or its group numbers
_NOT_STANDALONE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(|\(\?[aiLmsux]+\)")


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
            elif _standalone(str(check.arg)):
                patterns.append(f"(?:{check.arg})")
            else:
                continue
            gated.add(rule.id)
        self._literals = re.compile("|".join(needles)).search if needles else None
        self._patterns = None
        if patterns:
            try:
                self._patterns = re.compile("|".join(patterns), re.IGNORECASE).search
            except re.error:  # e.g. two patterns naming a group alike: leave them ungated
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


def _standalone(pattern: str) -> bool:
    if _NOT_STANDALONE.search(pattern):
        return False
    try:
        re.compile(f"(?:{pattern})|", re.IGNORECASE)
    except re.error:
        return False
    return True

"""Regular expressions from the config, matched in linear time (RE2).

Comments and nicknames are typed by viewers, and a backtracking engine (Python's ``re``) can
take minutes on one crafted 31-character comment against a pattern like ``(a+)+$``, with the
event loop stopped the whole time. RE2 matches in time linear in the text whatever the
pattern, so a rule's regex costs microseconds on any comment (figures: bench/regex_engines.py,
BENCHMARKS.md). The price is a smaller language: no back-references and no lookaround.
Patterns using them are config errors that say what to write instead.

``check`` also refuses a repetition of something that already repeats (``(a+)+``): harmless
here, but catastrophic in every backtracking engine the same pattern might be copied to, and
always writable as the plain inner repetition.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import re2

Search = Callable[[str], object | None]

_OPTIONS = re2.Options()
_OPTIONS.case_sensitive = False
_OPTIONS.never_capture = True  # rules only ask "does it match": no groups, the DFA alone
_OPTIONS.log_errors = False  # errors are ours to word, not RE2's to print on stderr

_LINEAR = "rule patterns run on RE2, which matches in linear time"
_UNSUPPORTED: tuple[tuple[str, str], ...] = (
    (
        "(?=",
        f"lookahead `(?=...)` is not supported ({_LINEAR}): match the text itself,"
        " or add a second `when:` condition for what must follow",
    ),
    (
        "(?!",
        f"negative lookahead `(?!...)` is not supported ({_LINEAR}): for 'must not contain'"
        " add an `if:` expression such as \"'spam' not in text\"",
    ),
    (
        "(?<=",
        f"lookbehind `(?<=...)` is not supported ({_LINEAR}): match the text before it too,"
        " or add a second `when:` condition",
    ),
    (
        "(?<!",
        f"negative lookbehind `(?<!...)` is not supported ({_LINEAR}): for 'must not contain'"
        " add an `if:` expression such as \"'spam' not in text\"",
    ),
    (
        "(?P=",
        f"a back-reference `(?P=name)` is not supported ({_LINEAR}): write the repeated"
        " text out, e.g. `(ha){2}` instead of `(?P<x>ha)(?P=x)`",
    ),
    (
        "(?>",
        "an atomic group `(?>...)` is not needed (RE2 never backtracks): write `(?:...)`",
    ),
    (
        "(?(",
        f"a conditional `(?(1)...|...)` is not supported ({_LINEAR}): write two rules",
    ),
    ("(?#", "comments `(?#...)` are not supported: delete them (YAML `#` comments work)"),
)
# groups inside one another: the nested-repetition check below walks them recursively, and no
# rule needs more than a handful (RE2 itself takes 1,000)
MAX_GROUP_DEPTH = 100
_BACKREF = re.compile(r"\\[1-9]")
_POSSESSIVE = re.compile(r"[*+?}]\+")


class PatternProblem(ValueError):
    """A pattern RE2 cannot run, or one ``check`` refuses; the message says what to write."""


def compile_search(pattern: str) -> Search:
    """A case-insensitive search for ``pattern``: something when it occurs, else None."""
    try:
        re2.compile(pattern, _OPTIONS)  # for RE2's own words on a bad pattern
    except re2.error as exc:
        raise PatternProblem(_explain(pattern, exc)) from None
    depth = group_depth(pattern)
    if depth > MAX_GROUP_DEPTH:
        raise PatternProblem(
            f"groups nested {depth} deep; a rule pattern nests at most {MAX_GROUP_DEPTH}: "
            "write it with fewer ( ) inside one another"
        )
    nested = nested_repetition(pattern)
    if nested is not None:
        raise PatternProblem(nested)
    search = linear_search([pattern])
    if search is None:
        raise PatternProblem(f"{pattern!r}: the pattern is too large to run")
    return search


def compile_any(patterns: Iterable[str]) -> Search | None:
    """One search that matches where any of ``patterns`` does (each must compile alone), or
    None when RE2 refuses the combination (too large): then callers test them one by one."""
    return linear_search(patterns)


def linear_search(patterns: Iterable[str]) -> Search | None:
    """An RE2 set of ``patterns``, searched at once, or None if RE2 refuses one of them.

    A set answers only "which patterns occur", which is all rules ask: it skips the match
    object the plain search builds, ~1-2 µs a comment instead of 2-6 µs."""
    matcher = re2.Set.SearchSet(_OPTIONS)
    try:
        for pattern in patterns:
            matcher.Add(pattern)
        matcher.Compile()
    except re2.error:
        return None
    match: Search = matcher.Match

    def search(text: str) -> object | None:
        try:
            return match(text)
        except UnicodeEncodeError:  # a lone surrogate: RE2 reads UTF-8
            return match(text.encode("utf-8", "replace").decode("utf-8"))

    return search


def _explain(pattern: str, exc: Exception) -> str:
    raw = exc.args[0] if exc.args else exc
    reason = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    for marker, message in _UNSUPPORTED:
        if marker in pattern and marker in reason.replace("(?P", "(?P="):
            return f"{pattern!r}: {message}"
    if "escape sequence" in reason and _BACKREF.search(pattern):
        return (
            f"{pattern!r}: a back-reference like `\\1` is not supported ({_LINEAR}):"
            " write the repeated text out, e.g. `(ha){2}` instead of `(ha)\\1`"
        )
    if "escape sequence: \\Z" in reason:
        return f"{pattern!r}: write `\\z` (end of text) instead of `\\Z`"
    if "repetition operator" in reason and _POSSESSIVE.search(pattern):
        return (
            f"{pattern!r}: possessive repetition like `a++` is not needed (RE2 never"
            " backtracks): write `a+`"
        )
    if "repetition size" in reason:
        return (
            f"{pattern!r}: {reason}; counts go up to 1000 (comments are matched on their"
            " first 1,000 characters anyway)"
        )
    if "too large" in reason or "out of memory" in reason:
        return f"{pattern!r}: the pattern is too large to run; use smaller repetition counts"
    if "perl operator" in reason and "(?" in pattern:
        return (
            f"{pattern!r}: {reason}; RE2 knows the flags `(?i)`, `(?m)`, `(?s)`, `(?U)`"
            " and groups `(?:...)`, `(?P<name>...)`"
        )
    return f"invalid regular expression {pattern!r}: {reason}"


# -- nested repetition: (a+)+, (?:\w*)*, ((x+))+, (a+|b)+ -----------------------------------


@dataclass(slots=True)
class _Item:
    start: int
    end: int = 0  # end of the atom; the quantifier follows
    unbounded: bool = False  # followed by *, + or {n,}
    quantified_end: int = 0
    branches: list[list[_Item]] | None = None  # a group's alternatives


@dataclass(slots=True)
class _Parser:
    text: str
    pos: int = 0
    found: str | None = field(default=None)

    def branches(self) -> list[list[_Item]]:
        out: list[list[_Item]] = [[]]
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == ")":
                return out
            if ch == "|":
                self.pos += 1
                out.append([])
                continue
            item = self.atom()
            if item is None:
                continue
            self.quantifier(item)
            out[-1].append(item)
            if self.found is None and item.unbounded and _repeats(item):
                self.found = self.describe(item)
        return out

    def atom(self) -> _Item | None:
        t, start = self.text, self.pos
        ch = t[start]
        if ch == "\\":
            self.pos += 2
            if t[self.pos : self.pos + 1] == "{" and t[start + 1 : start + 2] in ("p", "P", "x"):
                self.pos = t.find("}", self.pos) + 1 or len(t)
            elif t[start + 1 : start + 2] in ("p", "P"):  # \pL: one-letter class name
                self.pos += 1
        elif ch == "[":
            self.pos = _class_end(t, start)
        elif ch == "(":
            self.pos += 1
            if t.startswith("?", self.pos):
                close = _group_head_end(t, self.pos)
                if close is None:  # a flag group like (?i): no body, nothing to repeat
                    self.pos = t.find(")", self.pos) + 1 or len(t)
                    return None
                self.pos = close
            branches = self.branches()
            self.pos += 1  # the ")"
            return _Item(start, self.pos, branches=branches)
        else:
            self.pos += 1
        return _Item(start, self.pos)

    def quantifier(self, item: _Item) -> None:
        t = self.text
        ch = t[self.pos : self.pos + 1]
        if ch in ("*", "+"):
            item.unbounded = True
            self.pos += 1
        elif ch == "?":
            self.pos += 1
        elif ch == "{":
            m = re.compile(r"\{(\d*)(,?)(\d*)\}").match(t, self.pos)
            if m is None:
                return
            item.unbounded = bool(m.group(2)) and not m.group(3)
            self.pos = m.end()
        else:
            item.quantified_end = self.pos
            return
        if t[self.pos : self.pos + 1] == "?":  # lazy
            self.pos += 1
        item.quantified_end = self.pos

    def describe(self, item: _Item) -> str:
        t = self.text
        whole = t[item.start : item.quantified_end]
        inner = _single_repeating(item)
        fix = ""
        if inner is not None:
            outer_q = t[item.end : item.quantified_end]
            inner_q = t[inner.end : inner.quantified_end]
            atom = t[inner.start : inner.end]
            quants = {outer_q.rstrip("?"), inner_q.rstrip("?")}
            if quants <= {"+", "*"}:
                quant = "+" if quants == {"+"} else "*"
                fix = f": write `{atom}{quant}`, which matches the same text"
        return (
            f"`{whole}` repeats something that already repeats (nested quantifiers); in a"
            f" backtracking engine one comment can make it run for minutes{fix}"
        )


def _repeats(item: _Item) -> bool:
    """Whether one alternative of this group is, in effect, a single unbounded repetition."""
    if item.branches is None:
        return False
    return any(
        len(branch) == 1 and (branch[0].unbounded or _repeats(branch[0]))
        for branch in item.branches
    )


def _single_repeating(item: _Item) -> _Item | None:
    if item.branches is None or len(item.branches) != 1 or len(item.branches[0]) != 1:
        return None
    inner = item.branches[0][0]
    if inner.unbounded and inner.branches is None:
        return inner
    return _single_repeating(inner) if not inner.unbounded else None


def _class_end(t: str, start: int) -> int:
    i = start + 1
    if t.startswith("^", i):
        i += 1
    if t.startswith("]", i):
        i += 1
    while i < len(t):
        if t[i] == "\\":
            i += 2
        elif t.startswith("[:", i):
            close = t.find(":]", i + 2)
            i = close + 2 if close >= 0 else i + 1
        elif t[i] == "]":
            return i + 1
        else:
            i += 1
    return len(t)


def _group_head_end(t: str, i: int) -> int | None:
    """After ``(?``: where a group's body starts, or None for a bare flag group ``(?i)``."""
    m = re.compile(r"\?(?:P?<[A-Za-z_][A-Za-z0-9_]*>|[imsU-]*:)").match(t, i)
    return m.end() if m else None


def group_depth(pattern: str) -> int:
    """How deep ``pattern``'s groups nest (escapes and character classes skipped)."""
    depth = deepest = i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(pattern, i)
            continue
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
        i += 1
    return deepest


def nested_repetition(pattern: str) -> str | None:
    """A message when ``pattern`` repeats a group that is itself one unbounded repetition."""
    parser = _Parser(pattern)
    try:
        while parser.pos < len(pattern):
            parser.branches()
            parser.pos += 1  # a stray ")": RE2 refused the pattern already
    except IndexError:
        return None
    return parser.found

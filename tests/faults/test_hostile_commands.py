"""`command:` patterns against hostile comments (issue 25, item 4): with Python's ``re``, 22
optional arguments and a 23-word comment took 3.3 s, doubling with each argument, with the event
loop held. Command patterns now run on RE2 like rule regexes; they still give each argument
what ``re`` gave it (the reference reading below, on inputs small enough for ``re``)."""

from __future__ import annotations

import re

import re2
from hypothesis import example, given, settings
from hypothesis import strategies as st

from livetrigger.rules.command import CommandPattern

RE2_REGEXP = type(re2.compile("x"))


def hostile(n: int) -> tuple[str, str]:
    """``n`` optional arguments and a comment of one word too many: no match, so a
    backtracking engine tries every way to leave ``n`` words out (2**n)."""
    return "!x " + " ".join(f"{{a{i}?}}" for i in range(n)), "!x" + " w" * (n + 1)


def test_many_optional_arguments_run_on_the_linear_engine() -> None:
    for n in (22, 60):
        source, comment = hostile(n)
        pattern = CommandPattern(source)
        # the engine's own kind, not a timing: RE2 has no backtracking to blow up
        assert isinstance(pattern._regex, RE2_REGEXP)
        assert pattern.match(comment) is None
        words = pattern.match(comment.rsplit(" ", 1)[0])
        assert words is not None and len(words) == n


def reference(source: str, text: str) -> dict[str, str] | None:
    """What the pattern meant on Python's ``re`` (the code before RE2)."""
    parts = []
    for i, word in enumerate(source.split()):
        m = re.match(r"^\{([A-Za-z_][A-Za-z0-9_]*)(\?|\.\.\.)?\}$", word)
        sep = "\\s+" if i else ""
        if not m:
            parts.append(sep + re.escape(word))
            continue
        name, mode = m.groups()
        value = f"(?P<{name}>.+)" if mode == "..." else f"(?P<{name}>\\S+)"
        parts.append(f"(?:{sep}{value})?" if mode == "?" else f"{sep}{value}")
    found = re.match("^\\s*" + "".join(parts) + "\\s*$", text, re.IGNORECASE | re.DOTALL)
    if found is None:
        return None
    return {k: v for k, v in found.groupdict().items() if v is not None}


SPACES = " \t\n\x0b\x1c\x85\xa0\u2003\u3000"  # ASCII, and what only Unicode calls a space


@st.composite
def patterns(draw: st.DrawFn) -> str:
    words = ["!Light", "to", "Ünï"]
    n = draw(st.integers(0, 5))
    parts = [draw(st.sampled_from(words))]
    for i in range(n):
        kind = draw(st.sampled_from(["{a%d}", "{a%d?}", "{a%d?}", "word"]))
        parts.append(draw(st.sampled_from(words)) if kind == "word" else kind % i)
    if draw(st.booleans()):
        parts.append("{rest...}")
    return " ".join(parts)


texts = st.lists(
    st.one_of(
        st.sampled_from(["!light", "!LIGHT", "TO", "to", "üNÏ", "on", "3", "x\x00y", "!"]),
        st.text(alphabet="ab!{}", min_size=1, max_size=3),
    ),
    max_size=8,
).flatmap(
    lambda words: st.lists(
        st.text(alphabet=SPACES, min_size=1, max_size=2),
        min_size=len(words) + 1,
        max_size=len(words) + 1,
    ).map(lambda gaps: "".join(g + w for g, w in zip(gaps, [*words, ""], strict=True)))
)


@settings(max_examples=400, deadline=None)
@given(source=patterns(), text=texts)
@example("!light {state} {level?}", "\u3000!LIGHT\xa0on 3\n")
@example("!say {who} {msg...}", "!say bob hello\u2003 there \n")
@example("!x {a?} to {b}", "!x to to")
def test_arguments_are_what_re_gave_them(source: str, text: str) -> None:
    assert CommandPattern(source).match(text) == reference(source, text)

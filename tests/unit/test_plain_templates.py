"""Plain templates — text with ``{{ name.attr }}`` holes, and expressions that only look a
value up — are read without Jinja (issue 18: a config of plain templates never loads it).
These hold the Jinja-free reading to what Jinja's parser and sandbox give."""

from __future__ import annotations

import enum
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from livetrigger import events as ev
from livetrigger.rules import jinja_templates as j
from livetrigger.rules import template as t
from livetrigger.rules import template_limits as limits

PIECES = [
    "{{", "}}", "{", "}", " ", "\t", "\n", "\r", "a", "user", ".", "nickname", "_x", "-", "%",
    "#", "{%", "%}", "{#", "#}", "not", "true", "None", "x1", "é", "{{ a }}", "{{ user.nickname }}",
    "{{a.b.c}}", "{{- a }}", "{{ a -}}", "{{ a.0 }}", "{{ a . b }}",
]  # fmt: skip
SOURCES = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@settings(max_examples=1000, deadline=None)
@given(source=SOURCES)
def test_holes_split_text_as_jinja_parses_it(source: str) -> None:
    mine = t.holes(source)
    if mine is not None:
        assert mine == j.holes_by_jinja(source)
        if any(mark in source for mark in ("{{", "{%", "{#")):
            assert t.referenced_names(source) == j.referenced_names(source)


def test_the_common_shapes_are_plain() -> None:
    assert t.holes("🎁 {{ user.nickname }} sent {{repeat_count}}× {{ gift_name }}") == [
        "🎁 ",
        ("user", ("nickname",)),
        " sent ",
        ("repeat_count", ()),
        "× ",
        ("gift_name", ()),
    ]
    assert t.holes('{"u": "{{ user.unique_id }}", "n": {{ n }}}') is not None
    for shape in ("{{ a|upper }}", "{% if a %}x{% endif %}", "{{ a }}\n", "{{ _a }}", "{{ true }}"):
        assert t.holes(shape) is None, shape


def test_what_is_known_without_jinja_is_jinjas() -> None:
    assert {n for n in j.TEXT_ENV.globals if not n.startswith("__")} == t.GLOBAL_NAMES
    assert (t._MAX_BUILT, t._MAX_INT_BITS) == (limits.MAX_BUILT, limits.MAX_INT_BITS)


class Colour(enum.Enum):
    RED = "red"


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(2**5000),  # over the template limit: the sandbox's error
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.just(Colour.RED),
    st.just([1, 2]),
    st.just({"items": 1, "state": "on"}),
    st.builds(ev.User, nickname=st.text(max_size=3)),
    st.just(ev.ChatEvent(text="hi")),
)
LOOKUPS = [
    "v", "{{ v }}", " v.state ", "v.items", "v.nickname", "v.nickname.x", "v.user.nickname",
    "v.text", "v.real", "missing", "missing.x", "d.v", "d.v.nickname", "d.nope", "d.nope.x",
    "range", "n.x", "n.x.y",
]  # fmt: skip


def outcome(call: Any, ctx: dict[str, Any]) -> tuple[str, Any]:
    try:
        value = call(ctx)
    except Exception as exc:
        return ("raises", type(exc).__name__)
    return (type(value).__name__, value)


@settings(max_examples=600, deadline=None)
@given(value=VALUES, inner=VALUES, source=st.sampled_from(LOOKUPS))
def test_lookups_give_what_the_sandbox_gives(value: Any, inner: Any, source: str) -> None:
    ctx = {"v": value, "d": {"v": inner}, "n": None}
    fast = t.Expression(source)
    assert fast._path is not None
    bare = source.strip().removeprefix("{{").removesuffix("}}")
    assert outcome(fast, ctx) == outcome(j.compile_expression(bare), ctx), source
    assert t.referenced_names(source, expression=True) == j.referenced_names(f"{{{{ {bare} }}}}")

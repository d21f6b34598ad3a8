"""Topic rules: a value printed into a topic is one level, and nothing a broker would refuse
is ever handed to paho (issue 19, item 2)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError
from livetrigger.text.topics import TopicLevels, escape_level, topic_problem


@settings(max_examples=500)
@given(value=st.text(min_size=1))
@example("new\nline")
@example("\x85")
@example("\ufdd0")
@example("\U0010ffff")
@example("\U0001fffe")
@example("a/../+/#/$SYS/%41")
def test_any_value_is_one_valid_level_that_decodes_back(value: str) -> None:
    level = escape_level(value)
    assert "/" not in level
    assert topic_problem(f"lt/{level}/x") is None or len(level.encode()) > 65000
    assert unquote(level) == value


def test_escaping_keeps_ordinary_text_and_the_configured_base() -> None:
    assert escape_level("Zoë 🌹 (x) a.b") == "Zoë 🌹 (x) a.b"
    assert escape_level("50% off") == "50%25 off"
    assert escape_level("\ud800") == "%EF%BF%BD"  # a lone surrogate has no UTF-8
    assert escape_level(TopicLevels("home/lt")) == "home/lt"


@pytest.mark.parametrize(
    ("topic", "why"),
    [
        ("", "empty topic"),
        ("a/+", "wildcards"),
        ("a/#", "wildcards"),
        ("a/\x00", "U+0000"),
        ("a/b\nc", "U+000A"),
        ("a/\x7f", "U+007F"),
        ("a/\x85", "U+0085"),
        ("a/\ufdd0", "U+FDD0"),
        ("a/\ufdef", "U+FDEF"),
        ("a/\ufffe", "U+FFFE"),
        ("a/\U0010ffff", "U+10FFFF"),
        ("a/\ud800", "U+D800"),
        ("$SYS/x", "belong to the broker"),
        ("a//b", "empty topic level"),
        ("/a", "empty topic level"),
        ("a" + "/a" * 201, "more than 201 topic levels"),
        ("a/" + "é" * 32767, "longer than 65535 bytes"),
    ],
)
def test_what_a_broker_refuses_is_named(topic: str, why: str) -> None:
    problem = topic_problem(topic)
    assert problem is not None and why in problem


def test_the_longest_valid_topics_pass() -> None:
    assert topic_problem("a" + "/a" * 200) is None
    assert topic_problem("a/" + "b" * 65533) is None
    assert topic_problem("a/$x/\u00a0 é\U0010fffd") is None


HEAD = """\
mqtt: {host: localhost}
rooms:
  - username: "@room"
    rules:
      - id: r
        on: chat
        do:
"""


@pytest.mark.parametrize(
    ("topic", "why"),
    [
        ('"lt/+/{{ user.nickname }}"', "wildcards"),
        ('"lt//{{ user.nickname }}"', "empty topic level"),
        ('"$SYS/{{ user.nickname }}"', "belong to the broker"),
        ('"lt/{{ user.nickname }}\\n"', "U+000A"),
    ],
)
def test_a_topic_template_whose_own_text_is_invalid_is_a_config_error(topic: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(HEAD + f"          - mqtt: {{topic: {topic}}}\n", "c.yaml")
    (problem,) = info.value.problems
    assert "rules[0].do[0].mqtt.topic" in problem and why in problem


@settings(max_examples=200)
@given(nickname=st.text())
def test_jinja_and_the_fast_renderer_escape_alike(nickname: str) -> None:
    from livetrigger.rules.template import TextTemplate  # noqa: PLC0415

    ctx = {"user": {"nickname": nickname}, "base": TopicLevels("a/b")}
    fast = TextTemplate("{{ base }}/{{ user.nickname }}/x", escape=escape_level)
    jinja = TextTemplate("{{ base }}/{{ user.nickname | string }}{{ '' }}/x", escape=escape_level)
    assert fast.render(ctx) == jinja.render(ctx) == f"a/b/{escape_level(nickname)}/x"


def test_a_long_topic_is_never_cut_but_refused_whole() -> None:
    from livetrigger.rules.template import MAX_RENDERED, TextTemplate  # noqa: PLC0415

    rendered = TextTemplate("lt/{{ v }}", escape=escape_level).render({"v": "a" * MAX_RENDERED})
    assert len(rendered) == MAX_RENDERED + 3
    assert "longer than 65535 bytes" in (topic_problem(rendered) or "")

"""Generated rule matchers and counters: the fast forms must agree with the plain ones."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livetrigger import events as ev
from livetrigger.config import load_config_text
from livetrigger.rules.conditions import compile_when, lower_text
from livetrigger.rules.counting import PER_USER_STATE
from livetrigger.rules.engine import Engine
from livetrigger.rules.matcher import build_matcher
from livetrigger.rules.model import CompiledRule

INLINE_CASES = [
    ("gt", 10),
    ("gte", 10),
    ("lt", 2.5),
    ("lte", 0),
    ("contains", "Ro"),
    ("startswith", "!LIGHT"),
    ("endswith", "ß"),
    ("regex", "^!vote (a|b)$"),
    ("regex", "x$"),
]

values = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=30),
    st.sampled_from(["!vote a", "!VOTE B", "Rose", "a" * 1200 + "x", "x", "!light on", "Straß"]),
    st.sampled_from(list(ev.FollowRole) + list(ev.StreakState)),
)


@pytest.mark.parametrize(("op", "arg"), INLINE_CASES)
@settings(max_examples=300, deadline=None)
@given(value=values)
def test_inline_form_agrees_with_predicate(op: str, arg: Any, value: Any) -> None:
    # a field of the operand's type (`text: {gt: 10}` is a config problem); the value is any
    field, kind = ("text", "chat") if isinstance(arg, str) else ("diamonds", "gift")
    (check,), problems = compile_when({field: {op: arg}}, [kind], ("when",))
    assert not problems and check.inline is not None
    expression = check.inline.format(v="v", x="x", p="p")
    env = {"v": value, "x": check.operand, "p": check.test, "lower": lower_text}
    assert bool(eval(expression, env)) == check.test(value)


def test_combined_operators_keep_the_predicate() -> None:
    (check,), _ = compile_when({"diamonds": {"gte": 1, "lt": 10}}, ["gift"], ("when",))
    assert check.inline is None  # two operators on one field: the plain conjunction runs


def rules(yaml: str) -> tuple[CompiledRule, ...]:
    body = "\n".join("      " + line for line in yaml.splitlines())
    return load_config_text(f"rooms:\n  - username: '@r'\n    rules:\n{body}\n").rooms[0].rules


def test_config_values_never_reach_the_generated_source() -> None:
    hostile = "a'); import os; os._exit(1) #"
    (rule,) = rules(
        '- id: r\n  on: gift\n  gift: ["' + hostile + '"]\n'
        '  user: {users: ["@' + hostile + '"], gifter_level: 3}\n'
        '  when: {gift_name: {contains: "' + hostile + '"}}\n  do: [{log: x}]'
    )
    match = build_matcher(rule)
    assert match.__doc__ is not None and "import" not in match.__doc__
    who = ev.User(unique_id=hostile, gifter_level=3)
    hit = ev.GiftEvent(user=who, gift_name=hostile)
    assert match(hit) == {}
    assert match(ev.GiftEvent(user=who, gift_name="Rose")) is None


# -- a plain reading of the rule record, the oracle the generated matchers must agree with ----


def reference_match(rule: CompiledRule, event: ev.Event) -> dict[str, str] | None:
    if event.is_history and not rule.include_history:
        return None
    if isinstance(event, ev.GiftEvent):
        if rule.streak == "end" and not event.is_final:
            return None
        if rule.streak == "start" and event.streak not in (
            ev.StreakState.START,
            ev.StreakState.SINGLE,
        ):
            return None
        if rule.gifts is not None and not (
            event.gift_id in rule.gifts or event.gift_name.lower() in rule.gifts
        ):
            return None
    spec = rule.user
    if spec is not None:
        u = event.user
        handle = u.unique_id.lower()
        only = {x.lstrip("@").lower() for x in spec.users}
        never = {x.lstrip("@").lower() for x in spec.exclude_users}
        checks = [
            not only or handle in only,
            handle not in never,
            spec.follower is None or u.is_follower == spec.follower,
            spec.friend is None or u.is_friend == spec.friend,
            spec.moderator is None or u.is_moderator == spec.moderator,
            spec.subscriber is None or u.is_subscriber == spec.subscriber,
            spec.top_gifter_rank is None
            or (u.top_gifter_rank is not None and u.top_gifter_rank <= spec.top_gifter_rank),
            spec.gifter_level is None or u.gifter_level >= spec.gifter_level,
            spec.fan_club_level is None or u.fan_club_level >= spec.fan_club_level,
        ]
        if not all(checks):
            return None
    args: dict[str, str] = {}
    if rule.command is not None:
        found = rule.command.match(getattr(event, "text", ""))
        if found is None:
            return None
        args = found

    class Scope:
        def __getattr__(self, name: str) -> Any:
            return args if name == "args" else getattr(event, name)

    for check in rule.checks:
        if not check.test(check.get(Scope())):
            return None
    return args


RULES = rules(
    """\
- id: big
  on: gift
  when: {total_diamonds: {gte: 100}}
  do: [{log: x}]
- id: roses
  on: gift
  gift: [Rose, 5655]
  streak: start
  user: {follower: true, exclude_users: ['@Mallory']}
  do: [{log: x}]
- id: each
  on: [gift, chat]
  streak: each
  user: {users: ['@alice', bob], fan_club_level: 2}
  when: {user.nickname: {startswith: al}}
  do: [{log: x}]
- id: cmd
  command: '!light {state} {level?}'
  user: {moderator: true}
  when: {args.state: [on, off], text: {regex: 'light'}}
  do: [{log: x}]
- id: vip
  on: chat
  include_history: true
  user: {top_gifter_rank: 3, gifter_level: 20, friend: false}
  when: {text: {contains: hi}}
  do: [{log: x}]
"""
)

users = st.builds(
    ev.User,
    id=st.integers(0, 5),
    unique_id=st.sampled_from(["alice", "Bob", "mallory", "carol", ""]),
    nickname=st.sampled_from(["Alice", "al", "Bob", ""]),
    follow_role=st.sampled_from(list(ev.FollowRole)),
    is_moderator=st.booleans(),
    is_subscriber=st.booleans(),
    top_gifter_rank=st.one_of(st.none(), st.integers(1, 5)),
    gifter_level=st.integers(0, 30),
    fan_club_level=st.integers(0, 4),
)
gifts = st.builds(
    ev.GiftEvent,
    user=users,
    is_history=st.booleans(),
    gift_id=st.sampled_from([5655, 1, 7934]),
    gift_name=st.sampled_from(["Rose", "ROSE", "Lion", ""]),
    streak=st.sampled_from(list(ev.StreakState)),
    total_diamonds=st.sampled_from([0, 99, 100, 5000]),
)
chats = st.builds(
    ev.ChatEvent,
    user=users,
    is_history=st.booleans(),
    text=st.one_of(
        st.sampled_from(["!light on", "!LIGHT off 3", "!light maybe", "hi there", "HI", "Ghi"]),
        st.text(max_size=20),
    ),
    language=st.sampled_from(["en", "EN", "de", ""]),
)


@settings(max_examples=1500, deadline=None)
@given(event=st.one_of(gifts, chats))
def test_generated_matchers_agree_with_the_plain_reading(event: ev.Event) -> None:
    for rule in RULES:
        if event.kind in rule.kinds:
            assert build_matcher(rule)(event) == reference_match(rule, event), rule.id


def test_every_per_user_counts_each_viewer_apart() -> None:
    (rule,) = rules(
        "- id: r\n  on: like\n  every: {sum: count, step: 10, per: user}\n  do: [{log: x}]"
    )
    e = Engine([rule], room="r")
    a, b = ev.User(id=1, unique_id="a"), ev.User(id=2, unique_id="b")
    assert e.firings(ev.LikeEvent(user=a, count=6), 0) == []
    assert e.firings(ev.LikeEvent(user=b, count=6), 0) == []
    assert [f.milestone for f in e.firings(ev.LikeEvent(user=a, count=25), 0)] == [10, 20, 30]
    assert [f.milestone for f in e.firings(ev.LikeEvent(user=b, count=4), 0)] == [10]


def test_field_every_per_user_joined_mid_stream() -> None:
    (rule,) = rules(
        "- id: r\n  on: like\n  every: {field: total, step: 100, per: user}\n  do: [{log: x}]"
    )
    e = Engine([rule], room="r")
    a, b = ev.User(id=1), ev.User(id=2)
    assert [f.milestone for f in e.firings(ev.LikeEvent(user=a, total=350), 0)] == [300]
    assert [f.milestone for f in e.firings(ev.LikeEvent(user=b, total=120), 0)] == [100]
    assert [f.milestone for f in e.firings(ev.LikeEvent(user=a, total=520), 0)] == [400, 500]
    assert e.firings(ev.LikeEvent(user=a, total=300), 0) == []  # totals never go back


def test_threshold_per_user_fires_once_for_each_viewer() -> None:
    (rule,) = rules(
        "- id: r\n  on: gift\n  threshold: {sum: total_diamonds, at: 100, per: user}\n"
        "  do: [{log: x}]"
    )
    e = Engine([rule], room="r")
    a, b = ev.User(id=1), ev.User(id=2)
    assert e.firings(ev.GiftEvent(user=a, total_diamonds=60), 0) == []
    assert [f.milestone for f in e.firings(ev.GiftEvent(user=a, total_diamonds=60), 0)] == [100]
    assert e.firings(ev.GiftEvent(user=a, total_diamonds=500), 0) == []
    assert len(e.firings(ev.GiftEvent(user=b, total_diamonds=100), 0)) == 1
    e.firings(ev.LiveStartedEvent(), 0)
    assert len(e.firings(ev.GiftEvent(user=a, total_diamonds=100), 0)) == 1


def test_a_jump_fires_at_most_the_last_hundred_milestones() -> None:
    (rule,) = rules("- id: r\n  on: like\n  every: {sum: count, step: 1}\n  do: [{log: x}]")
    e = Engine([rule], room="r")
    got = [f.milestone for f in e.firings(ev.LikeEvent(count=10**6), 0)]
    assert got == list(range(10**6 - 99, 10**6 + 1))


# -- the chat keyword gate ------------------------------------------------------------------

GATE_RULES = rules(
    """\
- id: word
  on: chat
  when: {text: {contains: 'Straße'}}
  do: [{log: x}]
- id: vote
  on: chat
  when: {text: {regex: '^!vote (a|b)$'}}
  do: [{log: x}]
- id: dotted
  on: chat
  when: {text: {regex: 'İ.x'}}
  do: [{log: x}]
- id: plain_dot
  on: chat
  when: {text: {regex: 'c.d'}}
  do: [{log: x}]
- id: flagged
  on: chat
  when: {text: {regex: '(?s)a.b'}}
  do: [{log: x}]
- id: empty
  on: chat
  when: {text: {contains: ''}, user.is_moderator: true}
  do: [{log: x}]
"""
)


def test_every_pattern_is_gated_and_inline_flags_stay_with_their_own_pattern() -> None:
    e = Engine(GATE_RULES, room="r")
    assert e._gate.gated == {"word", "vote", "dotted", "plain_dot", "flagged", "empty"}
    assert [f.rule_id for f in e.firings(ev.ChatEvent(text="a\nb"), 0)] == ["flagged"]
    assert [f.rule_id for f in e.firings(ev.ChatEvent(text="c\nd"), 0)] == []


@settings(max_examples=2000, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.sampled_from(
            ["STRASSE", "straße!", "!vote a", "!VOTE B", "ix", "İ x", "iİx", "c\nd", "a\nb"]
        ),
        st.builds(lambda a, b: a + b, st.text(max_size=5), st.sampled_from(["ß", "İ", "!vote b"])),
    ),
    moderator=st.booleans(),
)
def test_a_closed_gate_means_no_gated_rule_could_match(text: str, moderator: bool) -> None:
    e = Engine(GATE_RULES, room="r")
    event = ev.ChatEvent(text=text, user=ev.User(is_moderator=moderator))
    if not e._gate.admits(text):
        gated = [r for r in GATE_RULES if r.id in e._gate.gated]
        assert all(build_matcher(r)(event) is None for r in gated), text
    # and the engine, gate and all, fires exactly the rules whose own checks pass
    expected = [r.id for r in GATE_RULES if build_matcher(r)(event) is not None]
    assert [f.rule_id for f in e.firings(event, 0)] == expected


def test_threshold_per_user_keeps_no_entry_per_viewer_beyond_the_bound() -> None:
    # a flood of distinct viewers each reaching a per-user threshold (likes are free) must
    # not grow a set for the whole stream: the per-user sums are the only record, bounded
    (rule,) = rules(
        "- id: r\n  on: like\n  threshold: {sum: count, at: 5, per: user}\n  do: [{log: x}]"
    )
    e = Engine([rule], room="r")
    for n in range(PER_USER_STATE + 5_000):
        assert len(e.firings(ev.LikeEvent(user=ev.User(id=n + 1), count=5), 0)) == 1
    state = e._state["r"]
    assert len(state.user_values) == PER_USER_STATE and len(state.user_reached) == 0
    last = ev.User(id=PER_USER_STATE + 5_000)
    assert e.firings(ev.LikeEvent(user=last, count=5), 0) == []  # still remembered: once


def test_cooldown_per_user_forgets_viewers_whose_cooldown_is_over() -> None:
    (rule,) = rules("- id: r\n  on: follow\n  cooldown_per_user: 60s\n  do: [{log: x}]")
    e = Engine([rule], room="r")
    for n in range(10_000):  # one new viewer a second for almost three hours
        assert len(e.firings(ev.FollowEvent(user=ev.User(id=n + 1)), float(n))) == 1
    assert len(e._state["r"].user_last_fire) <= 61  # those of the last minute, not 10,000
    recent = ev.User(id=10_000)
    assert e.firings(ev.FollowEvent(user=recent), 10_030.0) == []  # still cooling down
    assert len(e.firings(ev.FollowEvent(user=recent), 10_060.0)) == 1

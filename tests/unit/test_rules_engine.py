"""The rules engine: conditions, filters, streaks, counters, rate controls, templates."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import livetrigger.rules.engine as engine_module
from livetrigger import actions as act
from livetrigger import events as ev
from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError
from livetrigger.rules.engine import Engine

HEAD = """\
mqtt: {host: localhost}
gpio: {pin_factory: mock, outputs: {lamp: {pin: 17}}}
webhooks: {hook: {url: "http://127.0.0.1:9/x"}}
rooms:
  - username: "@room"
    rules:
"""


def engine(rules_yaml: str) -> Engine:
    indented = "\n".join("      " + line if line else line for line in rules_yaml.splitlines())
    config = load_config_text(HEAD + indented + "\n")
    room = config.rooms[0]
    return Engine(room.rules, room=room.settings.name, base_topic="lt")


def user(handle: str = "alice", **kw: object) -> ev.User:
    return ev.User(id=hash(handle) % 10**9, unique_id=handle, nickname=handle.title(), **kw)  # type: ignore[arg-type]


def gift(
    count: int = 1, streak: ev.StreakState = ev.StreakState.SINGLE, **kw: object
) -> ev.GiftEvent:
    base: dict[str, object] = {
        "user": user(),
        "gift_id": 5655,
        "gift_name": "Rose",
        "diamonds": 1,
        "repeat_count": count,
        "streak": streak,
        "total_diamonds": count,
    }
    base.update(kw)
    return ev.GiftEvent(**base)  # type: ignore[arg-type]


def fired(e: Engine, event: ev.Event, now: float = 0.0) -> list[str]:
    return [f.rule_id for f in e.firings(event, now)]


LOG = "do: [{log: x}]"


@pytest.mark.parametrize(
    ("cond", "hit", "miss"),
    [
        ("diamonds: {gte: 100}", {"diamonds": 100}, {"diamonds": 99}),
        ("diamonds: {gt: 100}", {"diamonds": 101}, {"diamonds": 100}),
        ("diamonds: {lt: 5}", {"diamonds": 4}, {"diamonds": 5}),
        ("diamonds: {lte: 5}", {"diamonds": 5}, {"diamonds": 6}),
        ("diamonds: 5", {"diamonds": 5}, {"diamonds": 6}),
        ("diamonds: {ne: 5}", {"diamonds": 6}, {"diamonds": 5}),
        ("gift_name: [Rose, Lion]", {"gift_name": "lion"}, {"gift_name": "Galaxy"}),
        ("gift_name: {not_in: [Rose]}", {"gift_name": "Lion"}, {"gift_name": "Rose"}),
        ("gift_name: {contains: os}", {"gift_name": "Rose"}, {"gift_name": "Lion"}),
        ("gift_name: {startswith: ro}", {"gift_name": "Rose"}, {"gift_name": "Lion"}),
        ("gift_name: {regex: '^(Ro|Li)'}", {"gift_name": "Lion"}, {"gift_name": "Galaxy"}),
        ("streakable: true", {"streakable": True}, {"streakable": False}),
        ("user.follow_role: follower", {"user": user(follow_role=ev.FollowRole.FOLLOWER)}, {}),
        (
            "user.gifter_level: {gte: 10}",
            {"user": user(gifter_level=12)},
            {"user": user(gifter_level=3)},
        ),
    ],
)
def test_condition_operators(cond: str, hit: dict[str, object], miss: dict[str, object]) -> None:
    e = engine(f"- id: r\n  on: gift\n  when: {{{cond}}}\n  {LOG}")
    assert fired(e, gift(**hit)) == ["r"]
    assert fired(e, gift(**miss)) == []


def test_regex_sees_only_capped_text() -> None:
    e = engine(f"- id: r\n  on: chat\n  when: {{text: {{regex: 'x$'}}}}\n  {LOG}")
    assert fired(e, ev.ChatEvent(user=user(), text="a" * 5000 + "x")) == []
    assert fired(e, ev.ChatEvent(user=user(), text="ax")) == ["r"]


def test_user_filters() -> None:
    e = engine(
        "- id: r\n  on: chat\n  user: {moderator: true, top_gifter_rank: 3, exclude_users: ['@bob']}\n  "
        + LOG
    )
    assert fired(e, ev.ChatEvent(user=user(is_moderator=True, top_gifter_rank=2))) == ["r"]
    assert fired(e, ev.ChatEvent(user=user(is_moderator=True, top_gifter_rank=4))) == []
    assert fired(e, ev.ChatEvent(user=user(is_moderator=False, top_gifter_rank=1))) == []
    assert fired(e, ev.ChatEvent(user=user("bob", is_moderator=True, top_gifter_rank=1))) == []


def test_gift_filter_by_name_or_id() -> None:
    e = engine(f"- id: r\n  on: gift\n  gift: [galaxy, 5655]\n  {LOG}")
    assert fired(e, gift(gift_name="Galaxy", gift_id=1)) == ["r"]
    assert fired(e, gift(gift_name="Whatever", gift_id=5655)) == ["r"]
    assert fired(e, gift(gift_name="Lion", gift_id=2)) == []


def test_command_arguments_reach_templates() -> None:
    e = engine("- id: r\n  command: '!light {state}'\n  do: [{log: 'state={{ args.state }}'}]")
    (f,) = e.firings(ev.ChatEvent(user=user(), text="!LIGHT On"), 0.0)
    assert isinstance(f.requests[0], act.LogMessage)
    assert f.requests[0].message == "state=On"
    assert fired(e, ev.ChatEvent(user=user(), text="!light")) == []


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("end", [30]), ("each", [1, 2, 30]), ("start", [1])],
)
def test_streak_modes(mode: str, expected: list[int]) -> None:
    e = engine(f"- id: r\n  on: gift\n  streak: {mode}\n  do: [{{log: '{{{{ repeat_count }}}}'}}]")
    steps = [
        gift(1, ev.StreakState.START, streakable=True),
        gift(2, ev.StreakState.PROGRESS, streakable=True),
        gift(30, ev.StreakState.END, streakable=True),
    ]
    got = [f.event.repeat_count for s in steps for f in e.firings(s, 0.0)]  # type: ignore[attr-defined]
    assert got == expected


def test_every_fires_once_per_crossed_multiple() -> None:
    e = engine(
        "- id: r\n  on: like\n  every: {field: total, step: 1000}\n  do: [{log: '{{ milestone }}'}]"
    )
    assert fired(e, ev.LikeEvent(count=1, total=10)) == []
    milestones = [f.milestone for f in e.firings(ev.LikeEvent(count=5, total=3500), 0.0)]
    assert milestones == [1000, 2000, 3000]
    assert fired(e, ev.LikeEvent(count=5, total=3900)) == []
    assert [f.milestone for f in e.firings(ev.LikeEvent(count=5, total=4000), 0)] == [4000]


def test_every_joined_mid_stream_fires_only_current_milestone() -> None:
    e = engine("- id: r\n  on: like\n  every: {field: total, step: 1000}\n  " + LOG)
    assert [f.milestone for f in e.firings(ev.LikeEvent(total=5500), 0.0)] == [5000]


def test_sum_threshold_per_stream_resets_on_live() -> None:
    e = engine("- id: r\n  on: gift\n  threshold: {sum: total_diamonds, at: 100}\n  " + LOG)
    assert fired(e, gift(60, total_diamonds=60)) == []
    assert fired(e, gift(50, total_diamonds=50)) == ["r"]
    assert fired(e, gift(50, total_diamonds=50)) == []  # once per stream
    e.firings(ev.LiveStartedEvent(), 0.0)
    assert fired(e, gift(100, total_diamonds=100)) == ["r"]


def test_sum_counts_a_streak_once() -> None:
    e = engine(
        "- id: r\n  on: gift\n  streak: each\n  every: {sum: total_diamonds, step: 10}\n  " + LOG
    )
    steps = [gift(n, ev.StreakState.PROGRESS, total_diamonds=n) for n in range(1, 10)]
    assert [x for s in steps for x in fired(e, s)] == []
    assert fired(e, gift(10, ev.StreakState.END, total_diamonds=10)) == ["r"]


def test_cooldown_global_and_per_user() -> None:
    e = engine("- id: r\n  on: chat\n  cooldown_per_user: 10s\n  " + LOG)
    a, b = ev.ChatEvent(user=user("a")), ev.ChatEvent(user=user("b"))
    assert fired(e, a, 0) == ["r"]
    assert fired(e, a, 5) == []
    assert fired(e, b, 5) == ["r"]
    assert fired(e, a, 10) == ["r"]
    assert e.stats["r"].rate_limited == 1
    g = engine("- id: g\n  on: chat\n  cooldown: 1s\n  " + LOG)
    assert fired(g, a, 0) == ["g"] and fired(g, b, 0.5) == [] and fired(g, b, 1.0) == ["g"]


def test_max_fires_with_queue_releases_later() -> None:
    e = engine(
        "- id: r\n  on: chat\n  max_fires: {count: 2, per: 10s}\n  overflow: queue\n  queue_size: 1\n  "
        + LOG
    )
    c = ev.ChatEvent(user=user())
    assert [fired(e, c, t) for t in (0, 1, 2, 3)] == [["r"], ["r"], [], []]
    assert e.stats["r"].queue_dropped == 1
    assert e.next_due() == 10.0
    assert e.due(9.9) == []
    assert [f.rule_id for f in e.due(10.0)] == ["r"]
    assert e.queued() == 0


def test_history_is_skipped_unless_asked() -> None:
    e = engine("- id: r\n  on: chat\n  " + LOG)
    assert fired(e, ev.ChatEvent(user=user(), is_history=True)) == []


def test_pause_stops_firings_and_counters_keep_counting() -> None:
    e = engine("- id: r\n  on: like\n  every: {field: total, step: 100}\n  " + LOG)
    e.firings(ev.LikeEvent(total=1), 0)
    e.paused = True
    assert fired(e, ev.LikeEvent(total=150)) == []
    e.paused = False
    assert fired(e, ev.LikeEvent(total=180)) == []  # 100 was passed while paused
    assert fired(e, ev.LikeEvent(total=200)) == ["r"]


def test_disabled_rule_never_fires() -> None:
    assert fired(engine("- id: r\n  enabled: false\n  on: chat\n  " + LOG), ev.ChatEvent()) == []


def test_if_expression() -> None:
    e = engine(
        "- id: r\n  on: gift\n  if: \"repeat_count * diamonds >= 10 and user.nickname != 'Bob'\"\n  "
        + LOG
    )
    assert fired(e, gift(10)) == ["r"]
    assert fired(e, gift(9)) == []


def test_test_fire_ignores_conditions() -> None:
    e = engine("- id: r\n  on: gift\n  when: {diamonds: {gte: 1000000}}\n  " + LOG)
    f = e.test_fire("r", 0.0)
    assert f is not None and len(f.requests) == 1
    assert e.stats["r"].fired == 0  # a test is not a firing (the dashboard's count)
    assert e.test_fire("nope", 0.0) is None


def test_reload_keeps_state_of_kept_rules() -> None:
    e = engine("- id: r\n  on: like\n  every: {field: total, step: 100}\n  " + LOG)
    e.firings(ev.LikeEvent(total=50), 0)
    e.replace_rules(list(e.rules))
    assert fired(e, ev.LikeEvent(total=120)) == ["r"]


def test_a_restart_keeps_the_fired_count_with_the_last_firing() -> None:
    # the dashboard shows "fired N · last 4 min ago": both come back from the saved state
    e = engine("- id: r\n  on: like\n  " + LOG)
    for now in (10.0, 20.0, 30.0):
        e.firings(ev.LikeEvent(total=1), now)
    after = engine("- id: r\n  on: like\n  " + LOG)
    after.restore(json.loads(json.dumps(e.snapshot(40.0, 40.0))), 40.0, 40.0)
    assert after.stats["r"].fired == 3
    assert after._state["r"].last_fire == 30.0
    old = e.snapshot(40.0, 40.0)
    del old["fired"]  # a snapshot saved before the count was kept still restores
    older = engine("- id: r\n  on: like\n  " + LOG)
    older.restore(old, 40.0, 40.0)
    assert older.stats["r"].fired == 0 and older._state["r"].last_fire == 30.0


LIMITS = (
    "- id: cool\n  on: chat\n  cooldown: 60s\n  " + LOG + "\n"
    "- id: mine\n  on: chat\n  cooldown_per_user: 60s\n  " + LOG + "\n"
    "- id: few\n  on: chat\n  max_fires: {count: 1, per: 60s}\n  " + LOG + "\n"
    "- id: queued\n  on: chat\n  cooldown: 60s\n  overflow: queue\n  " + LOG
)


@pytest.mark.parametrize("step", [-3600.0, 15 * 60.0])
def test_a_wall_clock_step_moves_no_rate_limit(step: float) -> None:
    # the daemon's engine runs on the monotonic clock; the wall clock is only the templates'
    # `now`: a step of it (NTP on a Pi without a clock battery) neither holds a cooldown for an
    # hour nor releases every cooldown at once
    e = engine(LIMITS)
    chat, wall = ev.ChatEvent(user=user()), 1_700_000_000.0
    assert len(e.firings(chat, 100.0, wall)) == 4
    assert e.firings(chat, 110.0, wall + 10 + step) == []  # all held, whichever way it stepped
    assert e.queued() == 1 and e.next_due() == 160.0
    assert e.due(159.9, wall + 59.9 + step) == []
    (released,) = e.due(160.0, wall + 60 + step)
    assert released.rule_id == "queued"
    assert [f.rule_id for f in e.firings(chat, 220.0, wall + 120 + step)] == [
        "cool",
        "mine",
        "few",
        "queued",
    ]


def test_templates_show_the_wall_clock() -> None:
    e = engine(
        "- id: r\n  on: chat\n  cooldown: 10s\n  overflow: queue\n"
        '  do: [{mqtt: {topic: t, payload: "{{ now }}"}}]'
    )
    chat = ev.ChatEvent(user=user())
    (first,) = e.evaluate(chat, 5.0, 1_700_000_000.0)
    assert e.evaluate(chat, 6.0, 1_700_000_001.0) == []
    (queued,) = e.due(15.0, 1_700_000_010.0)
    assert isinstance(first, act.MqttPublish) and first.payload == b"1700000000.0"
    (request,) = queued.requests
    assert isinstance(request, act.MqttPublish) and request.payload == b"1700000010.0"


def test_a_restart_keeps_each_rate_limit_for_its_remaining_time() -> None:
    # the process fires at 100 on its monotonic clock (wall 1,000,000) and saves 30 s later;
    # the next process (a reboot: its monotonic clock starts again) restores 10 s after that
    e = engine(LIMITS)
    chat = ev.ChatEvent(user=user())
    assert len(e.firings(chat, 100.0, 1_000_000.0)) == 4
    saved = json.loads(json.dumps(e.snapshot(130.0, 1_000_030.0)))
    assert saved["rules"]["cool"]["last_fire"] == 1_000_000.0  # on disk: the wall clock
    after = engine(LIMITS)
    after.restore(saved, 5.0, 1_000_040.0)
    # 60 s from the firing: 20 s left, at 25 on the new clock
    assert after.firings(chat, 24.9, 1_000_059.9) == []
    assert [f.rule_id for f in after.firings(chat, 25.0, 1_000_060.0)] == [
        "cool",
        "mine",
        "few",
        "queued",
    ]


def test_a_clock_set_back_across_a_restart_holds_a_cooldown_no_longer_than_its_length() -> None:
    # saved at wall 1,000,030; the next start reads its clock an hour behind (a Pi rebooted
    # before NTP's sync): the firing looks an hour ahead. It counts as just now, not in an hour
    e = engine(LIMITS)
    chat = ev.ChatEvent(user=user())
    e.firings(chat, 100.0, 1_000_000.0)
    saved = e.snapshot(130.0, 1_000_030.0)
    after = engine(LIMITS)
    after.restore(saved, 5.0, 1_000_030.0 - 3600)
    assert after.firings(chat, 64.9) == []
    assert len(after.firings(chat, 65.0)) == 4


HOSTILE = engine(
    """\
- id: r
  on: chat
  do:
    - mqtt:
        topic: lt/x
        payload: '{"user": "{{ user.nickname }}", "text": "{{ text }}", "n": {{ user.gifter_level }}}'
    - mqtt:
        topic: lt/y
        json: {user: "{{ user.nickname }}", text: "said {{ text }}", n: "{{ user.gifter_level }}"}
    - webhook: {endpoint: hook, body: "{{ text }}"}
    - log: "{{ user.nickname }}: {{ text }}"
"""
)


@settings(max_examples=300, deadline=None)
@given(nickname=st.text(), text=st.text())
def test_hostile_content_is_data_and_json_stays_valid(nickname: str, text: str) -> None:
    event = ev.ChatEvent(user=ev.User(nickname=nickname, gifter_level=3), text=text)
    (f,) = HOSTILE.firings(event, 0.0)
    first, second, hook, line = f.requests
    assert isinstance(first, act.MqttPublish) and isinstance(second, act.MqttPublish)
    assert json.loads(first.payload) == {"user": nickname, "text": text, "n": 3}
    assert json.loads(second.payload) == {"user": nickname, "text": "said " + text, "n": 3}
    assert isinstance(hook, act.HttpCall) and hook.body == text.encode()
    assert isinstance(line, act.LogMessage) and line.message == f"{nickname}: {text}"


def test_template_injection_renders_literally() -> None:
    event = ev.ChatEvent(user=ev.User(nickname="{{ 7*7 }}{% raw %}"), text="{{ ''.__class__ }}")
    (f,) = HOSTILE.firings(event, 0.0)
    line = f.requests[3]
    assert isinstance(line, act.LogMessage)
    assert line.message == "{{ 7*7 }}{% raw %}: {{ ''.__class__ }}"


def test_templates_cannot_reach_python_internals() -> None:
    with pytest.raises(ConfigError) as info:
        engine('- id: r\n  on: chat\n  do: [{log: "{{ user.__class__ }}"}]')
    assert "unknown user field `__class__`" in info.value.problems[0]
    e = engine('- id: r\n  on: chat\n  do: [{log: "{{ text.__class__ }}|{{ kind.__len__ }}"}]')
    (f,) = e.firings(ev.ChatEvent(text="x"), 0.0)
    assert isinstance(f.requests[0], act.LogMessage)
    assert f.requests[0].message == "|"


@settings(max_examples=200, deadline=None)
@given(nickname=st.one_of(st.none(), st.text()), text=st.text(), n=st.integers())
def test_fast_templates_render_exactly_like_jinja(nickname: str | None, text: str, n: int) -> None:
    from livetrigger.rules import jinja_templates as j  # noqa: PLC0415
    from livetrigger.rules import template as t  # noqa: PLC0415

    ctx = {
        "user": ev.User(nickname=nickname or ""),
        "text": text,
        "n": n,
        "nothing": None,
        "args": {"state": text},
        "to_user": None,
    }
    sources = (
        '{"u": "{{ user.nickname }}", "t": "{{ text }}", "n": {{ n }}, "x": {{ nothing }}}',
        '{"to": "{{ to_user.nickname }}", "a": "{{ args.state }}"}',
        "{{ user.nickname }} said {{ text }} ({{ n }}) {{ args.state }} {{ to_user.nickname }} {{ missing }}",
    )
    for source in sources:
        tpl = t.TextTemplate(source)
        env = j.JSON_ENV if tpl.is_json else j.TEXT_ENV
        assert tpl.render(ctx) == env.from_string(source).render(ctx), source


def _counting_engine(rules_yaml: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, list[str]]:
    """An engine whose rule matchers note each rule they run for (issue 25: rules that cannot
    match an event must cost it nothing)."""
    ran: list[str] = []
    build = engine_module.build_matcher

    def counting(rule):  # type: ignore[no-untyped-def]
        match = build(rule)

        def run(event):  # type: ignore[no-untyped-def]
            ran.append(rule.id)
            return match(event)

        return run

    monkeypatch.setattr(engine_module, "build_matcher", counting)
    return engine(rules_yaml), ran


def test_a_gift_runs_only_the_rules_for_that_gift(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = "\n".join(
        f"- {{id: g{i}, on: gift, gift: ['Gift {i}', {10_000 + i}], {LOG}}}" for i in range(500)
    )
    e, ran = _counting_engine(rules, monkeypatch)
    assert fired(e, gift(gift_name="Gift 7", gift_id=1)) == ["g7"]
    assert fired(e, gift(gift_name="Unknown", gift_id=10_009)) == ["g9"]
    assert fired(e, gift(gift_name="Unknown", gift_id=1)) == []
    assert ran == ["g7", "g9"]
    ran.clear()
    e.firings(ev.ChatEvent(user=user(), text="hello"), 0.0)
    assert ran == []


def test_indexed_gift_rules_fire_in_file_order(monkeypatch: pytest.MonkeyPatch) -> None:
    e, _ = _counting_engine(
        f"""\
- {{id: by_id, on: gift, gift: [5655], {LOG}}}
- {{id: any, on: gift, {LOG}}}
- {{id: other, on: gift, gift: [Lion], {LOG}}}
- {{id: by_name, on: gift, gift: [rose], {LOG}}}
- {{id: both, on: [gift, chat], gift: [Rose, 5655], {LOG}}}
""",
        monkeypatch,
    )
    assert fired(e, gift()) == ["by_id", "any", "by_name", "both"]
    assert fired(e, gift(gift_id=1)) == ["any", "by_name", "both"]
    assert fired(e, gift(gift_name="Lion", gift_id=2)) == ["any", "other"]


def test_a_comment_without_keywords_runs_no_keyword_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = "\n".join(
        f"- {{id: w{i}, on: chat, when: {{text: {{contains: word{i}x}}}}, {LOG}}}"
        for i in range(200)
    )
    rules += f"\n- {{id: cmd, command: '!go {{what}}', {LOG}}}"
    e, ran = _counting_engine(rules, monkeypatch)
    assert fired(e, ev.ChatEvent(user=user(), text="hello there")) == []
    assert fired(e, ev.ChatEvent(user=user(), text="!go now")) == ["cmd"]
    assert ran == ["cmd"]
    assert fired(e, ev.ChatEvent(user=user(), text="say word7x")) == ["w7"]


PINNED = f"""\
- {{id: by_handle, on: [chat, gift], user: {{users: ['@Ana_B', bob]}}, {LOG}}}
- {{id: anyone, on: chat, {LOG}}}
- {{id: by_when, on: chat, when: {{user.unique_id: Ana_B}}, {LOG}}}
- {{id: with_at, on: chat, when: {{user.unique_id: {{eq: '@ana_b'}}}}, {LOG}}}
- {{id: by_id, on: chat, when: {{user.id: 42}}, {LOG}}}
- {{id: by_nick, on: chat, when: {{user.nickname: {{in: ['Chloé ✨', Dan]}}}}, {LOG}}}
- {{id: keyword, on: chat, when: {{user.unique_id: [carol], text: {{contains: hi}}}}, {LOG}}}
- {{id: rose, on: gift, gift: [Rose], when: {{user.unique_id: carol}}, {LOG}}}
- {{id: not_ana, on: chat, when: {{user.unique_id: {{ne: ana_b}}}}, {LOG}}}
"""


def test_rules_pinned_to_a_viewer_fire_for_that_viewer_only() -> None:
    e = engine(PINNED)

    def chat(who: ev.User, text: str = "yo") -> list[str]:
        return fired(e, ev.ChatEvent(user=who, text=text))

    # `users:` drops the @ and ignores case; `when` equality ignores case, as the tests do
    assert chat(user("ana_b")) == ["by_handle", "anyone", "by_when"]
    assert chat(user("ANA_B")) == ["by_handle", "anyone", "by_when"]
    assert chat(user("@ana_b")) == ["anyone", "with_at", "not_ana"]
    assert chat(user("Bob")) == ["by_handle", "anyone", "not_ana"]
    assert chat(ev.User(id=42, unique_id="x")) == ["anyone", "by_id", "not_ana"]
    assert chat(ev.User(id=43, unique_id="x", nickname="CHLOÉ ✨")) == [
        "anyone",
        "by_nick",
        "not_ana",
    ]
    assert chat(user("carol"), "oh hi") == ["anyone", "keyword", "not_ana"]
    assert chat(user("carol"), "hello") == ["anyone", "not_ana"]
    assert fired(e, gift(user=user("carol"))) == ["rose"]
    assert fired(e, gift(user=user("carol"), gift_name="Lion", gift_id=1)) == []
    assert fired(e, gift(user=user("ana_b"))) == ["by_handle"]
    assert fired(e, gift(user=user("dan"))) == []


def test_a_message_runs_only_the_rules_pinned_to_its_viewer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = "\n".join(
        f"- {{id: u{i}, on: chat, when: {{user.unique_id: fan{i}}}, {LOG}}}\n"
        f"- {{id: h{i}, on: [chat, like], user: {{users: ['@Fan{i}x']}}, {LOG}}}\n"
        f"- {{id: n{i}, on: chat, when: {{user.nickname: {{in: [Nick {i}]}}}}, {LOG}}}"
        for i in range(300)
    )
    e, ran = _counting_engine(rules + f"\n- {{id: all, on: chat, {LOG}}}", monkeypatch)
    fan7 = ev.User(unique_id="fan7", nickname="NICK 7")
    assert fired(e, ev.ChatEvent(user=fan7, text="hi")) == ["u7", "n7", "all"]
    assert fired(e, ev.ChatEvent(user=user("FAN7X"), text="hi")) == ["h7", "all"]
    assert fired(e, ev.ChatEvent(user=user("nobody"), text="hi")) == ["all"]
    assert fired(e, ev.LikeEvent(user=user("fan9x"), count=1, total=1)) == ["h9"]
    assert fired(e, ev.LikeEvent(user=user("fan9"), count=1, total=1)) == []
    assert ran == ["u7", "n7", "all", "h7", "all", "all", "h9"]

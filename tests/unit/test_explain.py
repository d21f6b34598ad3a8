"""The explain engine: the deciding condition for every rule, and never a verdict that
disagrees with what the engine does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger import events as ev
from livetrigger.rules.explain import Verdict, explain, traps
from tests.unit.test_rules_engine import LOG, PINNED, engine, gift, user

ROOT = Path(__file__).resolve().parents[2]

RULES = f"""\
- id: off
  enabled: false
  on: gift
  {LOG}
- id: big
  on: gift
  when: {{diamonds: {{gte: 100}}}}
  {LOG}
- id: galaxy_only
  on: gift
  gift: Galaxy
  {LOG}
- id: light
  command: "!light {{state}}"
  user: {{moderator: true}}
  if: "args.state in ['on', 'off']"
  {LOG}
- id: likes
  on: like
  every: {{field: total, step: 1000}}
  {LOG}
- id: calm
  on: follow
  cooldown: 60s
  {LOG}
"""


def verdicts(
    event: ev.Event, now: float = 1000.0, paused: bool = False
) -> dict[str, tuple[str, str]]:
    e = engine(RULES)
    e.paused = paused
    return {v.rule_id: (v.decided_by, v.reason) for v in explain(e, event, now)}


def test_each_condition_is_named() -> None:
    roses = verdicts(gift(100, ev.StreakState.END, streakable=True))
    assert roses["off"][0] == "enabled"
    assert roses["light"][0] == "kind"
    decided, reason = roses["big"]
    assert decided == "when" and "diamonds is 1, needs ≥ 100" in reason
    assert "total_diamonds = 100" in reason  # the trap, with what to write
    assert roses["galaxy_only"][0] == "gift"
    step = verdicts(gift(3, ev.StreakState.PROGRESS, streakable=True, diamonds=500))
    assert step["big"][0] == "streak" and "streak: end" in step["big"][1]
    old = verdicts(gift(1, diamonds=500, is_history=True))
    assert old["big"][0] == "history" and "include_history" in old["big"][1]
    chat = ev.ChatEvent(text="!light on", user=user("bob"))
    assert verdicts(chat)["light"] == ("user", "@bob is not a moderator (user.moderator: true)")
    mod = user("mia", is_moderator=True)
    assert verdicts(ev.ChatEvent(text="!light purple", user=mod))["light"][0] == "if"
    assert verdicts(ev.ChatEvent(text="!lamp on", user=mod))["light"][0] == "command"
    assert verdicts(ev.ChatEvent(text="!light on", user=mod))["light"] == (
        "fires",
        "every condition holds with state=on",  # as typed, not a Python dict
    )
    assert verdicts(ev.ChatEvent(text="!light on", user=mod), paused=True)["light"][0] == "paused"
    likes = verdicts(ev.LikeEvent(count=50, total=950))
    assert likes["likes"] == (
        "counter",
        "every 1000 of total: the count is at 950, the next firing at 1000",
    )


def test_rate_limit_reads_the_engine_state_without_changing_it() -> None:
    e = engine(RULES)
    follow = ev.FollowEvent(user=user())
    assert [f.rule_id for f in e.firings(follow, 100.0)] == ["calm"]
    (calm,) = [v for v in explain(e, follow, 130.0) if v.rule_id == "calm"]
    assert calm == Verdict(
        "calm", False, "cooldown", "on cooldown (1m): it fired 30.0s ago, 30.0s left; dropped"
    )
    assert [f.rule_id for f in e.firings(follow, 161.0)] == ["calm"]  # explain spent nothing


LIMITS = f"""\
- id: burst
  on: follow
  max_fires: {{count: 2, per: 60s}}
  overflow: queue
  queue_size: 1
  {LOG}
- id: per_viewer
  on: follow
  cooldown_per_user: 10s
  {LOG}
- id: fifty
  on: like
  every: {{sum: count, step: 50, per: user}}
  {LOG}
- id: hundred
  on: like
  threshold: {{sum: count, at: 100}}
  {LOG}
"""


def test_rate_limits_and_counters_say_where_they_stand() -> None:
    e = engine(LIMITS)
    bob, amy = ev.FollowEvent(user=user("bob")), ev.FollowEvent(user=user("amy"))

    def why(event: ev.Event, now: float) -> dict[str, str]:
        return {v.rule_id: v.line() for v in explain(e, event, now) if v.decided_by != "kind"}

    assert why(bob, 0.0) == {
        "burst": "burst: ✓ fires: every condition holds; firing 1 of max 2 in 1m",
        "per_viewer": "per_viewer: ✓ fires: every condition holds",
    }
    e.firings(bob, 0.0)
    e.firings(amy, 1.0)
    assert why(bob, 5.0) == {
        "burst": "burst: ✗ rate_limit: rate limit: 2 of max 2 in 1m, 55.0s left; queued (1 "
        "waiting)",
        "per_viewer": "per_viewer: ✗ cooldown: @bob is on cooldown_per_user (10s): it fired for "
        "them 5.0s ago, 5.0s left; dropped",
    }
    e.firings(bob, 5.0)  # queued
    assert why(amy, 6.0)["burst"].endswith("54.0s left; the queue is full: dropped")
    likes = ev.LikeEvent(count=40, total=40, user=user("bob"))
    assert why(likes, 7.0) == {
        "fifty": "fifty: ✗ counter: every 50 of count per viewer: @bob is at 40, the next "
        "firing at 50",
        "hundred": "hundred: ✗ counter: threshold 100 of count: the count is at 40, it fires "
        "at 100",
    }
    e.firings(likes, 7.0)
    e.firings(likes, 8.0)
    assert why(likes, 9.0) == {
        "fifty": "fifty: ✓ fires: every condition holds; every 50 of count per viewer: @bob is "
        "at 120, milestone 100",
        "hundred": "hundred: ✓ fires: every condition holds; threshold 100 of count: the count "
        "is at 120, milestone 100",
    }
    e.firings(likes, 9.0)
    assert why(likes, 10.0)["hundred"] == (
        "hundred: ✗ counter: threshold 100 of count: it reached it already this stream"
    )
    assert e.counters()["hundred"] == 120  # explaining counted nothing
    # a stream's start is judged on counters cleared as it clears them, on a copy
    state = e._state["fifty"]
    trial = state.trial(likes.user.id, new_stream=True)
    assert trial.value == 0 and not trial.user_values and state.user_values[likes.user.id] == 120


SEQUENCE_RULES = (
    LIMITS
    + f"""\
- id: calm
  on: [follow, like]
  cooldown: 3s
  {LOG}
- id: every_hundred
  on: like
  every: {{field: total, step: 100}}
  {LOG}
"""
)


def test_verdicts_agree_with_the_engine_along_a_sequence() -> None:
    """At every step of a sequence (counters, cooldowns, a queue), explain's "fires" is the
    engine's firing, and explaining spends nothing."""
    e = engine(SEQUENCE_RULES)
    people = [user(h) for h in ("bob", "amy", "cy")]
    total = 0
    for step in range(120):
        now = step * 0.7
        who = people[step % 3]
        if step % 4 == 0:
            event: ev.Event = ev.FollowEvent(user=who)
        else:
            total += 7 * (step % 5)
            event = ev.LikeEvent(count=7 * (step % 5), total=total, user=who)
        e.due(now)  # the queue's releases first, as the daemon's timer and simulate do
        says = {v.rule_id for v in explain(e, event, now) if v.fires}
        assert says == {f.rule_id for f in e.firings(event, now)}, step


@pytest.mark.parametrize(
    "event",
    [
        gift(1, diamonds=500),
        gift(100, ev.StreakState.END, streakable=True),
        gift(1, gift_name="Galaxy", gift_id=11046, diamonds=1000),
        ev.ChatEvent(text="!light off", user=user("m", is_moderator=True)),
        ev.ChatEvent(text="hello"),
        ev.LikeEvent(count=100, total=1000),
        ev.FollowEvent(user=user()),
    ],
)
def test_verdicts_agree_with_the_engine(event: ev.Event) -> None:
    e = engine(RULES)
    says = {v.rule_id for v in explain(e, event, 5.0) if v.fires}
    assert says == {f.rule_id for f in e.firings(event, 5.0)}


def test_check_warns_on_a_diamonds_threshold() -> None:
    rule = engine(RULES).rules[1]
    (warning,) = traps(rule)
    assert "Did you mean total_diamonds: {gte: 100}" in warning


def test_simulate_why_names_a_condition_for_every_example_rule() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "livetrigger",
            "simulate",
            "-c",
            "config.example.yaml",
            "chat",
            "--text",
            "!light on",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "no rule fired" in result.stdout
    assert "light_command: ✗ user: @viewer is not a moderator" in result.stdout
    explained = subprocess.run(
        [
            sys.executable,
            "-m",
            "livetrigger",
            "simulate",
            "-c",
            "config.example.yaml",
            "gift",
            "--gift",
            "Rose",
            "--count",
            "5",
            "--explain",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [ln for ln in explained.stdout.splitlines() if ln.startswith("  ") and ": " in ln]
    why = [ln for ln in lines if "✓ fires" in ln or "✗ " in ln]
    assert len(why) >= 5 and all(ln.count(": ") >= 2 for ln in why)


def test_a_closed_pipe_is_no_traceback(tmp_path: Path) -> None:
    frames = (ROOT / "tests" / "data" / "devtools-frames.b64.txt").read_text()
    big = tmp_path / "many.b64.txt"
    big.write_text(frames * 100)  # ~400 KB of output: far more than a pipe holds
    proc = subprocess.Popen(
        [sys.executable, "-m", "livetrigger", "decode", str(big)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does, while the writer still has much to say
    err = proc.stderr.read().decode()
    assert proc.wait(30) == 0 and "Traceback" not in err, err


def test_fake_room_on_a_busy_port_says_so() -> None:
    import socket  # noqa: PLC0415

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "livetrigger",
                "fake-room",
                "--http-port",
                str(busy.getsockname()[1]),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot listen" in result.stderr and "address already in use" in result.stderr


def test_rules_pinned_to_a_viewer_are_explained_as_the_engine_runs_them() -> None:
    e = engine(PINNED)
    for who, text in (("ana_b", "yo"), ("carol", "oh hi"), ("@ana_b", "yo"), ("dan", "hi")):
        event = ev.ChatEvent(user=user(who), text=text)
        says = {v.rule_id for v in explain(e, event, 5.0) if v.fires}
        assert says == {f.rule_id for f in e.firings(event, 5.0)}, who
    said = {v.rule_id: v for v in explain(e, ev.ChatEvent(user=user("ana_b")), 5.0)}
    assert said["by_when"].fires and not said["by_id"].fires

"""``livetrigger simulate`` plays a sequence of events on a simulated clock, from a state, and
``--explain`` says each rule's verdict as it stood at each event (issue 26 item 9)."""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import time
from pathlib import Path

import pytest

from livetrigger import events as ev
from livetrigger.cli import COMMANDS, build_parser, main
from livetrigger.config import load_config
from livetrigger.rules.engine import Engine
from livetrigger.state.directory import DaemonState, FnPart
from tests.unit.test_rules_engine import user

CONFIG = """\
rooms:
  - username: "@room"
    rules:
      - id: calm
        on: follow
        cooldown: 30s
        do: [{log: "thanks {{ user.nickname }}"}]
      - id: burst
        on: share
        max_fires: {count: 2, per: 1m}
        do: [{log: shared}]
      - id: roses
        on: gift
        gift: Rose
        every: {sum: repeat_count, step: 10}
        do: [{log: "{{ milestone }} roses"}]
      - id: doors
        on: join
        cooldown: 5s
        overflow: queue
        do: [{log: "hello {{ user.nickname }}"}]
"""

SEQUENCE = """\
# a follow, another inside the cooldown, one after it
- {at: 0s, follow: bob}
- {at: 10s, follow: amy}
- {at: 40s, follow: cy}
# three shares: the third is over max_fires
- {at: 41s, share: bob}
- {at: 42s, share: amy}
- {at: 43s, share: cy}
# roses add up to the counter's step
- {at: 50s, gift: Rose, count: 4}
- {at: 51s, gift: Rose, count: 7}
"""


def simulate(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["simulate", "-c", str(config), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sequence_shows_a_cooldown_a_rate_limit_and_a_counter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = tmp_path / "show.yaml"
    seq.write_text(SEQUENCE)
    code, out, err = simulate(tmp_path, capsys, "--events", str(seq), "--explain")
    assert code == 0, err
    lines = out.splitlines()
    # every event, with its time and what fired
    assert [ln for ln in lines if ln.startswith("at ")] == [
        "at 0s: follow: bob (@bob)",
        "at 10s: follow: amy (@amy)",
        "at 40s: follow: cy (@cy)",
        "at 41s: share: bob (@bob)",
        "at 42s: share: amy (@amy)",
        "at 43s: share: cy (@cy)",
        "at 50s: gift: viewer (@viewer) sent 4× Rose [end, 4 diamonds]",
        "at 51s: gift: viewer (@viewer) sent 7× Rose [end, 7 diamonds]",
    ]
    verdicts = [ln.strip() for ln in lines if ln.startswith("    ") and "✗ kind" not in ln]
    assert verdicts == [
        "→ log thanks bob",
        "calm: ✓ fires: every condition holds",
        "calm: ✗ cooldown: on cooldown (30s): it fired 10.0s ago, 20.0s left; dropped",
        "→ log thanks cy",
        "calm: ✓ fires: every condition holds",
        "→ log shared",
        "burst: ✓ fires: every condition holds; firing 1 of max 2 in 1m",
        "→ log shared",
        "burst: ✓ fires: every condition holds; firing 2 of max 2 in 1m",
        "burst: ✗ rate_limit: rate limit: 2 of max 2 in 1m, 58.0s left; dropped",
        "roses: ✗ counter: every 10 of repeat_count: the count is at 4, the next firing at 10",
        "→ log 10 roses",
        "roses: ✓ fires: every condition holds; every 10 of repeat_count: the count is at 11, "
        "milestone 10",
    ]
    block = out.split("at 10s: follow: amy (@amy)\n")[1].split("at 40s")[0]
    assert block.splitlines() == [
        "  no rule fired for this follow event",
        "  why:",
        "    calm: ✗ cooldown: on cooldown (30s): it fired 10.0s ago, 20.0s left; dropped",
        "    burst: ✗ kind: it listens to share, and this is a follow event",
        "    roses: ✗ kind: it listens to gift, and this is a follow event",
        "    doors: ✗ kind: it listens to join, and this is a follow event",
    ]


def test_events_on_the_command_line_start_from_a_written_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = simulate(
        tmp_path,
        capsys,
        "--state",
        "{calm: {last_fired: 25s ago}, burst: {fired: [50s ago, 20s ago]}, roses: {counter: 8}}",
        "--event",
        "{at: 0s, follow: bob}",
        "--event",
        "{at: 5s, follow: amy}",
        "--event",
        "{at: 6s, share: cy}",
        "--event",
        "{at: 11s, share: cy}",
        "--event",
        "{at: 12s, gift: Rose, count: 2}",
    )
    assert code == 0, err
    assert out.splitlines() == [
        "state: calm, burst, roses as given",
        "at 0s: follow: bob (@bob)",
        "  no rule fired for this follow event",
        "  why:",
        "    calm: ✗ cooldown: on cooldown (30s): it fired 25.0s ago, 5.0s left; dropped",
        "at 5s: follow: amy (@amy)",
        "  rule calm fired",
        "    → log thanks amy",
        "at 6s: share: cy (@cy)",
        "  no rule fired for this share event",
        "  why:",
        "    burst: ✗ rate_limit: rate limit: 2 of max 2 in 1m, 4.0s left; dropped",
        "at 11s: share: cy (@cy)",
        "  rule burst fired",
        "    → log shared",
        "at 12s: gift: viewer (@viewer) sent 2× Rose [end, 2 diamonds]",
        "  rule roses fired (milestone 10)",
        "    → log 10 roses",
    ]


def test_a_queue_releases_at_simulated_times_from_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = '{"at": "0s", "join": "a"}\n{"at": 1, "join": "b"}\n{"at": 7, "join": "c"}\n'
    started = time.monotonic()
    code, out, err = simulate(
        tmp_path, capsys, "--events", "-", "--explain", stdin=lines, monkeypatch=monkeypatch
    )
    assert code == 0, err
    assert time.monotonic() - started < 5  # the clock is simulated: 12 s of show, no waiting
    assert [ln for ln in out.splitlines() if "doors" in ln or ln.startswith(("at", "  rule"))] == [
        "at 0s: join: a (@a)",
        "  rule doors fired",
        "    doors: ✓ fires: every condition holds",
        "at 1s: join: b (@b)",
        "    doors: ✗ cooldown: on cooldown (5s): it fired 1.0s ago, 4.0s left; queued (1 waiting)",
        "at 5s: the queue releases",
        "  rule doors fired",
        "at 7s: join: c (@c)",
        "    doors: ✗ cooldown: on cooldown (5s): it fired 2.0s ago, 3.0s left; queued (1 waiting)",
        "at 10s: the queue releases",
        "  rule doors fired",
    ]


def test_a_daemon_state_directory_is_a_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a daemon saved (its cooldowns, wall clock) judges the first event, read only."""
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    room = load_config(config).rooms[0]
    engine = Engine(room.rules, room=room.settings.name)
    # the daemon's engine runs on the monotonic clock; its file holds wall-clock times
    follow = ev.FollowEvent(user=user())
    assert [f.rule_id for f in engine.firings(follow, time.monotonic() - 12, time.time() - 12)]
    state_dir = tmp_path / "state"
    state_dir.mkdir()

    async def save() -> None:
        state = DaemonState(state_dir)
        state.attach_room(room.settings.name, "@room")
        part = FnPart(
            lambda: engine.snapshot(time.monotonic(), time.time()),
            lambda data: engine.restore(data, time.monotonic(), time.time()),
        )
        state.add_part(room.settings.name, "engine", part)
        state.room_changed(room.settings.name)
        await state.end()

    asyncio.run(save())
    before = {p.name: p.read_bytes() for p in state_dir.iterdir()}
    code, out, err = simulate(tmp_path, capsys, "follow", "--state", str(state_dir), "--explain")
    assert code == 0, err
    assert out.startswith(f"state: the rules' counters and cooldowns from {state_dir}/room.room")
    found = re.search(
        r"calm: ✗ cooldown: on cooldown \(30s\): it fired ([\d.]+)s ago, ([\d.]+)s", out
    )
    assert found, out
    ago, left = float(found[1]), float(found[2])
    assert ago >= 12 and abs(ago + left - 30) < 0.11
    assert {p.name: p.read_bytes() for p in state_dir.iterdir()} == before  # nothing written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--event", "{at: 0s, gfit: Rose}"], "unknown key 'gfit' — did you mean `gift`?"),
        (
            ["--event", "{at: 5s, follow: a}", "--event", "{at: 1s, follow: b}"],
            "--event 2: at 1s comes before the previous event (5s)",
        ),
        (["--event", "{at: 0s, gift: Rose, count: many}"], "count is a whole number"),
        (["follow", "--event", "{follow: a}"], "not both"),
        ([], "give the kind of one event, or a sequence"),
        (["follow", "--state", "{nope: {counter: 1}}"], "no rule 'nope' in this room"),
        (["follow", "--state", "{calm: {last_fired: soon}}"], "expected a duration"),
        (["follow", "--state", "/no/such/dir"], "no such file or directory"),
    ],
)
def test_a_mistake_in_a_sequence_or_state_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = simulate(tmp_path, capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err, err


def test_the_documented_sequence_prints_what_the_docs_show(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/config.md's example: its sequence, run on the example config, prints its lines."""
    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "config.md").read_text()
    section = page.split("### Trying rules: `simulate`")[1]
    sequence = re.search(r"<<'END'\n(.*?)\nEND\n", section, re.S)
    shown = re.search(r"```text\n(.*?)```", section, re.S)
    assert sequence and shown
    code = main(
        [
            "simulate",
            "-c",
            str(root / "config.example.yaml"),
            *(arg for line in sequence[1].splitlines() for arg in ("--event", line[2:])),
            "--explain",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    for line in shown[1].splitlines():
        assert line in lines, line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # one --event is "--event"; its list's items are counted apart from the --events
        (["--event", "[1, 2]"], "error: --event, item 1 of its list: not a mapping"),
        (
            ["--event", "{follow: a}", "--event", "[{follow: b}, 2]"],
            "error: --event 2, item 2 of its list: not a mapping",
        ),
        (["--event", "{gift: Rose, count: -3}"], "count is a whole number, 1 or more, not -3"),
        (["--event", "{like: 0}"], "count is a whole number, 1 or more, not 0"),
    ],
)
def test_a_sequence_mistake_names_the_event_and_its_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = simulate(tmp_path, capsys, *args)
    assert code == 2 and message in err, err


@pytest.mark.parametrize("count", ["-3", "0", "two"])
def test_a_count_below_one_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], count: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        simulate(tmp_path, capsys, "gift", "--count", count)
    assert stopped.value.code == 2
    assert f"argument --count: count is a whole number, 1 or more, not '{count}'" in (
        capsys.readouterr().err
    )


def test_the_help_says_simulate_plays_sequences_too() -> None:
    line = COMMANDS["simulate"][1]  # what `livetrigger --help` lists
    assert "sequence" in line and "one made-up event" not in line
    parser = build_parser(["simulate"])  # and `simulate` registered says the same
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert [a.help for a in sub._choices_actions if a.dest == "simulate"] == [line]

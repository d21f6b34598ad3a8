"""Devices on the command line (issue 28): `check` lists each device and each rule's device
actions, `simulate --explain` shows the actions a firing would carry out (and sends nothing),
and a device whose library is not installed is a `check` problem naming the pip command (the
missing import made real in a subprocess whose interpreter has the module blocked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger.cli import main

CONFIG = """\
devices:
  stage: {sacn: {universe: 1, destination: 127.0.0.1}}
  bar:   {artnet: {host: 127.0.0.1, universe: 0}}
  qlc:   {osc: {host: 127.0.0.1, port: 7700}}
rooms:
  - username: "@me"
    rules:
      - id: big_gift
        on: gift
        when: {total_diamonds: {gte: 100}}
        do:
          - dmx: {device: stage, channels: {1: 255, 2: 0, 3: 128}, fade: 200ms, duration: 2s}
          - dmx: {device: bar, channels: {1: 255}}
          - osc: {device: qlc, address: /cue/go, args: [1.0, "{{ user.nickname }}", 3, true]}
      - id: hello
        on: chat
        do: [{osc: {device: qlc, address: /chat}}]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "lt.yaml"
    path.write_text(CONFIG)
    return path


def test_check_lists_the_devices_and_each_rules_device_actions(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(config)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  device stage: sacn destination 127.0.0.1 port 5568 universe 1" in out
    assert "  device bar: artnet host 127.0.0.1 port 6454 universe 0" in out
    assert "  device qlc: osc host 127.0.0.1 port 7700" in out
    actions = [line.strip() for line in out if "→" in line]
    assert actions == [
        "→ dmx stage 1=255 2=0 3=128 fade 0.2s for 2s",
        "→ dmx bar 1=255",
        "→ osc qlc /cue/go 1.0 '{{ user.nickname }}' 3 True",
        "→ osc qlc /chat",
    ]


def test_simulate_explain_shows_the_device_actions_of_a_firing(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nickname = "Bob\n/cue/stop"  # one argument, shown escaped on one line
    argv = ["simulate", "-c", str(config), "gift", "--gift", "Galaxy", "--diamonds", "500"]
    assert main([*argv, "--nickname", nickname, "--explain"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "rule big_gift fired",
        "  → dmx stage 1=255 2=0 3=128 fade 0.2s for 2s",
        "  → dmx bar 1=255",
        "  → osc qlc /cue/go 1.0 'Bob\\n/cue/stop' 3 True",
    ]
    assert "  big_gift: ✓ fires: every condition holds" in out
    assert any(line.startswith("  hello: ✗") for line in out)


def test_a_missing_library_is_a_check_problem_with_the_pip_command(config: Path) -> None:
    # the interpreter the CLI runs in cannot import them: what a Pi without the extras sees
    blocked = (
        "import sys; sys.modules['sacn'] = None; sys.modules['pythonosc'] = None; "
        "from livetrigger.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked, "check", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[1:] == [
        f"  {config}:2:11: devices.stage.sacn: a sacn device needs the `sacn` library:"
        " pip install 'livetrigger[dmx]'",
        f"  {config}:4:11: devices.qlc.osc: an osc device needs the `pythonosc` library:"
        " pip install 'livetrigger[osc]'",
    ]  # artnet needs no library

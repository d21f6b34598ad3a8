"""SIGTERM and SIGINT at any moment from the first instruction of `livetrigger run` end the
daemon cleanly (issue 29): exit 0, the clean stop logged, the state directory marked clean.
A restart between streams or `systemctl stop` right after a start used to kill the process
by the signal (exit -15) when it came before the event loop's handlers were installed.

The signal is sent by the process to itself at a chosen point of the start, so the moment is
exact rather than raced: while the config is read, and while the broker is waited for.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# `livetrigger run`, with a signal sent to itself at one point of the start-up
WRAPPER = """
import os, signal, sys
import livetrigger.commands.check as check
from livetrigger.cli import main

sig, where = signal.Signals[sys.argv[1]], sys.argv[2]
if where == "config":
    load = check.load_or_report
    def load_or_report(path):
        os.kill(os.getpid(), sig)  # while the config is read: before the loop exists
        return load(path)
    check.load_or_report = load_or_report
    import livetrigger.commands.run as run
    run.load_or_report = load_or_report
else:
    import livetrigger.daemon.outputs as outputs
    start = outputs.MqttClient.start
    async def start_then_signal(self):
        await start(self)
        os.kill(os.getpid(), sig)  # while the broker is waited for
    outputs.MqttClient.start = start_then_signal
sys.exit(main(["run", "-c", sys.argv[3], "--log-format", "text"]))
"""


def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"""\
mqtt: {{host: 127.0.0.1, port: 9, reconnect_max: 1s}}
gpio:
  pin_factory: mock
  outputs:
    lamp: {{pin: 17, kind: relay}}
daemon: {{state_dir: "{tmp_path / "state"}", status_socket: "{tmp_path / "s.sock"}"}}
rooms:
  - username: "@someone"
    rules:
      - id: lamp
        on: gift
        do: [{{gpio: {{output: lamp, action: "on"}}}}]
"""
    )
    return path


@pytest.mark.parametrize("where", ["config", "broker"])
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_stop_while_starting_is_a_clean_stop(tmp_path: Path, sig: str, where: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, sig, where, str(config(tmp_path))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,  # a hang, not a margin
        check=False,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    assert "stopped" in done.stderr
    marker = json.loads((tmp_path / "state" / "daemon.json").read_text())
    assert marker["data"]["running"] is False, marker  # the next start knows it was clean
    assert signal.Signals[sig]  # the name the wrapper used is a real signal

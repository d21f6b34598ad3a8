"""bench/e2e.py for one second at a low rate: its figures print, and its daemon keeps its
state in the run's own temp directory, as a real run keeps it in its state directory (not in
the user's ~/.local/state, shared with every other daemon started without one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.mosquitto import find_mosquitto

ROOT = Path(__file__).resolve().parents[2]


def test_the_e2e_bench_prints_its_figures_and_keeps_state_in_its_temp_dir(tmp_path: Path) -> None:
    find_mosquitto()  # skips (or fails under CI) without a broker binary
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "STATE_DIRECTORY"}  # as run by hand
    figures = tmp_path / "e2e.json"
    done = subprocess.run(
        [sys.executable, "bench/e2e.py", "--seconds", "1", "--rates", "50", "--json", str(figures)],
        cwd=ROOT,
        env={**env, "HOME": str(home), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "   50/s for 1 s" in done.stdout and "start-up to first connect" in done.stdout
    assert not (home / ".local" / "state").exists()
    out = json.loads(figures.read_text())
    assert out["rates"][0]["mqtt"]["n"] == out["rates"][0]["mqtt"]["of"] > 0
    assert {"daemon.json", "outbox"} <= set(out["state_files"])

"""Fixtures shared by every test area."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.support.mosquitto import MosquittoBroker

pytest_plugins = ("tests.support.parallel",)  # pytest-xdist's workers by default

# Hypothesis times every example (a 200 ms deadline) and warns when generating data is slow:
# wall-clock margins that a loaded machine fails by chance (test_topics under
# scripts/stress-test: "took 263 ms", 28 ms when rerun). Speed is for bench/, not tests.
settings.register_profile(
    "livetrigger", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("livetrigger")

TIME_SCALE = float(os.environ.get("LIVETRIGGER_TIME_SCALE", "1"))

# A machine may set PYTHONDONTWRITEBYTECODE (this VM does). Then every daemon, CLI and fake
# room the tests start in a subprocess compiled livetrigger from source again: 0.3 s of CPU
# each, in a suite that is CPU-bound on 2 cores. The subprocesses may keep what they compile.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run the long fault/soak variants")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="long variant: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def state_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test's daemon keeps its state in the test's own directory (never the user's
    ~/.local/state, never another test's): subprocesses inherit the variable."""
    path = tmp_path / "state-directory"
    monkeypatch.setenv("STATE_DIRECTORY", str(path))
    return path


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A fresh broker per test on a free loopback port."""
    with MosquittoBroker(tmp_path / "broker") as broker:
        yield broker

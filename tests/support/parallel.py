"""The suite in parallel by default (pytest-xdist; docs/testing.md, "Parallel workers").

Most tests wait on sockets and subprocesses (daemons, Mosquitto, Chromium), so more workers
than cores keep the cores busy. The default is set here rather than by ``-n`` in addopts,
which is an error wherever the plugin is not loaded: ``-n N`` on the command line wins
(``-n 0``: no workers), and ``-p no:xdist`` or a venv without pytest-xdist runs every test in
one process as before. Loaded by tests/conftest.py; every hook here is optional."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

WORKERS_PER_CORE = 2  # on 2 cores: 4 workers, the fastest of 2, 3, 4 and 6 (docs/testing.md)
MIN_WORKERS = 4


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Iterator[object]:
    if not config.pluginmanager.hasplugin("xdist"):
        return (yield)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        # a worker parses the command line, not the controller's choices: it must know that
        # the controller groups, to name a test's xdist_group in the id it reports
        config.option.loadgroup = bool(workerinput.get("livetrigger_loadgroup"))
        return (yield)
    if config.option.numprocesses is None:
        config.option.numprocesses = "auto"  # pytest_xdist_auto_num_workers; xdist: 0 with --pdb
    if config.option.numprocesses != 0 and config.option.dist == "no":
        config.option.dist = "loadgroup"  # an xdist_group's tests share one worker
    return (yield)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput["livetrigger_loadgroup"] = node.config.getvalue("dist") == "loadgroup"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):  # as xdist's own default honours it
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    return max(MIN_WORKERS, WORKERS_PER_CORE * len(os.sched_getaffinity(0)))

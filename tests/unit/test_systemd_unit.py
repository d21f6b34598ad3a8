"""The shipped unit file: hardened to an exposure of 2.0 or lower, and a valid notify service."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "livetrigger.service"


def test_unit_is_a_notify_service_with_watchdog_and_reload() -> None:
    text = UNIT.read_text()
    for line in ("Type=notify", "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID"):
        assert line in text
    assert re.search(r"^WatchdogSec=\d+", text, re.M)
    assert "SupplementaryGroups=gpio" in text and "NoNewPrivileges=yes" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_security_exposure_is_at_most_2() -> None:
    out = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        check=False,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout + out.stderr)
    assert m, out.stdout + out.stderr
    assert float(m.group(1)) <= 2.0

"""The shipped unit file: a valid notify service (`systemd-analyze verify` clean), hardened to an
exposure of 2.0 or lower, and able to start on any machine: no group or credential file that
only some machines have, a writable working directory for the lgpio pin driver."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from livetrigger.system.service_install import TEMPLATE, unit_text

ROOT = Path(__file__).resolve().parents[2]
ANALYZE = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    """The unit as install-service writes it, running a program that exists (verify checks)."""
    path = tmp_path / "livetrigger.service"
    path.write_text(unit_text(shutil.which("true") or "/bin/true"))
    return path


def test_the_repository_unit_is_the_packaged_one() -> None:
    assert (ROOT / "systemd" / "livetrigger.service").read_text() == TEMPLATE.read_text()


def test_unit_is_a_notify_service_with_watchdog_and_reload() -> None:
    text = TEMPLATE.read_text()
    for line in ("Type=notify", "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID"):
        assert line in text
    assert re.search(r"^WatchdogSec=\d+", text, re.M)
    assert "NoNewPrivileges=yes" in text


def test_unit_starts_where_there_is_no_gpio_group_and_no_credential_file() -> None:
    text = TEMPLATE.read_text()
    # a missing supplementary group fails the start (216/GROUP): install-service adds the
    # user to gpio where the group exists instead
    assert not re.search(r"^SupplementaryGroups=", text, re.M)
    credentials = re.findall(r"^LoadCredential=([^:\n]+):(.*)$", text, re.M)
    assert credentials
    # an absolute path that is missing stops the start (243/CREDENTIALS); a bare name is looked
    # up in the credential store and skipped when absent
    assert [path for _, path in credentials if path.startswith("/")] == []


def test_working_directory_is_the_writable_state_directory() -> None:
    text = TEMPLATE.read_text()
    assert "StateDirectory=livetrigger" in text
    assert re.search(r"^WorkingDirectory=%S/livetrigger$", text, re.M)


def test_install_service_points_execstart_at_the_program() -> None:
    text = unit_text("/opt/livetrigger/bin/livetrigger")
    assert "ExecStart=/opt/livetrigger/bin/livetrigger run -c /etc/livetrigger/config.yaml" in text


@ANALYZE
def test_systemd_analyze_verify_is_clean(rendered: Path) -> None:
    out = subprocess.run(
        ["systemd-analyze", "verify", str(rendered)], capture_output=True, text=True, check=False
    )
    assert (out.returncode, out.stdout + out.stderr) == (0, "")


@ANALYZE
def test_security_exposure_is_at_most_2(rendered: Path) -> None:
    out = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(rendered)],
        capture_output=True,
        text=True,
        check=False,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout + out.stderr)
    assert m, out.stdout + out.stderr
    assert float(m.group(1)) <= 2.0

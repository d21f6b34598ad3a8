"""``livetrigger install-service`` against a scratch root: users, files, modes, the unit enabled,
idempotent, --dry-run changes nothing, --uninstall keeps the config."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger.cli import main
from livetrigger.system import service_install

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="install-service sets owners: needs root"),
    pytest.mark.skipif(
        shutil.which("systemd-sysusers") is None or shutil.which("systemctl") is None,
        reason="systemd-sysusers and systemctl not installed",
    ),
]

# a program outside the directories the hardened unit hides (the tests' venv may be in /tmp)
PROGRAM = shutil.which("true") or "/bin/true"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc" / "group").write_text("root:x:0:\ngpio:x:997:\n")
    return root


def install(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["install-service", "--root", str(root), "--exec", PROGRAM, *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def ids(root: Path, database: str, name: str) -> list[str]:
    for line in (root / "etc" / database).read_text().splitlines():
        if line.split(":")[0] == name:
            return line.split(":")
    raise AssertionError(f"{name} not in {database}")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_install_makes_user_files_and_enabled_unit(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = install(root, capsys)
    assert code == 0, out
    uid, gid = int(ids(root, "passwd", "livetrigger")[2]), int(ids(root, "group", "livetrigger")[2])
    assert ids(root, "group", "gpio")[3] == "livetrigger"
    etc = root / "etc" / "livetrigger"
    assert (mode(etc), etc.stat().st_uid, etc.stat().st_gid) == (0o750, 0, gid)
    config = etc / "config.yaml"
    assert (mode(config), config.stat().st_uid) == (0o600, uid)
    assert (mode(etc / "env"), (etc / "env").stat().st_uid) == (0o600, 0)
    assert mode(root / "etc" / "credstore") == 0o700
    state = root / "var" / "lib" / "livetrigger"
    assert (mode(state), state.stat().st_uid) == (0o700, uid)
    assert (root / "run" / "livetrigger").stat().st_uid == uid
    unit = root / "etc" / "systemd" / "system" / "livetrigger.service"
    assert f"ExecStart={PROGRAM} run -c /etc/livetrigger/config.yaml" in unit.read_text()
    wants = root / "etc" / "systemd" / "system" / "multi-user.target.wants" / "livetrigger.service"
    assert wants.readlink() == Path("/etc/systemd/system/livetrigger.service")
    assert "created   /etc/livetrigger/config.yaml" in out
    assert "system user livetrigger (in group gpio)" in out
    assert "next: edit /etc/livetrigger/config.yaml" in out


def test_second_run_changes_nothing_and_keeps_the_edited_config(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert install(root, capsys)[0] == 0
    config = root / "etc" / "livetrigger" / "config.yaml"
    config.write_text("rooms: []  # mine\n")
    config.chmod(0o644)  # a slip the installer puts right
    code, out = install(root, capsys)
    assert code == 0, out
    assert config.read_text() == "rooms: []  # mine\n" and mode(config) == 0o600
    changed = [
        line for line in out.splitlines()
        if not line.startswith(("unchanged", "run ", "systemd does not run"))
    ]
    assert changed == ["fixed     /etc/livetrigger/config.yaml (kept) mode 0600 livetrigger:livetrigger"]
    code, out = install(root, capsys)
    assert [line for line in out.splitlines() if line.startswith(("created", "updated", "fixed"))] == []


def test_without_a_gpio_group_the_user_gets_none(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "etc" / "group").write_text("root:x:0:\n")
    code, out = install(root, capsys)
    assert code == 0, out
    assert "no gpio group here" in out
    assert "gpio" not in (root / "etc" / "group").read_text()
    assert "gpio" not in (root / "etc" / "sysusers.d" / "livetrigger.conf").read_text()


def test_dry_run_changes_nothing(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    code, out = install(root, capsys, "--dry-run")
    assert code == 0, out
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert "would create /etc/livetrigger/config.yaml" in out
    assert "would run systemd-sysusers" in out or "would run system user" in out


def test_uninstall_removes_the_unit_and_keeps_config_and_state(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert install(root, capsys)[0] == 0
    code, out = install(root, capsys, "--uninstall")
    assert code == 0, out
    system = root / "etc" / "systemd" / "system"
    assert not (system / "livetrigger.service").exists()
    assert not (system / "multi-user.target.wants" / "livetrigger.service").is_symlink()
    assert (root / "etc" / "livetrigger" / "config.yaml").exists()
    assert (root / "etc" / "livetrigger" / "env").exists()
    assert (root / "var" / "lib" / "livetrigger").is_dir()
    assert "kept: /etc/livetrigger/" in out
    code, out = install(root, capsys, "--uninstall")
    assert code == 0 and "absent" in out


@pytest.mark.parametrize("hidden", ["/home/pi/.local/bin/livetrigger", "/root/.local/bin/livetrigger"])
def test_a_program_the_service_cannot_see_is_refused(
    root: Path, capsys: pytest.CaptureFixture[str], hidden: str
) -> None:
    code = main(["install-service", "--root", str(root), "--exec", hidden])
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot see" in err and "PIPX_HOME=/opt/pipx" in err
    assert not (root / "etc" / "livetrigger").exists()


def test_on_a_running_systemd_only_a_changed_unit_restarts_the_daemon(root: Path) -> None:
    """No systemd runs the scratch tree: systemctl's calls are recorded (systemd-sysusers runs
    for real, on the tree). A fresh install waits for the config to be edited; a second one
    leaves the running daemon alone; a new unit (an upgrade) is reloaded and restarted."""
    calls: list[list[str]] = []

    def record(argv: list[str]) -> None:
        if argv[0] == "systemctl":
            calls.append(argv[1:])
        else:
            service_install._run(argv)

    def install_live() -> list[list[str]]:
        calls.clear()
        service_install.Installer(
            root=root, program=PROGRAM, systemd_running=True, run_command=record, say=lambda _: None
        ).install(starter_config="rooms: []\n", example="", schema="{}")
        return list(calls)

    assert install_live() == [["daemon-reload"], ["enable", "livetrigger.service"]]
    assert install_live() == [["enable", "livetrigger.service"], ["start", "livetrigger.service"]]
    unit = root / "etc" / "systemd" / "system" / "livetrigger.service"
    unit.write_text(unit.read_text().replace("WatchdogSec=30", "WatchdogSec=20"))
    assert install_live() == [
        ["daemon-reload"], ["enable", "livetrigger.service"], ["restart", "livetrigger.service"]
    ]


def test_an_empty_staging_tree_gets_its_files_and_the_user_comes_at_first_boot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A packager's or image builder's empty root: no passwd is written into it (it would
    replace the system's), files stay root's with their modes, and the boot's own
    systemd-sysusers and systemd-tmpfiles (run here on the tree) make the user and hand over."""
    root = tmp_path / "staging"
    root.mkdir()
    code, out = install(root, capsys)
    assert code == 0, out
    assert "at boot   system user livetrigger" in out
    assert not (root / "etc" / "passwd").exists() and not (root / "etc" / "shadow").exists()
    assert [p.name for p in root.rglob(".*tmp*")] == []
    etc = root / "etc" / "livetrigger"
    config, state = etc / "config.yaml", root / "var" / "lib" / "livetrigger"
    assert (mode(etc), mode(config), mode(etc / "env"), mode(state)) == (0o750, 0o600, 0o600, 0o700)
    assert {p.stat().st_uid for p in root.rglob("*") if not p.is_symlink()} == {0}
    wants = root / "etc" / "systemd" / "system" / "multi-user.target.wants" / "livetrigger.service"
    assert wants.readlink() == Path("/etc/systemd/system/livetrigger.service")

    again = install(root, capsys)
    assert again[0] == 0, again[1]
    assert [line for line in again[1].splitlines() if line.startswith(("created", "updated", "fixed"))] == []

    # first boot: systemd-sysusers.service, then systemd-tmpfiles-setup.service
    for argv in (
        ["systemd-sysusers", f"--root={root}"],
        ["systemd-tmpfiles", f"--root={root}", "--create", "livetrigger.conf"],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
    uid, gid = int(ids(root, "passwd", "livetrigger")[2]), int(ids(root, "group", "livetrigger")[2])
    assert (etc.stat().st_uid, etc.stat().st_gid, mode(etc)) == (0, gid, 0o750)
    assert (config.stat().st_uid, config.stat().st_gid, mode(config)) == (uid, gid, 0o600)
    assert (state.stat().st_uid, mode(state)) == (uid, 0o700)
    assert (root / "run" / "livetrigger").stat().st_uid == uid
    assert (etc / "env").stat().st_uid == 0


def test_dry_run_on_an_empty_tree_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    code, out = install(root, capsys, "--dry-run")
    assert code == 0, out
    assert list(root.iterdir()) == []
    assert "would create /etc/tmpfiles.d/livetrigger.conf" in out


def test_a_reader_that_leaves_does_not_stop_the_install(root: Path) -> None:
    """`install-service | head -1`: the report stops, the install goes on to the end. The pipe's
    reader is gone before the first line here, so every print meets the broken pipe."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "livetrigger", "install-service", "--root", str(root), "--exec", PROGRAM],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode == 0, done.stderr
    assert "Broken pipe" not in done.stderr and "Traceback" not in done.stderr
    wants = root / "etc" / "systemd" / "system" / "multi-user.target.wants" / "livetrigger.service"
    assert wants.is_symlink() and (root / "etc" / "livetrigger" / "config.yaml").exists()

"""Install (or remove) livetrigger as a systemd service, in one idempotent pass.

Each step looks at what is there and changes only what differs, reporting ``created``,
``updated`` or ``unchanged``; a second run changes nothing. ``root`` is the filesystem root
the files go under ("/" for real, a scratch directory in tests): users are made by
``systemd-sysusers --root`` and the unit is enabled by ``systemctl --root``, both of which work
on a directory tree. systemd is only asked to reload and start when it runs the machine and
the root is "/".

A root without ``etc/passwd`` is a staging tree (a package's or an image's files, unpacked
over a system later): its users are made at first boot, so systemd-sysusers is not run on it
(it would write a passwd holding only livetrigger, which would replace the system's), files
are left to root with their modes, and a tmpfiles.d entry hands them to the user at boot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

USER = "livetrigger"
UNIT_NAME = "livetrigger.service"
CONFIG_DIR = "/etc/livetrigger"
CONFIG = f"{CONFIG_DIR}/config.yaml"
ENV_FILE = f"{CONFIG_DIR}/env"
CREDSTORE = "/etc/credstore"
STATE_DIR = "/var/lib/livetrigger"
RUNTIME_DIR = "/run/livetrigger"
UNIT_FILE = f"/etc/systemd/system/{UNIT_NAME}"
SYSUSERS_FILE = "/etc/sysusers.d/livetrigger.conf"
TMPFILES_FILE = "/etc/tmpfiles.d/livetrigger.conf"
TEMPLATE = Path(__file__).resolve().parents[1] / "systemd" / UNIT_NAME
TEMPLATE_EXEC = "/usr/local/bin/livetrigger"
# ProtectHome= and PrivateTmp= hide these from the service: a program there cannot start
HIDDEN_FROM_SERVICE = ("/home", "/root", "/run/user", "/tmp", "/var/tmp")

ENV_TEMPLATE = """\
# Environment for livetrigger.service, read by systemd as root (this file stays 0600 root).
# Name a variable in the config as ${NAME}; for example:
# MQTT_PASSWORD=...
# LIVETRIGGER_SIGN_KEY=...
"""


# what a staging tree leaves to systemd-tmpfiles, which runs after systemd-sysusers at boot
# ("d" makes or adjusts a directory, "z" adjusts an existing file)
TMPFILES_TEMPLATE = f"""\
# owners that need the {USER} user, which systemd-sysusers makes at boot
d {CONFIG_DIR} 0750 root {USER} -
z {CONFIG} 0600 {USER} {USER} -
d {STATE_DIR} 0700 {USER} {USER} -
d {RUNTIME_DIR} 0750 {USER} {USER} -
"""


class InstallError(Exception):
    """Something the installer cannot do, said so that the user can act on it."""


@dataclass
class Installer:
    root: Path = Path("/")
    program: str = TEMPLATE_EXEC
    dry_run: bool = False
    say: Callable[[str], None] = print
    run_command: Callable[[list[str]], None] | None = None  # None: subprocess, checked
    systemd_running: bool | None = None  # None: find out (systemd runs "/" when booted with it)

    # -- paths and users in the target tree ---------------------------------------------------

    def at(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    @property
    def live(self) -> bool:
        """Whether systemd runs this tree (root "/" on a booted systemd), so it can reload."""
        if self.systemd_running is not None:
            return self.systemd_running
        return self.root == Path("/") and Path("/run/systemd/system").is_dir()

    @property
    def staging(self) -> bool:
        """A tree without a user database: its users come at first boot (module docstring)."""
        return not self.at("/etc/passwd").exists()

    def _ids(self, database: str, name: str) -> int | None:
        try:
            lines = self.at(f"/etc/{database}").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return None
        for line in lines:
            parts = line.split(":")
            if parts[0] == name and len(parts) > 3:
                return int(parts[2])
        return None

    def has_group(self, name: str) -> bool:
        return self._ids("group", name) is not None

    def owner(self, user: str, group: str) -> tuple[int, int]:
        # root is 0 on every system, whether or not this tree has a passwd yet
        uid = 0 if user == "root" else self._ids("passwd", user)
        gid = 0 if group == "root" else self._ids("group", group)
        if uid is None or gid is None:
            if self.dry_run or self.staging:
                return 0, 0  # a staging tree's files stay root's until tmpfiles.d at boot
            raise InstallError(f"user {user} or group {group} missing after systemd-sysusers")
        return uid, gid

    # -- steps ----------------------------------------------------------------------------------

    def report(self, what: str, state: str) -> None:
        self.say(f"{state:<9} {what}")

    def write(self, path: str, text: str, mode: int, owner: tuple[str, str], *, keep: bool) -> bool:
        """``path`` with ``text``; with ``keep`` an existing file's content stays (mode and
        owner are still put right). True when the content was (or would be) written."""
        target = self.at(path)
        exists = target.exists()
        if exists and (keep or target.read_text(encoding="utf-8") == text):
            self._fix_mode_owner(path, mode, owner, what=f"{path} (kept)" if keep else path)
            return False
        self.report(
            path,
            "would " + ("update" if exists else "create")
            if self.dry_run
            else ("updated" if exists else "created"),
        )
        if self.dry_run:
            return True
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            self._chown(tmp, owner)
            tmp.chmod(mode)
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a failed step leaves no stray file in the tree
            raise
        return True

    def directory(self, path: str, mode: int, owner: tuple[str, str]) -> None:
        target = self.at(path)
        if target.is_dir():
            self._fix_mode_owner(path, mode, owner, what=f"{path}/")
            return
        self.report(f"{path}/", "would create" if self.dry_run else "created")
        if not self.dry_run:
            target.mkdir(parents=True, exist_ok=True)
            self._chown(target, owner)
            target.chmod(mode)

    def _fix_mode_owner(self, path: str, mode: int, owner: tuple[str, str], *, what: str) -> None:
        st = self.at(path).stat()
        uid, gid = self.owner(*owner)
        if (st.st_mode & 0o7777) == mode and (self.dry_run or (st.st_uid, st.st_gid) == (uid, gid)):
            self.report(what, "unchanged")
            return
        self.report(
            f"{what} mode {mode:04o} {owner[0]}:{owner[1]}",
            "would fix" if self.dry_run else "fixed",
        )
        if not self.dry_run:
            self._chown(self.at(path), owner)
            self.at(path).chmod(mode)

    def _chown(self, target: Path, owner: tuple[str, str]) -> None:
        uid, gid = self.owner(*owner)
        os.chown(target, uid, gid)

    def command(self, argv: list[str], what: str) -> None:
        self.report(f"{what}: {' '.join(argv)}", "would run" if self.dry_run else "run")
        if not self.dry_run:
            (self.run_command or _run)(argv)

    # -- the whole -----------------------------------------------------------------------------

    def check_program(self) -> None:
        program = self.program
        if not program.startswith("/"):
            raise InstallError(f"{program}: the service needs an absolute path (--exec PATH)")
        hidden = [d for d in HIDDEN_FROM_SERVICE if program == d or program.startswith(d + "/")]
        if hidden:
            raise InstallError(
                f"{program} is under {hidden[0]}, which the hardened service cannot see "
                "(ProtectHome=, PrivateTmp=). Install livetrigger system-wide: "
                "sudo PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin pipx install livetrigger, "
                "or a venv in /opt (docs/raspberry-pi.md), then run its install-service"
            )
        if not Path(program).is_file():
            raise InstallError(f"{program}: no such program (--exec PATH names the one to run)")

    def install(self, *, starter_config: str, example: str, schema: str) -> None:
        self.check_program()
        for tool in ("systemd-sysusers", "systemctl"):
            if shutil.which(tool) is None:
                raise InstallError(f"{tool} not found: install-service needs systemd")
        gpio = self.has_group("gpio")
        sysusers = f'u {USER} - "livetrigger daemon" {STATE_DIR} /usr/sbin/nologin\n'
        if gpio:
            sysusers += f"m {USER} gpio\n"  # the pins; the group exists on Raspberry Pi OS
        staging = self.staging
        self.write(SYSUSERS_FILE, sysusers, 0o644, ("root", "root"), keep=False)
        user = "system user " + USER + (" (in group gpio)" if gpio else " (no gpio group here)")
        if staging:
            self.report(f"{user}: no etc/passwd here, systemd-sysusers makes it", "at boot")
        else:
            self.command(
                ["systemd-sysusers", f"--root={self.root}", str(self.at(SYSUSERS_FILE))], user
            )
        self.directory(CONFIG_DIR, 0o750, ("root", USER))
        first_config = not self.at(CONFIG).exists()
        self.write(CONFIG, starter_config, 0o600, (USER, USER), keep=True)
        for name, text in (("config.example.yaml", example), ("config.schema.json", schema)):
            self.write(f"{CONFIG_DIR}/{name}", text, 0o644, ("root", "root"), keep=False)
        self.write(ENV_FILE, ENV_TEMPLATE, 0o600, ("root", "root"), keep=True)
        self.directory(CREDSTORE, 0o700, ("root", "root"))
        self.directory(STATE_DIR, 0o700, (USER, USER))
        self.directory(RUNTIME_DIR, 0o750, (USER, USER))
        if staging:
            self.write(TMPFILES_FILE, TMPFILES_TEMPLATE, 0o644, ("root", "root"), keep=False)
        unit_changed = self.write(
            UNIT_FILE, unit_text(self.program), 0o644, ("root", "root"), keep=False
        )
        if self.live:
            if unit_changed:
                self.command(["systemctl", "daemon-reload"], "systemd reads the unit")
            self.command(["systemctl", "enable", UNIT_NAME], "start at boot")
        else:
            self.command(["systemctl", f"--root={self.root}", "enable", UNIT_NAME], "start at boot")
        if first_config:
            self.say(
                f"next: edit {CONFIG} (the room's username at least), "
                f"check it with `livetrigger check {CONFIG}`, then "
                f"`systemctl start livetrigger`"
            )
        elif self.live and unit_changed:
            self.command(["systemctl", "restart", UNIT_NAME], "restart with the new unit")
        elif self.live:
            # a no-op when it runs: a second install does not interrupt the daemon
            self.command(["systemctl", "start", UNIT_NAME], "running")
        else:
            self.say("systemd does not run this tree: start the service when it does")

    def uninstall(self) -> None:
        unit = self.at(UNIT_FILE)
        if self.live:
            self.command(["systemctl", "disable", "--now", UNIT_NAME], "stop, and not at boot")
        elif unit.exists():
            self.command(["systemctl", f"--root={self.root}", "disable", UNIT_NAME], "not at boot")
        if unit.exists():
            self.report(UNIT_FILE, "would remove" if self.dry_run else "removed")
            if not self.dry_run:
                unit.unlink()
            if self.live:
                self.command(["systemctl", "daemon-reload"], "systemd forgets the unit")
        else:
            self.report(UNIT_FILE, "absent")
        kept = [CONFIG_DIR + "/", CREDSTORE + "/livetrigger.*", STATE_DIR + "/", f"user {USER}"]
        self.say(f"kept: {', '.join(kept)} (remove them by hand if you want them gone)")


def unit_text(program: str) -> str:
    """The shipped unit with ExecStart running ``program``."""
    text = TEMPLATE.read_text(encoding="utf-8")
    return text.replace(f"ExecStart={TEMPLATE_EXEC} ", f"ExecStart={program} ", 1)


def default_program() -> str:
    """The ``livetrigger`` being run, by the path it was called as (pipx's link in a bin
    directory stays valid across upgrades; the venv it points to may not)."""
    called = Path(sys.argv[0])
    if called.name == "livetrigger" and called.exists():
        return str(called if called.is_absolute() else Path.cwd() / called)
    beside = Path(sys.prefix) / "bin" / "livetrigger"
    return str(beside) if beside.exists() else TEMPLATE_EXEC


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()
        raise InstallError(f"{' '.join(argv)} failed ({done.returncode}): {output}")

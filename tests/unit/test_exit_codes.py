"""README's exit-code contract, command by command: 0 ok, 1 the work failed (invalid config,
corrupt input), 2 usage or an unreadable file. Run in-process through cli.main."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "config.example.yaml")


def code_of(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exc:  # argparse's own usage errors and --help
        return int(exc.code or 0)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rooms: 5\n")
    junk = tmp_path / "junk.txt"
    junk.write_text("garbage!!\n")
    show = tmp_path / "show.yaml"
    show.write_text("nothing: here\n")
    return {
        "bad": str(bad),
        "junk": str(junk),
        "show": str(show),
        "missing": str(tmp_path / "missing"),
    }


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert code_of(command, "--help") == 0
    assert f"livetrigger {command}" in capsys.readouterr().out


CASES = [
    # (argv with {placeholders}, expected code)
    (["check", EXAMPLE], 0),
    (["check", "{bad}"], 1),
    (["check", "{missing}"], 2),
    (["simulate", "-c", EXAMPLE, "gift", "--gift", "Galaxy"], 0),
    (["simulate", "-c", "{bad}", "gift"], 1),
    (["simulate", "-c", "{missing}", "gift"], 2),
    (["simulate", "-c", EXAMPLE, "no-such-kind"], 2),
    (["run", "-c", "{bad}"], 1),
    (["run", "-c", "{missing}"], 2),
    (["demo", "-c", "{bad}"], 1),
    (["demo", "-c", "{missing}"], 2),
    (["replay", "{junk}", "-c", EXAMPLE], 1),
    (["replay", "{missing}", "-c", EXAMPLE], 2),
    (["decode", "{junk}"], 1),
    (["decode", "{missing}"], 2),
    (["fake-room", "--show", "{show}"], 1),
    (["fake-room", "--show", "{missing}"], 2),
    (["schema"], 0),
    (["info"], 2),
    (["no-such-command"], 2),
    ([], 2),
]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_exit_codes_follow_the_readme(
    argv: list[str], expected: int, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = code_of(*(a.format(**files) for a in argv))
    out, err = capsys.readouterr()
    assert code == expected, (out, err)
    assert "Traceback" not in out + err
    if expected:
        assert err.strip() or out.strip()  # a failure always says why


def test_ctrl_c_while_a_command_loads_exits_130(tmp_path: Path) -> None:
    """A Ctrl-C that lands while the command's modules are still importing (a second or more
    on a Pi) ends with 130 and no traceback, like one that lands later."""
    # the SIGINT is sent by the import of the config package: a real signal, at a known moment
    script = (
        "import os, signal, sys\n"
        "class Hook:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'livetrigger.config':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Hook())\n"
        "from livetrigger.cli import main\n"
        f"sys.exit(main(['check', {str(tmp_path / 'c.yaml')!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 130, done.stderr

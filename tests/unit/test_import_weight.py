"""Each command imports only what it uses (issue "Light on a Pi"): heavy libraries load where
they are first needed. Checked in a fresh interpreter, by module name, not by timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pydantic", "jinja2", "httpx", "websockets", "paho", "gpiozero", "prometheus_client")

PROBE = """
import contextlib, io, json, sys
from livetrigger.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(sys.argv[1:])
{extra}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})), file=sys.stderr)
"""


def loaded(*argv: str, extra: str = "") -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(extra=extra), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["--version"], set()),
        (["schema"], {"pydantic", "jinja2"}),
        (["check", "-q", str(ROOT / "config.example.yaml")], {"pydantic", "jinja2"}),
    ],
    ids=["--version", "schema", "check"],
)
def test_commands_import_only_what_they_use(argv: list[str], allowed: set[str]) -> None:
    heavy = loaded(*argv) & set(HEAVY)
    assert heavy <= allowed, f"{' '.join(argv)} imported {sorted(heavy - allowed)}"


def test_the_daemon_module_leaves_pins_and_metrics_to_configs_that_use_them() -> None:
    mods = loaded("--version", extra="import livetrigger.app")
    assert "gpiozero" not in mods and "prometheus_client" not in mods

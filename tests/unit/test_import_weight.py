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
# the device kinds' extras (issue 28); a `sound` action's file is decoded by `check` itself
DEVICE_LIBRARIES = ("sacn", "pythonosc", "serial", "serial_asyncio_fast", "miniaudio")

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
        (["schema"], set()),
        # the example's templates are all plain `{{ name.attr }}` holes: no Jinja
        (["check", "-q", str(ROOT / "config.example.yaml")], set()),
    ],
    ids=["--version", "schema", "check"],
)
def test_commands_import_only_what_they_use(argv: list[str], allowed: set[str]) -> None:
    heavy = loaded(*argv) & set(HEAVY)
    assert heavy <= allowed, f"{' '.join(argv)} imported {sorted(heavy - allowed)}"


def test_the_daemon_module_leaves_pins_metrics_and_jinja_to_configs_that_use_them() -> None:
    mods = loaded("--version", extra="import livetrigger.daemon")
    assert "gpiozero" not in mods and "prometheus_client" not in mods and "jinja2" not in mods


def test_jinja_loads_at_the_first_template_that_needs_it(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text(
        'rooms:\n  - username: "@demo"\n    rules:\n      - id: big\n        on: gift\n'
        '        do: [{log: "{{ user.nickname }} sent {{ gift_name }}"}]\n'
    )
    needs = tmp_path / "needs.yaml"
    needs.write_text(plain.read_text().replace("on: gift", 'on: gift\n        if: "diamonds > 5"'))
    for config in (plain, needs):  # both load: the rules were compiled
        argv = [sys.executable, "-m", "livetrigger", "check", "-q", str(config)]
        assert subprocess.run(argv, cwd=ROOT, check=False).returncode == 0
    assert "jinja2" not in loaded("check", "-q", str(plain))
    assert "jinja2" in loaded("check", "-q", str(needs))


def test_device_libraries_load_only_for_a_daemon_with_such_devices(tmp_path: Path) -> None:
    """`check` of a config with devices finds their libraries without importing them; a
    daemon without devices imports none; a daemon with them opens them."""
    config = tmp_path / "devices.yaml"
    config.write_text(
        "devices:\n  stage: {sacn: {universe: 1}}\n  qlc: {osc: {host: 127.0.0.1, port: 9}}\n"
        "  arduino: {serial: {port: /dev/ttyACM0}}\n  speaker: {sound: {}}\n"
        'rooms:\n  - username: "@demo"\n    rules:\n      - id: big\n        on: gift\n'
        "        do: [{dmx: {device: stage, channels: {1: 255}}}]\n"
    )
    assert not loaded("check", "-q", str(config)) & set(DEVICE_LIBRARIES)
    assert not loaded("--version", extra="import livetrigger.daemon") & set(DEVICE_LIBRARIES)
    opened = (
        "from livetrigger.config import load_config\n"
        "from livetrigger.actions.registry import KINDS\n"
        f"c = load_config({str(config)!r})\n"
        "[k.open(c, None) for k in KINDS if k.name in ('dmx', 'osc')]"
    )
    assert {"sacn"} <= loaded("--version", extra=opened)

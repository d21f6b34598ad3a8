"""``livetrigger demo`` drives the DMX and OSC kinds on its fake room's show and shows what
arrived (issue 28): with the dmx and osc extras, the sacn library's receiver and python-osc's
server inside the demo print each frame and message; without them (``scripts/demo`` installs
the runtime only) the demo says so in one line and plays the rest. Timeouts only catch a
hang."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ["demo", "--speed", "10", "--no-color", "--no-dashboard"]
# a runtime-only install: the extras' modules cannot be imported (find_spec says None)
WITHOUT_EXTRAS = (
    "import sys; sys.modules['sacn'] = None; sys.modules['pythonosc'] = None; "
    "from livetrigger.cli import main; sys.exit(main(sys.argv[1:]))"
)


def demo(*prefix: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, *prefix, *DEMO],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "0 failed / 0 dropped" in result.stdout, result.stdout[-2000:]
    return result


def test_the_demo_shows_what_its_dmx_and_osc_devices_received() -> None:
    out = demo("-m", "livetrigger").stdout
    assert "🎛  stage: sACN universe 1 to 127.0.0.1:" in out, out
    lines = out.splitlines()
    # the 500-diamond Galaxy from Sam: the cue, the lights, then the lights back as before
    osc = next(i for i, line in enumerate(lines) if "🎛  osc qlc /cue/go 3 'Sam'" in line)
    lit = next(i for i, line in enumerate(lines) if "🎛  dmx stage: ch1=255 ch2=0 ch3=128" in line)
    back = next(i for i, line in enumerate(lines) if "🎛  dmx stage: ch1=0 ch2=0 ch3=0" in line)
    assert lit < back and osc < back, out
    assert "rule stage_lights fired" in out


def test_a_runtime_only_install_plays_the_demo_without_its_stage() -> None:
    out = demo("-c", WITHOUT_EXTRAS).stdout
    assert "🎛  stage: DMX and OSC not shown (pip install 'livetrigger[dmx,osc]'" in out, out
    assert "dmx stage" not in out and "osc qlc" not in out
    assert "rule big_gift fired" in out and "✅ done" in out

"""The committed generated code matches proto/webcast.proto (scripts/gen-proto reruns protoc)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHON=sys.executable)
    subprocess.run([str(ROOT / "scripts" / "gen-proto"), str(tmp_path)], check=True, env=env)
    committed = ROOT / "livetrigger" / "webcast" / "_pb"
    for name in ("webcast_pb2.py", "webcast_pb2.pyi"):
        assert (tmp_path / name).read_text() == (committed / name).read_text(), (
            f"{name} is stale: run scripts/gen-proto and commit the result"
        )

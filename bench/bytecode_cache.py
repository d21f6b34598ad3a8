"""Start-up benchmarks measure livetrigger as installed: ``pip install`` compiles every module
to bytecode, while a source checkout with ``PYTHONDONTWRITEBYTECODE=1`` set (as on the
development VM) would compile livetrigger's sources at every start and count that as well
(about 0.5 s and 4 MiB more for ``import livetrigger.daemon`` there)."""

from __future__ import annotations

import compileall
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "livetrigger"


def as_installed() -> None:
    """Write the package's bytecode caches, as an install would (a no-op when current)."""
    if not compileall.compile_dir(PACKAGE, quiet=1):
        raise SystemExit(f"could not compile {PACKAGE}")

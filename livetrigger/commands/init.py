"""``livetrigger init [PATH]``: a commented starter config, the full example and the schema.

The starter config's editor modeline names ``config.schema.json`` relative to the file, and
init writes that schema (from the installed version) next to it, so completion and validation
work wherever the config lives. The user's config is never overwritten without ``--force``;
the example and the schema are reference files of this version and are refreshed every time.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SYSTEM_CONFIG = Path("/etc/livetrigger/config.yaml")
SCHEMA_NAME = "config.schema.json"
EXAMPLE_NAME = "config.example.yaml"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_NAME}\n"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "init",
        help="write a commented starter config (and the example and the schema next to it)",
        description=(
            "Write a commented starter config, config.example.yaml and config.schema.json "
            "(for editors) next to it. An existing config is kept unless --force."
        ),
    )
    p.add_argument(
        "path",
        nargs="?",
        help=(
            f"config file, or a directory (existing, or ending in /); default {SYSTEM_CONFIG} "
            "as root, else ./config.yaml"
        ),
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing config")
    p.set_defaults(handler=run)


def default_path() -> Path:
    return SYSTEM_CONFIG if os.geteuid() == 0 else Path("config.yaml")


def target(path: str | None) -> Path:
    if path is None:
        return default_path()
    chosen = Path(path)
    # a directory that exists, or one named as such ("conf/"), gets config.yaml inside
    return chosen / "config.yaml" if chosen.is_dir() or path.endswith(os.sep) else chosen


def starter_text() -> str:
    return (EXAMPLES / "starter.yaml").read_text(encoding="utf-8")


def example_text() -> str:
    """The packaged example with its modeline pointing at the schema beside it (the packaged
    one names docs/config.schema.json, where the schema is in a source tree)."""
    lines = (EXAMPLES / EXAMPLE_NAME).read_text(encoding="utf-8").splitlines(keepends=True)
    if lines and lines[0].startswith("# yaml-language-server:"):
        lines[0] = MODELINE
    return "".join(lines)


def schema_text() -> str:
    from livetrigger.config.schema import json_schema  # noqa: PLC0415 - only init needs it

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_file(path: Path, text: str, mode: int) -> None:
    """Atomically, with ``mode`` from the start (a config may name secrets' files)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        tmp.chmod(mode)  # the umask may have taken bits away
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def run(args: argparse.Namespace) -> int:
    config = target(args.path)
    if config.exists() and not args.force:
        print(
            f"error: {config} exists; livetrigger init keeps it. Use --force to replace it "
            "with the starter config, or give another path",
            file=sys.stderr,
        )
        return 1
    folder = config.parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o750)
        write_file(config, starter_text(), 0o600)
        write_file(folder / EXAMPLE_NAME, example_text(), 0o644)
        write_file(folder / SCHEMA_NAME, schema_text(), 0o644)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        denied = exc.errno == errno.EACCES
        hint = " (run as root for /etc/livetrigger, or give a path)" if denied else ""
        print(f"error: cannot write {config}: {reason}{hint}", file=sys.stderr)
        return 2
    print(f"wrote {config} (the starter config: edit the username, then uncomment what you use)")
    print(f"wrote {folder / EXAMPLE_NAME} (every feature at once)")
    print(f"wrote {folder / SCHEMA_NAME} (editors complete and check the config with it)")
    print(f"next: livetrigger check {config}")
    return 0

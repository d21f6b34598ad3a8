"""``livetrigger hue-pair``: get an application key from a Philips Hue bridge and write it to
a key file for ``app_key_file`` (docs/devices.md).

Press the round link button on the bridge, then run this within 30 seconds. It asks the
bridge with the documented ``POST /api {"devicetype": ...}`` (the pairing call Hue's v1 API
keeps for v2, as aiohue's ``create_app_key`` does) until the button is pressed, then writes
the key with mode 0600 (as root: owned by the ``livetrigger`` service user when there is
one, or ``--owner``). The key itself is never printed or logged. The bridge's certificate is
not signed by a public authority, so it is not verified (as aiohue and Home Assistant do).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import pwd
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from livetrigger.devices.network import HOST, HOST_HELP, cause

SERVICE_USER = "livetrigger"  # the user install-service makes
_NOT_PRESSED = 101  # Hue's error type "link button not pressed"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "hue-pair",
        help="pair with a Hue bridge: press its button, run this, get a key file",
        description=(
            "Press the round link button on the Hue bridge, then run this within 30 s: it "
            "writes the bridge's application key to --key-file (mode 0600) for a hue device's "
            "app_key_file. The key is never printed."
        ),
    )
    p.add_argument("--bridge", required=True, help="the bridge's address, e.g. 192.168.1.2")
    p.add_argument("--key-file", required=True, type=Path, help="where to write the key")
    p.add_argument("--port", type=int, default=443, help="the bridge's HTTPS port (443)")
    p.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the button")
    p.add_argument("--owner", help="the user who may read the key (as root; default: livetrigger)")
    p.add_argument("--force", action="store_true", help="replace an existing key file")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not re.fullmatch(HOST, args.bridge):
        print(f"--bridge: {HOST_HELP}")
        return 2
    if not 1 <= args.port <= 65535:
        print("--port: a TCP port, 1 to 65535")
        return 2
    return asyncio.run(
        pair(
            args.bridge,
            args.key_file,
            port=args.port,
            wait=args.wait,
            owner=args.owner,
            force=args.force,
        )
    )


async def pair(
    bridge: str,
    key_file: Path,
    *,
    port: int = 443,
    wait: float = 30.0,
    every: float = 1.0,
    owner: str | None = None,
    force: bool = False,
    say: Callable[[str], None] = print,
) -> int:
    """Ask the bridge for a key until its button is pressed (at most ``wait`` seconds, one
    try every ``every``), then write it to ``key_file``; the exit code."""
    import aiohttp  # noqa: PLC0415 - aiohue's dependency: the lights extra

    if key_file.exists() and not force:
        say(f"{key_file} exists already: --force replaces it (the old key stops being used)")
        return 1
    if not key_file.parent.is_dir():
        say(f"{key_file.parent} is not a directory: create it first")
        return 1
    host = f"[{bridge}]" if ":" in bridge else bridge
    where = host if port == 443 else f"{host}:{port}"
    body = {"devicetype": f"livetrigger#{socket.gethostname()[:19]}"}
    say(
        f"Pairing with the Hue bridge at {where}: press the round link button on the bridge "
        f"(waiting up to {wait:g} s)."
    )
    deadline = time.monotonic() + wait
    told = False
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        while True:
            try:
                async with session.post(f"https://{where}/api", json=body, ssl=False) as answer:
                    answer.raise_for_status()
                    result = await answer.json(content_type=None)
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                reason = "no answer" if isinstance(exc, TimeoutError) else cause(exc)
                say(f"Cannot reach a Hue bridge at {where}: {reason}.")
                return 1
            first = result[0] if isinstance(result, list) and result else {}
            key = (first.get("success") or {}).get("username")
            if isinstance(key, str) and key:
                return _write(key_file, key, owner, say)
            error = first.get("error") or {}
            if error.get("type") != _NOT_PRESSED:
                described = error.get("description") or "an answer that is not a Hue bridge's"
                say(f"The bridge at {where} refused: {described}.")
                return 1
            if time.monotonic() >= deadline:
                say(
                    f"The link button was not pressed within {wait:g} s. Press the round button "
                    "on the bridge, then run this again within 30 s."
                )
                return 1
            if not told:
                say(f"The link button is not pressed yet: press it now; trying every {every:g} s.")
                told = True
            await asyncio.sleep(every)


def _write(key_file: Path, key: str, owner: str | None, say: Callable[[str], None]) -> int:
    """The key into ``key_file``: written whole (a temporary file renamed over it), 0600 from
    its first byte, owned by the user who runs the daemon."""
    user = _owner(owner)
    if owner and user is None:
        say(f"--owner: no user named {owner}")
        return 1
    tmp = key_file.with_name(f".{key_file.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(key + "\n")
            out.flush()
            os.fsync(out.fileno())
        if user is not None:
            os.chown(tmp, user.pw_uid, user.pw_gid)
        tmp.replace(key_file)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        say(f"Paired, but cannot write {key_file}: {exc.strerror or exc}. Run this again.")
        return 1
    whose = f", owned by {user.pw_name}" if user is not None else ""
    say(f"Paired: wrote the application key to {key_file} (mode 0600{whose}).")
    say(f"Use it in a hue device: app_key_file: {key_file}")
    return 0


def _owner(name: str | None) -> pwd.struct_passwd | None:
    if name is None and os.geteuid() != 0:
        return None  # the key belongs to whoever runs this
    try:
        return pwd.getpwnam(name or SERVICE_USER)
    except KeyError:
        return None

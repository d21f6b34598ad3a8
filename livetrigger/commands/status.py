"""``livetrigger status``: what the running daemon is doing (rooms, rules, actions, latency)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from livetrigger.daemon.status_socket import Snapshot, default_socket_path, fetch
from livetrigger.errors import ConfigError
from livetrigger.text.printable import escape_controls


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("status", help="show what the running daemon is doing")
    p.add_argument("--socket", type=Path, default=None, help="status socket of the daemon")
    p.add_argument(
        "-c", "--config", help="read the socket path from this config (daemon.status_socket)"
    )
    p.add_argument("--json", action="store_true", help="print the raw snapshot as JSON")
    p.add_argument("--reconnect", metavar="ROOM", help="make the daemon reconnect this room now")
    p.add_argument(
        "--dashboard",
        action="store_true",
        help="print the dashboard's address with its token (to open it as another user)",
    )
    p.set_defaults(handler=run)


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def by_method(room: dict[str, Any]) -> str:
    """A room's unknown messages by method, most first (names are TikTok's: escaped)."""
    counts: dict[str, int] = room.get("unknown_methods", {})
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{escape_controls(str(m))} {n}" for m, n in top)


def render(snap: Snapshot) -> str:
    d: dict[str, Any] = snap.get("daemon", {})
    lines = [
        f"livetrigger {d.get('version', '?')}, up {d.get('uptime', 0):.0f} s"
        + (", TRIGGERS PAUSED" if d.get("paused") else "")
    ]
    if d.get("mqtt") == "disconnected":
        lines.append("MQTT broker unreachable: reconnecting; triggers wait in their queues")
    if d.get("outbox_pending"):
        lines.append(
            f"{d['outbox_pending']} accepted trigger(s) not yet sent"
            " (kept in the outbox across a restart)"
        )
    replayed, expired = d.get("outbox_replayed", 0), d.get("outbox_expired", 0)
    if replayed or expired:
        lines.append(
            f"outbox at start: {replayed} replayed, "
            f"{expired} older than daemon.outbox_max_age not replayed"
        )
    rooms: dict[str, Any] = snap.get("rooms", {})
    if rooms:
        rows = [["room", "state", "events", "reconnects", "sign used/left today", "stalls"]]
        for name, r in rooms.items():
            rows.append(
                [
                    name,
                    str(r.get("state", "?")),
                    str(sum(r.get("events", {}).values())),
                    str(r.get("reconnects", 0)),
                    f"{r.get('sign_requests', 0)}/{r.get('sign_requests_left_today', '?')}",
                    str(r.get("stall_detections", 0)),
                ]
            )
        lines += ["", _table(rows)]
        for name, r in rooms.items():
            if r.get("state") != "connected" and r.get("reason"):
                lines.append(f"{name}: {r['state']}: {r['reason']}")
        for name, r in rooms.items():
            if r.get("unknown_methods"):
                lines.append(f"{name}: messages livetrigger does not decode: {by_method(r)}")
    rules: dict[str, int] = snap.get("rules", {})
    if rules:
        lines += ["", _table([["rule", "fired"], *([k, str(v)] for k, v in rules.items())])]
    actions: dict[str, Any] = snap.get("actions", {})
    if actions:
        rows = [["target", "ok", "failed", "dropped", "queued"]]
        for target, a in actions.items():
            rows.append(
                [target, *(str(a.get(k, 0)) for k in ("ok", "failed", "dropped", "queued"))]
            )
        lines += ["", _table(rows)]
    devices = {
        name: d
        for part in snap.values()
        if isinstance(part, dict) and isinstance(part.get("devices"), dict)
        for name, d in part["devices"].items()
    }
    if devices:
        rows = [["device", "kind", "state", "sent", "retries", "failures", "limited"]]
        for name, dev in sorted(devices.items()):
            rows.append(
                [
                    name,
                    str(dev.get("kind", "?")),
                    str(dev.get("state", "?")),
                    *(str(dev.get(k, 0)) for k in ("sent", "retries", "failures", "limited")),
                ]
            )
        lines += ["", _table(rows)]
        for name, dev in sorted(devices.items()):
            if dev.get("state") == "away" and dev.get("reason"):
                lines.append(f"{name}: away: {dev['reason']}")
            lines += [f"{name}: unknown: {said}" for said in dev.get("unknown") or ()]
    lat: dict[str, Any] = snap.get("latency_ms", {})
    if lat.get("count"):
        lines += [
            "",
            f"latency event → action done: p50 {lat.get('p50', 0):.1f} ms, "
            f"p99 {lat.get('p99', 0):.1f} ms, max {lat.get('max', 0):.1f} ms "
            f"over {lat['count']} actions",
        ]
    return "\n".join(lines)


SYSTEMD_SOCKET = Path("/run/livetrigger/livetrigger.sock")  # RuntimeDirectory= of the unit


def _socket(args: argparse.Namespace) -> Path:
    if args.socket:
        return Path(args.socket)
    if args.config:
        from livetrigger.config import load_config  # noqa: PLC0415 - only with -c

        config = load_config(args.config)
        if config.daemon.status_socket:
            return Path(config.daemon.status_socket)
    # a daemon under systemd and one started by hand put it in different places
    for candidate in (default_socket_path(), SYSTEMD_SOCKET):
        if candidate.exists():
            return candidate
    return default_socket_path()


def run(args: argparse.Namespace) -> int:
    try:
        path = _socket(args)
    except ConfigError as exc:
        print(f"livetrigger status: {exc}", file=sys.stderr)
        return 2
    try:
        command = "dashboard" if args.dashboard else ""
        command = f"reconnect {args.reconnect}" if args.reconnect else command
        snap = fetch(path, command=command)
    except (OSError, ValueError) as exc:
        print(
            f"livetrigger status: no daemon answers on {path} ({exc}). Is it running? "
            "Run as the daemon's user, or pass --socket.",
            file=sys.stderr,
        )
        return 1
    if args.reconnect:
        if "error" in snap:
            print(f"livetrigger status: {snap['error']}", file=sys.stderr)
            return 1
        print(f"room {args.reconnect}: reconnecting now")
        return 0
    if args.dashboard:
        if "error" in snap:
            print(f"livetrigger status: {snap['error']}", file=sys.stderr)
            return 1
        print(snap["url"])
        return 0
    print(json.dumps(snap, indent=2) if args.json else render(snap))
    return 0

"""What ``livetrigger simulate`` reads besides the config: a sequence of events with their
times, and the rules' state to start from.

A sequence is YAML: a list of events (or one event per line, as JSON lines), each a mapping
with ``at`` (the time from the start: ``0s``, ``1.5s``, ``2m``, or seconds) and the event in
the words of simulate's options::

    - {at: 0s, gift: Rose, count: 5}
    - {at: 10s, follow: bob}
    - {at: 12s, chat: "!light on", user: mia, moderator: true}

The kind is a key (``gift: NAME``, ``chat: TEXT``, ``question: TEXT``, ``like: COUNT``,
``viewers: N``; any other kind takes the viewer's handle, ``follow: bob``) or ``kind: NAME``.

The state is a daemon's state directory (its counters and cooldowns as it saved them, times
as they are now), a room document of one, or a mapping per rule id, times before the first
event::

    {calm: {last_fired: 20s ago}, likes: {counter: 950}, burst: {fired: [50s ago, 5s ago]}}
"""

from __future__ import annotations

import argparse
import json
import math
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from livetrigger.config.durations import parse_duration
from livetrigger.rules.counting import RuleState, remember
from livetrigger.rules.engine import Engine
from livetrigger.rules.fields import KINDS
from livetrigger.state.store import FORMAT, document_name
from livetrigger.text.suggest import suggest


class InputError(ValueError):
    """A sequence or state simulate cannot read: the message says where and what to write."""


# an entry's keys: simulate's option of the same name, and the type it takes
FLAGS = ("moderator", "subscriber", "follower", "friend", "history")
NUMBERS = ("gifter_level", "top_gifter_rank", "gift_id", "diamonds", "count", "total", "viewers")
WORDS = ("user", "nickname", "gift", "text")
# what a kind's own key fills (`gift: Rose`); the other kinds take the viewer (`follow: bob`)
KIND_FIELD = {
    "gift": "gift",
    "chat": "text",
    "question": "text",
    "like": "count",
    "viewers": "viewers",
}
EVENT_KINDS = frozenset(k for k in KINDS if k != "unknown")


def user_id(handle: str) -> int:
    """The same viewer for the same handle, in every run (``@bob`` is ``bob``)."""
    return zlib.crc32(handle.lstrip("@").lower().encode()) + 1


def read_sequence(sources: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """The entries of every source, in order: (name for messages, YAML text)."""
    entries: list[dict[str, Any]] = []
    for name, text in sources:
        documents = _documents(name, text)
        for i, entry in enumerate(documents, 1):
            where = f"{name}, item {i} of its list" if len(documents) > 1 else name
            if not isinstance(entry, dict):
                raise InputError(f"{where}: not a mapping like {{at: 0s, follow: bob}}")
            entries.append({"_where": where, **entry})
    return entries


def _documents(name: str, text: str) -> list[Any]:
    try:
        whole = yaml.safe_load(text)
    except yaml.YAMLError:
        whole = None
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        try:  # JSON lines: one mapping per line
            return [yaml.safe_load(ln) for ln in lines]
        except yaml.YAMLError as exc:
            raise InputError(f"{name}: not YAML or one event per line: {exc}") from None
    if whole is None:
        return []
    return whole if isinstance(whole, list) else [whole]


def timed_events(
    entries: list[dict[str, Any]], defaults: argparse.Namespace
) -> list[tuple[float, argparse.Namespace]]:
    """Each entry as (seconds from the start, simulate's options for it); ``defaults`` are the
    command line's options. Times must not go back."""
    out: list[tuple[float, argparse.Namespace]] = []
    last = 0.0
    for entry in entries:
        where = entry["_where"]
        try:
            at, args = _one(entry, defaults)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{where}: {exc}") from None
        at = last if at is None else at
        if at < last:
            raise InputError(
                f"{where}: at {at:g}s comes before the previous event ({last:g}s); list the "
                "events in time order"
            )
        last = at
        out.append((at, args))
    return out


def _one(
    entry: dict[str, Any], defaults: argparse.Namespace
) -> tuple[float | None, argparse.Namespace]:
    body = {str(k).replace("-", "_"): v for k, v in entry.items() if k != "_where"}
    at = parse_duration(body.pop("at")) if "at" in body else None
    kind = body.pop("kind", None)
    known = {"at", "kind", *WORDS, *NUMBERS, *FLAGS, *EVENT_KINDS}
    for key in body:
        if key not in known:
            keys = ", ".join((*WORDS, *NUMBERS, *FLAGS))
            raise ValueError(
                f"unknown key {key!r}{suggest(key, known)} (keys: at, kind or a kind's name, "
                f"{keys})"
            )
    named = [k for k in body if k in EVENT_KINDS]
    if kind is None:
        if len(named) > 1 and "viewers" in named:  # `{join: bob, viewers: 50}`
            named.remove("viewers")
        if len(named) != 1:
            raise ValueError(
                "say which event: a key such as gift: Rose, chat: TEXT, like: 15, follow: bob, "
                "or kind: NAME"
            )
        kind = named[0]
        value = body.pop(kind)
        target = KIND_FIELD.get(kind, "user")
        if value is not None and value is not True:
            body.setdefault(target, value)
    if kind not in EVENT_KINDS:
        raise ValueError(f"no event kind {kind!r} (kinds: {', '.join(sorted(EVENT_KINDS))})")
    args = argparse.Namespace(**vars(defaults))
    args.kind = kind
    for key, value in body.items():
        if key in FLAGS:
            if not isinstance(value, bool):
                raise ValueError(f"{key} is true or false, not {value!r}")
        elif key in NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{key} is a whole number, not {value!r}")
            if key == "count" and value < 1:  # as --count: a viewer sends one thing or more
                raise ValueError(f"count is a whole number, 1 or more, not {value!r}")
        elif key not in WORDS:
            raise ValueError(f"{key!r} belongs to one event kind; this is a {kind} event")
        setattr(args, key, str(value) if key in WORDS else value)
    return at, args


def load_state(spec: str, room: str, engine: Engine, start: float) -> str:
    """Give ``engine`` the state ``spec`` names (see the module's docstring); ``start`` is the
    first event's time. Returns a line saying what was taken."""
    path = Path(spec)
    if path.is_dir():
        path = path / f"{document_name('room', room)}.json"
        if not path.is_file():
            raise InputError(f"{spec}: no state of room {room!r} ({path.name} is missing)")
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{spec}: {exc.strerror or exc}") from None
        name = str(path)
    else:
        text, name = spec, "--state"
    try:
        data = json.loads(text) if text.lstrip().startswith('{"') else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(f"{name}: neither a state directory, a file nor YAML: {exc}") from None
    if isinstance(data, dict) and data.get("format") == FORMAT:
        return _daemon_state(data, name, engine, start)
    if not isinstance(data, dict):
        raise InputError(
            f"{name}: no such file or directory, and not a state such as "
            "{calm: {last_fired: 20s ago}, likes: {counter: 950}}"
        )
    try:
        _written_state(data, engine, start)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name}: {exc}") from None
    return f"state: {', '.join(str(k) for k in data)} as given"


def _daemon_state(doc: dict[str, Any], name: str, engine: Engine, start: float) -> str:
    """A room document the daemon wrote (read only: a running daemon's file stays as it is)."""
    parts = (doc.get("data") or {}).get("parts")
    snapshot = parts.get("engine") if isinstance(parts, dict) else None
    if not isinstance(snapshot, dict):
        raise InputError(f"{name}: a state document without the rules' state")
    try:
        engine.restore(snapshot, start, start)  # simulate's one clock is the wall's
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
    saved = doc.get("saved_at")
    age = (
        f", saved {start - saved:.0f}s before the first event"
        if isinstance(saved, int | float)
        else ""
    )
    return f"state: the rules' counters and cooldowns from {name}{age}"


def _ago(value: Any, start: float) -> float:
    """``20s ago`` or ``-20s``: that long before the first event."""
    text = str(value).strip()
    text = text.removesuffix("ago").strip().removeprefix("-").strip()
    return start - (parse_duration(text) or 0.0)


def _written_state(data: dict[str, Any], engine: Engine, start: float) -> None:
    rules = {r.id: r for r in engine.rules}
    for rid, given in data.items():
        if rid not in rules:
            raise ValueError(f"no rule {rid!r} in this room (rules: {', '.join(rules)})")
        if not isinstance(given, dict):
            raise ValueError(f"{rid}: give a mapping such as {{counter: 950, last_fired: 20s ago}}")
        state = engine._state[rid]
        _rule_state(rid, given, state, start)


def _rule_state(rid: str, given: dict[str, Any], state: RuleState, start: float) -> None:
    for key, value in given.items():
        if key == "counter":
            state.value, state.seen = _number(rid, key, value), True
        elif key == "last_fired":
            state.last_fire = _ago(value, start)
        elif key == "fired":
            times = sorted(_ago(v, start) for v in (value if isinstance(value, list) else [value]))
            state.fire_times.extend(times)
            if times:
                state.last_fire = max(state.last_fire, times[-1])
        elif key == "reached":
            state.reached = bool(value)
        elif key == "viewers" and isinstance(value, dict):
            for handle, theirs in value.items():
                if not isinstance(theirs, dict):
                    raise ValueError(f"{rid}.viewers.{handle}: {{counter: N, last_fired: 5s ago}}")
                uid = user_id(str(handle))
                for k, v in theirs.items():
                    if k == "counter":
                        remember(state.user_values, uid, _number(rid, k, v))
                    elif k == "last_fired":
                        remember(state.user_last_fire, uid, _ago(v, start))
                    else:
                        raise ValueError(
                            f"{rid}.viewers.{handle}: {k!r} is not counter or last_fired"
                        )
        else:
            raise ValueError(
                f"{rid}: {key!r} is not one of counter, last_fired, fired, reached, viewers"
            )


def _number(rid: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{rid}.{key} is a number, not {value!r}")
    return float(value)

"""Reload: the config file read again and applied atomically. A broken file is reported in
full and the running config keeps running; a part that refuses (a pin this board lacks) leaves
everything as it was."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING

from livetrigger.config import Config
from livetrigger.errors import ConfigError, LivetriggerError

if TYPE_CHECKING:
    from livetrigger.daemon.controller import Daemon

log = logging.getLogger(__name__)


class Reloader:
    """Applies a reloaded config to a running daemon and counts what it refused."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.reloads = 0
        self.config_errors = 0  # reloads refused for a broken config
        self.last_config_error = ""

    def _refused(self, problem: str) -> None:
        self.config_errors += 1
        self.last_config_error = problem[:250]

    def _config_refused(self, exc: ConfigError) -> None:
        log.error("reload: %s; keeping the running config", exc)
        for problem in exc.problems:
            log.error("  %s", problem)
        self._refused(exc.problems[0] if exc.problems else str(exc))

    async def reload(self) -> bool:
        """Load the config file again; swap rules and actions if it is valid."""
        d = self.daemon
        path = d.config.path
        if path is None:
            log.warning("reload: this daemon was not started from a file")
            return False
        if d.stopping:
            log.info("reload: not now, stopping")
            return False
        try:
            new = await asyncio.to_thread(d.load, path)
        except ConfigError as exc:
            self._config_refused(exc)
            return False
        except Exception as exc:  # a bug or an OSError: still a message, never a lost task
            log.error("reload: %s could not be loaded (%s); keeping the running config", path, exc)
            self._refused(str(exc))
            return False
        if d.stopping:  # the stop came while the file was read
            log.info("reload: not applied, stopping")
            return False
        try:
            # the kinds the config now has for the first time (its first pins): opened before
            # anything changes, so that a machine without them keeps the running config whole
            d.outputs.open_missing(new)
        except ConfigError as exc:  # a pin this board does not have
            self._config_refused(exc)
            return False
        except LivetriggerError as exc:  # no pin driver at all
            log.error("reload: %s; keeping the running config", exc)
            self._refused(str(exc).splitlines()[0])
            return False
        changes = describe_changes(d.config, new)
        old = d.config
        try:
            self.apply(new)
        except ConfigError as exc:  # a pin this machine refuses: nothing else has changed
            self._config_refused(exc)
            return False
        except Exception as exc:
            log.error(
                "reload: applying %s failed (%s); going back to the running config", path, exc
            )
            self._refused(str(exc))
            try:
                self.apply(old)
            except Exception:
                log.exception("reload: going back failed too; restart the daemon")
            return False
        self.reloads += 1
        log.info("reload: %s applied: %s", path, "; ".join(changes) or "nothing changed")
        return True

    def apply(self, new: Config) -> None:
        """Swap in ``new``: pins, platform settings, secrets, sinks, rooms, rules, features."""
        d = self.daemon
        d.outputs.prepare(new)  # first: the one part that can still refuse (pins)
        old = d.config
        if old.mqtt != new.mqtt:
            log.warning("reload: mqtt settings changed; they apply after a restart")
        d.config = dataclasses.replace(new, mqtt=old.mqtt)
        d.platform.reconfigure(old, new, [r.source for r in d.rooms.values()])
        if d.redactor is not None:
            d.redactor.update(new.secrets)
        d.outputs.apply(new)
        self._apply_rooms(new)
        for feature in d.features:
            feature.on_reloaded(new)

    def _apply_rooms(self, new: Config) -> None:
        d = self.daemon
        wanted = {r.settings.name: r for r in new.rooms}
        for name in list(d.rooms):
            if name not in wanted:
                d.remove_room(name)
                log.info("reload: room %s removed", name)
        for name, room in wanted.items():
            kept = d.rooms.get(name)
            if kept is not None and kept.config.settings != room.settings:
                log.info(
                    "reload: room %s now follows %s; reconnecting it",
                    name,
                    room.settings.unique_id or room.settings.room_id,
                )
                d.remove_room(name)
                kept = None
            if kept is None:
                d.add_room(room)
                log.info("reload: room %s added", name)
            else:
                kept.source.process_initial_data = room.process_initial_data
                kept.engine.replace_rules(room.rules)  # counters of kept rules survive
                kept.config = room


def describe_changes(old: Config, new: Config) -> list[str]:
    """What a reload changes, in words: rules added and removed per room, rooms, devices,
    sections."""
    out: list[str] = []
    before = {r.settings.name: r for r in old.rooms}
    after = {r.settings.name: r for r in new.rooms}
    for name in after.keys() - before.keys():
        out.append(f"room {name} added")
    for name in before.keys() - after.keys():
        out.append(f"room {name} removed")
    for name in after.keys() & before.keys():
        old_ids = [r.id for r in before[name].rules]
        new_ids = [r.id for r in after[name].rules]
        added = [i for i in new_ids if i not in old_ids]
        removed = [i for i in old_ids if i not in new_ids]
        if added:
            out.append(f"room {name}: rule(s) {', '.join(added)} added")
        if removed:
            out.append(f"room {name}: rule(s) {', '.join(removed)} removed")
        kept = len(new_ids) - len(added)
        if kept and (added or removed):
            out.append(f"room {name}: {kept} rule(s) kept (their counters too)")
    out += _device_changes(old, new)
    for section in ("gpio", "webhooks", "homeassistant", "tiktok", "mqtt", "daemon"):
        if getattr(old, section) != getattr(new, section):
            out.append(f"{section} settings changed")
    return out


def _device_changes(old: Config, new: Config) -> list[str]:
    """Devices added, changed (safe state first, then reopened) and removed, by name."""
    before = {d.name: d for d in old.devices}
    after = {d.name: d for d in new.devices}
    changes = (
        ("added", sorted(after.keys() - before.keys())),
        ("changed", sorted(n for n in after.keys() & before.keys() if after[n] != before[n])),
        ("removed", sorted(before.keys() - after.keys())),
    )
    return [f"device(s) {', '.join(names)} {what}" for what, names in changes if names]

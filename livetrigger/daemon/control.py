"""The one way into a running daemon: the status socket, Home Assistant's commands and the
dashboard all pause, test, reconnect, reload and read state through ``Control``."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from livetrigger import __version__
from livetrigger import events as ev
from livetrigger.errors import ConfigError
from livetrigger.system.press import PressOutcome, PressResult
from livetrigger.text.topics import topic_safe

if TYPE_CHECKING:
    from livetrigger.daemon.controller import Daemon
    from livetrigger.daemon.status_socket import Snapshot

log = logging.getLogger(__name__)


class Control:
    """Commands and views of a running daemon, for every front end alike."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    # -- commands ---------------------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        """Pause or resume every room's triggers (the kill switch)."""
        d = self.daemon
        d.paused = paused
        for runtime in d.rooms.values():
            runtime.engine.paused = paused
        log.warning("triggers %s", "paused" if paused else "resumed")

    def set_room_paused(self, room: str, paused: bool) -> None:
        """Pause or resume one room's triggers; the switch outlives a restart."""
        d = self.daemon
        runtime = d.rooms.get(room)
        if runtime is not None:
            d.room_paused[topic_safe(room)] = paused
            if d.state is not None:
                d.state.paused_changed()
            runtime.engine.paused = paused or d.paused
            log.warning("room %s: triggers %s", room, "paused" if paused else "resumed")

    def reconnect_room(self, room: str) -> None:
        """Reconnect one room now."""
        runtime = self.daemon.rooms.get(room)
        if runtime is not None:
            runtime.source.reconnect_now()

    def status_reconnect(self, room: str) -> Snapshot:
        """The status socket's ``reconnect`` command: an answer either way."""
        rooms = self.daemon.rooms
        if room not in rooms:
            return {"error": f"no room {room!r}; rooms: {', '.join(rooms)}"}
        self.reconnect_room(room)
        return {"ok": True, "room": room}

    def status_dashboard(self, _: str = "") -> Snapshot:
        """The status socket's ``dashboard`` command: the page's address with its token. The
        page hands its token only to the users who can open the socket; this is how the rest
        of them, allowed by sudo, get in (``livetrigger status --dashboard``)."""
        server = self.daemon.dashboard
        if server is None:
            return {"error": "the dashboard is not running (web.enabled: true starts it)"}
        return {"url": server.link()}

    def test_fire(self, rule_id: str, room: str | None = None) -> PressResult:
        """Run a rule's actions once with a sample event (docs/homeassistant.md), in ``room``
        or in every room that has the rule: it does not fire the rule's device trigger, does
        not count as a firing, and is refused while triggers are paused — a pause means
        nothing fires — and for a disabled rule: a rule switched off is not run by a button
        either. The result says which, for the dashboard's answer and the log."""
        result = self._test_fire(rule_id, room)
        if result.fired:
            log.info("%s", result.message)
        else:
            log.warning("%s", result.message)
        return result

    def _test_fire(self, rule_id: str, room: str | None) -> PressResult:
        d = self.daemon
        if room is not None and room not in d.rooms:
            return PressResult(rule_id, "no_room", (room,))
        if d.stopping:
            return PressResult(rule_id, "stopping")
        fired: list[str] = []
        refused: dict[PressOutcome, list[str]] = {}
        for name, runtime in d.rooms.items():
            if room is not None and name != room:
                continue
            rule = next((r for r in runtime.engine.rules if r.id == rule_id), None)
            if rule is None:
                continue
            if runtime.engine.paused:
                refused.setdefault("paused", []).append(name)
                continue
            if not rule.enabled:
                refused.setdefault("disabled", []).append(name)
                continue
            firing = runtime.engine.test_fire(rule_id, time.time())
            if firing is not None:
                d.event_path.submit(name, [firing], test=True)
                fired.append(name)
        if fired:
            return PressResult(rule_id, "fired", tuple(fired))
        if refused:  # the first reason met (paused rooms before disabled rules)
            why, rooms = next(iter(refused.items()))
            return PressResult(rule_id, why, tuple(rooms))
        return PressResult(rule_id, "no_rule", () if room is None else (room,))

    async def reload(self) -> bool:
        """Load the config file again; swap rules and actions if it is valid."""
        return await self.daemon.reloader.reload()

    def reload_soon(self) -> None:
        """Reload in the background (a signal or an MQTT command cannot wait for it)."""
        self.daemon.background(self.reload())

    async def send_chat(self, room: str, text: str) -> None:
        """Post ``text`` in a room's chat (the chat action's sink)."""
        runtime = self.daemon.rooms.get(room)
        if runtime is None:
            raise ConfigError(f"no room {room!r}")
        await runtime.source.send_chat(text)

    # -- views ------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """What `livetrigger status` and the metrics show."""
        d = self.daemon
        path = d.event_path
        outbox = d.outbox
        rooms = {}
        for name, r in d.rooms.items():
            rooms[name] = {
                "state": r.source.state,
                "reason": r.source.state_reason,
                "room_id": r.source.room_id,
                "events": dict(r.events),
                "unknown_methods": dict(r.unknown_methods),
                **r.source.stats(),
            }
        dispatcher = d.outputs.dispatcher
        return {
            "daemon": {
                "version": __version__,
                "uptime": round(time.monotonic() - d.started, 1),
                "paused": d.paused,
                "reloads": d.reloader.reloads,
                "config_errors": d.reloader.config_errors,
                "test_fires": path.test_fires,
                "outbox_pending": outbox.pending() if outbox is not None else 0,
                "outbox_replayed": outbox.replayed if outbox is not None else 0,
                "outbox_expired": outbox.expired if outbox is not None else 0,
                "mqtt": d.outputs.mqtt_link(),
            },
            "rooms": rooms,
            "rules": dict(path.rule_fires),
            "actions": dispatcher.stats() if dispatcher else {},
            "gpio": {},  # the outlets fill their own below
            "latency_ms": path.latency.snapshot(),
            **d.outputs.status(),
        }

    def daemon_figures(self) -> dict[str, Any]:
        """What the rooms share (actions, latency, the sign budget, reloads), for Home
        Assistant's daemon device."""
        d = self.daemon
        dispatcher = d.outputs.dispatcher
        actions = dispatcher.stats() if dispatcher else {}
        latency = d.event_path.latency
        return {
            "version": __version__,
            "started": datetime.fromtimestamp(d.started_at, UTC).isoformat(timespec="seconds"),
            "rooms_connected": sum(1 for r in d.rooms.values() if r.source.state == "connected"),
            "sign_left": d.platform.figures().get("sign_left"),
            "reloads": d.reloader.reloads,
            "config_errors": d.reloader.config_errors,
            "last_config_error": d.reloader.last_config_error or None,
            "actions_failed": sum(a["failed"] for a in actions.values()),
            "actions_dropped": sum(a["dropped"] for a in actions.values()),
            "latency_p99": round(latency.percentile(99), 2)
            if latency.snapshot().get("count")
            else None,
        }

    def room_figures(self, name: str) -> dict[str, float]:
        """A room's own counters since this process started."""
        return {
            "rules_fired": self.daemon.event_path.room_rule_fires[name],
            "reconnects": self.daemon.rooms[name].source.stats()["reconnects"],
        }

    def devices(self) -> dict[str, dict[str, Any]]:
        """Each device of ``devices:`` by name: its state as its outlet shows it (kind, state,
        reason, since, sent, retries, failures, limited, ...) with its queue's ``dropped`` and
        ``queued``, for the dashboard's and Home Assistant's device views."""
        dispatcher = self.daemon.outputs.dispatcher
        lanes = dispatcher.stats() if dispatcher else {}
        out: dict[str, dict[str, Any]] = {}
        for shown in self.daemon.outputs.status().values():
            devices = shown.get("devices") if isinstance(shown, dict) else None
            for name, device in (devices or {}).items():
                lane = lanes.get(f"device:{name}", {})
                out[name] = {
                    **device,
                    "dropped": lane.get("dropped", 0),
                    "queued": lane.get("queued", 0),
                }
        return dict(sorted(out.items()))

    def dashboard_state(self) -> dict[str, Any]:
        """Everything the dashboard shows, in one document (no secret is in it)."""
        d = self.daemon
        snap = self.snapshot()
        now, wall = time.monotonic(), time.time()  # the engine's clock, and what is shown
        rooms: dict[str, Any] = {}
        for name, runtime in d.rooms.items():
            rules = []
            for rule in runtime.engine.rules:
                state = runtime.engine._state[rule.id]
                stats = runtime.engine.stats[rule.id]
                free_at = runtime.engine._free_at(rule, state, ev.Event())
                rules.append(
                    {
                        "id": rule.id,
                        "description": rule.description,
                        "on": sorted(rule.kinds),
                        "enabled": rule.enabled,
                        "fired": stats.fired,
                        "rate_limited": stats.rate_limited,
                        "last_fired": (
                            state.last_fire - now + wall if state.last_fire > -math.inf else None
                        ),
                        "cooldown_left": max(0.0, free_at - now) if free_at > now else 0.0,
                    }
                )
            rooms[name] = {
                **snap["rooms"].get(name, {}),
                "username": runtime.config.settings.unique_id,
                "paused": runtime.engine.paused,
                "rules": rules,
            }
        mqtt = d.outputs.mqtt
        return {
            **snap,
            "rooms": rooms,
            "mqtt": {
                "configured": mqtt is not None,
                "connected": bool(mqtt is not None and mqtt.connected.is_set()),
                "failure": mqtt.failure if mqtt is not None else None,  # why it reconnects
                "home_assistant": d.homeassistant is not None,
            },
            "config_path": str(d.config.path) if d.config.path else None,
            "devices": self.devices(),
        }

    async def config_verdict(self) -> dict[str, Any]:
        """What `check` says of the config file now (it may have changed since start)."""
        path = self.daemon.config.path
        if path is None:
            return {"path": None, "ok": True, "problems": [], "note": "not started from a file"}
        try:
            await asyncio.to_thread(self.daemon.load, path)
        except ConfigError as exc:
            return {
                "path": str(path),
                "ok": False,
                "error": str(exc),
                "problems": list(exc.problems),
            }
        return {
            "path": str(path),
            "ok": True,
            "problems": [],
            "reloads": self.daemon.reloader.reloads,
        }

"""The composition root: config → sinks, dispatcher, one scheduler + decoder + engine per room,
status socket, metrics, systemd notifications, signals.

Flow per event (no queue hop on the way to the sinks, which is where latency is won): the
room's scheduler decodes a frame and calls ``_on_event``, which runs the engine and submits the
requests to the dispatcher's per-target queues. A failing room never stops another: each
scheduler runs in its own task and never raises network errors.

Signals: SIGHUP reloads the config atomically (a broken file is reported in full and the old
config keeps running); SIGTERM/SIGINT turn every output off at once, stop the rooms, drain the
queues for at most ``daemon.shutdown_timeout``, publish "offline" and exit 0.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from livetrigger import __version__
from livetrigger import events as ev
from livetrigger.actions import ActionRequest, MqttPublish
from livetrigger.config import Config, RoomConfig, load_config
from livetrigger.daemon.dispatch import Dispatcher, Outcome, QueuePolicy, Sink
from livetrigger.daemon.firing_log import FiringLog
from livetrigger.errors import ConfigError, StatusSocketTaken
from livetrigger.state.directory import DaemonState, FnPart

if TYPE_CHECKING:
    from livetrigger.settings import GpioSettings
    from livetrigger.sinks.gpio import GpioSink
    from livetrigger.web.server import Dashboard
from livetrigger.daemon.latency import LatencyStats
from livetrigger.daemon.status_socket import Snapshot, StatusServer, default_socket_path
from livetrigger.homeassistant.bridge import HomeAssistantBridge
from livetrigger.homeassistant.discovery import DaemonEntities, RoomEntities, RuleEntity
from livetrigger.rules.engine import Engine, Firing
from livetrigger.rules.explain import explain
from livetrigger.sinks.chat import ChatSink
from livetrigger.sinks.http import WebhookSink
from livetrigger.sinks.log import LogSink
from livetrigger.sinks.mqtt import MqttClient, MqttSink
from livetrigger.state.outbox import Outbox
from livetrigger.system.logs import SecretRedactor
from livetrigger.system.sdnotify import Notifier, watchdog_interval
from livetrigger.system.trust import http_context
from livetrigger.text.topics import topic_safe
from livetrigger.webcast.decode import Decoder
from livetrigger.webcast.retry import SignQuota
from livetrigger.webcast.scheduler import RoomScheduler

log = logging.getLogger(__name__)
_SESSION_KINDS = frozenset({"live", "stream_ended"})


@dataclasses.dataclass
class Hooks:
    """Optional observers (the demo's console uses them)."""

    event: Callable[[str, ev.Event], None] | None = None
    firing: Callable[[str, Firing], None] | None = None
    action_done: Callable[[ActionRequest, Outcome, float], None] | None = None
    pin_change: Callable[[str, float], None] | None = None
    log_line: Callable[[ActionRequest, str], None] | None = None


class RoomRuntime:
    def __init__(self, config: RoomConfig, engine: Engine, scheduler: RoomScheduler) -> None:
        self.config = config
        self.engine = engine
        self.scheduler = scheduler
        self.events: Counter[str] = Counter()
        self.task: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = None


class Daemon:
    """Runs a config until stopped. ``await Daemon(config).run()`` returns the exit code."""

    def __init__(
        self,
        config: Config,
        *,
        pin_factory: Any = None,
        hooks: Hooks | None = None,
        notifier: Notifier | None = None,
        status_path: Path | None = None,
        redactor: SecretRedactor | None = None,
        stop_when_ended: bool = False,
        persist: bool = True,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.hooks = hooks or Hooks()
        self.notifier = notifier or Notifier()
        self.status_path = status_path or (
            Path(config.daemon.status_socket)
            if config.daemon.status_socket
            else default_socket_path()
        )
        self.redactor = redactor
        self.stop_when_ended = stop_when_ended
        self.persist = persist  # the demo keeps nothing: its fake room is new every time
        self.state: DaemonState | None = None
        self.outbox: Outbox | None = None  # undelivered triggers across restarts
        self._wall_clock = wall_clock  # the outbox's accept times and ages
        self.room_paused: dict[str, bool] = {}  # Home Assistant's switch, by topic-safe room
        self.started = time.monotonic()
        self.latency = LatencyStats()
        self.started_at = time.time()
        self.rule_fires: Counter[str] = Counter()
        self.room_rule_fires: Counter[str] = Counter()  # per room: its own device's figure
        self.rooms: dict[str, RoomRuntime] = {}
        self.paused = False
        self.stopping = False  # set by the all-off at stop: from then on no rule runs
        self.reloads = 0
        self.config_errors = 0  # reloads refused for a broken config
        self.last_config_error = ""
        self.test_fires = 0
        self._jobs: set[asyncio.Task[Any]] = set()
        self.firing_log = FiringLog()
        self._pin_factory = pin_factory
        self._stop = asyncio.Event()
        self._quota = SignQuota(config.tiktok.sign_budget)  # shared: one budget per daemon
        self.http: httpx.AsyncClient | None = None
        self.mqtt: MqttClient | None = None
        self.gpio: GpioSink | None = None
        self.webhooks: WebhookSink | None = None
        self.dispatcher: Dispatcher | None = None
        self.homeassistant: HomeAssistantBridge | None = None
        self.dashboard: Dashboard | None = None  # the web page, when web.enabled

    # -- building ---------------------------------------------------------------------------

    def _gpio_sink(self, settings: GpioSettings) -> GpioSink:
        # gpiozero and its pin drivers: a daemon without outputs or inputs never loads them
        from livetrigger.sinks.gpio import GpioSink  # noqa: PLC0415

        return GpioSink(
            settings,
            pin_factory=self._pin_factory,
            on_test_button=self.test_fire,
            on_change=self.hooks.pin_change,
        )

    def _sinks(self) -> tuple[dict[str, Sink], dict[str, QueuePolicy]]:
        c = self.config
        sinks: dict[str, Sink] = {
            "log": LogSink(echo=self.hooks.log_line),
            "chat": ChatSink(self._send_chat),
        }
        policies: dict[str, QueuePolicy] = {}
        if self.mqtt is not None and c.mqtt is not None:
            sinks["mqtt"] = MqttSink(self.mqtt)
            policies["mqtt"] = QueuePolicy(size=c.mqtt.queue_size, overflow=c.mqtt.overflow)
        if self.gpio is not None:
            sinks["gpio"] = self.gpio
            for o in c.gpio.outputs:
                policies[f"gpio:{o.name}"] = QueuePolicy(size=o.queue_size, overflow=o.overflow)
        if self.webhooks is not None:
            sinks["http"] = self.webhooks
            for w in c.webhooks:
                # retries live inside one request: give it room for all of them
                budget = (w.timeout + w.retry_initial * 2**w.retries) * (w.retries + 1)
                policies[f"http:{w.name}"] = QueuePolicy(
                    size=w.queue_size, overflow=w.overflow, timeout=budget
                )
        return sinks, policies

    async def _start(self) -> None:
        c = self.config
        if self.persist:
            self.state = DaemonState(self._state_dir())
            self.state.begin()
            self.state.attach_quota(self._quota, time.monotonic)
            self.room_paused = self.state.load_paused(lambda: dict(self.room_paused))
            if self.state.enabled:
                self.outbox = Outbox(
                    self.state.directory / "outbox",
                    max_age=c.daemon.outbox_max_age,
                    clock=self._wall_clock,
                )
        self.http = httpx.AsyncClient(
            proxy=c.tiktok.proxy, timeout=c.tiktok.http_timeout, verify=http_context()
        )
        if c.mqtt is not None:
            self.mqtt = MqttClient(c.mqtt, availability_topic=self._daemon_entities(c).availability)
            await self.mqtt.start()
            if not await self.mqtt.wait_connected(3.0):
                log.warning(
                    "mqtt: broker %s:%d not reachable yet; messages wait in the queue",
                    c.mqtt.host,
                    c.mqtt.port,
                )
        if c.gpio.outputs or c.gpio.inputs:
            self.gpio = self._gpio_sink(c.gpio)
        if c.webhooks:
            self.webhooks = WebhookSink(c.webhooks, journal=self.outbox)
        sinks, policies = self._sinks()
        self.dispatcher = Dispatcher(
            sinks,
            policies=policies,
            on_done=self._action_done,
            journal=self.outbox,
            max_age=c.daemon.outbox_max_age,
            clock=self._wall_clock,
        )
        if self.outbox is not None:
            # what a previous process accepted and did not deliver goes first, in its order
            for request in self.outbox.recover():
                self.dispatcher.submit(request)
        for room in c.rooms:
            self._add_room(room, restore=True)
        if self.mqtt is not None and c.mqtt is not None and c.homeassistant.discovery:
            self.homeassistant = HomeAssistantBridge(
                c.homeassistant,
                mqtt=self.mqtt,
                base_topic=c.mqtt.base_topic,
                daemon=self._daemon_entities(c),
                rooms=self._room_entities(c),
                on_pause=self.set_room_paused,
                on_test_fire=lambda room, rule: self.test_fire(rule, room),
                on_reconnect=self.reconnect_room,
                on_reload=lambda: self._background(self.reload()),
                paused=self.room_paused,
            )
            for name in self.rooms:
                self._attach_homeassistant_state(name)
            self.homeassistant.start()
        if self.state is not None:
            self.state.started()

    @staticmethod
    def _daemon_entities(c: Config) -> DaemonEntities:
        """This daemon instance, named by its MQTT client id: its own availability topic, so
        several daemons on one broker and base topic never touch each other's entities."""
        assert c.mqtt is not None
        instance = topic_safe(c.mqtt.client_id or f"livetrigger-{socket.gethostname()}")
        return DaemonEntities(instance, c.mqtt.base_topic)

    @staticmethod
    def _room_entities(c: Config) -> list[RoomEntities]:
        return [
            RoomEntities(
                r.settings.name,
                r.settings.unique_id,
                [RuleEntity(rule.id, rule.description) for rule in r.rules],
            )
            for r in c.rooms
        ]

    def _state_dir(self) -> Path:
        configured = (
            self.config.daemon.state_dir or os.environ.get("STATE_DIRECTORY", "").split(":")[0]
        )
        if configured:
            return Path(configured)
        return Path.home() / ".local" / "state" / "livetrigger"

    def _add_room(self, room: RoomConfig, *, restore: bool = False) -> None:
        assert self.http is not None
        name = room.settings.name
        base = self.config.mqtt.base_topic if self.config.mqtt else "livetrigger"
        engine = Engine(room.rules, room=name, base_topic=base)
        engine.paused = self.paused
        scheduler = RoomScheduler(
            room.settings,
            self.config.tiktok,
            http=self.http,
            on_event=self._event_handler(name),
            decoder=Decoder(),
            quota=self._quota,
            process_initial_data=room.process_initial_data,
        )
        scheduler.on_state(self._state_handler(name))
        runtime = RoomRuntime(room, engine, scheduler)
        self.rooms[name] = runtime
        self._attach_state(runtime, restore=restore)
        runtime.task = asyncio.get_running_loop().create_task(
            self._run_room(runtime), name=f"room:{name}"
        )

    def _attach_state(self, runtime: RoomRuntime, *, restore: bool) -> None:
        """The room's parts take their saved state (at start) and go into its document."""
        state = self.state
        if state is None:
            return
        name, scheduler = runtime.config.settings.name, runtime.scheduler
        settings = runtime.config.settings
        follows = f"@{settings.unique_id}" if settings.unique_id else f"room {settings.room_id}"
        state.attach_room(name, follows, load=restore)
        clean = state.clean
        state.add_part(
            name,
            "scheduler",
            FnPart(scheduler.snapshot, lambda data: scheduler.restore(data, clean_shutdown=clean)),
        )
        state.add_part(name, "engine", runtime.engine)
        scheduler.before_sign = state.sign_recorded
        if self.homeassistant is not None:
            self._attach_homeassistant_state(name)

    def _attach_homeassistant_state(self, name: str) -> None:
        bridge = self.homeassistant
        if self.state is None or bridge is None:
            return
        self.state.add_part(
            name,
            "homeassistant",
            FnPart(
                lambda: self._homeassistant_snapshot(bridge, name),
                lambda data: bridge.restore_room(name, data),
            ),
        )

    def _homeassistant_snapshot(
        self, bridge: HomeAssistantBridge, name: str
    ) -> dict[str, Any] | None:
        # the figures as of this save, not of the last once-a-second flush: the last
        # firings before a stop are carried into the next process too
        if name in self.rooms:
            bridge.set_figures(name, self._room_figures(name))
        return bridge.room_snapshot(name)

    def _event_handler(self, room: str) -> Callable[[ev.Event], None]:
        return lambda event: self._on_event(room, event)

    def _state_handler(self, room: str) -> Callable[[str, str], None]:
        return lambda state, detail: self._on_state(room, state, detail)

    async def _run_room(self, runtime: RoomRuntime) -> None:
        try:
            await runtime.scheduler.run()
        except asyncio.CancelledError:
            raise
        except Exception:  # one room's bug must not take the others down
            log.exception("room %s stopped on an unexpected error", runtime.config.settings.name)

    # -- the hot path -----------------------------------------------------------------------

    def _on_event(self, room: str, event: ev.Event) -> None:
        runtime = self.rooms.get(room)
        if runtime is None:
            return
        runtime.events[event.kind] += 1
        if self.hooks.event is not None:
            self.hooks.event(room, event)
        if self.stopping:
            # shutdown is final: the `disconnected` a stopping room emits must not run a rule,
            # reach the event stream or Home Assistant's event entity after the all-off
            log.debug("room %s: %s while stopping: not acted on", room, event.kind)
            return
        now = time.time()
        firings = runtime.engine.firings(event, now)
        if firings and event.kind in _SESSION_KINDS and self.state is not None:
            # a session's start or end is on disk before its triggers leave: a SIGKILL in
            # between must not make the next process start or end the session again
            self.state.room_changed(room)
            self._background(self._submit_when_saved(room, firings))
        else:
            self._submit(room, firings)
        if self.dashboard is not None:
            self.dashboard.on_event(room, event, tuple(f.rule_id for f in firings))
        if self.state is not None:
            # a counter milestone, a session's start or end go to disk at once: a SIGKILL
            # right after must not make them fire again
            self.state.room_changed(
                room,
                urgent=event.kind in _SESSION_KINDS
                or any(f.milestone is not None for f in firings),
            )
        if self.homeassistant is not None:
            self.homeassistant.on_event(room, event)
        self._stream_event(room, event)
        self._arm_queue_timer(runtime)
        if event.kind == "stream_ended" and self.stop_when_ended:
            asyncio.get_running_loop().call_later(0.5, self._stop.set)

    async def _submit_when_saved(self, room: str, firings: list[Firing]) -> None:
        assert self.state is not None
        await self.state.save_now()
        if self.dispatcher is not None:
            self._submit(room, firings)

    def _submit(self, room: str, firings: list[Firing], *, test: bool = False) -> None:
        assert self.dispatcher is not None
        if self.stopping:
            for firing in firings:  # queued releases, test buttons: nothing acts after all-off
                log.info("room %s: rule %s not run: stopping", room, firing.rule_id)
            return
        for firing in firings:
            if test:
                # a test runs the actions only: no device trigger, not a rule firing
                self.test_fires += 1
            else:
                self.rule_fires[firing.rule_id] += 1
                self.room_rule_fires[room] += 1
                log.debug("room %s: rule %s fired", room, firing.rule_id)
                if self.homeassistant is not None:
                    trigger = self.homeassistant.rule_fired(room, firing.rule_id, firing.event)
                    if trigger is not None:
                        self.dispatcher.submit(trigger)
            self.firing_log.fired(room, firing, test=test)
            if self.hooks.firing is not None:
                self.hooks.firing(room, firing)
            for request in firing.requests:
                self.dispatcher.submit(request)

    def _stream_event(self, room: str, event: ev.Event) -> None:
        """The optional event stream: every event as JSON for Node-RED and friends."""
        mqtt, c = self.mqtt, self.config.mqtt
        if mqtt is None or c is None or not c.event_stream.enabled:
            return
        kinds = c.event_stream.kinds
        if kinds and event.kind not in kinds:
            return
        payload = json.dumps(ev.event_to_dict(event), ensure_ascii=False, default=str)
        mqtt.publish(f"{c.base_topic}/{room}/events/{event.kind}", payload, qos=c.event_stream.qos)

    def _arm_queue_timer(self, runtime: RoomRuntime) -> None:
        due = runtime.engine.next_due()
        if due is None or runtime.timer is not None:
            return
        loop = asyncio.get_running_loop()

        def release() -> None:
            runtime.timer = None
            self._submit(runtime.config.settings.name, runtime.engine.due(time.time()))
            self._arm_queue_timer(runtime)

        runtime.timer = loop.call_later(max(0.0, due - time.time()), release)

    def _action_done(self, request: ActionRequest, outcome: Outcome, seconds: float) -> None:
        self.firing_log.done(request, outcome, seconds)
        rule_action = not (isinstance(request, MqttPublish) and request.lane)  # not rule_fired
        event = request.event
        if rule_action and outcome == "ok" and event is not None and event.received_at:
            self.latency.add(seconds)
        if self.hooks.action_done is not None:
            self.hooks.action_done(request, outcome, seconds)

    def _on_state(self, room: str, state: str, detail: str) -> None:
        text = {
            "waiting": f"{room}: waiting for the stream to go live",
            "connecting": f"{room}: connecting",
            "connected": f"{room}: connected to room {detail.removeprefix('room ')}",
            "reconnecting": f"{room}: reconnecting {detail}",
            "blocked": f"{room}: blocked ({detail[:80]})",
            "rate_limited": f"{room}: rate-limited ({detail})",
        }.get(state)
        if text:
            self.notifier.status(text)
        if self.state is not None:
            self.state.room_changed(room)
        runtime = self.rooms.get(room)
        if self.homeassistant is not None and runtime is not None:
            left = runtime.scheduler.stats()["sign_requests_left_today"]
            self.homeassistant.set_connection(room, state, left)

    # -- controls (HA switch, kill switch, test button) -------------------------------------

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        for runtime in self.rooms.values():
            runtime.engine.paused = paused
        log.warning("triggers %s", "paused" if paused else "resumed")

    def set_room_paused(self, room: str, paused: bool) -> None:
        runtime = self.rooms.get(room)
        if runtime is not None:
            self.room_paused[topic_safe(room)] = paused
            if self.state is not None:
                self.state.paused_changed()
            runtime.engine.paused = paused or self.paused
            log.warning("room %s: triggers %s", room, "paused" if paused else "resumed")

    def _status_reconnect(self, room: str) -> Snapshot:
        if room not in self.rooms:
            return {"error": f"no room {room!r}; rooms: {', '.join(self.rooms)}"}
        self.reconnect_room(room)
        return {"ok": True, "room": room}

    def reconnect_room(self, room: str) -> None:
        runtime = self.rooms.get(room)
        if runtime is not None:
            runtime.scheduler.reconnect_now()

    def test_fire(self, rule_id: str, room: str | None = None) -> None:
        """Run a rule's actions once with a sample event (docs/homeassistant.md): it does not
        fire the rule's device trigger, does not count as a firing, and is refused while
        triggers are paused — a pause means nothing fires — and for a disabled rule: a rule
        switched off is not run by a button either."""
        for name, runtime in self.rooms.items():
            if room is not None and name != room:
                continue
            if runtime.engine.paused:
                log.warning("room %s: test of rule %s refused: triggers are paused", name, rule_id)
                continue
            rule = next((r for r in runtime.engine.rules if r.id == rule_id), None)
            if rule is not None and not rule.enabled:
                log.warning(
                    "room %s: test of rule %s refused: the rule is disabled (enabled: false)",
                    name,
                    rule_id,
                )
                continue
            firing = runtime.engine.test_fire(rule_id, time.time())
            if firing is not None:
                log.info("room %s: test-firing rule %s", name, rule_id)
                self._submit(name, [firing], test=True)

    async def _send_chat(self, room: str, text: str) -> None:
        runtime = self.rooms.get(room)
        if runtime is None:
            raise ConfigError(f"no room {room!r}")
        await runtime.scheduler.send_chat(text)

    # -- reload -----------------------------------------------------------------------------

    def _background(self, job: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._jobs.add(task)  # a reference until done: the loop keeps only weak ones
        task.add_done_callback(self._job_done)

    def _job_done(self, task: asyncio.Task[Any]) -> None:
        # an error nobody awaits would surface only as "Task exception was never retrieved"
        self._jobs.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("%s failed: %s", task.get_coro().__qualname__, exc, exc_info=exc)  # type: ignore[union-attr]

    def _config_refused(self, exc: ConfigError) -> None:
        log.error("reload: %s; keeping the running config", exc)
        for problem in exc.problems:
            log.error("  %s", problem)
        self.config_errors += 1
        self.last_config_error = (exc.problems[0] if exc.problems else str(exc))[:250]

    async def reload(self) -> bool:
        """Load the config file again; swap rules and actions if it is valid."""
        path = self.config.path
        if path is None:
            log.warning("reload: this daemon was not started from a file")
            return False
        if self.stopping:
            log.info("reload: not now, stopping")
            return False
        try:
            new = await asyncio.to_thread(load_config, path)
        except ConfigError as exc:
            self._config_refused(exc)
            return False
        except Exception as exc:  # a bug or an OSError: still a message, never a lost task
            log.error("reload: %s could not be loaded (%s); keeping the running config", path, exc)
            self._refused(str(exc))
            return False
        if self.stopping:  # the stop came while the file was read
            log.info("reload: not applied, stopping")
            return False
        if self.gpio is None and (new.gpio.outputs or new.gpio.inputs):
            # the first outputs: open the pins before anything changes, so that a machine
            # without them keeps the running config whole
            from livetrigger.sinks.pins import NoPinsError  # noqa: PLC0415 - with gpiozero, as above

            try:
                self.gpio = self._gpio_sink(new.gpio)
            except NoPinsError as exc:
                log.error("reload: %s; keeping the running config", exc)
                self.config_errors += 1
                self.last_config_error = str(exc).splitlines()[0][:250]
                return False
            except ConfigError as exc:  # a pin this board does not have
                self._config_refused(exc)
                return False
        changes = describe_changes(self.config, new)
        old = self.config
        try:
            self._apply(new)
        except ConfigError as exc:  # a pin this machine refuses: nothing else has changed
            self._config_refused(exc)
            return False
        except Exception as exc:
            log.error(
                "reload: applying %s failed (%s); going back to the running config", path, exc
            )
            self._refused(str(exc))
            try:
                self._apply(old)
            except Exception:
                log.exception("reload: going back failed too; restart the daemon")
            return False
        self.reloads += 1
        log.info("reload: %s applied: %s", path, "; ".join(changes) or "nothing changed")
        return True

    def _refused(self, problem: str) -> None:
        self.config_errors += 1
        self.last_config_error = problem[:250]

    def _apply(self, new: Config) -> None:
        # the pins first: the one part that can still refuse (a pin this board does not have,
        # or one another program holds), and it leaves the running set as it was when it does
        if self.gpio is not None and self.gpio.settings != new.gpio:
            self.gpio.reconfigure(new.gpio)
        old = self.config
        if old.mqtt != new.mqtt:
            log.warning("reload: mqtt settings changed; they apply after a restart")
        self.config = dataclasses.replace(new, mqtt=old.mqtt)
        tiktok_changes = changed_fields(old.tiktok, new.tiktok)
        if tiktok_changes:
            log.info(
                "reload: tiktok settings changed (%s); reconnecting room(s) %s",
                ", ".join(tiktok_changes),
                ", ".join(self.rooms) or "none",
            )
            self._quota.budget = new.tiktok.sign_budget
            for runtime in self.rooms.values():
                runtime.scheduler.apply_settings(new.tiktok)
        if self.redactor is not None:
            self.redactor.update(new.secrets)
        if self.webhooks is not None:
            self.webhooks.reconfigure(new.webhooks)
        elif new.webhooks:
            self.webhooks = WebhookSink(new.webhooks, journal=self.outbox)
        assert self.dispatcher is not None
        sinks, policies = self._sinks()
        self.dispatcher.set_sinks(sinks, policies)
        self.dispatcher.set_max_age(new.daemon.outbox_max_age)
        wanted = {r.settings.name: r for r in new.rooms}
        for name in list(self.rooms):
            if name not in wanted:
                runtime = self.rooms.pop(name)
                if runtime.task is not None:
                    runtime.task.cancel()
                if self.state is not None:
                    self.state.detach_room(name)
                log.info("reload: room %s removed", name)
        for name, room in wanted.items():
            kept = self.rooms.get(name)
            if kept is not None and kept.config.settings != room.settings:
                log.info(
                    "reload: room %s now follows %s; reconnecting it",
                    name,
                    room.settings.unique_id or room.settings.room_id,
                )
                self.rooms.pop(name)
                if kept.task is not None:
                    kept.task.cancel()
                if self.state is not None:
                    self.state.detach_room(name)
                kept = None
            if kept is None:
                self._add_room(room)
                log.info("reload: room %s added", name)
            else:
                kept.scheduler.process_initial_data = room.process_initial_data
                kept.engine.replace_rules(room.rules)  # counters of kept rules survive
                kept.config = room
        if self.homeassistant is not None:
            self.homeassistant.set_rooms(self._room_entities(new))

    # -- status -----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        rooms = {}
        for name, r in self.rooms.items():
            stats = r.scheduler.stats()
            rooms[name] = {
                "state": r.scheduler.state,
                "reason": r.scheduler.state_reason,
                "room_id": r.scheduler.room_id,
                "events": dict(r.events),
                **stats,
            }
        return {
            "daemon": {
                "version": __version__,
                "uptime": round(time.monotonic() - self.started, 1),
                "paused": self.paused,
                "reloads": self.reloads,
                "config_errors": self.config_errors,
                "test_fires": self.test_fires,
                "outbox_pending": self.outbox.pending() if self.outbox is not None else 0,
                "outbox_replayed": self.outbox.replayed if self.outbox is not None else 0,
                "outbox_expired": self.outbox.expired if self.outbox is not None else 0,
                "mqtt": self._mqtt_link(),
            },
            "rooms": rooms,
            "rules": dict(self.rule_fires),
            "actions": self.dispatcher.stats() if self.dispatcher else {},
            "gpio": self.gpio.states() if self.gpio else {},
            "latency_ms": self.latency.snapshot(),
        }

    def _mqtt_link(self) -> str:
        """The link to the broker: "connected", "disconnected" (paho reconnects) or "off"."""
        if self.mqtt is None:
            return "off"
        return "connected" if self.mqtt.connected.is_set() else "disconnected"

    # -- the dashboard's view ---------------------------------------------------------------

    def dashboard_state(self) -> dict[str, Any]:
        """Everything the dashboard shows, in one document (no secret is in it)."""
        snap = self.snapshot()
        now = time.time()
        rooms: dict[str, Any] = {}
        for name, runtime in self.rooms.items():
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
                        "last_fired": state.last_fire if state.last_fire > 0 else None,
                        "cooldown_left": max(0.0, free_at - now) if free_at > now else 0.0,
                    }
                )
            rooms[name] = {
                **snap["rooms"].get(name, {}),
                "username": runtime.config.settings.unique_id,
                "paused": runtime.engine.paused,
                "rules": rules,
            }
        return {
            **snap,
            "rooms": rooms,
            "mqtt": {
                "configured": self.mqtt is not None,
                "connected": bool(self.mqtt is not None and self.mqtt.connected.is_set()),
                "home_assistant": self.homeassistant is not None,
            },
            "config_path": str(self.config.path) if self.config.path else None,
        }

    async def config_verdict(self) -> dict[str, Any]:
        """What `check` says of the config file now (it may have changed since start)."""
        path = self.config.path
        if path is None:
            return {"path": None, "ok": True, "problems": [], "note": "not started from a file"}
        try:
            await asyncio.to_thread(load_config, path)
        except ConfigError as exc:
            return {
                "path": str(path),
                "ok": False,
                "error": str(exc),
                "problems": list(exc.problems),
            }
        return {"path": str(path), "ok": True, "problems": [], "reloads": self.reloads}

    def explain_event(
        self, room: str, event: ev.Event, fired: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Each rule's verdict on a past event: the rules it fired say so; for the others,
        the deciding condition against the rules as they are now."""
        runtime = self.rooms.get(room)
        if runtime is None:
            return []
        out = []
        for v in explain(runtime.engine, event, time.time()):
            if v.rule_id in fired:
                out.append(
                    {
                        "rule": v.rule_id,
                        "fires": True,
                        "decided_by": "fires",
                        "reason": "it fired for this event",
                    }
                )
            else:
                fires = v.fires  # would fire now but did not then: say why it did not
                out.append(
                    {
                        "rule": v.rule_id,
                        "fires": False,
                        "decided_by": "then" if fires else v.decided_by,
                        "reason": "it did not fire then (paused or rate-limited at the time)"
                        if fires
                        else v.reason,
                    }
                )
        return out

    # -- running ----------------------------------------------------------------------------

    def request_stop(self) -> None:
        # outputs off first, before anything else can take time (the 200 ms promise), and
        # for good: nothing still queued or arriving while the rooms stop turns one back on
        self._stop_acting()
        self._stop.set()

    def _stop_acting(self) -> None:
        self.stopping = True
        if self.gpio is not None:
            self.gpio.shut_down()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        # the status socket first: a second daemon on the same path stops here, before it
        # touches the broker, the pins or the rooms of the first
        status: StatusServer | None = None
        server = StatusServer(
            self.status_path, self.snapshot, {"reconnect": self._status_reconnect}
        )
        try:
            server.claim()
            status = server
        except StatusSocketTaken as exc:
            log.error("status socket: %s", exc)
            return 1
        except OSError as exc:
            log.warning("status socket %s unavailable: %s", self.status_path, exc)
        installed: list[signal.Signals] = []
        for sig, handler in (
            (signal.SIGTERM, self.request_stop),
            (signal.SIGINT, self.request_stop),
            (signal.SIGHUP, lambda: self._background(self.reload())),
        ):
            try:
                loop.add_signal_handler(sig, handler)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError) as exc:
                # not the main thread (an embedding app) or no signals on this platform:
                # the embedder stops us with request_stop()
                log.info("cannot handle %s here (%s); stop with request_stop()", sig.name, exc)
        watchdog: asyncio.Task[None] | None = None
        metrics_server: Any = None
        flusher: asyncio.Task[None] | None = None
        saver: asyncio.Task[None] | None = None
        syncer: asyncio.Task[None] | None = None
        try:
            try:
                await self._start()
            except ConfigError as exc:  # a pin this machine cannot use: a message, exit 1
                log.error("%s; not starting", exc)
                for problem in exc.problems:
                    log.error("  %s", problem)
                return 1
            if status is not None:
                try:
                    await status.__aenter__()
                except OSError as exc:
                    log.warning("status socket %s unavailable: %s", self.status_path, exc)
                    await status.aclose()
                    status = None
            metrics_server = self._start_metrics()
            if self.config.web.enabled:
                from livetrigger.web.server import Dashboard  # noqa: PLC0415 - only when asked

                try:
                    self.dashboard = await Dashboard(self.config.web, self).__aenter__()
                except OSError as exc:
                    log.error(
                        "dashboard: cannot listen on %s:%d (%s); running without it",
                        self.config.web.host,
                        self.config.web.port,
                        exc.strerror or exc,
                    )
            interval = watchdog_interval()
            if interval:
                watchdog = loop.create_task(self._watchdog(interval))
            flusher = loop.create_task(self._flush_states())
            if self.state is not None:
                saver = loop.create_task(self.state.run(), name="state-writer")
            if self.outbox is not None:
                syncer = loop.create_task(self.outbox.run(), name="outbox-sync")
            self.notifier.ready(f"{len(self.rooms)} room(s); waiting for live")
            log.info("livetrigger %s running: %d room(s)", __version__, len(self.rooms))
            await self._stop.wait()
        finally:
            for task in (flusher, saver, syncer):
                if task is not None:
                    task.cancel()
            if self.dashboard is not None:
                await self.dashboard.aclose()
            await self._shutdown(status, watchdog, metrics_server)
            for sig in installed:
                loop.remove_signal_handler(sig)
        return 0

    def _start_metrics(self) -> Any:
        m = self.config.daemon.metrics
        if not m.enabled:
            return None
        from prometheus_client import start_http_server  # noqa: PLC0415

        from livetrigger.features.metrics import registry_for  # noqa: PLC0415

        server, _thread = start_http_server(
            m.port, addr=m.host, registry=registry_for(self.snapshot)
        )
        log.info("metrics on http://%s:%d/metrics", m.host, m.port)
        return server

    async def _flush_states(self) -> None:
        # rate-limited Home Assistant states (viewer counts) go out from here
        while True:
            await asyncio.sleep(1.0)
            if self.homeassistant is not None:
                self._publish_figures(self.homeassistant)
                self.homeassistant.flush(time.monotonic())

    def _publish_figures(self, bridge: HomeAssistantBridge) -> None:
        """Status counters for Home Assistant: each room's own on its device, what the rooms
        share (actions, latency, the sign budget, reloads) on the daemon's device."""
        for name in self.rooms:
            bridge.set_figures(name, self._room_figures(name))
        actions = self.dispatcher.stats() if self.dispatcher else {}
        bridge.set_daemon(
            {
                "version": __version__,
                "started": datetime.fromtimestamp(self.started_at, UTC).isoformat(
                    timespec="seconds"
                ),
                "rooms_connected": sum(
                    1 for r in self.rooms.values() if r.scheduler.state == "connected"
                ),
                "sign_left": self._quota.left_today(time.monotonic()),
                "reloads": self.reloads,
                "config_errors": self.config_errors,
                "last_config_error": self.last_config_error or None,
                "actions_failed": sum(a["failed"] for a in actions.values()),
                "actions_dropped": sum(a["dropped"] for a in actions.values()),
                "latency_p99": round(self.latency.percentile(99), 2)
                if self.latency.snapshot().get("count")
                else None,
            }
        )

    def _room_figures(self, name: str) -> dict[str, float]:
        """A room's own counters since this process started."""
        return {
            "rules_fired": self.room_rule_fires[name],
            "reconnects": self.rooms[name].scheduler.stats()["reconnects"],
        }

    async def _watchdog(self, interval: float) -> None:
        # pinged from the event loop itself: a blocked loop stops the pings
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)

    async def _shutdown(
        self, status: StatusServer | None, watchdog: asyncio.Task[None] | None, metrics_server: Any
    ) -> None:
        self.notifier.stopping("stopping")
        self._stop_acting()
        for runtime in self.rooms.values():
            if runtime.timer is not None:
                runtime.timer.cancel()
            if runtime.task is not None:
                runtime.task.cancel()
        await asyncio.gather(
            *(r.task for r in self.rooms.values() if r.task), return_exceptions=True
        )
        if self.state is not None:
            await self.state.end()  # rooms are still: what is written is exactly where they stopped
        if self.dispatcher is not None:
            await self.dispatcher.aclose(self.config.daemon.shutdown_timeout)
        if self.gpio is not None:
            await self.gpio.aclose()
        if self.mqtt is not None:
            await self.mqtt.aclose()
        if self.webhooks is not None:
            await self.webhooks.aclose()
        if self.outbox is not None:
            await asyncio.sleep(0)  # acknowledgements paho handed over while closing
            await self.outbox.aclose()
        if self.http is not None:
            await self.http.aclose()
        if watchdog is not None:
            watchdog.cancel()
        if status is not None:
            await status.aclose()
        if metrics_server is not None:
            metrics_server.shutdown()
        log.info("stopped")


def changed_fields(old: Any, new: Any) -> list[str]:
    """Names of the dataclass fields that differ (names only: values may be secrets)."""
    return [f.name for f in dataclasses.fields(old) if getattr(old, f.name) != getattr(new, f.name)]


def describe_changes(old: Config, new: Config) -> list[str]:
    """What a reload changes, in words: rules added and removed per room, rooms, sections."""
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
    for section in ("gpio", "webhooks", "homeassistant", "tiktok", "mqtt", "daemon"):
        if getattr(old, section) != getattr(new, section):
            out.append(f"{section} settings changed")
    return out

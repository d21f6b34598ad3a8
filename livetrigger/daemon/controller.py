"""The controller: builds the daemon from a config, runs it, handles signals, shuts it down.

Flow per event: a room's source decodes a frame and calls the event path, which runs the room's
rules engine and submits the firings to the dispatcher's per-target queues, then tells the
features. A failing room never stops another: each source runs in its own task.

Signals: SIGHUP reloads the config atomically (a broken file is reported in full and the old
config keeps running); SIGTERM/SIGINT, at any moment from the start of ``run`` on, turn every
output off at once, stop the rooms, drain the queues for at most ``daemon.shutdown_timeout``,
publish "offline" and exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livetrigger import __version__
from livetrigger.actions.outlet import OutletContext
from livetrigger.config import Config, RoomConfig, load_config
from livetrigger.daemon.control import Control
from livetrigger.daemon.event_path import EventPath, Hooks
from livetrigger.daemon.features import Feature, build_features
from livetrigger.daemon.outputs import Outputs
from livetrigger.daemon.reload import Reloader
from livetrigger.daemon.rooms import RoomRuntime, Rooms
from livetrigger.daemon.status_socket import StatusServer, default_socket_path
from livetrigger.errors import ConfigError, StatusSocketTaken
from livetrigger.sources import PLATFORMS, Platform
from livetrigger.state.directory import DaemonState, state_directory
from livetrigger.state.outbox import Outbox
from livetrigger.system import early_signals
from livetrigger.system.sdnotify import Notifier, status_text, watchdog_interval

if TYPE_CHECKING:
    from livetrigger.system.logs import SecretRedactor

log = logging.getLogger(__name__)


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
        platform: Platform | None = None,
        load: Callable[[Path], Config] = load_config,
    ) -> None:
        self.config: Config = config
        # how a reload (and the dashboard's check) reads the config file: the demo's adapts
        # it to its fake room, as the config it started with was
        self.load = load
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
        # the outbox's accept times and its ages across a restart; watched for steps
        self._wall_clock = wall_clock
        self.started = time.monotonic()
        self.started_at = time.time()
        self.paused = False
        self.stopping = False  # set by the all-off at stop: from then on no rule runs
        self.room_paused: dict[str, bool] = {}  # Home Assistant's switch, by topic-safe room
        self.state: DaemonState | None = None
        self.outbox: Outbox | None = None  # undelivered triggers across restarts
        self.features: list[Feature] = []
        self.control = Control(self)
        self.event_path = EventPath(self)
        self.reloader = Reloader(self)
        self.platform = platform or PLATFORMS["tiktok"](config)  # an embedder may bring one
        self._rooms = Rooms(
            self.platform,
            base_topic=lambda: self.config.mqtt.base_topic if self.config.mqtt else "livetrigger",
            on_event=self.event_path.on_event,
            on_state=self._on_state,
        )
        self.outputs: Outputs = Outputs(
            OutletContext(
                pin_factory=pin_factory,
                on_test_button=self.control.test_fire,
                on_pin_change=self.hooks.pin_change,
                on_log_line=self.hooks.log_line,
                send_chat=self.control.send_chat,
            )
        )
        self._jobs: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()

    # -- building ---------------------------------------------------------------------------

    async def _start(self) -> None:
        c = self.config
        if self.persist:
            self.state = DaemonState(state_directory(c.daemon.state_dir))
            self.state.begin()
            # a platform with a request budget (TikTok's sign quota) keeps it across restarts
            quota = getattr(self.platform, "quota", None)
            if quota is not None:
                self.state.attach_quota(quota, time.monotonic)
            self.room_paused = self.state.load_paused(lambda: dict(self.room_paused))
            if self.state.enabled:
                self.outbox = Outbox(
                    self.state.directory / "outbox",
                    max_age=c.daemon.outbox_max_age,
                    clock=self._wall_clock,
                )
        self.outputs.ctx.journal = self.outbox
        availability = None
        if c.mqtt is not None:
            from livetrigger.daemon.features.homeassistant import daemon_entities  # noqa: PLC0415

            availability = daemon_entities(c).availability
        await self.outputs.start(
            c,
            availability_topic=availability,
            on_done=self.event_path.action_done,
            wall_clock=self._wall_clock,
        )
        self.features = build_features(self)
        for room in c.rooms:
            self.add_room(room, restore=True, run=False)  # they run once the features do

    def add_room(self, room: RoomConfig, *, restore: bool = False, run: bool = True) -> RoomRuntime:
        """Open a room, let the features attach to it, and (``run``) start it."""
        runtime = self._rooms.open(room, paused=self.paused)
        for feature in self.features:
            feature.on_room_added(runtime, restore=restore)
        if run:
            self._rooms.start(runtime)
        return runtime

    def remove_room(self, name: str) -> None:
        """Stop a room and let the features forget it."""
        if self._rooms.remove(name) is not None:
            for feature in self.features:
                feature.on_room_removed(name)

    def _on_state(self, room: str, state: str, detail: str) -> None:
        text = status_text(room, state, detail)
        if text:
            self.notifier.status(text)
        for feature in self.features:
            feature.on_state(room, state, detail)

    def background(self, job: Coroutine[Any, Any, Any]) -> None:
        """Run ``job`` in a task the daemon keeps until it is done; its error is logged."""
        task = asyncio.get_running_loop().create_task(job)
        self._jobs.add(task)  # a reference until done: the loop keeps only weak ones
        task.add_done_callback(self._job_done)

    def _job_done(self, task: asyncio.Task[Any]) -> None:
        # an error nobody awaits would surface only as "Task exception was never retrieved"
        self._jobs.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("%s failed: %s", task.get_coro().__qualname__, exc, exc_info=exc)  # type: ignore[union-attr]

    # -- running ----------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Stop: outputs off first, before anything else can take time (the 200 ms promise),
        and for good: nothing still queued or arriving turns one back on."""
        self.stopping = True
        self.outputs.safe()
        self._stop.set()

    def stop_soon(self) -> None:
        """Stop the way a signal does (the demo stops when its stream ends)."""
        self._stop.set()

    def _install_signals(self) -> list[signal.Signals]:
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for sig, handler in (
            (signal.SIGTERM, self.request_stop),
            (signal.SIGINT, self.request_stop),
            (signal.SIGHUP, self.control.reload_soon),
        ):
            try:
                loop.add_signal_handler(sig, handler)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError) as exc:
                # not the main thread (an embedding app) or no signals on this platform:
                # the embedder stops us with request_stop()
                log.info("cannot handle %s here (%s); stop with request_stop()", sig.name, exc)
        return installed

    async def run(self) -> int:
        """Run until a stop is asked for; the exit code (0, or 1 when it cannot start)."""
        installed = self._install_signals()  # first: a SIGTERM during start-up stops cleanly
        if early_signals.received() is not None:  # one came before the loop's handlers
            self.request_stop()
        loop = asyncio.get_running_loop()
        try:
            return await self._run()
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    async def _run(self) -> int:
        # the status socket first: a second daemon on the same path stops here, before it
        # touches the broker, the pins or the rooms of the first
        status: StatusServer | None = StatusServer(
            self.status_path,
            self.control.snapshot,
            {
                "reconnect": self.control.status_reconnect,
                "dashboard": self.control.status_dashboard,
            },
        )
        assert status is not None
        try:
            status.claim()
        except StatusSocketTaken as exc:
            log.error("status socket: %s", exc)
            return 1
        except OSError as exc:
            log.warning("status socket %s unavailable: %s", self.status_path, exc)
            status = None
        tasks: list[asyncio.Task[None]] = []
        try:
            try:
                await self._start()
            except ConfigError as exc:  # a pin this machine cannot use: a message, exit 1
                log.error("%s; not starting", exc)
                for problem in exc.problems:
                    log.error("  %s", problem)
                return 1
            if status is not None:
                status = await self._serve_status(status)
            for feature in self.features:
                await feature.start()
            for runtime in self.rooms.values():
                self._rooms.start(runtime)
            tasks = self._start_tasks()
            self.notifier.ready(f"{len(self.rooms)} room(s); waiting for live")
            log.info("livetrigger %s running: %d room(s)", __version__, len(self.rooms))
            await self._stop.wait()
        finally:
            await self._shutdown(status, tasks)
        return 0

    async def _serve_status(self, status: StatusServer) -> StatusServer | None:
        try:
            await status.__aenter__()
        except OSError as exc:
            log.warning("status socket %s unavailable: %s", self.status_path, exc)
            await status.aclose()
            return None
        return status

    def _start_tasks(self) -> list[asyncio.Task[None]]:
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(self._tick())]
        interval = watchdog_interval()
        if interval:
            tasks.append(loop.create_task(self._watchdog(interval)))
        if self.outbox is not None:
            tasks.append(loop.create_task(self.outbox.run(), name="outbox-sync"))
        return tasks

    async def _tick(self) -> None:
        # rate-limited work of the features (Home Assistant's viewer counts) goes out from here
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for feature in self.features:
                feature.tick(now)

    async def _watchdog(self, interval: float) -> None:
        # pinged from the event loop itself: a blocked loop stops the pings
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)

    async def _shutdown(self, status: StatusServer | None, tasks: list[asyncio.Task[None]]) -> None:
        for task in tasks:
            task.cancel()
        self.notifier.stopping("stopping")
        self.request_stop()
        await self._rooms.stop_all()
        for feature in reversed(self.features):
            await feature.stop()  # the state directory writes where the rooms stopped
        await self.event_path.drain_held()  # a session's triggers whose write was under way
        await self.outputs.aclose(self.config.daemon.shutdown_timeout)
        if self.outbox is not None:
            await asyncio.sleep(0)  # acknowledgements paho handed over while closing
            await self.outbox.aclose()
        await self.platform.aclose()
        if status is not None:
            await status.aclose()
        log.info("stopped")

    # -- what tests, the demo and embedders read ---------------------------------------------

    @property
    def rooms(self) -> dict[str, RoomRuntime]:
        """The running rooms by name."""
        return self._rooms.by_name

    @property
    def homeassistant(self) -> Any:
        """Home Assistant's bridge, when discovery is on."""
        feature = self.feature("homeassistant")
        return getattr(feature, "bridge", None)

    @property
    def dashboard(self) -> Any:
        """The dashboard's server, once it listens."""
        feature = self.feature("dashboard")
        return getattr(feature, "server", None)

    def feature(self, name: str) -> Feature | None:
        """The running feature of that name, if this daemon has it."""
        return next((f for f in self.features if f.name == name), None)

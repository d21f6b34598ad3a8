"""The running side of every action kind that drives a device of ``devices:`` (``dmx``,
``osc``, ...): one dispatcher queue per device (``device:<name>``), so devices never wait
for each other, and for each device:

- **one alert at a time.** The queue is bounded (``queue_size``; the oldest is dropped and
  counted). An alert with ``duration`` reads the device's state first (``snapshot``), plays,
  holds the device's queue for ``duration``, then restores that state, and only then does the
  next queued alert start: overlapping alerts play one after the other, each from the state
  the one before restored, and a restore is never skipped because another alert waits. An
  alert without ``duration`` changes the device and leaves it so. A restore that fails (the
  device away) is owed: kept, never replaced by a later snapshot (that would read the
  alert's look), and tried again before the next alert, or by ``safe()``.
- **a rate limit.** ``max_per_minute`` alerts in any minute; one beyond is refused: counted
  as ``limited``, and dropped by its queue as an overflow is (``Refused``: logged once per
  burst), since the device did not fail.
- **bounded retries.** A device that is away (unreachable, refusing, slow: ``DeviceAway`` or
  no answer within ``timeout``) is tried ``retries`` more times, waiting ``retry_wait`` and
  then twice as long each time; the reason is logged once per change of state and counted,
  and the request fails (the dispatcher counts it) without holding other devices.
- **safe.** ``safe()`` (the stop's first step, and a reload that changes or removes a device)
  puts each device in its safe state at once, with the snapshot of the alert under way (from
  the moment it is read: its command may be on the wire), and no alert plays on it afterwards.
- **probed.** A device that can say which names it has (``Probes``: WLED, Hue, OBS) is asked
  in the background at the start, and again when a reload adds or changes it or changes the
  names its rules use: each name of the rules (and of its settings) it lacks is logged once,
  with the rule and its file:line, and shown in its state. Bounded by 3 x its ``timeout``;
  a device away then is shown away and asked again after its first alert that goes through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from livetrigger.actions.device import MAX_DURATION, MAX_TAKES, DeviceRequest
from livetrigger.actions.kind import ActionRequest
from livetrigger.actions.outlet import QueuePolicy, Sink, delivered
from livetrigger.devices.base import Device, DeviceAway, DeviceState, Name, Probes
from livetrigger.errors import ConfigError, Refused, SinkError

log = logging.getLogger(__name__)
_T = TypeVar("_T")
PROBE_TIMEOUTS = 3  # a probe's bound, in the device's timeouts: connect, list, one more read

# each name the rules ask of a device, and who asks: (rule id, file:line)
Asked = dict[Name, list[tuple[str, str]]]


class _Running:
    """One opened device, its settings and what the outlet keeps of it."""

    def __init__(self, name: str, kind: str, settings: Any, device: Device | None) -> None:
        self.name = name
        self.kind = kind
        self.settings = settings
        self.device = device
        self.state = DeviceState()
        self.alerts: deque[float] = deque()  # when each alert of the last minute started
        self.before: Any = None  # the snapshot of the alert under way (sent or held), if any
        self.owed: Any = None  # a snapshot whose way back failed: the next alert goes there first
        self.playing = False
        self.retired = False  # made safe: for good (stop), or replaced (reload)
        self.woken = asyncio.Event()  # ends a playing alert's wait early (safe)
        self.asked: Asked = {}  # the names its rules use (the probe checks them)
        self.probing: asyncio.Task[None] | None = None
        self.probed = False  # a probe went through (else the first alert that does asks again)
        self.logged: set[str] = set()  # unknown names already warned of

    def shown(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.state.as_dict(), "playing": self.playing}


class DeviceOutlet:
    """The devices of some device kinds (those one action kind drives), as an ``Outlet``."""

    def __init__(
        self, config: Any, kinds: tuple[str, ...], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.kinds = kinds
        self.clock = clock
        self.final = False
        self.devices: dict[str, _Running] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._open_all(config)
        asked = _asked(config)
        for name, running in self.devices.items():
            running.asked = asked.get(name, {})
            self._probe(running)

    # -- the outlet -------------------------------------------------------------------------

    def sinks(self) -> Mapping[str, Sink]:
        """This one sink, under each of its devices' queues."""
        return {f"device:{name}": self for name in self.devices}

    def policies(self, config: Any) -> dict[str, QueuePolicy]:
        """Each device's queue: its bound, and time enough for the longest alert."""
        out = {}
        for entry in self._entries(config):
            s = entry.settings
            tries = (s.retries + 1) * (s.timeout + MAX_TAKES) + s.retry_wait * (2**s.retries)
            out[f"device:{entry.name}"] = QueuePolicy(
                size=s.queue_size, overflow="drop_oldest", timeout=3 * tries + MAX_DURATION
            )
        return out

    def prepare(self, config: Any) -> None:
        """Nothing is opened yet: a device kind opens without I/O; a library that is
        missing refuses here, with nothing changed."""
        for entry in self._entries(config):
            current = self.devices.get(entry.name)
            if current is None or current.settings != entry.settings or current.kind != entry.kind:
                _importable(entry)

    def apply(self, config: Any) -> None:
        """Devices removed or changed go safe and close; new ones open."""
        wanted = {e.name: e for e in self._entries(config)}
        for name, running in list(self.devices.items()):
            entry = wanted.get(name)
            if entry is None or entry.settings != running.settings or entry.kind != running.kind:
                self._retire(self.devices.pop(name))
        asked = _asked(config)
        for name, entry in wanted.items():
            kept = self.devices.get(name)
            if kept is not None and kept.asked == asked.get(name, {}):
                continue  # the same device, asked the same names
            running = kept or self._open(entry)
            self.devices[name] = running
            running.asked = asked.get(name, {})
            self._probe(running)

    def status(self) -> dict[str, Any] | None:
        """Each device's state, by name (`livetrigger status` shows every kind's ``devices``)."""
        return {"devices": {name: r.shown() for name, r in sorted(self.devices.items())}}

    def safe(self) -> None:
        """Every device to its safe state now, for good."""
        self.final = True
        for running in self.devices.values():
            if not running.retired:  # once: a second call must not forget the snapshot
                self._make_safe(running)

    async def aclose(self) -> None:
        """Close every device (already safe at the stop)."""
        for running in self.devices.values():
            if not running.retired:
                self._make_safe(running)
            await _close(running)
        self.devices.clear()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    # -- one alert --------------------------------------------------------------------------

    async def handle(self, request: ActionRequest) -> None:
        """Play one alert on its device: snapshot, send, hold, restore (module docstring)."""
        if not isinstance(request, DeviceRequest):
            raise SinkError(f"the device outlet cannot carry out {type(request).__name__}")
        running = self.devices.get(request.device)
        if running is None:
            raise SinkError(f"device {request.device}: not in devices")
        if self.final or running.retired:
            raise SinkError(f"device {request.device}: shutting down, stays safe")
        if running.device is None:
            running.state.failures += 1
            raise SinkError(f"device {request.device}: cannot open: {running.state.reason}")
        self._count_alert(running)
        device = running.device
        if running.owed is not None:  # the look before an alert it could not go back from
            await self._restore(running, running.owed, "going back after an earlier alert")
        send = lambda: device.send(request.command)  # noqa: E731
        if not request.duration:
            await self._tried(running, "sending", send, request.takes)
            self._sent(running)
            return
        before = await self._tried(running, "reading its state", device.snapshot)
        # safe() goes back to it from now on: a command on the wire may change the device
        # before its send returns (a long DMX fade, an OBS that answers late)
        running.before = before
        try:
            await self._tried(running, "sending", send, request.takes)
            self._sent(running)
            if running.retired:  # made safe while this alert was sent: once more, after it
                self._make_safe(running)
                return
            running.playing = True
            running.woken.clear()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(running.woken.wait(), request.duration)
            except asyncio.CancelledError:
                # the queue is being torn down: the device must still go back
                if not running.retired:
                    self._later(self._restore(running, before))
                raise
            if not running.retired:  # safe() put it where it must stay
                await self._restore(running, before)
        finally:
            running.playing, running.before = False, None

    def _sent(self, running: _Running) -> None:
        running.state.sent += 1
        delivered()  # the latency ends here, not after the hold
        if not running.probed and running.probing is None:  # away at the start: back now
            self._probe(running)

    def _count_alert(self, running: _Running) -> None:
        limit = running.settings.max_per_minute
        if limit is None:
            return
        now = self.clock()
        while running.alerts and now - running.alerts[0] >= 60.0:
            running.alerts.popleft()
        if len(running.alerts) >= limit:
            running.state.limited += 1
            raise Refused(f"over max_per_minute {limit}")
        running.alerts.append(now)

    async def _restore(self, running: _Running, before: Any, doing: str = "restoring") -> None:
        """Back to ``before``; when the device is away, it stays owed (a next alert's
        snapshot would be the alert's look): the next alert, or safe(), goes there first."""
        device = running.device
        assert device is not None
        try:
            await self._tried(running, doing, lambda: device.restore(before))
        except SinkError:
            running.owed = before
            raise
        running.owed = None
        running.state.restores += 1

    async def _tried(
        self,
        running: _Running,
        doing: str,
        call: Callable[[], Awaitable[_T]],
        takes: float = 0.0,
    ) -> _T:
        """``call()`` with the device's timeout (after the ``takes`` seconds it plays out on
        this side: a fade is not a device slow to answer), tried again while it is away."""
        s = running.settings
        wait = s.retry_wait
        for attempt in range(s.retries + 1):
            if running.retired:
                raise SinkError(f"device {running.name}: made safe while {doing}")
            try:
                async with asyncio.timeout(s.timeout + takes):
                    result = await call()
            except (DeviceAway, OSError, TimeoutError) as exc:
                if running.retired:  # safe() cut it short: not the device's fault
                    raise SinkError(f"device {running.name}: made safe while {doing}") from None
                reason = _reason(exc, s.timeout + takes)
                if running.state.away(reason):
                    log.warning("device %s (%s): away: %s", running.name, running.kind, reason)
                if attempt == s.retries:
                    running.state.failures += 1
                    raise SinkError(
                        f"device {running.name}: away while {doing} "
                        f"({s.retries + 1} tries): {reason}"
                    ) from None
                running.state.retries += 1
                log.debug("device %s: retry %d in %.2fs", running.name, attempt + 1, wait)
                await asyncio.sleep(wait)
                wait *= 2
            else:
                was = running.state.state
                running.state.ok()
                if was == "away":
                    log.info("device %s (%s): back", running.name, running.kind)
                return result
        raise AssertionError("unreachable")

    # -- the probe --------------------------------------------------------------------------

    def _probe(self, running: _Running) -> None:
        """Ask the device in the background which of its names it lacks (module docstring)."""
        device = running.device
        wanted = getattr(running.settings, "probe", True)  # `probe: false` turns it off
        if not wanted or not isinstance(device, Probes) or running.retired:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a config read outside the daemon): nothing to ask
            return
        if running.probing is not None:
            running.probing.cancel()
        task = loop.create_task(self._probing(running, device), name=f"probe:{running.name}")
        running.probing = task

        def done(finished: asyncio.Task[None]) -> None:
            if running.probing is finished:
                running.probing = None

        task.add_done_callback(done)

    async def _probing(self, running: _Running, device: Probes) -> None:
        bound = PROBE_TIMEOUTS * running.settings.timeout
        try:
            async with asyncio.timeout(bound):
                unknown = await device.probe(list(running.asked))
        except (DeviceAway, OSError, TimeoutError) as exc:
            reason = _reason(exc, bound)
            if running.state.away(reason):
                log.warning("device %s (%s): away: %s", running.name, running.kind, reason)
            return
        except Exception as exc:  # a library's surprise: the probe is advice, the daemon goes on
            log.warning(
                "device %s (%s): cannot check its names: %s", running.name, running.kind, exc
            )
            return
        running.probed = True
        if running.state.ok():
            log.info("device %s (%s): answered", running.name, running.kind)
        shown = []
        for name, message in unknown.items():
            users = running.asked.get(name)
            who = (
                ", ".join(
                    f"rule {rule} ({where})" if where else f"rule {rule}" for rule, where in users
                )
                if users
                else "its settings"
            )
            line = f"{who}: {name}: {message}"
            shown.append(line)
            if line not in running.logged:
                running.logged.add(line)
                log.warning("device %s (%s): %s", running.name, running.kind, line)
        running.state.unknown = shown

    # -- opening and closing ----------------------------------------------------------------

    def _entries(self, config: Any) -> list[Any]:
        return [d for d in config.devices if d.kind in self.kinds]

    def _open_all(self, config: Any) -> None:
        for entry in self._entries(config):
            self.devices[entry.name] = self._open(entry)

    def _open(self, entry: Any) -> _Running:
        try:
            device = entry.device_kind.open(entry.name, entry.settings)
        except Exception as exc:  # a library's own error types: the device is away, not the daemon
            running = _Running(entry.name, entry.kind, entry.settings, None)
            running.state.away(f"cannot open: {exc}")
            log.error("device %s (%s): cannot open: %s", entry.name, entry.kind, exc)
            return running
        return _Running(entry.name, entry.kind, entry.settings, device)

    def _make_safe(self, running: _Running) -> None:
        running.retired = True
        running.woken.set()
        if running.device is None:
            return
        try:
            running.device.safe(running.before if running.before is not None else running.owed)
        except Exception:  # one device's failure must not keep the others from going safe
            log.exception("device %s (%s): safe state failed", running.name, running.kind)

    def _retire(self, running: _Running) -> None:
        self._make_safe(running)
        self._later(_close(running))

    def _later(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            with contextlib.suppress(SinkError):
                await work

        task = asyncio.get_running_loop().create_task(run())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


async def _close(running: _Running) -> None:
    if running.probing is not None:  # read-only: stopping it halfway leaves nothing behind
        running.probing.cancel()
        await asyncio.wait({running.probing})
    if running.device is None:
        return
    try:
        await running.device.aclose()
    except Exception:
        log.exception("device %s (%s): close failed", running.name, running.kind)


def _asked(config: Any) -> dict[str, Asked]:
    """Each device's names that the config's rules use, with the rules that use them."""
    out: dict[str, Asked] = {}
    for room in config.rooms:
        for rule in room.rules:  # the file's shared rules are in each room: counted once
            for action in rule.actions:
                asks = action.asks
                if asks is None:
                    continue
                for name in asks.names:
                    users = out.setdefault(asks.device, {}).setdefault(name, [])
                    if (rule.id, asks.where) not in users:
                        users.append((rule.id, asks.where))
    return out


def _reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g}s"
    if isinstance(exc, DeviceAway):
        return str(exc)
    return f"{exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)


def _importable(entry: Any) -> None:
    import importlib.util  # noqa: PLC0415 - reload only

    kind = entry.device_kind
    if kind.module is not None and importlib.util.find_spec(kind.module) is None:
        raise ConfigError(
            f"device {entry.name}: the `{kind.module}` library is missing: "
            f"pip install 'livetrigger[{kind.extra}]'"
        )

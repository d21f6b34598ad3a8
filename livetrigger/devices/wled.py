"""WLED strips (``devices: {desk_strip: {wled: {host: 192.168.1.50}}}``), driven by the
``light`` action through WLED's JSON API with the ``wled`` library (the client Home
Assistant's WLED integration uses).

One alert is one ``POST /json/state`` (colour, effect and brightness change together, on
every segment); its state is read first with ``GET /json/state`` and put back the same way.
Effect and preset names are looked up in the lists the device gives (``update()``: read
once, again when a name is not found); ``probe`` reads them at the start to say the names
the rules use that it lacks. Nothing is saved on the device: no ``psave``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from livetrigger.devices.base import DeviceAway, DeviceKind, Name, ProbedLimits
from livetrigger.devices.going_back import GoingBack
from livetrigger.devices.light import LightCommand
from livetrigger.devices.network import HOST, HOST_HELP, Library, cause, installed
from livetrigger.errors import SinkError
from livetrigger.settings import key
from livetrigger.text.suggest import suggest

log = logging.getLogger(__name__)

# what an alert changes, so what is read before it and put back after it
_STATE_KEYS = ("on", "bri")
_SEGMENT_KEYS = ("id", "on", "bri", "col", "fx", "sx", "ix", "pal")
_SEGMENT_EXTRAS = ("c1", "c2", "c3", "o1", "o2", "o3")  # effect options, where the build has them
_MAX_TT = 655  # WLED keeps a transition in 16-bit milliseconds: the library's ceiling, 65.5 s


@dataclass(frozen=True, slots=True, kw_only=True)
class WledSettings(ProbedLimits):
    """A WLED controller on the network."""

    host: str = key(pattern=f"^(?:{HOST})$", pattern_help=HOST_HELP, doc="its address")
    port: int = key(80, low=1, high=65535, doc="its web port: 80 unless forwarded elsewhere")


class Wled:
    """One WLED controller: its HTTP client, opened at the first alert."""

    can_snapshot = True

    def __init__(self, name: str, settings: WledSettings) -> None:
        self.name = name
        self.settings = settings
        self.where = f"{settings.host}:{settings.port}"
        self._client: Any = None  # wled.WLED
        self._session: Any = None  # aiohttp.ClientSession
        self._device: Any = None  # wled.models.Device: its effects, presets, segments
        self._back = GoingBack(name, settings.timeout, self.restore)
        self._library = Library("wled")
        self._library.start()

    # -- the Device seam --------------------------------------------------------------------

    async def snapshot(self) -> Any:
        async with self._back.lock:
            state = await self._call("/json/state")
        if not isinstance(state, dict):
            raise DeviceAway("its state is not a JSON object")
        kept = {k: state[k] for k in _STATE_KEYS if k in state}
        segments = state.get("seg") or []
        kept["seg"] = [
            {k: seg[k] for k in (*_SEGMENT_KEYS, *_SEGMENT_EXTRAS) if k in seg}
            | {"id": seg.get("id", i)}
            for i, seg in enumerate(segments)
            if isinstance(seg, dict)
        ]
        self._back.took(kept)
        return kept

    async def send(self, command: Any) -> None:
        assert isinstance(command, LightCommand)
        async with self._back.lock:
            device = await self._catalogue()
            first, then = await self._payloads(command, device)
            await self._call("/json/state", first)
            if then:  # a preset applies first; the brightness goes over it
                await self._call("/json/state", then)

    async def restore(self, snapshot: Any) -> None:
        async with self._back.lock:
            await self._call("/json/state", dict(snapshot))
        self._back.restored()

    def safe(self, before: Any | None) -> None:
        self._back.safe(before)

    async def aclose(self) -> None:
        await self._back.settle()
        if self._session is not None:
            await self._session.close()
        self._client = self._session = self._device = None

    # -- the alert's request ----------------------------------------------------------------

    async def _payloads(
        self, command: LightCommand, device: Any
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        tt = (
            {}
            if command.transition is None
            else {"tt": min(_MAX_TT, round(command.transition * 10))}
        )
        if not command.on or command.brightness == 0:
            return {"on": False, **tt}, None
        level = command.brightness
        bri = {} if level is None else {"bri": max(1, round(level * 255 / 100))}
        if command.preset is not None:
            preset = await self._named("preset", command.preset, lambda d: d.presets, "preset_id")
            return {"ps": preset, **tt}, ({"on": True, **bri} if bri else None)
        state: dict[str, Any] = {"on": True, **bri, **tt}
        segment: dict[str, Any] = {}
        if command.rgb is not None:
            segment["col"] = [list(command.rgb)]
            segment["fx"] = 0  # Solid: a colour shows as it is, not through the effect running
        if command.effect is not None:
            segment["fx"] = await self._named(
                "effect", command.effect, lambda d: d.effects, "effect_id"
            )
        if segment:
            ids = sorted(device.state.segments) or [0]
            state["seg"] = [{"id": i, **segment} for i in ids]
        return state, None

    async def _named(self, what: str, name: str, items: Any, id_field: str) -> int:
        """The id of the effect or preset called ``name`` (or numbered so); the lists are
        read again once when it is not there (a preset saved since)."""
        if name.isdecimal():
            return int(name)
        for fresh in (False, True):
            if fresh:
                self._device = None
            device = await self._catalogue()
            found = _find(items(device), id_field, name)
            if found is not None:
                return found
        raise SinkError(f"device {self.name}: {self._missing(what, name, items(device))}")

    def _missing(self, what: str, name: str, items: dict[int, Any]) -> str:
        names = sorted(str(item.name) for item in items.values())
        listing = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        return (
            f"no {what} named {name!r} on the WLED at {self.where}"
            f"{suggest(name, names)} ({what}s: {listing or 'none'})"
        )

    # -- the probe --------------------------------------------------------------------------

    async def probe(self, names: Collection[Name]) -> dict[Name, str]:
        """The effects, presets and palettes of ``names`` the WLED does not list (its lists
        read fresh with GET requests: nothing changes on the device)."""
        async with self._back.lock:
            self._device = None  # a preset saved since the last read counts
            device = await self._catalogue()
        lists = {"effect": device.effects, "preset": device.presets, "palette": device.palettes}
        unknown = {}
        for name in names:
            items = lists.get(name.what)
            if items is None:
                continue
            id_field = f"{name.what}_id"
            if name.name.isdecimal():  # a number: it must be one the device has
                if int(name.name) not in {getattr(i, id_field) for i in items.values()}:
                    unknown[name] = f"no {name.what} {name.name} on the WLED at {self.where}"
            elif _find(items, id_field, name.name) is None:
                unknown[name] = self._missing(name.what, name.name, items)
        return unknown

    # -- the client -------------------------------------------------------------------------

    async def _catalogue(self) -> Any:
        if self._device is None:
            client = await self._connect()
            try:
                self._device = await client.update()
            except Exception as exc:
                raise self._away(exc) from None
        return self._device

    async def _call(self, uri: str, data: dict[str, Any] | None = None) -> Any:
        client = await self._connect()
        try:
            if data is None:
                return await client.request(uri)
            return await client.request(uri, method="POST", data=dict(data))
        except Exception as exc:
            raise self._away(exc) from None

    async def _connect(self) -> Any:
        if self._client is None:
            await self._library.module()  # off the loop: then the imports below are lookups
            import aiohttp  # noqa: PLC0415 - the library's own dependency, loaded with it
            from wled import WLED  # noqa: PLC0415 - only a config with a WLED loads it

            class OneTry(WLED):
                # the outlet retries, with the device's reason: the library's own three
                # tries would hide it behind the outlet's timeout
                request = getattr(WLED.request, "__wrapped__", WLED.request)

            self._session = aiohttp.ClientSession()
            session: Any = (
                self._session
                if self.settings.port == 80
                else _OnPort(self._session, self.settings.port)
            )
            self._client = OneTry(
                self.settings.host, request_timeout=self.settings.timeout, session=session
            )
        return self._client

    def _away(self, exc: Exception) -> Exception:
        from wled.exceptions import (  # noqa: PLC0415
            WLEDConnectionError,
            WLEDConnectionTimeoutError,
            WLEDStatusError,
        )

        if isinstance(exc, WLEDConnectionTimeoutError):
            return DeviceAway(f"no answer from {self.where} within {self.settings.timeout:g}s")
        if isinstance(exc, WLEDConnectionError):
            return DeviceAway(f"cannot reach {self.where}: {cause(exc)}")
        if isinstance(exc, WLEDStatusError):
            if exc.status in (429, 503):  # busy with another request: worth a retry
                return DeviceAway(f"{self.where} is busy (HTTP {exc.status})")
            return SinkError(f"device {self.name}: {self.where} answered HTTP {exc.status}")
        if isinstance(exc, (DeviceAway, SinkError)):
            return exc
        return DeviceAway(f"{self.where} did not answer as a WLED does: {exc}")


def _find(items: dict[int, Any], id_field: str, name: str) -> int | None:
    """The id of the item called ``name`` (any case), or None."""
    wanted = name.casefold()
    for item in items.values():
        if str(item.name).casefold() == wanted:
            return int(getattr(item, id_field))
    return None


class _OnPort:
    """The ``wled`` library builds every URL with port 80: this session puts the device's
    port in (a WLED behind a forwarded port, the tests' fake)."""

    def __init__(self, session: Any, port: int) -> None:
        self._session = session
        self._port = port

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        return self._session.request(method, url.with_port(self._port), **kwargs)

    async def close(self) -> None:
        await self._session.close()


class WledKind:
    key = "wled"
    settings = WledSettings
    extra = "lights"
    module = "wled"

    def open(self, name: str, settings: WledSettings) -> Wled:
        installed(self.module)  # missing: the device cannot open, said at once
        return Wled(name, settings)


KIND: DeviceKind[WledSettings] = WledKind()  # mypy checks it against the seam

"""Philips Hue (``devices: {floor_lamp: {hue: {bridge: 192.168.1.2, app_key_file: ...,
light: Floor lamp}}}``), driven by the ``light`` action through the bridge's CLIP v2 API
with ``aiohue`` (the library Home Assistant's Hue integration uses).

A device is one light, one room or zone (``group``: its grouped light), or one scene. The
bridge is opened at the first use (``initialize``: the whole resource list, then the event
stream that keeps aiohue's copy current) and shared by every device of the same bridge and
app key in the daemon (a bridge serves few event-stream clients): it closes when the last of
them closes. Names are looked up in that copy; ``probe`` looks up at the start the names the
device and its rules use. Before an alert
with ``duration`` the lights the device covers are read fresh from the bridge (the copy may
not have heard of the last change yet) and each is put back with one PUT after it. The app
key comes from ``app_key_file`` (``livetrigger hue-pair`` writes it) and is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import weakref
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, ClassVar

from livetrigger.devices.base import DeviceAway, DeviceKind, Name, ProbedLimits
from livetrigger.devices.going_back import GoingBack
from livetrigger.devices.light import LightCommand, rgb_to_xy
from livetrigger.devices.network import HOST, HOST_HELP, Library, cause, installed
from livetrigger.errors import SinkError
from livetrigger.settings import key
from livetrigger.text.suggest import suggest

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class HueSettings(ProbedLimits):
    """A light, room/zone or scene of a Hue bridge."""

    bridge: str = key(pattern=f"^(?:{HOST})$", pattern_help=HOST_HELP, doc="the bridge's address")
    port: int = key(443, low=1, high=65535, doc="its HTTPS port: 443 unless forwarded elsewhere")
    app_key: str | None = dataclasses.field(
        default=None, repr=False, metadata={"doc": "written by livetrigger hue-pair"}
    )
    light: str | None = key(None, doc="a light, by its name in the Hue app")
    group: str | None = key(None, doc="a room or zone, by name")
    scene: str | None = key(None, doc="a scene, by name (with group: the group's scene)")

    def mistake(self) -> str | None:
        if not self.app_key:
            return (
                "a Hue device needs an app key: give app_key_file (press the bridge's button,"
                f" then run `livetrigger hue-pair --bridge {self.bridge} --key-file"
                " /etc/livetrigger/hue.key`)"
            )
        chosen = [k for k in ("light", "group", "scene") if getattr(self, k)]
        if len(chosen) == 1 or chosen == ["group", "scene"]:
            return None
        return "name one light, group (a room or zone) or scene" + (
            f" (got {', '.join(chosen)}; a scene may come with its group)" if chosen else ""
        )


class _Bridge:
    """One initialised aiohue bridge, shared by the devices that use the same bridge and app
    key in one daemon (one event loop): opened at the first use, closed by the last user."""

    # by loop (one daemon's), then by (address, app key)
    _open: ClassVar[
        weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], _Bridge]]
    ] = weakref.WeakKeyDictionary()

    def __init__(self, host: str, app_key: str) -> None:
        self.host = host
        self.app_key = app_key
        self.users = 0
        self.bridge: Any = None  # aiohue.HueBridgeV2, initialised
        self.opening: asyncio.Task[Any] | None = None
        # a light under the alerts of several devices (a room and one of its lamps): its look
        # before the first of them, and the devices whose alerts hold it; the last goes back
        self.held: dict[str, tuple[dict[str, Any], set[str]]] = {}

    def hold(self, device: str, lights: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The look to go back to of each of ``lights`` (as read now) for ``device``'s alert:
        the one before another device's alert that holds the light, else the one read."""
        self.let_go(device, list(self.held))  # its own earlier alert is over, or given up
        kept = {}
        for light_id, look in lights.items():
            before, holders = self.held.setdefault(light_id, (look, set()))
            holders.add(device)
            kept[light_id] = before
        return kept

    def let_go(self, device: str, light_ids: list[str]) -> list[str]:
        """``device``'s alert lets go of ``light_ids``: those no other alert holds now."""
        free = []
        for light_id in light_ids:
            entry = self.held.get(light_id)
            if entry is not None:
                entry[1].discard(device)
                if entry[1]:
                    continue  # another alert plays on it: the last one puts it back
                del self.held[light_id]
            free.append(light_id)
        return free

    @classmethod
    def share(cls, host: str, app_key: str) -> _Bridge:
        """The bridge at ``host`` for ``app_key``, with one more user."""
        shared = cls._open.setdefault(asyncio.get_running_loop(), {})
        bridge = shared.get((host, app_key))
        if bridge is None:
            bridge = shared[(host, app_key)] = cls(host, app_key)
        bridge.users += 1
        return bridge

    async def ready(self, library: Library) -> Any:
        """The initialised bridge: the first caller opens it, the others wait for the same
        opening (a caller's timeout does not end it for the rest); a failure is each one's."""
        if self.bridge is not None:
            return self.bridge
        if self.opening is None:
            self.opening = asyncio.get_running_loop().create_task(self._initialised(library))
            # seen even when every caller gave up waiting: never "exception never retrieved"
            self.opening.add_done_callback(lambda t: t.cancelled() or t.exception())
        return await asyncio.shield(self.opening)

    async def _initialised(self, library: Library) -> Any:
        try:
            await library.module()  # off the loop: then the import below is a lookup
            from aiohue import HueBridgeV2  # type: ignore[import-untyped]  # noqa: PLC0415

            bridge = HueBridgeV2(self.host, self.app_key)
            try:
                await bridge.initialize()
            except BaseException:
                await bridge.close()
                raise
            self.bridge = bridge
            log.info("connected to the Hue bridge at %s", self.host)
            return bridge
        finally:
            self.opening = None  # failed: the next use tries again

    async def release(self) -> None:
        """One user fewer; the last one closes the connection."""
        self.users -= 1
        if self.users > 0:
            return
        shared = self._open.get(asyncio.get_running_loop(), {})
        if shared.get((self.host, self.app_key)) is self:
            del shared[(self.host, self.app_key)]
        if self.opening is not None:
            self.opening.cancel()
            await asyncio.wait({self.opening})
        bridge, self.bridge = self.bridge, None
        if bridge is not None:
            with contextlib.suppress(Exception):
                await bridge.close()


class Hue:
    """One light, group or scene of a bridge, through the bridge's shared connection."""

    can_snapshot = True

    def __init__(self, name: str, settings: HueSettings) -> None:
        self.name = name
        self.settings = settings
        host = f"[{settings.bridge}]" if ":" in settings.bridge else settings.bridge
        self.host = host if settings.port == 443 else f"{host}:{settings.port}"
        self._bridge: _Bridge | None = None  # the shared connection, once used
        self._back = GoingBack(name, settings.timeout, self.restore)
        self._library = Library("aiohue")
        self._library.start()

    # -- the Device seam --------------------------------------------------------------------

    async def snapshot(self) -> Any:
        async with self._back.lock:
            bridge = await self._ready()
            ids = self._lights_of(bridge)
            lights = await self._request(bridge, "get", "clip/v2/resource/light")
        read = {light["id"]: _restorable(light) for light in lights if light.get("id") in ids}
        assert self._bridge is not None
        kept = self._bridge.hold(self.name, read)
        self._back.took(kept)
        return kept

    async def send(self, command: Any) -> None:
        assert isinstance(command, LightCommand)
        async with self._back.lock:
            bridge = await self._ready()
            try:
                await self._apply(bridge, command)
            except (SinkError, DeviceAway, TimeoutError):
                raise
            except Exception as exc:
                raise self._away(exc) from None

    async def restore(self, snapshot: Any) -> None:
        async with self._back.lock:
            bridge = await self._ready()
            assert self._bridge is not None
            for light_id in self._bridge.let_go(self.name, list(snapshot)):
                body = snapshot[light_id]
                await self._request(bridge, "put", f"clip/v2/resource/light/{light_id}", json=body)
        self._back.restored()

    def safe(self, before: Any | None) -> None:
        self._back.safe(before)

    async def aclose(self) -> None:
        await self._back.settle()
        if self._bridge is not None:
            shared, self._bridge = self._bridge, None
            shared.let_go(self.name, list(shared.held))  # gone: its alerts hold nothing
            await shared.release()

    # -- the probe --------------------------------------------------------------------------

    async def probe(self, names: Collection[Name]) -> dict[Name, str]:
        """The light, room or scene of the settings, and the scenes and effects of
        ``names``, that the bridge's resources (read with GET requests) do not hold."""
        async with self._back.lock:
            bridge = await self._ready()
        s, unknown = self.settings, {}
        group = None
        for what, value, items in (
            ("light", s.light, lambda: bridge.lights.items),
            ("group", s.group, lambda: [*bridge.groups.room.items, *bridge.groups.zone.items]),
        ):
            if value:
                try:
                    found = _named(
                        self.name, "room or zone" if what == "group" else what, value, items()
                    )
                except SinkError as exc:
                    unknown[Name(what, value)] = self._said(exc)
                else:
                    group = found if what == "group" else None
        if s.scene:
            try:
                self._scene_named(bridge, s.scene, [group] if group is not None else [])
            except SinkError as exc:
                unknown[Name("scene", s.scene)] = self._said(exc)
        if unknown:  # the device's own target is missing: nothing of the rules can be found
            return unknown
        try:
            light_id, group, _ = self._target(bridge)
            ids = [light_id] if light_id is not None else sorted(self._lights_of(bridge))
        except SinkError as exc:  # a scene of no room: said at the alert too
            return {Name("scene", s.scene or ""): self._said(exc)}
        for name in names:
            try:
                if name.what == "scene":
                    around = self._groups_around(bridge, light_id, group)
                    self._scene_named(bridge, name.name, around)
                elif name.what == "effect":
                    self._effect(bridge, ids, name.name)
            except SinkError as exc:
                unknown[name] = self._said(exc)
        return unknown

    def _said(self, exc: SinkError) -> str:
        return str(exc).removeprefix(f"device {self.name}: ")

    # -- the alert --------------------------------------------------------------------------

    async def _apply(self, bridge: Any, command: LightCommand) -> None:
        ms = None if command.transition is None else round(command.transition * 1000)
        light_id, group, own_scene = self._target(bridge)
        grouped = group.grouped_light if group is not None else None
        if not command.on or command.brightness == 0:
            if light_id is not None:
                await bridge.lights.set_state(light_id, on=False, transition_time=ms)
            else:
                await bridge.groups.grouped_light.set_state(grouped, on=False, transition_time=ms)
            return
        level = command.brightness
        scene = None
        if command.scene is not None:
            scene = self._scene_named(
                bridge, command.scene, self._groups_around(bridge, light_id, group)
            )
        elif own_scene is not None and command.rgb is None and command.effect is None:
            scene = own_scene
        if scene is not None:
            await bridge.scenes.recall(scene.id, duration=ms, brightness=level)
            return
        xy = None if command.rgb is None else rgb_to_xy(command.rgb)
        if light_id is None and command.effect is None:
            await bridge.groups.grouped_light.set_state(
                grouped, on=True, brightness=level, color_xy=xy, transition_time=ms
            )
            return
        ids = [light_id] if light_id is not None else sorted(self._lights_of(bridge))
        effect = None if command.effect is None else self._effect(bridge, ids, command.effect)
        for each in ids:  # one light at a time: the bridge takes about 10 commands a second
            await bridge.lights.set_state(
                each, on=True, brightness=level, color_xy=xy, transition_time=ms, effect=effect
            )

    def _effect(self, bridge: Any, ids: list[str], name: str) -> Any:
        from aiohue.v2.models.feature import EffectStatus  # type: ignore[import-untyped]  # noqa: PLC0415

        offered: set[str] = set()
        for light_id in ids:
            effects = getattr(bridge.lights.get(light_id), "effects", None)
            offered |= {e.value for e in (effects.effect_values if effects else ())}
        wanted = name.strip().lower().replace(" ", "_")
        if wanted not in offered - {"unknown"}:
            shown = ", ".join(sorted(offered - {"unknown", "no_effect"})) or "none"
            raise SinkError(
                f"device {self.name}: no effect {name!r} on this Hue light"
                f"{suggest(wanted, offered)} (its effects: {shown})"
            )
        return EffectStatus(wanted)

    # -- what the device names, found in the bridge's resources ------------------------------

    def _target(self, bridge: Any) -> tuple[str | None, Any, Any]:
        """The light's id, or the room/zone, and the scene the device names."""
        s = self.settings
        if s.light:
            return _named(self.name, "light", s.light, bridge.lights.items).id, None, None
        group = None
        if s.group:
            rooms = [*bridge.groups.room.items, *bridge.groups.zone.items]
            group = _named(self.name, "room or zone", s.group, rooms)
        scene = None
        if s.scene:
            scene = self._scene_named(bridge, s.scene, [group] if group is not None else [])
            group = bridge.scenes.get_group(scene.id)
            if group is None:
                raise SinkError(f"device {self.name}: scene {s.scene!r} belongs to no room or zone")
        return None, group, scene

    def _scene_named(self, bridge: Any, name: str, groups: list[Any]) -> Any:
        scenes = bridge.scenes.scene.items
        if groups:  # the scene of the device's room first: names repeat across rooms
            ids = {g.id for g in groups}
            mine = [sc for sc in scenes if sc.group.rid in ids]
            found = [sc for sc in mine if sc.metadata.name.casefold() == name.casefold()]
            if found:
                return found[0]
        return _named(self.name, "scene", name, scenes)

    def _groups_around(self, bridge: Any, light_id: str | None, group: Any) -> list[Any]:
        if group is not None:
            return [group]
        rooms = [*bridge.groups.room.items, *bridge.groups.zone.items]
        return [g for g in rooms if light_id in {x.id for x in _group_lights(bridge, g)}]

    def _lights_of(self, bridge: Any) -> set[str]:
        light_id, group, _ = self._target(bridge)
        if light_id is not None:
            return {light_id}
        return {x.id for x in _group_lights(bridge, group)}

    # -- the bridge -------------------------------------------------------------------------

    async def _ready(self) -> Any:
        if self._bridge is None:
            self._bridge = _Bridge.share(self.host, self.settings.app_key or "")
        try:
            return await self._bridge.ready(self._library)
        except TimeoutError:
            raise
        except Exception as exc:
            raise self._away(exc) from None

    async def _request(self, bridge: Any, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return await bridge.request(method, path, **kwargs)
        except TimeoutError:
            raise
        except Exception as exc:
            raise self._away(exc) from None

    def _away(self, exc: Exception) -> Exception:
        import aiohttp  # noqa: PLC0415
        from aiohue import errors  # noqa: PLC0415

        if isinstance(exc, errors.Unauthorized):
            return DeviceAway(
                f"the bridge at {self.host} does not know this app key: "
                f"pair again with livetrigger hue-pair"
            )
        if isinstance(exc, errors.BridgeBusy):
            return DeviceAway(f"the bridge at {self.host} is busy (it answered 429/503)")
        if isinstance(exc, aiohttp.ClientResponseError):
            return SinkError(f"device {self.name}: the bridge answered HTTP {exc.status}")
        if isinstance(exc, errors.AiohueException):
            return SinkError(f"device {self.name}: the bridge refused: {exc}")
        if isinstance(exc, (aiohttp.ClientError, OSError)):
            return DeviceAway(f"cannot reach the bridge at {self.host}: {cause(exc)}")
        return DeviceAway(f"the bridge at {self.host} did not answer as a Hue bridge does: {exc}")


def _group_lights(bridge: Any, group: Any) -> list[Any]:
    rooms = bridge.groups.room if group.type.value == "room" else bridge.groups.zone
    return list(rooms.get_lights(group.id))


def _named(device: str, what: str, name: str, items: list[Any]) -> Any:
    """The resource called ``name`` (or with that id): names as the Hue app shows them."""
    for item in items:
        if item.id == name or item.metadata.name.casefold() == name.casefold():
            return item
    names = sorted(item.metadata.name for item in items)
    listing = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    raise SinkError(
        f"device {device}: no {what} named {name!r} on the bridge{suggest(name, names)}"
        f" ({listing or 'none'})"
    )


def _restorable(light: dict[str, Any]) -> dict[str, Any]:
    """The PUT that puts a light back as it was read: on, brightness, its colour or white
    temperature (whichever it showed), its effect."""
    body: dict[str, Any] = {"on": {"on": bool(light.get("on", {}).get("on"))}}
    if "dimming" in light:
        body["dimming"] = {"brightness": light["dimming"]["brightness"]}
    temperature = light.get("color_temperature") or {}
    if temperature.get("mirek_valid") and temperature.get("mirek") is not None:
        body["color_temperature"] = {"mirek": temperature["mirek"]}
    elif "color" in light:
        body["color"] = {"xy": light["color"]["xy"]}
    effects = light.get("effects") or {}
    if effects.get("status") in (
        effects.get("status_values") or effects.get("effect_values") or ()
    ):
        body["effects"] = {"effect": effects["status"]}
    return body


class HueKind:
    key = "hue"
    settings = HueSettings
    extra = "lights"
    module = "aiohue"

    def open(self, name: str, settings: HueSettings) -> Hue:
        installed(self.module)  # missing: the device cannot open, said at once
        return Hue(name, settings)


KIND: DeviceKind[HueSettings] = HueKind()  # mypy checks it against the seam

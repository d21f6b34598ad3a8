"""The ``obs`` device kind: OBS Studio through its WebSocket server (obs-websocket 5, built
into OBS 28 and later), with simpleobsws (extra ``obs``): switch the program scene, show or
hide a source, set a text source's text, enable or disable a filter.

The connection opens at the first use (the start-up ``probe``, which reads the scene,
source and filter lists, or the first alert) and is kept; a closed OBS makes the device away
and the next try connects again (the outlet bounds the tries). When OBS asks for a password
(its Hello carries a challenge and a salt) simpleobsws answers with the protocol's
base64(sha256(base64(sha256(password + salt)) + challenge)); OBS closes a wrong one with
4009, told apart here from a refused connection. The password is never logged or shown.

Restoring needs to know what an alert changes, which the outlet's ``snapshot()`` (no
arguments) cannot say; it connects and hands back an empty ``Before`` that the alert's
``send`` fills (read before changed) and ``restore`` plays back. The outlet plays one alert
at a time per device, so the record always belongs to the alert being sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from livetrigger.devices.base import DeviceAway, DeviceKind, Name, ProbedLimits
from livetrigger.devices.network import Library, installed
from livetrigger.errors import SinkError
from livetrigger.settings import key
from livetrigger.text.suggest import suggest
from livetrigger.text.webvalues import scrub

log = logging.getLogger(__name__)

# obs-websocket 5 close codes that say why OBS ended the session (its protocol.md)
CLOSED = {
    4009: "authentication failed: the password does not match OBS's (Tools → WebSocket "
    "Server Settings)",
    4010: "OBS's WebSocket server speaks another RPC version",
    4011: "OBS ended the session (kicked from its WebSocket settings?)",
}
RETRY_STATUS = {207}  # NotReady: OBS is starting or shutting down; a later try may pass


# -- what an alert asks ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SceneSwitch:
    """Make ``scene`` the program scene."""

    scene: str


@dataclass(frozen=True, slots=True)
class SourceVisible:
    """Show or hide ``source`` in ``scene`` (None: the program scene when the alert plays)."""

    source: str
    visible: bool
    scene: str | None = None


@dataclass(frozen=True, slots=True)
class TextSet:
    """Set a text source's text: the value is one setting, whatever it holds."""

    source: str
    value: str


@dataclass(frozen=True, slots=True)
class FilterEnabled:
    """Enable or disable the filter ``name`` of ``source``."""

    source: str
    name: str
    enabled: bool


ObsCommand = SceneSwitch | SourceVisible | TextSet | FilterEnabled


@dataclass(frozen=True, slots=True)
class _ItemBack:
    scene: str
    item: int
    enabled: bool


@dataclass(frozen=True, slots=True)
class _SceneBack:
    scene: str  # the program scene before the alert
    alert: str  # the alert's: the way back is taken only while it is still on air


Undo = _SceneBack | _ItemBack | TextSet | FilterEnabled


class Before:
    """What an alert with ``duration`` changed, as it was (filled by ``send``)."""

    __slots__ = ("undo",)

    def __init__(self) -> None:
        self.undo: Undo | None = None


# -- the settings ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ObsSettings(ProbedLimits):
    """Where OBS's WebSocket server listens, and its password."""

    host: str = key("127.0.0.1", doc="the machine OBS runs on")
    port: int = key(4455, low=1, high=65535, why="a TCP port")
    password: str | None = key(
        None, doc="OBS's WebSocket password; give password_file, never the text itself"
    )

    def __repr__(self) -> str:  # the password stays out of every log line
        shown = "None" if self.password is None else "'***'"
        return f"ObsSettings(host={self.host!r}, port={self.port}, password={shown})"


# -- the device -----------------------------------------------------------------------------


class ObsDevice:
    """One OBS: a simpleobsws client, connected at the first alert and again after a drop."""

    can_snapshot = True

    def __init__(self, name: str, settings: ObsSettings) -> None:
        self.name = name
        self.settings = settings
        self.kept = logging.getLogger("websockets").level  # the import changes it
        self.library = Library("simpleobsws")
        self.library.start()  # tens of ms of import, off the loop (BENCHMARKS.md)
        self.lib: Any = None  # the module, once imported
        self.client: Any = None
        self.before: Before | None = None  # handed out by snapshot(), filled by send()
        self.final = False
        self.going_back: asyncio.Task[None] | None = None  # safe()'s restore
        self.connecting = asyncio.Lock()
        self.sending = asyncio.Lock()  # an alert's requests, then the way back: never between

    # -- the Device seam --------------------------------------------------------------------

    async def send(self, command: Any) -> None:
        async with self.sending:
            await self._send(command)
        self.before = None

    async def _send(self, command: Any) -> None:
        self._live()
        record = self.before
        match command:
            case SceneSwitch(scene):
                if record is not None and record.undo is None:
                    now = await self._program()
                    record.undo = _SceneBack(now, scene)
                self._live()
                await self._request("SetCurrentProgramScene", {"sceneName": scene})
            case SourceVisible(source, visible, scene):
                where = scene or await self._program()
                item = await self._item(where, source)
                if record is not None and record.undo is None:
                    was = await self._request(
                        "GetSceneItemEnabled", {"sceneName": where, "sceneItemId": item}
                    )
                    record.undo = _ItemBack(where, item, bool(was.get("sceneItemEnabled")))
                self._live()
                await self._set_item(_ItemBack(where, item, visible))
            case TextSet(source, value):
                if record is not None and record.undo is None:
                    got = await self._request("GetInputSettings", {"inputName": source})
                    text = (got.get("inputSettings") or {}).get("text", "")
                    record.undo = TextSet(source, text if isinstance(text, str) else "")
                self._live()
                await self._set_text(TextSet(source, value))
            case FilterEnabled(source, name, enabled):
                if record is not None and record.undo is None:
                    got = await self._request(
                        "GetSourceFilter", {"sourceName": source, "filterName": name}
                    )
                    record.undo = FilterEnabled(source, name, bool(got.get("filterEnabled")))
                self._live()
                await self._set_filter(FilterEnabled(source, name, enabled))
            case _:
                raise SinkError(f"obs {self.name}: cannot carry out {command!r}")

    def _live(self) -> None:
        """Made safe while an alert read what it changes: its change is not sent."""
        if self.final:
            raise DeviceAway("made safe: sends nothing more")

    async def snapshot(self) -> Any:
        """Connects (an OBS that is away fails here, before anything changed) and hands out
        the record ``send`` fills."""
        await self._connected()
        self.before = Before()
        return self.before

    async def restore(self, snapshot: Any) -> None:
        assert isinstance(snapshot, Before)
        if snapshot.undo is not None:
            async with self.sending:
                await self._undo(snapshot.undo)

    def safe(self, before: Any | None) -> None:
        """No further alert; the one playing or being sent goes back, started now and
        awaited by ``aclose`` (a websocket cannot be written from outside the loop's turn),
        after the request on the wire: OBS may still carry out a change it answers late."""
        self.final = True
        if not isinstance(before, Before) or self.going_back is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: nothing can reach OBS any more
            return
        self.going_back = loop.create_task(self._undo_now(before), name=f"obs-safe:{self.name}")

    async def aclose(self) -> None:
        if self.going_back is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.going_back
        await self._drop()

    # -- the probe --------------------------------------------------------------------------

    async def probe(self, names: Collection[Name]) -> dict[Name, str]:
        """The scenes, sources and filters of ``names`` OBS does not have, read with its Get
        requests (nothing changes in OBS). Its names are exact: case counts."""
        scenes = [
            s.get("sceneName") for s in (await self._request("GetSceneList")).get("scenes", [])
        ]
        inputs = [
            i.get("inputName") for i in (await self._request("GetInputList")).get("inputs", [])
        ]
        have = {"scene": {n for n in scenes if isinstance(n, str)}}
        have["source"] = have["scene"] | {n for n in inputs if isinstance(n, str)}
        unknown: dict[Name, str] = {}
        within: dict[tuple[str, str], set[str]] = {}  # a scene's sources, a source's filters
        for name in names:
            if name.what not in ("scene", "source", "filter"):
                continue
            if name.what != "filter" and name.name not in have[name.what]:
                unknown[name] = _missing(name.what, name.name, have[name.what], "in OBS")
                continue
            if name.of is None or name.of not in have["source"]:
                continue  # no scene given (the program scene then), or said of its own
            if name.what == "source" and name.of in have["scene"]:
                key = ("scene", name.of)
                if key not in within:
                    got = await self._request("GetSceneItemList", {"sceneName": name.of})
                    within[key] = {i.get("sourceName") for i in got.get("sceneItems", [])}
            elif name.what == "filter":
                key = ("source", name.of)
                if key not in within:
                    got = await self._request("GetSourceFilterList", {"sourceName": name.of})
                    within[key] = {f.get("filterName") for f in got.get("filters", [])}
            else:
                continue
            found = {n for n in within[key] if isinstance(n, str)}
            if name.name not in found:
                unknown[name] = _missing(name.what, name.name, found, f"in {name.of!r}")
        return unknown

    # -- the requests -----------------------------------------------------------------------

    async def _program(self) -> str:
        got = await self._request("GetCurrentProgramScene")
        # sceneName since obs-websocket 5.3; currentProgramSceneName before (deprecated)
        name = got.get("sceneName") or got.get("currentProgramSceneName")
        if not isinstance(name, str):
            raise DeviceAway("OBS did not say its program scene")
        return name

    async def _item(self, scene: str, source: str) -> int:
        got = await self._request("GetSceneItemId", {"sceneName": scene, "sourceName": source})
        return int(got["sceneItemId"])

    async def _set_item(self, item: _ItemBack) -> None:
        await self._request(
            "SetSceneItemEnabled",
            {"sceneName": item.scene, "sceneItemId": item.item, "sceneItemEnabled": item.enabled},
        )

    async def _set_text(self, text: TextSet) -> None:
        # overlay: only `text` changes; the font, colour and size stay. A lone surrogate (half
        # an emoji in a viewer's name) has no UTF-8 bytes: U+FFFD stands in, as on every text path
        value = scrub(text.value)
        await self._request(
            "SetInputSettings",
            {"inputName": text.source, "inputSettings": {"text": value}, "overlay": True},
        )

    async def _set_filter(self, f: FilterEnabled) -> None:
        await self._request(
            "SetSourceFilterEnabled",
            {"sourceName": f.source, "filterName": f.name, "filterEnabled": f.enabled},
        )

    async def _undo(self, undo: Undo) -> None:
        match undo:
            case _SceneBack(scene, alert):
                # the operator may have moved on during the alert: then their scene stays
                if await self._program() == alert:
                    await self._request("SetCurrentProgramScene", {"sceneName": scene})
            case _ItemBack():
                await self._set_item(undo)
            case TextSet():
                await self._set_text(undo)
            case FilterEnabled():
                await self._set_filter(undo)

    async def _undo_now(self, before: Before) -> None:
        # the alert being sent may first wait for two answers (a Get, a Set), then the way
        # back for its own two
        limit = 4 * self.settings.timeout
        try:
            async with asyncio.timeout(limit), self.sending:
                if before.undo is not None:  # read by the send, whether its change went out
                    await self._undo(before.undo)
        except (DeviceAway, SinkError, OSError, TimeoutError) as exc:
            reason = f"no answer within {limit:g}s" if isinstance(exc, TimeoutError) else exc
            log.warning("device %s (obs): not back to the state before: %s", self.name, reason)

    async def _request(self, kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request's answer; DeviceAway when OBS is away or not ready, SinkError when it
        refused the request itself (a scene or source it does not have: no retry helps)."""
        client = await self._connected()
        call = asyncio.ensure_future(
            client.call(self.lib.Request(kind, data), timeout=self.settings.timeout)
        )
        try:
            await asyncio.wait({call, client.recv_task}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            call.cancel()
            raise
        if not call.done():  # the connection ended first: no answer will come
            call.cancel()
            raise DeviceAway(self._closed_reason(client))
        try:
            response = call.result()
        except self.lib.MessageTimeout:
            raise DeviceAway(f"no answer to {kind} within {self.settings.timeout:g}s") from None
        except (TypeError, ValueError) as exc:  # not encodable: not OBS's doing, no retry helps
            raise SinkError(f"obs {self.name}: cannot encode {kind}: {exc}") from None
        except Exception as exc:  # websockets' ConnectionClosed on the send
            raise DeviceAway(self._closed_reason(client)) from exc
        status = response.requestStatus
        if not status.result:
            why = f"OBS refused {kind} ({status.code}): {status.comment or 'no reason given'}"
            if status.code in RETRY_STATUS:
                raise DeviceAway(why)
            raise SinkError(f"obs {self.name}: {why}")
        return dict(response.responseData or {})

    async def _connected(self) -> Any:
        client = self.client
        if client is not None and client.identified and client.ws_open:
            return client
        async with self.connecting:  # the probe and the first alert may both come here
            client = self.client
            if client is not None and client.identified and client.ws_open:
                return client
            return await self._connect()

    async def _connect(self) -> Any:
        await self._drop()
        if self.lib is None:
            self.lib = await self.library.module()
            # its import sets websockets' logger to INFO: the daemon keeps it at WARNING (its
            # lines may carry what the redactor does not know); its own DEBUG dumps messages
            logging.getLogger("websockets").setLevel(self.kept)
            logging.getLogger("simpleobsws").setLevel(logging.WARNING)
        s = self.settings
        where = f"{s.host}:{s.port}"
        client = self.lib.WebSocketClient(
            url=f"ws://{s.host}:{s.port}",
            password=s.password or "",
            # no events: livetrigger only asks
            identification_parameters=self.lib.IdentificationParameters(eventSubscriptions=0),
        )
        try:
            await client.connect()
        except ConnectionRefusedError:
            raise DeviceAway(
                f"refused: nothing listens on {where} (OBS closed, or its WebSocket server off?)"
            ) from None
        except OSError as exc:  # a name that does not resolve, no route, a timeout
            raise DeviceAway(f"cannot reach {where}: {exc.strerror or exc}") from None
        except Exception as exc:  # websockets' handshake errors: not an obs-websocket there
            raise DeviceAway(f"{where} is not OBS's WebSocket server: {exc}") from None
        self.client = client
        identified = asyncio.ensure_future(client.wait_until_identified(self.settings.timeout))
        try:
            await asyncio.wait({identified, client.recv_task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            identified.cancel()
        if not client.identified:
            reason = self._closed_reason(client)
            await self._drop()
            raise DeviceAway(reason)
        log.info("device %s (obs): connected to %s", self.name, where)
        return client

    def _closed_reason(self, client: Any) -> str:
        ws = client.ws
        code = getattr(ws, "close_code", None) if ws is not None else None
        if code == 4009 and not self.settings.password:
            return "authentication failed: OBS asks for a password; give password_file"
        if code in CLOSED:
            return CLOSED[code]
        if code is None:
            return "OBS did not identify the session in time"
        return f"OBS closed the connection (code {code})"

    async def _drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.disconnect()


def _missing(what: str, name: str, have: set[str], where: str) -> str:
    names = sorted(have)
    listing = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f"no {what} named {name!r} {where}{suggest(name, names)} ({listing or 'none'})"


class Obs:
    key = "obs"
    settings = ObsSettings
    extra = "obs"
    module = "simpleobsws"

    def open(self, name: str, settings: ObsSettings) -> ObsDevice:
        installed(self.module)  # missing: the device cannot open, said at once
        return ObsDevice(name, settings)


KIND: DeviceKind[ObsSettings] = Obs()  # mypy checks it against the seam

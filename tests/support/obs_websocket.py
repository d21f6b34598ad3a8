"""A fake OBS Studio WebSocket server (obs-websocket 5, RPC version 1) over a real websocket
on loopback, built from the published protocol: Hello (with an authentication challenge and
salt when it has a password), Identify checked the protocol's way (sha256 auth string, RPC
version), Identified, then Request / RequestResponse for the requests livetrigger sends, each
changing or reading the state it holds (the program scene, scene items, inputs' settings,
filters), so a test can check what an alert did and that it went back. JSON and MessagePack
subprotocols, and the protocol's close codes for what it refuses. ``stop()`` and ``start()``
close and reopen it on the same port, as quitting and starting OBS does."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgpack
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

WAIT = 60  # seconds a test waits for a change at most (a stuck test fails, a slow one passes)

# opcodes and close codes (obs-websocket 5 protocol.md)
HELLO, IDENTIFY, IDENTIFIED, REIDENTIFY, EVENT, REQUEST, RESPONSE = 0, 1, 2, 3, 5, 6, 7
MESSAGE_DECODE_ERROR, MISSING_DATA_FIELD, UNKNOWN_OP_CODE = 4002, 4003, 4006
NOT_IDENTIFIED, ALREADY_IDENTIFIED, AUTHENTICATION_FAILED = 4007, 4008, 4009
UNSUPPORTED_RPC_VERSION = 4010
# request status codes
SUCCESS, UNKNOWN_REQUEST_TYPE, MISSING_REQUEST_FIELD = 100, 204, 300
INVALID_REQUEST_FIELD_TYPE, RESOURCE_NOT_FOUND = 400, 600


def auth_string(password: str, salt: str, challenge: str) -> str:
    """What a client must send: base64(sha256(base64(sha256(password + salt)) + challenge))."""
    secret = base64.b64encode(hashlib.sha256((password + salt).encode()).digest())
    return base64.b64encode(hashlib.sha256(secret + challenge.encode()).digest()).decode()


@dataclass
class Item:
    id: int
    source: str
    enabled: bool


@dataclass
class ObsState:
    """What the fake OBS shows: scenes with their items, inputs, filters."""

    program: str = "Main"
    scenes: dict[str, list[Item]] = field(
        default_factory=lambda: {
            "Main": [Item(1, "Cam", True), Item(2, "Confetti", False), Item(3, "Last gift", True)],
            "Gift cam": [Item(1, "Cam", True), Item(4, "Confetti", True)],
        }
    )
    inputs: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "Cam": {"kind": "v4l2_input", "settings": {}},
            "Confetti": {"kind": "ffmpeg_source", "settings": {"local_file": "confetti.webm"}},
            "Last gift": {
                "kind": "text_ft2_source_v2",
                "settings": {"text": "nobody yet", "font": {"face": "Sans", "size": 48}},
            },
        }
    )
    filters: dict[str, dict[str, bool]] = field(
        default_factory=lambda: {"Cam": {"Shake": False, "Colour": True}}
    )


class Refused(Exception):
    def __init__(self, code: int, comment: str) -> None:
        super().__init__(comment)
        self.code = code


class FakeObs:
    """``async with FakeObs(password="x") as obs``: listening on 127.0.0.1:``obs.port``."""

    def __init__(self, password: str | None = None, port: int = 0) -> None:
        self.password = password
        self.port = port
        self.state = ObsState()
        self.requests: list[tuple[str, dict[str, Any]]] = []  # of identified sessions
        self.identified = 0
        self.closes: list[int] = []  # the close codes this server ended sessions with
        self.subprotocols: list[str | None] = []
        self.hold: asyncio.Event | None = None  # set: changes are answered once it is set
        self._server: Server | None = None
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> FakeObs:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self._server = await serve(
            self._session,
            "127.0.0.1",
            self.port,
            subprotocols=["obswebsocket.json", "obswebsocket.msgpack"],  # type: ignore[list-item]
            compression=None,
        )
        self.port = next(iter(self._server.sockets)).getsockname()[1]

    async def stop(self) -> None:
        """Quit OBS: the listening socket and every session close."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def until(self, done: Callable[[], bool]) -> None:
        """Wait until ``done()`` holds (checked at each change)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(done), WAIT)

    async def _note(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- one session ------------------------------------------------------------------------

    async def _session(self, ws: ServerConnection) -> None:
        binary = ws.subprotocol == "obswebsocket.msgpack"
        self.subprotocols.append(ws.subprotocol)

        async def send(op: int, d: dict[str, Any]) -> None:
            message = {"op": op, "d": d}
            await ws.send(msgpack.packb(message) if binary else json.dumps(message))

        async def close(code: int, reason: str) -> None:
            self.closes.append(code)
            await ws.close(code, reason)
            await self._note()

        hello: dict[str, Any] = {"obsWebSocketVersion": "5.5.4", "rpcVersion": 1}
        salt, challenge = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        if self.password is not None:
            hello["authentication"] = {"challenge": challenge, "salt": salt}
        identified = False
        try:
            await send(HELLO, hello)
            async for frame in ws:
                if isinstance(frame, bytes) != binary:
                    return await close(MESSAGE_DECODE_ERROR, "Wrong frame type for subprotocol.")
                try:
                    message = msgpack.unpackb(frame) if binary else json.loads(frame)
                    op, d = message["op"], message.get("d", {})
                except (ValueError, KeyError, TypeError, msgpack.UnpackException):
                    return await close(MESSAGE_DECODE_ERROR, "Message could not be decoded.")
                if not identified:
                    if op != IDENTIFY:
                        return await close(NOT_IDENTIFIED, "The session is not identified.")
                    if "rpcVersion" not in d:
                        return await close(MISSING_DATA_FIELD, "Your payload lacks rpcVersion.")
                    if d["rpcVersion"] != 1:
                        return await close(UNSUPPORTED_RPC_VERSION, "RPC version 1 only.")
                    if self.password is not None:
                        expected = auth_string(self.password, salt, challenge)
                        if d.get("authentication") != expected:
                            return await close(AUTHENTICATION_FAILED, "Authentication failed.")
                    identified = True
                    self.identified += 1
                    await send(IDENTIFIED, {"negotiatedRpcVersion": 1})
                    await self._note()
                elif op == IDENTIFY:
                    return await close(ALREADY_IDENTIFIED, "You are already identified.")
                elif op == REIDENTIFY:
                    await send(IDENTIFIED, {"negotiatedRpcVersion": 1})
                elif op == REQUEST:
                    answer = self._answer(d)
                    await self._note()
                    if self.hold is not None and str(answer["requestType"]).startswith("Set"):
                        await self.hold.wait()  # done, but not answered yet
                    await send(RESPONSE, answer)
                else:
                    return await close(UNKNOWN_OP_CODE, f"Unknown OpCode: {op}")
        except ConnectionClosed:
            pass
        return None

    # -- requests ---------------------------------------------------------------------------

    def _answer(self, d: dict[str, Any]) -> dict[str, Any]:
        kind, rid, data = d.get("requestType"), d.get("requestId"), d.get("requestData") or {}
        answer: dict[str, Any] = {"requestType": kind, "requestId": rid}
        self.requests.append((str(kind), dict(data)))
        handler = getattr(self, f"_{kind}", None) if str(kind)[:1].isupper() else None
        if handler is None:
            answer["requestStatus"] = {
                "result": False,
                "code": UNKNOWN_REQUEST_TYPE,
                "comment": f"Your request type is not valid: {kind}",
            }
            return answer
        try:
            result = handler(data)
        except Refused as exc:
            answer["requestStatus"] = {"result": False, "code": exc.code, "comment": str(exc)}
            return answer
        answer["requestStatus"] = {"result": True, "code": SUCCESS}
        if result is not None:
            answer["responseData"] = result
        return answer

    @staticmethod
    def _field(data: dict[str, Any], name: str, tp: type) -> Any:
        if name not in data:
            raise Refused(MISSING_REQUEST_FIELD, f"Your request is missing the `{name}` field.")
        if not isinstance(data[name], tp) or (tp is int and isinstance(data[name], bool)):
            raise Refused(INVALID_REQUEST_FIELD_TYPE, f"The field `{name}` has the wrong type.")
        return data[name]

    def _scene(self, data: dict[str, Any]) -> list[Item]:
        name = self._field(data, "sceneName", str)
        if name not in self.state.scenes:
            raise Refused(RESOURCE_NOT_FOUND, f"No source was found by the name of `{name}`.")
        return self.state.scenes[name]

    def _scene_item(self, data: dict[str, Any]) -> Item:
        items = self._scene(data)
        wanted = self._field(data, "sceneItemId", int)
        for item in items:
            if item.id == wanted:
                return item
        raise Refused(RESOURCE_NOT_FOUND, "No scene items were found by that id.")

    def _input(self, data: dict[str, Any]) -> dict[str, Any]:
        name = self._field(data, "inputName", str)
        if name not in self.state.inputs:
            raise Refused(RESOURCE_NOT_FOUND, f"No source was found by the name of `{name}`.")
        return self.state.inputs[name]

    def _filter(self, data: dict[str, Any]) -> tuple[dict[str, bool], str]:
        source = self._field(data, "sourceName", str)
        name = self._field(data, "filterName", str)
        filters = self.state.filters.get(source)
        if source not in self.state.inputs and source not in self.state.scenes:
            raise Refused(RESOURCE_NOT_FOUND, f"No source was found by the name of `{source}`.")
        if filters is None or name not in filters:
            raise Refused(RESOURCE_NOT_FOUND, "No filter was found in the source with that name.")
        return filters, name

    def _GetVersion(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "obsVersion": "31.0.0",
            "obsWebSocketVersion": "5.5.4",
            "rpcVersion": 1,
            "availableRequests": [n[1:] for n in dir(self) if n[1:2].isupper()],
            "platform": "ubuntu",
        }

    def _GetCurrentProgramScene(self, data: dict[str, Any]) -> dict[str, Any]:
        name = self.state.program
        uuid = f"uuid-{name}"
        return {
            "sceneName": name,
            "sceneUuid": uuid,
            "currentProgramSceneName": name,
            "currentProgramSceneUuid": uuid,
        }

    def _SetCurrentProgramScene(self, data: dict[str, Any]) -> None:
        self._scene(data)
        self.state.program = data["sceneName"]

    def _GetSceneItemId(self, data: dict[str, Any]) -> dict[str, Any]:
        items = self._scene(data)
        source = self._field(data, "sourceName", str)
        for item in items:
            if item.source == source:
                return {"sceneItemId": item.id}
        raise Refused(
            RESOURCE_NOT_FOUND, "No scene items were found in the specified scene by that name."
        )

    def _GetSceneItemEnabled(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"sceneItemEnabled": self._scene_item(data).enabled}

    def _SetSceneItemEnabled(self, data: dict[str, Any]) -> None:
        item = self._scene_item(data)
        item.enabled = self._field(data, "sceneItemEnabled", bool)

    def _GetInputSettings(self, data: dict[str, Any]) -> dict[str, Any]:
        found = self._input(data)
        return {"inputSettings": dict(found["settings"]), "inputKind": found["kind"]}

    def _SetInputSettings(self, data: dict[str, Any]) -> None:
        found = self._input(data)
        settings = self._field(data, "inputSettings", dict)
        if data.get("overlay", True):
            found["settings"] = {**found["settings"], **settings}
        else:
            found["settings"] = dict(settings)

    def _GetSourceFilter(self, data: dict[str, Any]) -> dict[str, Any]:
        filters, name = self._filter(data)
        return {
            "filterEnabled": filters[name],
            "filterIndex": list(filters).index(name),
            "filterKind": "fake_filter",
            "filterSettings": {},
        }

    def _SetSourceFilterEnabled(self, data: dict[str, Any]) -> None:
        filters, name = self._filter(data)
        filters[name] = self._field(data, "filterEnabled", bool)

    # the lists livetrigger's start-up probe reads (their fields as obs-websocket 5 gives)
    def _GetSceneList(self, data: dict[str, Any]) -> dict[str, Any]:
        scenes = [
            {"sceneIndex": i, "sceneName": name, "sceneUuid": f"uuid-{name}"}
            for i, name in enumerate(reversed(self.state.scenes))
        ]
        return {"currentProgramSceneName": self.state.program, "scenes": scenes}

    def _GetInputList(self, data: dict[str, Any]) -> dict[str, Any]:
        inputs = [
            {"inputName": name, "inputUuid": f"uuid-{name}", "inputKind": found["kind"]}
            for name, found in self.state.inputs.items()
        ]
        return {"inputs": inputs}

    def _GetSceneItemList(self, data: dict[str, Any]) -> dict[str, Any]:
        items = [
            {"sceneItemId": i.id, "sourceName": i.source, "sceneItemEnabled": i.enabled}
            for i in self._scene(data)
        ]
        return {"sceneItems": items}

    def _GetSourceFilterList(self, data: dict[str, Any]) -> dict[str, Any]:
        source = self._field(data, "sourceName", str)
        if source not in self.state.inputs and source not in self.state.scenes:
            raise Refused(RESOURCE_NOT_FOUND, f"No source was found by the name of `{source}`.")
        filters = [
            {"filterName": name, "filterEnabled": on, "filterIndex": i, "filterKind": "fake"}
            for i, (name, on) in enumerate(self.state.filters.get(source, {}).items())
        ]
        return {"filters": filters}

    # -- what tests read --------------------------------------------------------------------

    def visible(self, scene: str, source: str) -> bool:
        return next(i.enabled for i in self.state.scenes[scene] if i.source == source)

    def text(self, source: str) -> str:
        return str(self.state.inputs[source]["settings"].get("text", ""))

    def filter_on(self, source: str, name: str) -> bool:
        return self.state.filters[source][name]

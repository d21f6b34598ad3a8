"""A Philips Hue bridge on loopback: its CLIP v2 API over HTTPS with a self-signed certificate
(made here with ``cryptography``; the common name is the bridge id, as on a bridge), as
``aiohue`` and ``livetrigger hue-pair`` call it, over a real socket.

- ``GET /api/config``: the bridge's public description (no key needed);
- ``POST /api`` ``{"devicetype": ..., "generateclientkey": true}``: pairing; error 101 "link
  button not pressed" until ``press_button()``, then a new application key (and client key);
- ``/clip/v2/resource`` (everything), ``/clip/v2/resource/<type>`` and ``/<type>/<id>``: the
  resources, each call with a known ``hue-application-key`` header (else 403 and CLIP's
  "unauthorized user"); ``PUT`` on a ``light`` (on, dimming, color, color_temperature,
  effects, effects_v2, dynamics, alert), a ``grouped_light`` (to each light of its room or
  zone) and a ``scene`` (``recall``: its actions to its lights); an unknown key is a 400 with
  CLIP's error list, as the bridge answers;
- ``GET /eventstream/clip/v2``: server-sent events, one ``update`` per change, as aiohue
  keeps its copy of the resources current with them.

Three lights: "Floor lamp" and "Ceiling" in the room "Living room", "Desk lamp" in the zone
"Desk area"; the scenes "Relax" (Living room) and "Focus" (Desk area). Every PUT is kept in
``puts`` so a test waits for it instead of sleeping; ``streams_opened`` and ``listings``
count the event-stream connections and the whole-resource listings a client took.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import json
import secrets
import ssl
import tempfile
import uuid
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

BRIDGE_ID = "001788fffe6a1b2c"
GROUPS = {"Living room": ("room", "living_room"), "Desk area": ("zone", "computer")}
# name: (where, on, brightness, mirek or None for colour, xy)
LIGHTS = {
    "Floor lamp": ("Living room", True, 60.0, 366, (0.4573, 0.41)),
    "Ceiling": ("Living room", False, 100.0, None, (0.2, 0.1)),
    "Desk lamp": ("Desk area", True, 30.0, None, (0.6, 0.35)),
}
SCENES = {"Relax": ("Living room", 40.0, 447), "Focus": ("Desk area", 100.0, 233)}
EFFECTS = ["no_effect", "candle", "fire", "prism", "sparkle"]
_FEATURES = {
    "on", "dimming", "color", "color_temperature", "effects", "effects_v2", "dynamics", "alert",
}  # fmt: skip


def _rid(rid: str, rtype: str) -> dict[str, str]:
    return {"rid": rid, "rtype": rtype}


def _device(name: str, archetype: str, model: str, product: str, services: list[Any]) -> Any:
    return {
        "id": str(uuid.uuid4()), "type": "device", "services": services,
        "product_data": {
            "model_id": model, "manufacturer_name": "Signify Netherlands B.V.",
            "product_name": product, "product_archetype": archetype, "certified": True,
            "software_version": "1.122.2",
        },
        "metadata": {"name": name, "archetype": archetype},
    }  # fmt: skip


class FakeHueBridge:
    """One bridge; ``resources`` by id, as the bridge lists them."""

    def __init__(self) -> None:
        self.app_keys: set[str] = set()
        self.button_pressed = False
        self.pair_attempts = 0
        self.asked = asyncio.Event()  # a pairing request came
        self.puts: list[tuple[str, dict[str, Any]]] = []  # (path, body) of each PUT, in order
        self.changed = asyncio.Event()
        self.resources: dict[str, dict[str, Any]] = {}
        self._streams: list[asyncio.Queue[str]] = []
        self.streams_opened = 0  # event-stream connections taken, ever
        self.listings = 0  # GET /clip/v2/resource (everything), ever
        self.gets: list[str] = []  # the path of each GET of a resource, in order
        self._event_id = 0
        self._runner: web.AppRunner | None = None
        self._certs = tempfile.TemporaryDirectory()
        self.port = 0
        self._build()

    # -- the home ---------------------------------------------------------------------------

    def _add(self, resource: dict[str, Any]) -> dict[str, Any]:
        self.resources[resource["id"]] = resource
        return resource

    def _build(self) -> None:
        bridge_id = str(uuid.uuid4())
        bridge_device = _device("Hue Bridge", "bridge_v2", "BSB002", "Hue Bridge", [])
        bridge_device["product_data"]["software_version"] = "1.66.1966060010"
        bridge_device["services"] = [_rid(bridge_id, "bridge")]
        self._add(bridge_device)
        self._add({
            "id": bridge_id, "type": "bridge", "bridge_id": BRIDGE_ID,
            "owner": _rid(bridge_device["id"], "device"),
            "time_zone": {"time_zone": "Europe/Amsterdam"},
        })  # fmt: skip
        groups: dict[str, dict[str, Any]] = {}
        for name, (kind, archetype) in GROUPS.items():
            group_id, grouped_id = str(uuid.uuid4()), str(uuid.uuid4())
            groups[name] = self._add({
                "id": group_id, "type": kind, "children": [],
                "services": [_rid(grouped_id, "grouped_light")],
                "metadata": {"name": name, "archetype": archetype},
            })  # fmt: skip
            self._add({
                "id": grouped_id, "type": "grouped_light", "owner": _rid(group_id, kind),
                "on": {"on": False}, "dimming": {"brightness": 0.0},
                "alert": {"action_values": ["breathe"]},
            })  # fmt: skip
        self.light_ids: dict[str, str] = {}
        for name, (where, on, level, mirek, xy) in LIGHTS.items():
            light_id = str(uuid.uuid4())
            device = self._add(
                _device(name, "sultan_bulb", "LCA001", "Hue color lamp", [_rid(light_id, "light")])
            )
            self.light_ids[name] = light_id
            self._add({
                "id": light_id, "type": "light", "owner": _rid(device["id"], "device"),
                "metadata": {"name": name, "archetype": "sultan_bulb"}, "mode": "normal",
                "on": {"on": on}, "dimming": {"brightness": level, "min_dim_level": 0.2},
                "color_temperature": {
                    "mirek": mirek, "mirek_valid": mirek is not None,
                    "mirek_schema": {"mirek_minimum": 153, "mirek_maximum": 500},
                },
                "color": {
                    "xy": {"x": xy[0], "y": xy[1]}, "gamut_type": "C",
                    "gamut": {"red": {"x": 0.6915, "y": 0.3083}, "green": {"x": 0.17, "y": 0.7},
                              "blue": {"x": 0.1532, "y": 0.0475}},
                },
                "dynamics": {"status": "none", "status_values": ["none", "dynamic_palette"],
                             "speed": 0.0, "speed_valid": False},
                "effects": {"status": "no_effect", "status_values": EFFECTS,
                            "effect_values": EFFECTS},
                "alert": {"action_values": ["breathe"]},
            })  # fmt: skip
            group = groups[where]
            if group["type"] == "room":  # a room holds devices, a zone holds lights
                group["children"].append(_rid(device["id"], "device"))
            else:
                group["children"].append(_rid(light_id, "light"))
        self.scene_ids: dict[str, str] = {}
        for name, (where, level, mirek) in SCENES.items():
            group = groups[where]
            actions = [
                {"target": _rid(light_id, "light"), "action": {
                    "on": {"on": True}, "dimming": {"brightness": level},
                    "color_temperature": {"mirek": mirek}}}
                for light_id in self._lights_in(group["id"])
            ]  # fmt: skip
            scene_id = self.scene_ids[name] = str(uuid.uuid4())
            self._add({
                "id": scene_id, "type": "scene", "metadata": {"name": name},
                "group": _rid(group["id"], group["type"]), "actions": actions, "speed": 0.6,
                "auto_dynamic": False, "status": {"active": "inactive"},
            })  # fmt: skip
        for grouped in self._of("grouped_light"):
            self._settle_group(grouped)

    def _of(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.resources.values() if r["type"] == kind]

    def _lights_in(self, group_id: str) -> list[str]:
        group = self.resources[group_id]
        out = []
        for child in group["children"]:
            if child["rtype"] == "light":
                out.append(child["rid"])
            else:
                device = self.resources[child["rid"]]
                out += [s["rid"] for s in device["services"] if s["rtype"] == "light"]
        return out

    # -- what a test reads and does ---------------------------------------------------------

    def light(self, name: str) -> dict[str, Any]:
        """What a light shows: on, brightness, its colour or white, its effect."""
        light = self.resources[self.light_ids[name]]
        temperature = light["color_temperature"]
        return {
            "on": light["on"]["on"],
            "brightness": light["dimming"]["brightness"],
            "colour": (
                ("mirek", temperature["mirek"])
                if temperature["mirek_valid"]
                else ("xy", light["color"]["xy"]["x"], light["color"]["xy"]["y"])
            ),
            "effect": light["effects"]["status"],
        }

    def press_button(self) -> None:
        """The round link button: pairing works from now on (30 s on a bridge; here, on)."""
        self.button_pressed = True

    async def wait_for(self, done: Any, what: str) -> None:
        async with asyncio.timeout(60):
            while not done():
                self.changed.clear()
                await self.changed.wait()

    # -- serving ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeHueBridge:
        app = web.Application()
        app.router.add_get("/api/config", self._config)
        app.router.add_post("/api", self._pair)
        app.router.add_get("/clip/v2/resource", self._all)
        app.router.add_get("/clip/v2/resource/{type}", self._list)
        app.router.add_get("/clip/v2/resource/{type}/{id}", self._one)
        app.router.add_put("/clip/v2/resource/{type}/{id}", self._put)
        app.router.add_post("/clip/v2/resource/{type}", self._post)
        app.router.add_get("/eventstream/clip/v2", self._events)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=self._tls())
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for stream in self._streams:
            stream.put_nowait("")  # ends the stream
        if self._runner is not None:
            await self._runner.cleanup()
        self._certs.cleanup()

    def _tls(self) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Philips Hue"),
            x509.NameAttribute(NameOID.COMMON_NAME, BRIDGE_ID),
        ])  # fmt: skip
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        folder = Path(self._certs.name)
        (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        return context

    async def _config(self, request: web.Request) -> web.Response:
        return web.json_response({
            "name": "Hue Bridge", "datastoreversion": "163", "swversion": "1966060010",
            "apiversion": "1.66.0", "mac": "00:17:88:6a:1b:2c", "bridgeid": BRIDGE_ID.upper(),
            "factorynew": False, "replacesbridgeid": None, "modelid": "BSB002",
            "starterkitid": "",
        })  # fmt: skip

    async def _pair(self, request: web.Request) -> web.Response:
        self.pair_attempts += 1
        self.asked.set()
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("devicetype"), str):
            error = {"type": 5, "address": "/", "description": "invalid/missing parameters in body"}
            return web.json_response([{"error": error}])
        if not self.button_pressed:
            error = {"type": 101, "address": "", "description": "link button not pressed"}
            return web.json_response([{"error": error}])
        key = secrets.token_urlsafe(30)[:40]
        self.app_keys.add(key)
        success = {"username": key}
        if body.get("generateclientkey"):
            success["clientkey"] = secrets.token_hex(16).upper()
        return web.json_response([{"success": success}])

    def _refused(self, request: web.Request) -> web.Response | None:
        if request.headers.get("hue-application-key") in self.app_keys:
            return None
        error = {"description": "unauthorized user"}
        return web.json_response({"errors": [error], "data": []}, status=403)

    async def _all(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        self.listings += 1
        self.gets.append(request.path)
        return web.json_response({"errors": [], "data": list(self.resources.values())})

    async def _list(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        self.gets.append(request.path)
        return web.json_response({"errors": [], "data": self._of(request.match_info["type"])})

    async def _one(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        self.gets.append(request.path)
        found = self.resources.get(request.match_info["id"])
        if found is None or found["type"] != request.match_info["type"]:
            return _error(404, "Not Found")
        return web.json_response({"errors": [], "data": [found]})

    async def _post(self, request: web.Request) -> web.Response:
        # aiohue's keepalive makes a geofence client once a minute: the bridge takes it
        if refused := self._refused(request):
            return refused
        new = {"id": str(uuid.uuid4()), "type": request.match_info["type"], **await request.json()}
        self._add(new)
        return web.json_response({"errors": [], "data": [_rid(new["id"], new["type"])]})

    async def _put(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        kind, found = request.match_info["type"], self.resources.get(request.match_info["id"])
        if found is None or found["type"] != kind:
            return _error(404, "Not Found")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "Body is not valid JSON")
        if kind == "light":
            unknown = set(body) - _FEATURES
            if unknown:
                return _error(400, f"device (light) has no attribute {sorted(unknown)[0]}")
            changed = [self._light(found, body)]
        elif kind == "grouped_light":
            lights = self._lights_in(found["owner"]["rid"])
            changed = [self._light(self.resources[i], body) for i in lights]
        elif kind == "scene" and "recall" in body:
            changed = [
                self._light(self.resources[a["target"]["rid"]], a["action"] | _recall(body))
                for a in found["actions"]
            ]
        elif kind == "geofence_client":
            found.update(body)
            changed = []
        else:
            return _error(400, f"{kind} cannot be changed this way")
        self.puts.append((request.path, body))
        for grouped in self._of("grouped_light"):
            self._settle_group(grouped)
        self._publish(changed)
        self.changed.set()
        return web.json_response({"errors": [], "data": [_rid(found["id"], kind)]})

    def _light(self, light: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        if "on" in body:
            light["on"]["on"] = bool(body["on"]["on"])
        if "dimming" in body:
            light["dimming"]["brightness"] = max(0.2, float(body["dimming"]["brightness"]))
        if "color" in body:
            light["color"]["xy"] = dict(body["color"]["xy"])
            light["color_temperature"].update(mirek=None, mirek_valid=False)
        if "color_temperature" in body:
            light["color_temperature"].update(mirek=body["color_temperature"]["mirek"], mirek_valid=True)
        effect = (body.get("effects") or {}).get("effect")
        v2 = (body.get("effects_v2") or {}).get("action") or {}
        if v2:
            effect = v2.get("effect")
            self._light(light, v2.get("parameters") or {})
        if effect in EFFECTS:
            light["effects"]["status"] = effect
        event = {k: copy.deepcopy(light[k]) for k in ("on", "dimming", "color", "color_temperature", "effects")}
        return {"id": light["id"], "type": "light", **event}

    def _settle_group(self, grouped: dict[str, Any]) -> None:
        lights = [self.resources[i] for i in self._lights_in(grouped["owner"]["rid"])]
        on = [x for x in lights if x["on"]["on"]]
        grouped["on"]["on"] = bool(on)
        grouped["dimming"]["brightness"] = (
            round(sum(x["dimming"]["brightness"] for x in on) / len(on), 2) if on else 0.0
        )

    def _publish(self, changed: list[dict[str, Any]]) -> None:
        if not changed:
            return
        self._event_id += 1
        event = {
            "creationtime": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": changed, "id": str(uuid.uuid4()), "type": "update",
        }  # fmt: skip
        message = f"id: {self._event_id}:0\ndata: {json.dumps([event])}\n\n"
        for stream in self._streams:
            stream.put_nowait(message)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if refused := self._refused(request):
            return refused
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b": hi\n\n")
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._streams.append(queue)
        self.streams_opened += 1
        self.changed.set()
        try:
            while message := await queue.get():
                await response.write(message.encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._streams.remove(queue)
        return response


def _recall(body: dict[str, Any]) -> dict[str, Any]:
    dimming = body["recall"].get("dimming")
    return {"dimming": dimming} if dimming else {}


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"errors": [{"description": description}], "data": []}, status=status)

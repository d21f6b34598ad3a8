"""A WLED controller on loopback: WLED's HTTP JSON API (kno.wled.ge/interfaces/json-api) as
the ``wled`` library calls it, over a real socket.

``GET /json`` (state, info, effects, palettes), ``/json/state``, ``/json/info``, ``/json/si``,
``/json/eff`` and ``/json/effects``, ``/json/pal`` and ``/json/palettes``, ``/json/fxdata``,
``/json/cfg`` (absent, 404, as on builds without it), ``/presets.json``; ``POST /json`` and
``/json/state`` change only the keys sent (segments by ``id``, colours, effect, ``ps`` applies
a preset, ``tt`` is this call's transition) and answer the full state when ``"v": true``, else
``{"success": true}``. The websocket is not served (``info.ws`` is -1: a build without it);
the library opens it only when asked to ``listen``. Every state change is kept in
``changes`` so a test waits for it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from typing import Any

from aiohttp import web

# a few of WLED's effects; the index is the effect id. "RSVD" is a placeholder real builds
# list for effects left out (the library skips it)
EFFECTS = ["Solid", "Blink", "Breathe", "Wipe", "Rainbow", "RSVD", "Fireworks", "Candle"]
PALETTES = ["Default", "* Random Cycle", "Party", "Rainbow"]
PRESETS = {
    "0": {},
    "1": {"n": "Cozy", "on": True, "bri": 90, "seg": [{"id": 0, "col": [[255, 160, 60]], "fx": 0}]},
    "2": {"n": "Party", "on": True, "bri": 255, "seg": [{"id": 0, "fx": 4, "pal": 2}]},
}


def _segment(seg_id: int, start: int, stop: int) -> dict[str, Any]:
    return {
        "id": seg_id, "start": start, "stop": stop, "len": stop - start, "grp": 1, "spc": 0,
        "of": 0, "on": True, "frz": False, "bri": 255, "cct": 127, "set": 0,
        "col": [[0, 0, 255], [0, 0, 0], [0, 0, 0]], "fx": 4, "sx": 128, "ix": 128, "pal": 0,
        "c1": 128, "c2": 128, "c3": 16, "sel": seg_id == 0, "rev": False, "mi": False,
        "o1": False, "o2": False, "o3": False, "si": 0, "m12": 0,
    }  # fmt: skip


class FakeWled:
    """One WLED with two segments, a blue rainbow at brightness 128."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {
            "on": True, "bri": 128, "transition": 7, "ps": -1, "pl": -1, "ledmap": 0,
            "nl": {"on": False, "dur": 60, "mode": 1, "tbri": 0, "rem": -1},
            "udpn": {"send": False, "recv": True, "sgrp": 1, "rgrp": 1}, "lor": 0,
            "mainseg": 0, "seg": [_segment(0, 0, 30), _segment(1, 30, 60)],
        }  # fmt: skip
        self.booted = time.time()
        self.changes: list[dict[str, Any]] = []  # each POSTed body, in order
        self.requests: list[str] = []  # "GET /json/state", ...
        self.changed = asyncio.Event()
        self.port = 0
        self._runner: web.AppRunner | None = None

    # -- what a test reads ------------------------------------------------------------------

    def look(self) -> dict[str, Any]:
        """What the strip shows: on, brightness, and each segment's colour and effect."""
        return {
            "on": self.state["on"],
            "bri": self.state["bri"],
            "seg": [(s["col"][0], EFFECTS[s["fx"]]) for s in self.state["seg"]],
        }

    async def wait_for(self, done: Any, what: str) -> None:
        async with asyncio.timeout(60):
            while not done():
                self.changed.clear()
                await self.changed.wait()

    # -- serving ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeWled:
        app = web.Application()
        app.router.add_get("/json", self._all)
        app.router.add_get("/json/{part}", self._part)
        app.router.add_post("/json", self._post)
        app.router.add_post("/json/state", self._post)
        app.router.add_get("/presets.json", self._presets)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _info(self) -> dict[str, Any]:
        return {
            "ver": "0.15.0", "vid": 2412100, "cn": "Kōsen", "release": "ESP32",
            "leds": {"count": 60, "pwr": 0, "fps": 42, "maxpwr": 850, "maxseg": 32,
                     "seglc": [1, 1], "lc": 1, "rgbw": False, "wv": 0, "cct": 0},
            "str": False, "name": "Desk strip", "udpport": 21324, "live": False,
            "liveseg": -1, "lm": "", "lip": "", "ws": -1, "fxcount": len(EFFECTS),
            "palcount": len(PALETTES), "cpalcount": 0,
            "wifi": {"bssid": "00:11:22:33:44:55", "rssi": -60, "signal": 80, "channel": 6},
            "fs": {"u": 12, "t": 983, "pmt": 1700000000}, "ndc": 0, "arch": "esp32",
            "core": "v3.3.6-16-gcc5440f6a2", "freeheap": 160000,
            "uptime": int(time.time() - self.booted), "opt": 79, "brand": "WLED",
            "product": "FOSS", "mac": "001122334455", "ip": "127.0.0.1",
        }  # fmt: skip

    def _answer(self, request: web.Request, body: Any, status: int = 200) -> web.Response:
        self.requests.append(f"{request.method} {request.path}")
        return web.Response(text=json.dumps(body), status=status, content_type="application/json")

    async def _all(self, request: web.Request) -> web.Response:
        body = {"state": self.state, "info": self._info(), "effects": EFFECTS, "palettes": PALETTES}
        return self._answer(request, body)

    async def _part(self, request: web.Request) -> web.Response:
        part = request.match_info["part"]
        parts: dict[str, Any] = {
            "state": self.state,
            "info": self._info(),
            "si": {"state": self.state, "info": self._info()},
            "eff": EFFECTS,
            "effects": EFFECTS,
            "pal": PALETTES,
            "palettes": PALETTES,
            "fxdata": [";!;" for _ in EFFECTS],
        }
        if part not in parts:
            return self._answer(request, {"error": 4}, 404)  # "not implemented" on this build
        return self._answer(request, parts[part])

    async def _presets(self, request: web.Request) -> web.Response:
        return self._answer(request, PRESETS)

    async def _post(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return self._answer(request, {"error": 9}, 400)  # WLED's "JSON parsing failed"
        if not isinstance(body, dict):
            return self._answer(request, {"error": 9}, 400)
        self.changes.append(copy.deepcopy(body))
        self._apply(body)
        self.changed.set()
        if body.get("v"):
            return self._answer(request, self.state)
        return self._answer(request, {"success": True})

    def _apply(self, body: dict[str, Any]) -> None:
        if "ps" in body and str(body["ps"]) in PRESETS:
            preset = copy.deepcopy(PRESETS[str(body["ps"])])
            preset.pop("n", None)
            self._apply(preset)
            self.state["ps"] = int(body["ps"])
            return
        manual = False
        for key in ("on", "bri", "transition"):
            if key in body:
                self.state[key] = body[key]
                manual = True
        segments = body.get("seg")
        if isinstance(segments, dict):  # an object: every selected segment
            segments = [segments | {"id": s["id"]} for s in self.state["seg"] if s["sel"]]
        for i, change in enumerate(segments or []):
            seg_id = change.get("id", i)
            target = next((s for s in self.state["seg"] if s["id"] == seg_id), None)
            if target is None:
                continue
            for key, value in change.items():
                if key == "col":  # colours given replace those from the first on
                    for n, colour in enumerate(value):
                        target["col"][n] = list(colour)
                elif key != "id":
                    target[key] = value
            manual = True
        if manual:
            self.state["ps"] = -1  # a change by hand leaves the preset

"""The ``light`` action: a WLED strip or a Philips Hue light, room or scene of ``devices:``
(docs/devices.md). Colour, brightness, effect, a WLED preset or a Hue scene, for good or for
``duration`` (then the light goes back to what it showed). Nothing here is a template: a
viewer never picks the light, its colour or its scene. Not kept across a restart: an alert
from before it is stale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livetrigger import events as ev
from livetrigger.actions.device import (
    MAX_DURATION,
    DeviceRequest,
    check_device,
    not_a_template,
    open_devices,
)
from livetrigger.actions.kind import ActionKind, CompileContext, CompiledAction, Context
from livetrigger.actions.outlet import Outlet, OutletContext
from livetrigger.devices.light import LightCommand, parse_brightness, parse_color
from livetrigger.settings import key

DEVICE_KINDS = ("wled", "hue")
_COMMENT = '`color` is empty: in YAML a # starts a comment, so quote the colour: color: "#ff8800"'


@dataclass(frozen=True, slots=True, kw_only=True)
class LightRequest(DeviceRequest):
    """One alert for one light: ``command`` is a ``LightCommand``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LightAction:
    """Drive a light of ``devices:`` (a ``wled`` or ``hue`` device)."""

    device: str
    on: bool = key(True, doc="false switches the light off (nothing else may be given)")
    color: str | None = key(
        "", doc='"#rrggbb" (quoted: YAML reads # as a comment) or a name: red, orange, ...'
    )
    brightness: int | str | None = key(
        None, doc="a percentage like 80%, or a whole number 0-255 (WLED's scale)"
    )
    effect: str | None = key(None, doc="a WLED effect (Fireworks) or a Hue effect (candle)")
    preset: int | str | None = key(
        None, low=1, high=250, doc="a WLED preset: its number or its name"
    )
    scene: str | None = key(None, doc="a Hue scene, by name")
    transition: float | None = key(None, low=0.0, high=60.0, doc="fade into the alert")
    duration: float | None = key(
        None, above=0, high=MAX_DURATION, doc="then back to what the light showed before"
    )

    def mistake(self) -> str | None:
        given = [
            k
            for k, v in (
                ("color", self.color),
                ("brightness", self.brightness),
                ("effect", self.effect),
                ("preset", self.preset),
                ("scene", self.scene),
            )
            if v
        ]
        if not self.on and given:
            return f"`on: false` switches the light off: drop {', '.join(given)}"
        if self.preset is not None and self.scene is not None:
            return "give a preset (WLED) or a scene (Hue), not both"
        show = "preset" if self.preset is not None else "scene" if self.scene else ""
        clash = [k for k in ("color", "effect") if k in given]
        if show and clash:
            return f"a {show} brings its own colours and effects: drop {' and '.join(clash)}"
        return None


class Light:
    """Drive a WLED strip or a Hue light, room or scene."""

    name = "light"
    schema = LightAction
    shorthand = None
    request = LightRequest
    outbox = None

    def compile(self, entry: LightAction, ctx: CompileContext) -> CompiledAction | None:
        kind = check_device(ctx, entry.device, "light", DEVICE_KINDS)
        if kind is None:
            return None
        words = (("effect", entry.effect, "effect"), ("scene", entry.scene, "scene"))
        for name, value, what in (*words, ("preset", str(entry.preset or ""), "preset")):
            if value:
                not_a_template(ctx, value, name, what)
        rgb = None
        if entry.color is None:
            ctx.problem(_COMMENT, "color")
        elif entry.color:
            parsed = parse_color(entry.color)
            if isinstance(parsed, str):
                ctx.problem(parsed, "color")
            else:
                rgb = parsed
        percent = None
        if entry.brightness is not None:
            level = parse_brightness(entry.brightness)
            if isinstance(level, str):
                ctx.problem(level, "brightness")
            else:
                percent = level
        if kind == "hue" and entry.preset is not None:
            ctx.problem("`preset` is WLED's: a Hue device recalls a `scene`", "preset")
        if kind == "wled" and entry.scene is not None:
            ctx.problem("`scene` is Hue's: a WLED device takes a `preset`", "scene")
        if ctx.failed:
            return None
        command = LightCommand(
            on=entry.on,
            rgb=rgb,
            brightness=percent,
            effect=entry.effect or None,
            preset=None if entry.preset is None else str(entry.preset),
            scene=entry.scene or None,
            transition=entry.transition,
        )
        device, duration = entry.device, entry.duration

        def build_light(c: Context, rule: str, room: str, event: ev.Event) -> LightRequest:
            return LightRequest(
                rule_id=rule,
                room=room,
                event=event,
                device=device,
                command=command,
                duration=duration,
            )

        hint = f"light {device} {command.describe()}" + _for(duration)
        return CompiledAction("light", hint, build_light)

    def describe(self, request: LightRequest) -> str:
        command: LightCommand = request.command
        return f"light {request.device} {command.describe()}" + _for(request.duration)

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        """The generic device outlet for the config's wled and hue devices."""
        return open_devices(config, DEVICE_KINDS)


def _for(duration: float | None) -> str:
    return f" for {duration:g}s" if duration else ""


KIND: ActionKind[LightAction, LightRequest] = Light()  # mypy checks it against the seam

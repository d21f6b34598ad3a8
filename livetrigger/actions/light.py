"""The ``light`` action: a WLED strip or a Philips Hue light, room or scene of ``devices:``
(docs/devices.md). Colour, brightness, effect, a WLED preset or a Hue scene, for good or for
``duration`` (then the light goes back to what it showed). Nothing here is a template: a
viewer never picks the light, its colour or its scene. Not kept across a restart: an alert
from before it is stale."""

from __future__ import annotations

from dataclasses import dataclass

from livetrigger.actions.device import (
    MAX_DURATION,
    Alert,
    DeviceActionKind,
    DeviceRequest,
    held,
    not_a_template,
)
from livetrigger.actions.kind import ActionKind, CompileContext
from livetrigger.devices.base import Name
from livetrigger.devices.light import LightCommand, parse_brightness, parse_color
from livetrigger.settings import key

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


def alert(entry: LightAction, ctx: CompileContext, kind: str | None) -> Alert | None:
    if kind is None:
        return None
    words = (("effect", entry.effect), ("scene", entry.scene), ("preset", str(entry.preset or "")))
    for name, value in words:
        if value:
            not_a_template(ctx, value, name)
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
    names = tuple(
        Name(what, value)
        for what, value in (
            ("effect", command.effect),
            ("preset", command.preset),
            ("scene", command.scene),
        )
        if value
    )
    hint = command.describe() + held(entry.duration)
    return Alert(lambda c: command, hint, entry.duration, names)


def shown(request: LightRequest) -> str:
    command: LightCommand = request.command
    return command.describe() + held(request.duration)


KIND: ActionKind[LightAction, LightRequest] = DeviceActionKind(  # mypy checks it against the seam
    name="light",
    schema=LightAction,
    request=LightRequest,
    kinds=("wled", "hue"),
    alert=alert,
    shown=shown,
)

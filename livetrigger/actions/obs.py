"""The ``obs`` action: drive OBS Studio through an ``obs`` device (docs/devices.md): switch
the program scene, show or hide a source, set a text source's text, or enable a filter, for
a ``duration`` after which it goes back. Scene, source and filter names are fixed in the
file (a viewer never picks them); a text's value may be a template and is set as one value.
Not kept across a restart: an alert from before it is stale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livetrigger.actions.device import (
    MAX_DURATION,
    Alert,
    DeviceActionKind,
    DeviceRequest,
    held,
    not_a_template,
)
from livetrigger.actions.kind import ActionKind, CompileContext, Context, TextTemplate
from livetrigger.devices.base import Name
from livetrigger.devices.obs import FilterEnabled, SceneSwitch, SourceVisible, TextSet
from livetrigger.settings import key

MAX_TEXT = 1000  # characters of a rendered text: an overlay line, not a document
FORMS = "give one of `scene`, `source`, `text` or `filter`"


@dataclass(frozen=True, slots=True, kw_only=True)
class ObsAlert(DeviceRequest):
    """One change to one OBS (``command`` is a ``devices.obs`` command)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ObsText:
    """A text source's new text."""

    source: str = key(doc="a Text (GDI+) or Text (FreeType 2) source; not a template")
    value: str = key(doc="its text; may be a template, set as one value")


@dataclass(frozen=True, slots=True, kw_only=True)
class ObsFilter:
    """A filter to enable or disable."""

    source: str = key(doc="the source or scene the filter is on; not a template")
    name: str = key(doc="the filter's name in OBS; not a template")
    enabled: bool = key(True, doc="true: on; false: off")


@dataclass(frozen=True, slots=True, kw_only=True)
class ObsAction:
    """Change OBS Studio through an obs device of ``devices:``."""

    device: str = key(doc="an obs device of `devices:`")
    scene: str | None = key(None, doc="make this the program scene; not a template")
    source: str | None = key(None, doc="show or hide this source; not a template")
    visible: bool | None = key(None, doc="with `source`: true shows it (default), false hides")
    in_scene: str | None = key(None, doc="with `source`: the scene it is in (default: on air)")
    text: ObsText | None = key(None, doc="set a text source's text")
    filter: ObsFilter | None = key(None, doc="enable or disable a source's filter")
    duration: float | None = key(
        None, above=0, high=MAX_DURATION, doc="then back to the state before the alert"
    )


def alert(entry: ObsAction, ctx: CompileContext, kind: str | None) -> Alert | None:
    given = [k for k in ("scene", "source", "text", "filter") if getattr(entry, k) is not None]
    if len(given) != 1:
        ctx.problem(FORMS + (f" (got {', '.join(given)})" if given else ""))
    if entry.source is None:
        for k in ("visible", "in_scene"):
            if getattr(entry, k) is not None:
                ctx.problem(f"`{k}` goes with `source`", k)
    for k, what in (("scene", "scene"), ("source", "source"), ("in_scene", "scene")):
        name = getattr(entry, k)
        if name is not None:
            _named(ctx, name, (k,), what)
    value: TextTemplate | None = None
    if entry.text is not None:
        _named(ctx, entry.text.source, ("text", "source"), "source")
        value = ctx.text(entry.text.value, "text")
    if entry.filter is not None:
        _named(ctx, entry.filter.source, ("filter", "source"), "source")
        _named(ctx, entry.filter.name, ("filter", "name"), "filter")
    if ctx.failed:
        return None
    fixed, text = _command(entry), entry.text

    def command(c: Context) -> Any:
        if value is None or text is None:
            return fixed
        return TextSet(text.source, value.render(c)[:MAX_TEXT])

    hint = _shown(fixed if fixed is not None else entry.text, entry.duration)
    return Alert(command, hint, entry.duration, _names(entry))


def _names(entry: ObsAction) -> tuple[Name, ...]:
    """What OBS must have for the alert: the start-up probe checks them."""
    names: list[Name] = []
    if entry.scene is not None:
        names.append(Name("scene", entry.scene))
    if entry.source is not None:
        if entry.in_scene is not None:
            names.append(Name("scene", entry.in_scene))
        names.append(Name("source", entry.source, entry.in_scene))
    if entry.text is not None:
        names.append(Name("source", entry.text.source))
    if entry.filter is not None:
        names.append(Name("source", entry.filter.source))
        names.append(Name("filter", entry.filter.name, entry.filter.source))
    return tuple(names)


def _named(ctx: CompileContext, value: str, keys: tuple[str, ...], what: str) -> None:
    """A name OBS knows (a scene, a source, a filter): never a template, never empty."""
    if not_a_template(ctx, value, *keys, what=what) and not value.strip():
        ctx.problem(f"name the {what} as OBS shows it", *keys)


def _command(entry: ObsAction) -> SceneSwitch | SourceVisible | FilterEnabled | None:
    """The command when nothing in it is rendered per firing (all but a text)."""
    if entry.scene is not None:
        return SceneSwitch(entry.scene)
    if entry.source is not None:
        visible = True if entry.visible is None else entry.visible
        return SourceVisible(entry.source, visible, entry.in_scene)
    if entry.filter is not None:
        f = entry.filter
        return FilterEnabled(f.source, f.name, f.enabled)
    return None


def _shown(command: Any, duration: float | None) -> str:
    match command:
        case SceneSwitch(scene):
            what = f"scene {scene!r}"
        case SourceVisible(source, visible, scene):
            where = f" in {scene!r}" if scene else ""
            what = f"source {source!r}{where} {'shown' if visible else 'hidden'}"
        case TextSet(source, value):
            what = f"text {source!r} = {value[:60]!r}"
        case ObsText(source=source, value=value):
            what = f"text {source!r} = {value[:60]!r}"
        case FilterEnabled(source, name, enabled):
            what = f"filter {name!r} of {source!r} {'on' if enabled else 'off'}"
        case _:
            what = repr(command)
    return what + held(duration)


KIND: ActionKind[ObsAction, ObsAlert] = DeviceActionKind(  # mypy checks it against the seam
    name="obs",
    schema=ObsAction,
    request=ObsAlert,
    kinds=("obs",),
    alert=alert,
    shown=lambda request: _shown(request.command, request.duration),
)

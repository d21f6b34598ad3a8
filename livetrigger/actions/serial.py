"""The ``serial`` action: send one line to a ``serial`` device (docs/devices.md),
``- serial: {device: arduino, line: "GIFT {{ total_diamonds }}"}``; with ``duration``, the
``after`` line follows when it ends.

The line is a template, and a viewer's text must never become a second command: every
control character in the rendered line (CR, LF, tab, ESC, DEL, C1, U+2028/2029) is written
as its escape (``\\n`` as the two characters ``\\`` ``n``), so the device always reads exactly
one line, and what the viewer tried stays visible in it. The config's own text may hold no
line break (one action, one line). The device cuts a line to its ``max_line`` bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livetrigger import events as ev
from livetrigger.actions.device import MAX_DURATION, DeviceRequest, check_device, open_devices
from livetrigger.actions.kind import (
    ActionKind,
    CompileContext,
    CompiledAction,
    Context,
)
from livetrigger.actions.outlet import Outlet, OutletContext
from livetrigger.actions.shared import short, template_hint
from livetrigger.devices.serial import SerialLine
from livetrigger.settings import key
from livetrigger.text.printable import escape_controls

_DEVICE_KINDS = ("serial",)


@dataclass(frozen=True, slots=True, kw_only=True)
class SerialSend(DeviceRequest):
    """One line for a serial device (its ``command`` is a ``SerialLine``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SerialAction:
    device: str
    line: str = key(doc="the line sent (a template; control characters are escaped)")
    duration: float | None = key(
        None, low=0.0, high=MAX_DURATION, doc="holds the device, then sends `after`"
    )
    after: str | None = key(None, doc="the line sent when `duration` ends (e.g. OFF)")


def one_line(text: str) -> str:
    """``text`` as one line: its control characters escaped (a viewer's ``\\n`` arrives as
    backslash and ``n``, never as a line break)."""
    return escape_controls(text)


class Serial:
    """Send a line to a serial device."""

    name = "serial"
    schema = SerialAction
    shorthand = None
    request = SerialSend
    outbox = None

    def compile(self, entry: SerialAction, ctx: CompileContext) -> CompiledAction | None:
        check_device(ctx, entry.device, "serial", _DEVICE_KINDS)
        for field in ("line", "after"):
            text = getattr(entry, field)
            if text is not None and one_line(text) != text:
                ctx.problem(
                    "one line: no line breaks or other control characters "
                    "(send two lines with two actions)",
                    field,
                )
        if entry.after is not None and not entry.duration:
            ctx.problem("`after` is sent when `duration` ends: give `duration`", "after")
        line = ctx.text(entry.line, "line")
        after = ctx.text(entry.after, "after") if entry.after is not None else None
        if ctx.failed or line is None:
            return None
        device, duration = entry.device, entry.duration or None

        def build(c: Context, rule: str, room: str, event: ev.Event) -> SerialSend:
            assert line is not None
            command = SerialLine(
                one_line(line.render(c)),
                None if after is None else one_line(after.render(c)),
            )
            return SerialSend(
                rule_id=rule,
                room=room,
                event=event,
                device=device,
                command=command,
                duration=duration,
            )

        hint = f"serial {device} {template_hint(entry.line)}"
        if entry.after is not None:
            hint += f", then {template_hint(entry.after)}"
        return CompiledAction("serial", hint, build)

    def describe(self, request: SerialSend) -> str:
        command: SerialLine = request.command
        text = f"serial {request.device} {short(command.line)}"
        if request.duration and command.after is not None:
            text += f" for {request.duration:g}s, then {short(command.after)}"
        return text

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        return open_devices(config, _DEVICE_KINDS)


KIND: ActionKind[SerialAction, SerialSend] = Serial()  # mypy checks it against the seam

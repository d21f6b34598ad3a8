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

from livetrigger.actions.device import MAX_DURATION, Alert, DeviceActionKind, DeviceRequest, held
from livetrigger.actions.kind import ActionKind, CompileContext, Context
from livetrigger.actions.shared import short, template_hint
from livetrigger.devices.serial import SerialLine
from livetrigger.settings import key
from livetrigger.text.printable import escape_controls


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


def alert(entry: SerialAction, ctx: CompileContext, kind: str | None) -> Alert | None:
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

    def command(c: Context) -> SerialLine:
        assert line is not None
        return SerialLine(
            one_line(line.render(c)), None if after is None else one_line(after.render(c))
        )

    hint = template_hint(entry.line)
    if entry.after is not None:
        hint += f", then {template_hint(entry.after)}"
    return Alert(command, hint, entry.duration or None)


def shown(request: SerialSend) -> str:
    command: SerialLine = request.command
    text = short(command.line)
    if request.duration and command.after is not None:
        text += f"{held(request.duration)}, then {short(command.after)}"
    return text


KIND: ActionKind[SerialAction, SerialSend] = DeviceActionKind(  # mypy checks it against the seam
    name="serial",
    schema=SerialAction,
    request=SerialSend,
    kinds=("serial",),
    alert=alert,
    shown=shown,
)

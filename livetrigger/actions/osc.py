"""The ``osc`` action: send one OSC message to an ``osc`` device (docs/devices.md). The
address is fixed in the file; each argument is one OSC argument, and a template argument
renders to one string, whatever a viewer wrote. Not kept across a restart."""

from __future__ import annotations

import re
from dataclasses import dataclass

from livetrigger.actions.device import Alert, DeviceActionKind, DeviceRequest, not_a_template
from livetrigger.actions.kind import ActionKind, CompileContext, Context, TextTemplate
from livetrigger.devices.osc import FLOAT32_MAX, INT32, OscCommand
from livetrigger.settings import key

# an OSC address: `/` and printable ASCII parts, no space, `#` or `,` (OSC 1.0)
ADDRESS = re.compile(r"^(/[!-~]+)+$")
MAX_ARG = 1000  # characters of a rendered argument: a message fits one datagram

Arg = str | int | float | bool


@dataclass(frozen=True, slots=True, kw_only=True)
class OscSend(DeviceRequest):
    """One message to one OSC device (``command`` is an ``OscCommand``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OscAction:
    """Send one OSC message to a device from ``devices:``."""

    device: str = key(doc="an osc device of `devices:`")
    address: str = key(doc="like /cue/go; not a template")
    args: list[str | int | float | bool] = key(
        [],
        number=True,  # a float is a value (a pan of -0.5), not a duration
        doc="each one OSC argument (an int32, a float32, true or false, or text); text may be"
        " a template, sent as one string",
    )


def alert(entry: OscAction, ctx: CompileContext, kind: str | None) -> Alert | None:
    if not_a_template(ctx, entry.address, "address") and (
        not ADDRESS.match(entry.address) or "#" in entry.address or "," in entry.address
    ):
        ctx.problem(
            "an OSC address starts with / and has no spaces, # or commas, like /cue/go",
            "address",
        )
    args: list[Arg | TextTemplate] = []
    for i, arg in enumerate(entry.args):
        if isinstance(arg, int) and not isinstance(arg, bool) and not INT32[0] <= arg <= INT32[1]:
            ctx.problem(f"an int argument is an int32, from {INT32[0]} to {INT32[1]}", "args", i)
        elif isinstance(arg, float) and abs(arg) > FLOAT32_MAX:
            ctx.problem(
                f"a float argument is a float32, at most {FLOAT32_MAX:.2g} either side of 0",
                "args",
                i,
            )
        elif isinstance(arg, str) and ("{{" in arg or "{%" in arg):
            template = ctx.text(arg, "args")
            if template is not None:
                args.append(template)
        else:
            args.append(arg)
    if ctx.failed:
        return None
    address = entry.address

    def command(c: Context) -> OscCommand:
        values = tuple(a.render(c)[:MAX_ARG] if not isinstance(a, Arg) else a for a in args)
        return OscCommand(address, values)

    return Alert(command, address + "".join(f" {a!r}" for a in entry.args))


def shown(request: OscSend) -> str:
    command: OscCommand = request.command
    return command.address + "".join(f" {a!r}" for a in command.args)


KIND: ActionKind[OscAction, OscSend] = DeviceActionKind(  # mypy checks it against the seam
    name="osc",
    schema=OscAction,
    request=OscSend,
    kinds=("osc",),
    alert=alert,
    shown=shown,
)

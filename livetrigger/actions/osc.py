"""The ``osc`` action: send one OSC message to an ``osc`` device (docs/devices.md). The
address is fixed in the file; each argument is one OSC argument, and a template argument
renders to one string, whatever a viewer wrote. Not kept across a restart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from livetrigger import events as ev
from livetrigger.actions.device import DeviceRequest, check_device, not_a_template, open_devices
from livetrigger.actions.kind import (
    ActionKind,
    CompileContext,
    CompiledAction,
    Context,
    TextTemplate,
)
from livetrigger.actions.outlet import Outlet, OutletContext
from livetrigger.devices.osc import OscCommand
from livetrigger.settings import key

DEVICE_KINDS = ("osc",)
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
        [], doc="each one OSC argument; text may be a template, sent as one string"
    )


class Osc:
    """Send an OSC message."""

    name = "osc"
    schema = OscAction
    shorthand = None
    request = OscSend
    outbox = None

    def compile(self, entry: OscAction, ctx: CompileContext) -> CompiledAction | None:
        check_device(ctx, entry.device, self.name, DEVICE_KINDS)
        if not_a_template(ctx, entry.address, "address", "address") and (
            not ADDRESS.match(entry.address) or "#" in entry.address or "," in entry.address
        ):
            ctx.problem(
                "an OSC address starts with / and has no spaces, # or commas, like /cue/go",
                "address",
            )
        args: list[Arg | TextTemplate] = []
        for arg in entry.args:
            if isinstance(arg, str) and ("{{" in arg or "{%" in arg):
                template = ctx.text(arg, "args")
                if template is not None:
                    args.append(template)
            else:
                args.append(arg)
        if ctx.failed:
            return None
        device, address = entry.device, entry.address

        def build_osc(c: Context, rule: str, room: str, event: ev.Event) -> OscSend:
            values = tuple(a.render(c)[:MAX_ARG] if not isinstance(a, Arg) else a for a in args)
            return OscSend(
                rule_id=rule,
                room=room,
                event=event,
                device=device,
                command=OscCommand(address, values),
            )

        hint = f"osc {device} {address}" + "".join(f" {a!r}" for a in entry.args)
        return CompiledAction(self.name, hint, build_osc)

    def describe(self, request: OscSend) -> str:
        args = "".join(f" {a!r}" for a in request.command.args)
        return f"osc {request.device} {request.command.address}{args}"

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        """The config's osc devices, or None."""
        return open_devices(config, DEVICE_KINDS)


KIND: ActionKind[OscAction, OscSend] = Osc()  # mypy checks it against the seam

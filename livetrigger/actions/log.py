"""The ``log`` action: write a line to the log. It is the dry-run sink of ``simulate`` and
``replay``; ``- log: "text"`` is short for ``- log: {message: "text"}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from livetrigger import events as ev
from livetrigger.actions.kind import (
    ActionKind,
    ActionRequest,
    CompileContext,
    CompiledAction,
    Context,
)
from livetrigger.actions.outlet import Outlet, OutletContext, SimpleOutlet
from livetrigger.actions.shared import short, template_hint


@dataclass(frozen=True, slots=True, kw_only=True)
class LogMessage(ActionRequest):
    """Write a line to the log: the dry-run sink of ``simulate`` and ``replay``."""

    message: str
    level: Literal["debug", "info", "warning", "error"] = "info"

    @property
    def target(self) -> str:
        return "log"


@dataclass(frozen=True, slots=True, kw_only=True)
class LogAction:
    message: str
    level: Literal["debug", "info", "warning", "error"] = "info"


class Log:
    """Write a line to livetrigger's log."""

    name = "log"
    schema = LogAction
    shorthand = "message"
    request = LogMessage
    outbox = None

    def compile(self, entry: LogAction, ctx: CompileContext) -> CompiledAction | None:
        msg = ctx.text(entry.message, "message")
        if msg is None:
            return None
        level = entry.level

        def build_log(ctx: Context, rule: str, room: str, event: ev.Event) -> ActionRequest:
            assert msg is not None
            return LogMessage(
                rule_id=rule, room=room, event=event, message=msg.render(ctx), level=level
            )

        return CompiledAction("log", f"log {template_hint(entry.message)}", build_log)

    def describe(self, request: LogMessage) -> str:
        return f"log {short(request.message, 200)}"

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        """The log sink, always there (simulate and replay print through it too)."""
        from livetrigger.actions.sinks.log import LogSink  # noqa: PLC0415

        return SimpleOutlet("log", LogSink(echo=ctx.on_log_line))


KIND: ActionKind[LogAction, LogMessage] = Log()  # mypy checks it against the seam

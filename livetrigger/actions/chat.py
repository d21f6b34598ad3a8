"""The ``chat`` action: send a message to the room's chat (needs a session id; rate-limited
per room). ``- chat: "text"`` is short for ``- chat: {text: "text"}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
class ChatSend(ActionRequest):
    """Send a chat message to the room (needs a session id; rate-limited per room)."""

    text: str

    @property
    def target(self) -> str:
        return f"chat:{self.room}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatAction:
    text: str


class Chat:
    """Say something in the room's chat."""

    name = "chat"
    schema = ChatAction
    shorthand = "text"
    request = ChatSend
    outbox = None

    def compile(self, entry: ChatAction, ctx: CompileContext) -> CompiledAction | None:
        if ctx.targets.chat_missing:  # else every firing fails at run time
            ctx.problem(f"a chat action {ctx.targets.chat_missing}")
        chat_text = ctx.text(entry.text, "text")
        if chat_text is None or ctx.failed:
            return None

        def build_chat(ctx: Context, rule: str, room: str, event: ev.Event) -> ActionRequest:
            assert chat_text is not None
            return ChatSend(rule_id=rule, room=room, event=event, text=chat_text.render(ctx)[:150])

        return CompiledAction("chat", f"chat {template_hint(entry.text)}", build_chat)

    def describe(self, request: ChatSend) -> str:
        return f"chat {short(request.text)}"

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        """The chat sink, posting through the room's source."""
        from livetrigger.actions.sinks.chat import ChatSink  # noqa: PLC0415

        if ctx.send_chat is None:
            return None
        return SimpleOutlet("chat", ChatSink(ctx.send_chat))


KIND: ActionKind[ChatAction, ChatSend] = Chat()  # mypy checks it against the seam

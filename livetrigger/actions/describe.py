"""One readable line per action request: what `simulate`, `replay`, the log sink and the demo
print. Payloads are shortened; nothing here is parsed back."""

from __future__ import annotations

from livetrigger import actions as act
from livetrigger.text.printable import escape_controls


def _short(data: bytes | str, limit: int = 120) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = escape_controls(text)  # viewer text: one line, no terminal escapes
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(request: act.ActionRequest) -> str:
    if isinstance(request, act.MqttPublish):
        flags = f"qos={request.qos}" + (" retain" if request.retain else "")
        return f"mqtt {request.topic} {_short(request.payload)} ({flags})"
    if isinstance(request, act.GpioCommand):
        extra = ""
        if request.verb in ("pulse", "tone", "fade") and request.duration is not None:
            extra = f" {request.duration:g}s"
        elif request.verb in ("blink", "beep"):
            n = "∞" if request.count is None else str(request.count)
            extra = f" {request.on_time:g}s/{request.off_time:g}s ×{n}"
        elif request.verb == "pwm":
            extra = f" {request.value:g}"
        return f"gpio {request.output} {request.verb}{extra}"
    if isinstance(request, act.HttpCall):
        method = f"{request.method} " if request.method else ""
        return f"webhook {request.endpoint}{request.path} {method}{_short(request.body)}"
    if isinstance(request, act.ChatSend):
        return f"chat {_short(request.text)}"
    if isinstance(request, act.LogMessage):
        return f"log {_short(request.message, 200)}"
    return type(request).__name__

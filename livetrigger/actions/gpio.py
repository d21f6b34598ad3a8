"""The ``gpio`` action: drive a named output (docs/actions.md). Not kept across a restart: a
lamp pulse from before it is stale."""

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
    RenderError,
)
from livetrigger.actions.outlet import Outlet, OutletContext, QueuePolicy, Sink
from livetrigger.settings import key
from livetrigger.text.suggest import suggest

GpioVerb = Literal["on", "off", "toggle", "pulse", "blink", "pwm", "fade", "beep", "tone"]
GPIO_VERBS = ("on", "off", "toggle", "pulse", "blink", "pwm", "fade", "beep", "tone")
_BLINK = "a faster blink is a buzz: use pwm"


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioCommand(ActionRequest):
    """One command for one named output. Times are seconds.

    ``pulse``: on for ``duration``; ``blink``: ``on_time``/``off_time`` × ``count`` (None:
    until the next command); ``pwm``: brightness ``value`` 0..1; ``fade``: to ``value`` over
    ``duration``; ``beep``: a buzzer pattern like blink; ``tone``: ``frequency`` Hz for
    ``duration``. ``overlap`` overrides the output's policy for this command.
    """

    output: str
    verb: GpioVerb
    duration: float | None = None
    on_time: float = 0.5
    off_time: float = 0.5
    count: int | None = None
    value: float = 1.0
    frequency: float | None = None
    overlap: Literal["restart", "extend", "ignore"] | None = None

    @property
    def target(self) -> str:
        return f"gpio:{self.output}"


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioAction:
    """Drive a named output from ``gpio.outputs``."""

    output: str
    action: str = key(
        "pulse",
        doc="on, off, toggle, pulse, blink, pwm, fade, beep, tone; or a template that "
        "renders to one of them, like '{{ args.state }}'",
    )
    duration: float | None = None
    on_time: float = key(0.5, low=0.01, why=_BLINK)
    off_time: float = key(0.5, low=0.01, why=_BLINK)
    count: int | None = key(None, low=1)
    value: float = key(1.0, low=0.0, high=1.0, number=True)
    frequency: float | None = key(None, above=0, number=True)
    overlap: Literal["restart", "extend", "ignore"] | None = None

    def mistake(self) -> str | None:
        if "{{" not in self.action and self.action not in GPIO_VERBS:
            return f"unknown gpio action {self.action!r}; use one of {', '.join(GPIO_VERBS)}"
        return None


class Gpio:
    """Drive an output of the ``gpio:`` section."""

    name = "gpio"
    schema = GpioAction
    shorthand = None
    request = GpioCommand
    outbox = None

    def compile(self, entry: GpioAction, ctx: CompileContext) -> CompiledAction | None:
        g = entry
        outputs = ctx.targets.gpio_outputs
        if g.output not in outputs:
            have = ", ".join(sorted(outputs)) or "none: add gpio.outputs"
            ctx.problem(
                f"unknown output `{g.output}`{suggest(g.output, outputs)} (outputs: {have})",
                "output",
            )
            return None
        verb_t = ctx.text(g.action, "action") if "{{" in g.action else None
        if "{{" in g.action and verb_t is None:
            return None
        if g.action in ("pulse", "tone") and g.duration is None:
            ctx.problem(f"`{g.action}` needs a duration, like 2s", "duration")
            return None
        if g.action == "tone" and g.frequency is None:
            ctx.problem("`tone` needs a frequency in Hz, like 440", "frequency")
            return None
        command: dict[str, Any] = {
            "output": g.output,
            "duration": g.duration,
            "on_time": g.on_time,
            "off_time": g.off_time,
            "count": g.count,
            "value": g.value,
            "frequency": g.frequency,
            "overlap": g.overlap,
        }

        static_verb = g.action

        def build_gpio(ctx: Context, rule: str, room: str, event: ev.Event) -> ActionRequest:
            verb = static_verb
            if verb_t is not None:
                verb = verb_t.render(ctx).strip().lower()
                if verb not in GPIO_VERBS or (verb in ("pulse", "tone") and not g.duration):
                    raise RenderError(f"gpio action rendered to {verb[:40]!r}")
            return GpioCommand(rule_id=rule, room=room, event=event, verb=verb, **command)  # type: ignore[arg-type]

        hint = f"gpio {g.output} {g.action}" + (f" {g.duration:g}s" if g.duration else "")
        return CompiledAction("gpio", hint, build_gpio)

    def describe(self, request: GpioCommand) -> str:
        extra = ""
        if request.verb in ("pulse", "tone", "fade") and request.duration is not None:
            extra = f" {request.duration:g}s"
        elif request.verb in ("blink", "beep"):
            n = "∞" if request.count is None else str(request.count)
            extra = f" {request.on_time:g}s/{request.off_time:g}s ×{n}"
        elif request.verb == "pwm":
            extra = f" {request.value:g}"
        return f"gpio {request.output} {request.verb}{extra}"

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        """The pins (gpiozero and its drivers load only for a config that has pins)."""
        if not (config.gpio.outputs or config.gpio.inputs):
            return None
        from livetrigger.actions.sinks.gpio import GpioSink  # noqa: PLC0415

        return _GpioOutlet(
            GpioSink(
                config.gpio,
                pin_factory=ctx.pin_factory,
                on_test_button=ctx.on_test_button,
                on_change=ctx.on_pin_change,
            )
        )


class _GpioOutlet:
    """The pins: each output its own queue; off at once at the stop."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink

    def sinks(self) -> dict[str, Sink]:
        """The one GPIO sink."""
        return {"gpio": self.sink}

    def policies(self, config: Any) -> dict[str, QueuePolicy]:
        """One queue per output, so a long blink never delays another pin."""
        return {
            f"gpio:{o.name}": QueuePolicy(size=o.queue_size, overflow=o.overflow)
            for o in config.gpio.outputs
        }

    def prepare(self, config: Any) -> None:
        """The pins first on reload: the one part that can still refuse (a pin this board
        does not have, or one another program holds), leaving the running set as it was."""
        if self.sink.settings != config.gpio:
            self.sink.reconfigure(config.gpio)

    def apply(self, config: Any) -> None:
        """Done in prepare."""
        return

    def status(self) -> dict[str, Any] | None:
        """Each output's state."""
        states: dict[str, Any] = self.sink.states()
        return states

    def safe(self) -> None:
        """Every output off, for good."""
        self.sink.shut_down()

    async def aclose(self) -> None:
        """Release the pins."""
        await self.sink.aclose()


KIND: ActionKind[GpioAction, GpioCommand] = Gpio()  # mypy checks it against the seam

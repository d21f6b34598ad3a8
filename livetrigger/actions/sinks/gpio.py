"""GPIO outputs through gpiozero: relays, lamps, buzzers, with hardware safety limits.

Patterns (pulse, blink, beep, fade, tone) run as asyncio tasks, one per output, not on
gpiozero's background threads: timings then follow the event loop and every "on" passes the
same gate, which enforces the safety limits whatever a rule asks for:

- ``max_on``: an output is forced off after this long, by a thread of its own (armed on every
  off→on), so it holds even while something blocks the event loop;
- ``min_off``: an activation sooner than this after the last "off" is refused;
- ``max_per_minute``: activations beyond this within a minute are refused;
- the kill switch (or ``pause()``) turns everything off and refuses activations until resumed;
- ``shut_down()`` (SIGTERM) turns everything off and refuses activations for good.

Refusals raise SinkError, so the dispatcher counts them; nothing is dropped silently.
``all_off()`` is synchronous and fast: it is what SIGTERM, crashes and reloads call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from gpiozero import (
    LED,
    PWMLED,
    Button,
    Buzzer,
    DigitalOutputDevice,
    Factory,
    TonalBuzzer,
)
from gpiozero.tones import Tone

from livetrigger.actions import ActionRequest, GpioCommand
from livetrigger.actions.sinks.deadlines import Deadline, Deadlines
from livetrigger.actions.sinks.pins import open_pin_factory
from livetrigger.errors import ConfigError, SinkError
from livetrigger.settings import GpioInputSettings, GpioOutputSettings, GpioSettings

log = logging.getLogger(__name__)
_T = TypeVar("_T")

FADE_STEP = 0.02


class _Output:
    def __init__(
        self,
        settings: GpioOutputSettings,
        factory: Factory,
        clock: Callable[[], float],
        deadlines: Deadlines,
        on_forced_off: Callable[[_Output], None],
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.device = _device(settings, factory)
        self.task: asyncio.Task[None] | None = None
        self.until = 0.0  # end of the running pulse (extend moves it)
        self.last_off = -1e18
        self.activations: deque[float] = deque()
        self.limited = 0
        # What the output shows outside patterns: set by on/off/toggle/pwm and fade's end, so a
        # pulse over a lamp a moderator switched on leaves it on.
        self.rest = 0.0
        # the max_on thread and the loop both switch the device: one at a time, and the
        # thread acts only on the activation it was armed for
        self.lock = threading.RLock()
        self.activation = 0
        self.deadlines = deadlines
        self.max_on_timer: Deadline | None = None
        self.on_forced_off = on_forced_off

    @property
    def value(self) -> float:
        if isinstance(self.device, TonalBuzzer):
            return 1.0 if self.device.is_active else 0.0
        return float(self.device.value)

    def write(self, value: float, *, paused: bool) -> None:
        """The one gate every change passes."""
        with self.lock:
            self._write(value, paused=paused)

    def _write(self, value: float, *, paused: bool) -> None:
        s = self.settings
        if value <= 0:
            if self.value > 0:
                self.last_off = self.clock()
            self.activation += 1
            if self.max_on_timer is not None:
                self.max_on_timer.cancel()
                self.max_on_timer = None
            _device_off(self.device)
            return
        if self.value <= 0:  # an activation: apply the limits
            if paused:
                raise SinkError(f"gpio {s.name}: outputs are paused (kill switch)")
            now = self.clock()
            if s.min_off is not None and now - self.last_off < s.min_off:
                self.limited += 1
                raise SinkError(f"gpio {s.name}: refused, min_off {s.min_off:g}s not over")
            if s.max_per_minute is not None:
                while self.activations and now - self.activations[0] >= 60.0:
                    self.activations.popleft()
                if len(self.activations) >= s.max_per_minute:
                    self.limited += 1
                    raise SinkError(f"gpio {s.name}: refused, max_per_minute {s.max_per_minute}")
            self.activations.append(now)
            self.activation += 1
            if s.max_on is not None:
                armed = self.activation
                self.max_on_timer = self.deadlines.call_later(s.max_on, lambda: self._max_on(armed))
        _device_on(self.device, value)

    def _max_on(self, armed: int) -> None:
        """On the deadline thread: the device off now, whatever the event loop is doing."""
        with self.lock:
            if self.activation != armed or self.value <= 0:
                return  # switched off (and maybe on again) since: not this timer's business
            self.max_on_timer = None
            self.limited += 1
            self.rest = 0.0  # forced off is the new resting state; a later pattern must not undo it
            self._write(0, paused=False)
        log.warning(
            "gpio %s: on for max_on %gs: forced off", self.settings.name, self.settings.max_on
        )
        self.on_forced_off(self)

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def close(self) -> None:
        self.cancel()
        with contextlib.suppress(Exception):
            self.write(0, paused=False)
        with contextlib.suppress(Exception):
            self.device.close()


def _claimed(where: str, pin: int | str, build: Callable[[], _T]) -> _T:
    """``build()`` with its pin; a pin the driver refuses is a ConfigError saying which."""
    try:
        return build()
    except Exception as exc:  # drivers raise their own types (lgpio.error, OSError, ...)
        raise ConfigError(
            f"gpio: pin {pin!r} cannot be used",
            (f"{where}: pin {pin!r} cannot be used: {exc} ({type(exc).__name__})",),
        ) from None


def _model(board: Any) -> str:
    model = getattr(board, "model", "")
    return f"Raspberry Pi {model}" if model else "board"


def _device(s: GpioOutputSettings, factory: Factory) -> Any:
    if s.kind == "tonal_buzzer":
        return TonalBuzzer(s.pin, pin_factory=factory)
    cls = {
        "digital": DigitalOutputDevice,
        "relay": DigitalOutputDevice,
        "led": LED,
        "pwm_led": PWMLED,
        "buzzer": Buzzer,
    }[s.kind]
    return cls(s.pin, active_high=s.active_high, initial_value=s.initial, pin_factory=factory)


def _device_on(device: Any, value: float) -> None:
    if isinstance(device, TonalBuzzer):
        device.play(Tone(frequency=440.0))
    elif isinstance(device, PWMLED):
        device.value = max(0.0, min(1.0, value))
    else:
        device.on()


def _device_off(device: Any) -> None:
    if isinstance(device, TonalBuzzer):
        device.stop()
    else:
        device.off()


class GpioSink:
    """The ``gpio:<output>`` targets. ``on_change(name, value)`` reports every pin change
    (the demo's live line); ``on_test_button(rule_id)`` fires when a test button is pressed."""

    def __init__(
        self,
        settings: GpioSettings,
        *,
        pin_factory: Factory | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_test_button: Callable[[str], object] | None = None,
        on_change: Callable[[str, float], None] | None = None,
    ) -> None:
        self.factory = pin_factory or open_pin_factory(settings.pin_factory)
        self._clock = clock
        self._on_test_button = on_test_button
        self._on_change = on_change
        self.paused = False
        self.final = False  # shut down: no output goes on again in this process
        self.outputs: dict[str, _Output] = {}
        self.inputs: dict[str, Button] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deadlines = Deadlines("gpio-max-on")
        self.settings: GpioSettings | None = None  # what runs: a failed reconfigure returns to it
        self.reconfigure(settings)

    # -- configuration ----------------------------------------------------------------------

    def reconfigure(self, settings: GpioSettings) -> None:
        """Apply new outputs/inputs: removed outputs are turned off and released; outputs whose
        settings changed are rebuilt (off first).

        A pin this machine cannot use (not on this board, held by another program) raises
        ConfigError naming the output and pin, and what ran before stays: names are checked
        with the board before anything changes; a pin that fails when it is claimed makes
        every output off and the previous set rebuilt."""
        problems = self._unusable(settings)
        if problems:
            raise ConfigError(f"gpio: {len(problems)} pin(s) cannot be used here", problems)
        before = self.settings
        try:
            self._configure(settings)
        except ConfigError:
            self._release()
            if before is not None:
                with contextlib.suppress(ConfigError):
                    self._configure(before)
            raise
        self.settings = settings

    def _configure(self, settings: GpioSettings) -> None:
        wanted = {o.name: o for o in settings.outputs}
        for name in list(self.outputs):
            if name not in wanted or wanted[name] != self.outputs[name].settings:
                self.outputs.pop(name).close()
                self._changed(name, 0.0)
        for button in self.inputs.values():  # first: a new output may take an input's pin
            button.close()
        self.inputs = {}
        for name, s in wanted.items():
            if name not in self.outputs:
                where = f"gpio.outputs.{name}.pin"
                self.outputs[name] = _claimed(
                    where,
                    s.pin,
                    partial(
                        _Output, s, self.factory, self._clock, self._deadlines, self._forced_off
                    ),
                )
        for i in settings.inputs:
            where = f"gpio.inputs.{i.name}.pin"
            self.inputs[i.name] = _claimed(where, i.pin, partial(self._input, i))

    def _unusable(self, settings: GpioSettings) -> tuple[str, ...]:
        board = getattr(self.factory, "board_info", None)
        to_gpio = getattr(board, "to_gpio", None)
        if to_gpio is None:  # not a Raspberry Pi factory: the device itself will say
            return ()
        pins = [(f"gpio.outputs.{o.name}.pin", o.pin) for o in settings.outputs]
        pins += [(f"gpio.inputs.{i.name}.pin", i.pin) for i in settings.inputs]
        found = []
        for where, pin in pins:
            try:
                to_gpio(pin)
            except Exception as exc:  # any refusal is "not on this board"
                found.append(f"{where}: pin {pin!r} is not on this {_model(board)}: {exc}")
        return tuple(found)

    def _release(self) -> None:
        for name, out in self.outputs.items():
            out.close()
            self._changed(name, 0.0)
        for button in self.inputs.values():
            with contextlib.suppress(Exception):
                button.close()
        self.outputs, self.inputs = {}, {}

    def _input(self, s: GpioInputSettings) -> Button:
        button = Button(
            s.pin, pull_up=s.pull_up, bounce_time=s.bounce_time or None, pin_factory=self.factory
        )
        if s.role == "kill_switch":
            button.when_pressed = lambda: self._call(lambda: self._kill_switch(s, True))
            button.when_released = lambda: self._call(lambda: self._kill_switch(s, False))
        elif s.rule is not None and self._on_test_button is not None:
            rule, fire = s.rule, self._on_test_button

            def pressed() -> None:
                log.info("gpio: test button %s (pin %s) pressed: rule %s", s.name, s.pin, rule)
                fire(rule)

            button.when_pressed = lambda: self._call(pressed)
        return button

    def _kill_switch(self, s: GpioInputSettings, held: bool) -> None:
        log.warning("gpio: kill switch %s (pin %s) %s", s.name, s.pin, "on" if held else "off")
        if held:
            self.pause()
        else:
            self.resume()

    def _call(self, fn: Callable[[], None]) -> None:
        # gpiozero calls back on its own threads; hop onto the loop
        loop = self._loop
        if loop is None or not loop.is_running():
            fn()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    # -- safety -----------------------------------------------------------------------------

    def _forced_off(self, out: _Output) -> None:
        # on the max_on thread: the pin is already off; the pattern task and the change
        # report belong to the loop, whenever it is free again
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._after_forced_off, out)

    def _after_forced_off(self, out: _Output) -> None:
        name = out.settings.name
        if self.outputs.get(name) is out:
            out.cancel()
            self._changed(name, out.value)

    def all_off(self) -> None:
        """Every output off now; patterns cancelled. Safe to call from anywhere, any time."""
        for name, out in self.outputs.items():
            out.cancel()
            out.rest = 0.0
            with contextlib.suppress(Exception):
                out.write(0, paused=False)
            self._changed(name, 0.0)

    def shut_down(self) -> None:
        """All off, for good: what is still queued or running meets a refusal, not a pin."""
        self.final = True
        self.all_off()

    def pause(self) -> None:
        if not self.paused:
            log.warning("gpio: paused, every output off")
        self.paused = True
        self.all_off()

    def resume(self) -> None:
        if self.paused:
            log.info("gpio: resumed")
        self.paused = False

    def states(self) -> dict[str, float]:
        return {name: out.value for name, out in self.outputs.items()}

    def limited(self) -> int:
        return sum(o.limited for o in self.outputs.values())

    async def aclose(self) -> None:
        self.all_off()
        for out in self.outputs.values():
            out.close()
        for button in self.inputs.values():
            button.close()
        self.outputs.clear()
        self.inputs.clear()
        self._deadlines.close()

    # -- commands ---------------------------------------------------------------------------

    async def handle(self, request: ActionRequest) -> None:
        if not isinstance(request, GpioCommand):
            raise SinkError(f"gpio sink cannot carry out {type(request).__name__}")
        self._loop = asyncio.get_running_loop()
        out = self.outputs.get(request.output)
        if out is None:
            raise SinkError(f"gpio: no output named {request.output!r}")
        verb = request.verb
        overlap = request.overlap or out.settings.overlap
        if verb in ("pulse", "blink", "beep", "fade", "tone") and out.running:
            if overlap == "ignore":
                raise SinkError(f"gpio {request.output}: busy, command ignored (overlap: ignore)")
            if overlap == "extend" and verb == "pulse" and request.duration is not None:
                out.until = max(out.until, self._clock() + request.duration)
                return
        if verb in ("on", "off", "toggle", "pwm"):
            out.cancel()
            if verb == "on":
                value = request.value if out.settings.kind == "pwm_led" else 1.0
            elif verb == "off":
                value = 0.0
            elif verb == "toggle":
                value = 0.0 if out.value > 0 else 1.0
            else:
                value = request.value
            self._set(out, value)
            out.rest = value
        else:
            out.cancel()
            self._set(out, self._first_value(request, out))  # the first step now: no task latency
            if verb == "pulse":
                # its end is fixed now, so an extend before the task runs counts; and from after
                # the pin went on, so a pulse is never shorter than asked (a loaded run saw
                # 0.989 s of a 1 s pulse when the end was fixed before the pin was written)
                out.until = self._clock() + (request.duration or 0.0)
            out.task = asyncio.get_running_loop().create_task(self._pattern(out, request))

    def _first_value(self, request: GpioCommand, out: _Output) -> float:
        if request.verb == "fade":
            return out.value
        return 1.0

    def _set(self, out: _Output, value: float) -> None:
        if self.final and value > 0:
            raise SinkError(f"gpio {out.settings.name}: shutting down, every output stays off")
        out.write(value, paused=self.paused)
        self._changed(out.settings.name, out.value)

    def _changed(self, name: str, value: float) -> None:
        if self._on_change is not None:
            self._on_change(name, value)

    async def _pattern(self, out: _Output, r: GpioCommand) -> None:
        try:
            if r.verb == "pulse":
                while (left := out.until - self._clock()) > 0:
                    await asyncio.sleep(left)
                self._set(out, out.rest)
            elif r.verb in ("blink", "beep"):
                n = 0
                while True:
                    await asyncio.sleep(r.on_time)
                    self._set(out, 0.0)
                    n += 1
                    if r.count is not None and n >= r.count:
                        self._set(out, out.rest)
                        break
                    await asyncio.sleep(r.off_time)
                    self._set(out, 1.0)
            elif r.verb == "tone":
                if isinstance(out.device, TonalBuzzer) and r.frequency:
                    out.device.play(Tone(frequency=r.frequency))
                await asyncio.sleep(r.duration or 0.0)
                self._set(out, out.rest)
            elif r.verb == "fade":
                start, end = out.value, r.value
                steps = max(1, int((r.duration or 0.0) / FADE_STEP))
                for i in range(1, steps + 1):
                    await asyncio.sleep(FADE_STEP)
                    self._set(out, start + (end - start) * i / steps)
                out.rest = end
        except SinkError as exc:
            log.warning("%s", exc)

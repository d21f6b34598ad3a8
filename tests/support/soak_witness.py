"""What the soak's daemon did at its webhook and GPIO targets, read from outside its process.

- Webhook: a real HTTP server (``WebhookReceiver``) gets each call; the body names the trigger
  (``{"trigger": "u<N> <count>"}``), so doubles and losses are counted where they land, in
  the order they landed. A call answered 5xx or 429 (the soak's endpoint trouble) was not
  taken and is counted apart; so is one whose HMAC signature does not check out.
- GPIO: the daemon runs in a subprocess on MockFactory pins, so no pin is visible from here.
  Two records are: its firing log (``livetrigger.firings``: one line per firing, written when
  the pulse was carried out, naming the viewer and the outcome) gives which trigger pulsed and
  in what order; the pin log of ``tests.support.daemon_main`` (every change, the value read
  back from the mock pin) gives how many times the lamp was really switched on. The two must
  agree, so a firing logged "ok" that never reached the pin shows up.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from livetrigger.simulator.webhook_receiver import WebhookReceiver

WEBHOOK = "http:rx"
GPIO = "gpio:lamp"
# "room soak_streamer: rule pulse fired (gift Rose ×3 from @u7): gpio:lamp ok 0.2 ms"
_FIRING = re.compile(
    r"rule (?:pulse|hook) fired \(gift \w+(?: ×(\d+))? from @(u\d+)\): (gpio:lamp|http:rx) (\w+)"
)


class FileTail:
    """The complete lines another process appended to a file since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.rest = b""

    def lines(self) -> list[str]:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        *complete, self.rest = (self.rest + data).split(b"\n")
        return [line.decode("utf-8", "replace") for line in complete]


@dataclass
class GpioWitness:
    """The lamp's pulses; and, for both targets, the firings the daemon gave up on (failed or
    dropped: logged, so a restart after them does not make them "may be lost")."""

    log: FileTail
    pins: FileTail
    output: str = "lamp"
    pulsed: list[str] = field(default_factory=list)  # triggers whose pulse went ok, in order
    failed: dict[str, list[str]] = field(
        default_factory=lambda: {GPIO: [], WEBHOOK: []}
    )  # target -> triggers, in order
    switched_on: int = 0  # pin changes to on, read back from the mock pin

    def read(self) -> None:
        for line in self.log.lines():
            if m := _FIRING.search(line):
                trigger, target, outcome = f"{m[2]} {m[1] or 1}", m[3], m[4]
                if outcome != "ok":
                    self.failed[target].append(trigger)
                elif target == GPIO:
                    self.pulsed.append(trigger)
        for line in self.pins.lines():
            parts = line.split()  # WALL NAME VALUE MONOTONIC
            if len(parts) == 4 and parts[1] == self.output and float(parts[2]) > 0:
                self.switched_on += 1


class WebhookWitness:
    def __init__(self, secret: str) -> None:
        self.receiver = WebhookReceiver(secret=secret)
        self.calls_seen = 0
        self.arrived: list[str] = []  # triggers named by the calls taken (2xx), in order
        self.refused = 0  # calls answered 5xx or 429, to be retried
        self.bad: list[str] = []  # calls not signed right or not ours

    def read(self) -> None:
        answered = self.receiver.answered
        for call, status in answered[self.calls_seen :]:
            try:
                trigger = json.loads(call.body)["trigger"]
            except (ValueError, KeyError, TypeError):
                trigger = None
            if call.signature_ok is not True or not isinstance(trigger, str):
                self.bad.append(f"{call.method} {call.path} {call.body[:80]!r}")
            elif status >= 300:
                self.refused += 1
            else:
                self.arrived.append(trigger)
        self.calls_seen = len(answered)

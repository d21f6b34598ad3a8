"""What the ``light`` action asks of a light (a WLED strip, a Hue light, room or scene): the
``LightCommand`` both device kinds carry out, and the readings of the config's colours and
brightnesses, shared by the action's check (file:line problems) and the device kinds.

Brightness is a percentage here (0-100): Hue speaks it, WLED's 0-255 is converted at the
device. A colour is an sRGB triple; Hue's CIE xy comes from ``rgb_to_xy``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from livetrigger.text.suggest import suggest

RGB = tuple[int, int, int]

# the CSS names people write for an alert's colour (CSS Color Module values)
COLOR_NAMES: dict[str, RGB] = {
    "white": (255, 255, 255),
    "warm white": (255, 197, 143),  # about 2700 K, what "warm white" bulbs show
    "red": (255, 0, 0),
    "orange": (255, 165, 0),
    "amber": (255, 191, 0),
    "gold": (255, 215, 0),
    "yellow": (255, 255, 0),
    "lime": (0, 255, 0),
    "green": (0, 128, 0),
    "teal": (0, 128, 128),
    "cyan": (0, 255, 255),
    "aqua": (0, 255, 255),
    "turquoise": (64, 224, 208),
    "blue": (0, 0, 255),
    "navy": (0, 0, 128),
    "indigo": (75, 0, 130),
    "purple": (128, 0, 128),
    "violet": (238, 130, 238),
    "magenta": (255, 0, 255),
    "fuchsia": (255, 0, 255),
    "pink": (255, 192, 203),
    "hot pink": (255, 105, 180),
    "deep pink": (255, 20, 147),
    "crimson": (220, 20, 60),
    "coral": (255, 127, 80),
    "salmon": (250, 128, 114),
    "brown": (165, 42, 42),
    "black": (0, 0, 0),
}
_SQUASHED = {name.replace(" ", ""): rgb for name, rgb in COLOR_NAMES.items()}
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_PERCENT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*%\s*")


def parse_color(text: str) -> RGB | str:
    """``#rrggbb``, ``#rgb`` or a colour name as an RGB triple; otherwise the message that
    says what to write instead."""
    written = text.strip()
    match = _HEX.fullmatch(written)
    if match and (written.startswith("#") or len(written) == 6):
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    name = " ".join(written.lower().replace("_", " ").replace("-", " ").split())
    found = _SQUASHED.get(name.replace(" ", ""))  # "hotpink" as CSS writes it, "hot pink"
    if found is not None:
        return found
    return (
        f"unknown colour {text!r}{suggest(name, COLOR_NAMES)} (write #rrggbb, quoted as in"
        f' "#ff8800" since YAML reads # as a comment, or a name: {", ".join(COLOR_NAMES)})'
    )


def parse_brightness(value: int | str) -> float | str:
    """A brightness as a percentage 0-100: ``80%`` is a percentage, a whole number 0-255 is
    WLED's and Home Assistant's scale; otherwise the message that says what to write."""
    if isinstance(value, int):
        if 0 <= value <= 255:
            return round(value * 100 / 255, 2)
        return f"brightness {value} is outside 0-255; write a percentage like 80% or 0-255"
    match = _PERCENT.fullmatch(value)
    if match is None:
        return f"brightness {value!r}: write a percentage like 80% or a whole number 0-255"
    percent = float(match.group(1))
    if percent > 100:
        return f"brightness {value} is over 100%"
    return percent


def rgb_to_xy(rgb: RGB) -> tuple[float, float]:
    """The CIE 1931 xy of an sRGB colour (what Hue lights take); the bridge fits it into
    each light's gamut. Black has no chromaticity: D65 white then."""
    r, g, b = (_linear(c / 255) for c in rgb)
    x = r * 0.4124 + g * 0.3576 + b * 0.1805
    y = r * 0.2126 + g * 0.7152 + b * 0.0722
    z = r * 0.0193 + g * 0.1192 + b * 0.9505
    total = x + y + z
    if total == 0:
        return (0.3127, 0.329)
    return (round(x / total, 4), round(y / total, 4))


def _linear(c: float) -> float:
    # sRGB's transfer function undone
    return ((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92


@dataclass(frozen=True, slots=True, kw_only=True)
class LightCommand:
    """One alert for one light. ``on`` False switches it off (nothing else is sent); None
    fields leave that part as it is. ``brightness`` is 0-100 %, ``transition`` seconds;
    ``preset`` is WLED's (an id or a name), ``scene`` Hue's (a name)."""

    on: bool = True
    rgb: RGB | None = None
    brightness: float | None = None
    effect: str | None = None
    preset: str | None = None
    scene: str | None = None
    transition: float | None = None

    def describe(self) -> str:
        """The command in a few words, for ``simulate`` and the log."""
        if not self.on:
            words = ["off"]
        else:
            words = []
            if self.rgb is not None:
                words.append("#{:02x}{:02x}{:02x}".format(*self.rgb))
            if self.brightness is not None:
                words.append(f"{self.brightness:g}%")
            if self.effect:
                words.append(f"effect {self.effect}")
            if self.preset:
                words.append(f"preset {self.preset}")
            if self.scene:
                words.append(f"scene {self.scene}")
            words = words or ["on"]
        if self.transition is not None:
            words.append(f"over {self.transition:g}s")
        return " ".join(words)

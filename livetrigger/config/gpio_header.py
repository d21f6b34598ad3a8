"""GPIO pin names as gpiozero reads them, checked without gpiozero (``check`` must not load
pin drivers): the Raspberry Pi's 40-pin header, the same on every model since 2014.

A pin is a BCM number (``17``, ``"17"``, ``GPIO17``, ``BCM17``), a header position
(``BOARD11``, ``J8:11``) or a wiringPi number (``WPI0``); names are upper case, as gpiozero
wants them. ``tests/faults/test_bad_pins.py`` holds this table to gpiozero's own.
"""

from __future__ import annotations

from dataclasses import dataclass

BCM_MAX = 27
# the header, position 1 to 40: a BCM number or what the position is instead
HEADER: tuple[int | str, ...] = (
    "3V3", "5V", 2, "5V", 3, "GND", 4, 14, "GND", 15,
    17, 18, 27, "GND", 22, 23, "3V3", 24, 10, "GND",
    9, 25, 11, 8, "GND", 7, 0, 1, 5, "GND",
    6, 12, 13, "GND", 19, 16, 26, 20, "GND", 21,
)  # fmt: skip
WIRINGPI = {
    0: 17, 1: 18, 2: 27, 3: 22, 4: 23, 5: 24, 6: 25, 7: 4, 8: 2, 9: 3, 10: 8, 11: 7,
    12: 10, 13: 9, 14: 11, 15: 14, 16: 15, 21: 5, 22: 6, 23: 13, 24: 19, 25: 26, 26: 12,
    27: 16, 28: 20, 29: 21, 30: 0, 31: 1,
}  # fmt: skip
HOW = "write a BCM number 0 to 27 (pin: 17) or a name like GPIO17, BOARD11 or J8:11"


@dataclass(frozen=True, slots=True)
class Resolved:
    gpio: int | None  # the BCM number, or None when the name is not a GPIO of the header
    problem: str = ""


def resolve(spec: object) -> Resolved:
    """The BCM number ``spec`` names on the 40-pin header, or what is wrong with it."""
    if isinstance(spec, bool) or not isinstance(spec, (int, str)):
        return Resolved(None, f"a pin is a number or a name; {HOW}")
    text = str(spec)
    number = _number(text)
    if number is not None:
        return _bcm(number, text)
    upper = text.upper()
    for prefix in ("GPIO", "BCM"):
        if upper.startswith(prefix) and (n := _number(upper[len(prefix) :])) is not None:
            return _named(_bcm(n, text), text, upper)
    for prefix in ("BOARD", "J8:"):
        if upper.startswith(prefix) and (n := _number(upper[len(prefix) :])) is not None:
            return _named(_header(n, text), text, upper)
    if upper.startswith("WPI") and (n := _number(upper[3:])) is not None:
        found = WIRINGPI.get(n)
        if found is None:
            return Resolved(None, f"{text} is not a wiringPi pin of the 40-pin header; {HOW}")
        return _named(Resolved(found), text, upper)
    return Resolved(None, f"{text!r} is not a pin name; {HOW}")


def describe(gpio: int) -> str:
    return f"GPIO{gpio} (header pin {HEADER.index(gpio) + 1})"


def _number(text: str) -> int | None:
    # ASCII digits only: int() also reads "１７" and "1_7"
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def _bcm(number: int, text: str) -> Resolved:
    if number > BCM_MAX:
        return Resolved(
            None,
            f"{text} is not a GPIO of the Raspberry Pi's 40-pin header (they are 0 to "
            f"{BCM_MAX}); {HOW}",
        )
    return Resolved(number)


def _header(position: int, text: str) -> Resolved:
    if not 1 <= position <= len(HEADER):
        return Resolved(None, f"{text}: the header has positions 1 to {len(HEADER)}; {HOW}")
    what = HEADER[position - 1]
    if isinstance(what, str):
        return Resolved(None, f"{text} is a {what} pin, not a GPIO; {HOW}")
    return Resolved(what)


def _named(found: Resolved, text: str, upper: str) -> Resolved:
    if found.gpio is not None and text != upper:
        return Resolved(None, f"pin names are upper case: write {upper}")
    return found

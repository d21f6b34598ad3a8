"""What a test press did (``Control.test_fire``): fired, or refused and why. The dashboard
answers with it and shows it; Home Assistant's and the GPIO test buttons have only the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

PressOutcome = Literal["fired", "paused", "disabled", "no_rule", "no_room", "stopping"]

REFUSED_BECAUSE: dict[PressOutcome, str] = {
    "paused": "triggers are paused",
    "disabled": "the rule is disabled (enabled: false)",
    "no_rule": "there is no such rule",
    "no_room": "there is no such room",
    "stopping": "the daemon is stopping",
}


@dataclass(frozen=True, slots=True)
class PressResult:
    """A test press's outcome; ``rooms``: where it fired, or where it was refused."""

    rule: str
    outcome: PressOutcome
    rooms: tuple[str, ...] = ()

    @property
    def fired(self) -> bool:
        """Whether the rule's actions ran (in at least one room)."""
        return self.outcome == "fired"

    @property
    def message(self) -> str:
        """One sentence for a person: the page shows it, the log writes it."""
        where = f" in room {', '.join(self.rooms)}" if self.rooms else ""
        if self.fired:
            return (
                f"test of rule {self.rule}{where}: its actions ran once with a sample event "
                "(not counted as a firing)"
            )
        return f"test of rule {self.rule}{where} refused: {REFUSED_BECAUSE[self.outcome]}"

    def as_dict(self) -> dict[str, Any]:
        """The dashboard's JSON answer: ``ok`` only when it fired; a refusal has an ``error``."""
        out: dict[str, Any] = {
            "ok": self.fired,
            "outcome": self.outcome,
            "rule": self.rule,
            "rooms": list(self.rooms),
            "message": self.message,
        }
        if not self.fired:
            out["error"] = self.message
        return out

"""The loaded configuration: settings for every I/O shell plus each room's compiled rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from livetrigger import settings as s
from livetrigger.config.schema import Daemon, Device
from livetrigger.rules.model import CompiledRule


@dataclass(frozen=True, slots=True)
class RoomConfig:
    settings: s.RoomSettings
    rules: tuple[CompiledRule, ...]
    process_initial_data: bool


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None
    tiktok: s.TikTokSettings
    rooms: tuple[RoomConfig, ...]
    mqtt: s.MqttSettings | None
    homeassistant: s.HomeAssistantSettings
    gpio: s.GpioSettings
    webhooks: tuple[s.WebhookSettings, ...]
    daemon: Daemon
    web: s.WebSettings = field(default_factory=s.WebSettings)
    devices: tuple[Device, ...] = ()
    # every secret value, so the log redactor can scrub them wherever they turn up
    secrets: frozenset[str] = field(default_factory=frozenset, repr=False)

    def room(self, name: str) -> RoomConfig:
        return next(r for r in self.rooms if r.settings.name == name)

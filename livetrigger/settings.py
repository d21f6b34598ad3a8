"""Validated settings of the things livetrigger talks to: TikTok, MQTT, GPIO, webhooks.

These frozen dataclasses are the contract between the config loader (``livetrigger.config``,
which builds them from YAML with file:line errors) and the I/O shells that use them
(``webcast.room``/``connection``, ``sinks.*``, ``homeassistant``). Durations are seconds as
floats; ``None`` means "disabled". Secrets are plain strings here, read from ``*_file`` or the
environment by the loader, and must never be logged: ``__repr__`` hides them.

The classes are declared in livetrigger/settings_spec.py (read that for their fields and
limits) and written out ahead of time into livetrigger/_settings_generated.py by
scripts/gen-dataclasses, so that importing them runs no ``@dataclass``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livetrigger.settings_spec import (
        PORT,
        EventStreamSettings,
        GpioInputSettings,
        GpioOutputSettings,
        GpioSettings,
        HomeAssistantSettings,
        MqttSettings,
        RoomSettings,
        SignBudget,
        TikTokSettings,
        TlsSettings,
        WebhookSettings,
        WebSettings,
        limits,
    )
else:
    from livetrigger._settings_generated import (
        PORT,
        EventStreamSettings,
        GpioInputSettings,
        GpioOutputSettings,
        GpioSettings,
        HomeAssistantSettings,
        MqttSettings,
        RoomSettings,
        SignBudget,
        TikTokSettings,
        TlsSettings,
        WebhookSettings,
        WebSettings,
        limits,
    )

__all__ = [
    "PORT",
    "EventStreamSettings",
    "GpioInputSettings",
    "GpioOutputSettings",
    "GpioSettings",
    "HomeAssistantSettings",
    "MqttSettings",
    "RoomSettings",
    "SignBudget",
    "TikTokSettings",
    "TlsSettings",
    "WebSettings",
    "WebhookSettings",
    "limits",
]

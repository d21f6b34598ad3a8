"""The reload's log line says what a new config changes: here, its devices."""

from __future__ import annotations

from livetrigger.config import Config, load_config_text
from livetrigger.daemon.reload import describe_changes

RULES = """rooms:
  - username: "@me"
    rules:
      - id: r
        on: gift
        do: [log: x]
"""


def config(devices: str) -> Config:
    return load_config_text(f"devices:\n{devices}\n{RULES}", "c.yaml")


def test_devices_added_changed_and_removed_are_named() -> None:
    old = config(
        "  strip: {wled: {host: 127.0.0.1, timeout: 2s}}\n"
        "  qlc: {osc: {host: 127.0.0.1, port: 7700}}\n"
        "  desk: {wled: {host: 127.0.0.2}}"
    )
    new = config(
        "  strip: {wled: {host: 127.0.0.1, timeout: 3s}}\n"
        "  desk: {wled: {host: 127.0.0.2}}\n"
        "  stage: {sacn: {universe: 1}}\n"
        "  spot: {sacn: {universe: 2}}"
    )
    assert describe_changes(old, new) == [
        "device(s) spot, stage added",
        "device(s) strip changed",
        "device(s) qlc removed",
    ]


def test_every_device_removed_is_named_and_the_same_devices_are_nothing() -> None:
    old = config("  strip: {wled: {host: 127.0.0.1}}")
    assert describe_changes(old, config("  {}")) == ["device(s) strip removed"]
    assert describe_changes(old, config("  strip: {wled: {host: 127.0.0.1}}")) == []

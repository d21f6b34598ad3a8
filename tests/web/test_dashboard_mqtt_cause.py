"""The dashboard says why MQTT is reconnecting (issue 26, item 8), not only that it is: the
cause the MQTT client logs (refused, name not found, timed out, TLS) is in its state."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon
from tests.support.toy_platform import ToyPlatform


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


async def test_the_dashboard_state_says_why_mqtt_reconnects(tmp_path: Path) -> None:
    config = load_config_text(
        f"mqtt: {{host: 127.0.0.1, port: {closed_port()}, reconnect_max: 1s}}\n"
        'rooms:\n  - username: "@toy"\n    rules:\n'
        '      - {id: hi, on: chat, do: [{log: "hi"}]}\n'
    )
    daemon = Daemon(config, persist=False, status_path=tmp_path / "s.sock", platform=ToyPlatform())
    run = asyncio.create_task(daemon.run())
    try:
        async with asyncio.timeout(60):  # a hang, not a margin
            while not (daemon.outputs.mqtt and daemon.outputs.mqtt.failure):
                await asyncio.sleep(0.05)
        mqtt = daemon.control.dashboard_state()["mqtt"]
        assert mqtt["configured"] and not mqtt["connected"]
        assert "refused" in mqtt["failure"] and "127.0.0.1" in mqtt["failure"]
    finally:
        daemon.request_stop()
        assert await asyncio.wait_for(run, 60) == 0

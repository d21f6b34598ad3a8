"""The dashboard's config rules: other machines only with a token."""

from __future__ import annotations

import logging

import httpx
import pytest

from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError
from livetrigger.settings import WebSettings
from livetrigger.system.press import PressResult
from livetrigger.web.server import Dashboard

BASE = """\
rooms: [{username: "@someone", rules: [{id: r, on: gift, do: [{log: x}]}]}]
"""


def test_a_lan_dashboard_without_a_token_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_config_text(BASE + "web: {enabled: true, host: 0.0.0.0}\n")
    (problem,) = err.value.problems
    assert ":2:" in problem and "set web.token" in problem


def test_loopback_needs_no_token_and_a_token_is_a_secret() -> None:
    assert load_config_text(BASE + "web: {enabled: true}\n").web.enabled
    config = load_config_text(BASE + "web: {enabled: true, host: 0.0.0.0, token: abc123xyz}\n")
    assert config.web.token == "abc123xyz" and "abc123xyz" in config.secrets
    assert "abc123xyz" not in repr(config.web)


class _Recorder:
    """The daemon side of the dashboard, recording the changes asked of it."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, object]] = []

    def set_paused(self, paused: bool) -> None:
        self.asked.append(("pause", paused))

    def set_room_paused(self, room: str, paused: bool) -> None:
        self.asked.append(("pause " + room, paused))

    def test_fire(self, rule_id: str, room: str | None = None) -> PressResult:
        self.asked.append(("test", rule_id))
        return PressResult(rule_id, "fired", (room or "demo",))


async def test_pause_and_test_from_the_dashboard_are_logged_with_the_sender(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="livetrigger.web.server")
    recorder = _Recorder()
    dashboard = Dashboard(WebSettings(enabled=True, port=0, token="t0k3n-t0k3n"), recorder)  # type: ignore[arg-type]
    async with dashboard, httpx.AsyncClient() as http:
        base = f"http://127.0.0.1:{dashboard.port}"
        headers = {"X-Livetrigger-Token": "t0k3n-t0k3n"}
        for path, body in (("/api/pause", {"paused": True}), ("/api/test", {"rule": "r"})):
            answer = await http.post(base + path, json=body, headers=headers)
            assert answer.status_code == 200
    assert recorder.asked == [("pause", True), ("test", "r")]
    lines = [r.getMessage() for r in caplog.records]
    assert 'dashboard (from 127.0.0.1): /api/pause {"paused": true}' in lines
    assert 'dashboard (from 127.0.0.1): /api/test {"rule": "r"}' in lines

"""Strangers cannot take the dashboard away from its users: connections that never finish
their request hold no slot a user needs, and every error is an answer, never a traceback."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from livetrigger.settings import WebSettings
from livetrigger.web.server import Dashboard

TOKEN = "t0k3n-t0k3n-t0k3n"
AUTH = {"X-Livetrigger-Token": TOKEN}
STALLED = 100  # far more than the 32 connections the dashboard serves at once


class _Daemon:
    def __init__(self) -> None:
        self.paused: list[bool] = []

    def dashboard_state(self) -> dict[str, Any]:
        return {"rooms": {}}

    def set_paused(self, paused: bool) -> None:
        self.paused.append(paused)


async def answer_of(reader: asyncio.StreamReader) -> bytes:
    async with asyncio.timeout(60):  # a hang guard: the answer comes at once or never
        return await reader.read()


async def test_slow_connections_without_a_token_hold_no_slot() -> None:
    settings = WebSettings(enabled=True, port=0, token=TOKEN)
    async with Dashboard(settings, _Daemon()) as dashboard, httpx.AsyncClient() as http:  # type: ignore[arg-type]
        base = f"http://127.0.0.1:{dashboard.port}"
        stalled = []
        for _ in range(STALLED):  # slow-loris: a request that never ends its headers
            reader, writer = await asyncio.open_connection("127.0.0.1", dashboard.port)
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            stalled.append((reader, writer))
        try:
            page = await http.get(base + "/")
            assert page.status_code == 200
            state = await http.get(base + "/api/state", headers=AUTH)
            assert state.status_code == 200 and state.json() == {"rooms": {}}
            # the oldest stalled connection made room, and was told so
            first = await answer_of(stalled[0][0])
            assert first.startswith(b"HTTP/1.1 408 "), first[:200]
            assert b"Connection: close" in first
        finally:
            for _, writer in stalled:
                writer.close()


async def test_a_deeply_nested_body_is_a_400_and_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    daemon = _Daemon()
    settings = WebSettings(enabled=True, port=0, token=TOKEN)
    async with Dashboard(settings, daemon) as dashboard, httpx.AsyncClient() as http:  # type: ignore[arg-type]
        url = f"http://127.0.0.1:{dashboard.port}/api/pause"
        deep = b"[" * 30_000 + b"]" * 30_000
        answer = await http.post(
            url, content=deep, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert answer.status_code == 400, answer.text
        assert "nested" in answer.json()["error"]
        # a deep value beside what is asked: the pause runs, the log shows what was asked
        body = b'{"paused": true, "x": ' + b"[" * 500 + b"]" * 500 + b"}"
        answer = await http.post(
            url, content=body, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert answer.status_code == 200 and daemon.paused == [True]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert 'dashboard (from 127.0.0.1): /api/pause {"paused": true}' in caplog.messages

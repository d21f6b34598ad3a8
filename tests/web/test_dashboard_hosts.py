"""The dashboard on a LAN (docs/dashboard.md): it answers to this machine's addresses and
names, and to web.allowed_hosts, and to nothing else (DNS rebinding)."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from livetrigger.config import load_config_text
from livetrigger.settings import WebSettings
from livetrigger.web.server import Dashboard

TOKEN = "lan-t0k3n-lan-t0k3n"
AUTH = {"X-Livetrigger-Token": TOKEN}


class _State:
    def dashboard_state(self) -> dict[str, Any]:
        return {"rooms": {}}


def lan_address() -> str | None:
    """This machine's address on its network (the one a default route leaves from)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # a UDP connect sends nothing
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


async def test_a_lan_dashboard_answers_to_the_machines_address_and_name() -> None:
    lan = lan_address()
    if lan is None:
        pytest.skip("this machine has no network address besides loopback")
    settings = WebSettings(enabled=True, host="0.0.0.0", port=0, token=TOKEN)
    async with Dashboard(settings, _State()) as dashboard, httpx.AsyncClient() as http:  # type: ignore[arg-type]
        port = dashboard.port
        # what a phone on the LAN does: http://192.168.x.y:8765/ (Host: 192.168.x.y:8765)
        page = await http.get(f"http://{lan}:{port}/")
        assert page.status_code == 200, page.text
        state = await http.get(f"http://{lan}:{port}/api/state", headers=AUTH)
        assert state.status_code == 200 and state.json() == {"rooms": {}}
        # and http://raspberrypi.local:8765/, http://raspberrypi:8765/
        short = socket.gethostname().lower().partition(".")[0]
        for name in (socket.gethostname(), short, f"{short}.local"):
            answer = await http.get(
                f"http://{lan}:{port}/api/state", headers={**AUTH, "Host": f"{name}:{port}"}
            )
            assert answer.status_code == 200, (name, answer.text)
        # an SSH forward to another local port still names loopback
        forwarded = await http.get(
            f"http://127.0.0.1:{port}/api/state", headers={**AUTH, "Host": "localhost:9000"}
        )
        assert forwarded.status_code == 200
        # a name or an address that is not this machine's: refused, token or not
        for host in ("attacker.example", "198.51.100.7", f"{lan}.attacker.example", ""):
            rebound = await http.get(
                f"http://{lan}:{port}/api/state", headers={**AUTH, "Host": f"{host}:{port}"}
            )
            assert rebound.status_code == 421, host
        assert dashboard.refused == 4


async def test_web_allowed_hosts_names_a_dashboard_behind_dns_or_a_proxy() -> None:
    config = load_config_text(
        'rooms: [{username: "@someone", rules: [{id: r, on: gift, do: [{log: x}]}]}]\n'
        f"web: {{enabled: true, port: 0, token: {TOKEN}, "
        "allowed_hosts: [Livetrigger.Example.lan, 203.0.113.9]}\n"
    )
    assert config.web.allowed_hosts == ("Livetrigger.Example.lan", "203.0.113.9")
    async with Dashboard(config.web, _State()) as dashboard, httpx.AsyncClient() as http:  # type: ignore[arg-type]
        base = f"http://127.0.0.1:{dashboard.port}/api/state"
        for host in ("livetrigger.example.lan", "livetrigger.example.lan:443", "203.0.113.9"):
            answer = await http.get(base, headers={**AUTH, "Host": host})
            assert answer.status_code == 200, host
        other = await http.get(base, headers={**AUTH, "Host": "other.example.lan"})
        assert other.status_code == 421

"""The dashboard's Devices panel in a real headless Chromium (issue 28), against a daemon on
the fake room with three OSC devices: one whose receiver (python-osc's own server) is up, one
that is away (its host does not resolve: the reason is shown), and one never driven."""

from __future__ import annotations

from pathlib import Path

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom
from tests.devices.receivers import free_udp_port, osc_server
from tests.support.browser import needs_chromium
from tests.support.dashboard import head, page, running, url_of

pytestmark = needs_chromium


def config_text(room: FakeLiveRoom, tmp: Path, port: int, spare: int) -> str:
    return (
        head(room, tmp)
        + f"""\
devices:
  qlc: {{osc: {{host: 127.0.0.1, port: {port}}}}}
  nowhere: {{osc: {{host: no-such-host.invalid, port: 9000, retries: 1, retry_wait: 10ms}}}}
  spare: {{osc: {{host: 127.0.0.1, port: {spare}}}}}
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: cue
        on: gift
        do:
          - osc: {{device: qlc, address: /cue/go, args: ["{{{{ user.nickname }}}}"]}}
          - osc: {{device: nowhere, address: /cue/go}}
"""
    )


def row(name: str) -> str:
    return f"document.querySelector('#devices .device[data-device={name}]')"


async def test_the_devices_panel_shows_each_devices_state(tmp_path: Path) -> None:
    port = free_udp_port()
    async with osc_server(port) as heard, FakeLiveRoom() as room:
        path = tmp_path / "config.yaml"
        path.write_text(config_text(room, tmp_path, port, free_udp_port()))
        async with running(path, room) as daemon, page(tmp_path, url_of(daemon)) as b:
            # before any alert: every device is there, none reached yet
            await b.wait_for(f"{row('spare')}?.dataset.state === 'never connected'")
            assert await b.eval("document.querySelector('#devices-section').hidden") is False
            names = "[...document.querySelectorAll('#devices .device')]"
            assert await b.eval(f"{names}.map((r) => r.dataset.device)") == [
                "nowhere",
                "qlc",
                "spare",
            ]

            await room.send(
                ev.GiftEvent(
                    msg_id=room.next_msg_id(),
                    gift_id=5655,
                    gift_name="Rose",
                    diamonds=1,
                    total_diamonds=1,
                    user=ev.User(id=7, unique_id="sam", nickname="<b>Sam</b>"),
                )
            )
            await heard.first(lambda m: m[0] == "/cue/go")
            assert heard.items[0] == ("/cue/go", ["<b>Sam</b>"])
            # the status the page polls: ok for the one heard, away (and why) for the other
            await b.wait_for(f"{row('qlc')}?.dataset.state === 'ok'")
            await b.wait_for(f"{row('nowhere')}?.dataset.state === 'away'")
            await b.wait_for(
                f"{row('nowhere')}.querySelector('.device-counts').dataset.failures === '1'"
            )

            def shown(name: str) -> str:
                return f"{row(name)}.textContent"

            def counts(name: str) -> str:
                return f"({{...{row(name)}.querySelector('.device-counts').dataset}})"

            assert (await b.eval(shown("qlc"))).startswith("qlc osc ok")
            assert await b.eval(counts("qlc")) == {
                "sent": "1",
                "failures": "0",
                "dropped": "0",
                "queued": "0",
            }
            nowhere = await b.eval(shown("nowhere"))
            assert nowhere.startswith("nowhere osc away")
            assert "cannot find host 'no-such-host.invalid'" in nowhere
            assert "1 retry" in nowhere and "sent 0 · failed 1 · dropped 0 · queued 0" in nowhere
            assert await b.eval(f"{row('nowhere')}.querySelector('.device-state.bad') !== null")
            spare = await b.eval(shown("spare"))
            assert spare.startswith("spare osc never connected") and "nothing sent yet" in spare

"""The dashboard in a real headless Chromium, against the daemon on the fake room.

Set LIVETRIGGER_SCREENSHOTS=DIR to keep the screenshots (docs/dashboard.md uses them).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

from tests.support.browser import needs_chromium
from tests.support.dashboard import daemon_with_dashboard, galaxy, page, url_of

pytestmark = needs_chromium


async def test_dashboard_in_a_real_browser(tmp_path: Path) -> None:
    shots = Path(os.environ.get("LIVETRIGGER_SCREENSHOTS", tmp_path))
    async with daemon_with_dashboard(tmp_path) as (daemon, room, path):
        assert daemon.dashboard is not None and daemon.outputs.sink("gpio") is not None
        url = url_of(daemon)
        async with page(tmp_path, url) as b:
            await b.wait_for("document.querySelectorAll('#rooms .room').length === 1")
            await b.wait_for("document.querySelector('#config-verdict').textContent.includes('OK')")
            await b.wait_for("document.body.dataset.live === '1'")  # the feed stream is open
            # a config without devices has no Devices panel
            assert await b.eval("document.querySelector('#devices-section').hidden") is True

            # the live feed shows a gift (pushed, not polled), marked with the rule it fired
            await room.send(galaxy(room))
            await b.wait_for("document.querySelector('#feed li[data-kind=gift].fired')")
            text = await b.eval("document.querySelector('#feed li[data-kind=gift]').textContent")
            assert "<img src=x onerror=alert(1)> sent 1× Galaxy" in text  # text, not markup
            assert await b.eval("document.querySelectorAll('#feed img').length") == 0

            # click the event: each rule's verdict
            await b.click("#feed li[data-kind=gift]")
            await b.wait_for("document.querySelector('#verdicts li[data-rule=follow_beep]')")
            await b.wait_for(
                "document.querySelector('#rules .rule[data-rule=big_gift]').textContent"
                ".includes('fired 1')"
            )
            verdict = await b.eval(
                "document.querySelector('#verdicts li[data-rule=follow_beep]').textContent"
            )
            assert "it listens to follow, and this is a gift event" in verdict
            await b.screenshot(shots / "dashboard.png")
            await b.screenshot(shots / "dashboard-phone.png", width=390, height=1400)

            # the test button fires exactly its rule
            fired_before = dict(daemon.event_path.rule_fires)
            await b.click("#rules .rule[data-rule=follow_beep] button")
            deadline = time.monotonic() + 60
            while daemon.event_path.test_fires < 1:
                assert time.monotonic() < deadline, "the test press did not arrive"
                await asyncio.sleep(0.02)
            assert daemon.event_path.test_fires == 1 and dict(daemon.event_path.rule_fires) == fired_before

            # pause stops triggers
            await b.click("#rooms .room[data-room=demo_streamer] button")  # Pause
            await b.wait_for(
                "document.querySelector('#rooms .room button').textContent === 'Resume'"
            )
            await room.send(galaxy(room, "leo"))
            await b.wait_for(
                "[...document.querySelectorAll('#feed li[data-kind=gift]')].length === 2"
            )
            newest = "document.querySelector('#feed li[data-kind=gift]')"
            assert await b.eval(f"{newest}.classList.contains('fired')") is False
            assert daemon.event_path.rule_fires["big_gift"] == 1

            # a broken config shows its line; the running config stays
            good = path.read_text()
            path.write_text(good.replace("on: follow", "on: folow"))
            await b.click("#reload")
            await b.wait_for("document.querySelector('#config-problems li')")
            problem = await b.eval("document.querySelector('#config-problems li').textContent")
            line = good.splitlines().index("        on: follow") + 1
            assert f"config.yaml:{line}:" in problem and "folow" in problem
            await b.screenshot(shots / "dashboard-config-error.png", width=1200, height=1100)

        # no request without the token changes anything; foreign Host names are refused
        async with httpx.AsyncClient() as http:
            base = url.rstrip("/")
            refused = await http.post(f"{base}/api/pause", json={"paused": False})
            assert refused.status_code == 401
            rebound = await http.post(
                f"{base}/api/pause",
                json={"paused": False},
                headers={"Host": f"attacker.example:{daemon.dashboard.port}"},
            )
            assert rebound.status_code == 421
            assert daemon.rooms["demo_streamer"].engine.paused is True
            assert (await http.get(f"{base}/api/state")).status_code == 401
    if shots != tmp_path:
        assert (shots / "dashboard.png").stat().st_size > 10_000


async def test_the_status_sockets_link_opens_the_dashboard(tmp_path: Path) -> None:
    """The page never carries a typed token; `livetrigger status --dashboard` (who can open the
    status socket) prints the address with it, and the page takes it from there."""
    web = '{enabled: true, port: 0, token: "typed t0k3n+/typed"}'
    async with daemon_with_dashboard(tmp_path, web) as (daemon, _room, _path):
        assert daemon.dashboard is not None
        status = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "livetrigger",
            "status",
            "--socket",
            str(tmp_path / "s.sock"),
            "--dashboard",
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await status.communicate()
        assert status.returncode == 0
        url = out.decode().strip()
        port = daemon.dashboard.port
        assert url == f"http://127.0.0.1:{port}/#token=typed%20t0k3n%2B%2Ftyped"
        async with page(tmp_path, url) as b:
            await b.wait_for("document.querySelectorAll('#rooms .room').length === 1")
            await b.wait_for("document.body.dataset.live === '1'")
            assert await b.eval("location.href") == f"http://127.0.0.1:{port}/"
            assert await b.eval("document.querySelector('#login').hidden") is True


async def test_the_test_button_says_what_happened(tmp_path: Path) -> None:
    """Issue 26: a Test press answers fired or refused (and why), the page shows it, and a
    test is never counted as a firing."""
    async with daemon_with_dashboard(tmp_path) as (daemon, _room, _path):
        dashboard = daemon.dashboard
        assert dashboard is not None
        frozen = dashboard.limiter.last  # a second press of one rule comes "at once"
        dashboard.limiter.clock = lambda: frozen
        engine = daemon.rooms["demo_streamer"].engine
        url = url_of(daemon)
        beep, gift = "#rules .rule[data-rule=follow_beep]", "#rules .rule[data-rule=big_gift]"

        def said(rule: str) -> str:
            return f"document.querySelector('{rule} .test-result')"

        async with page(tmp_path, url) as b:
            await b.wait_for(f"document.querySelector('{beep} button')")
            await b.click(f"{beep} button")
            await b.wait_for(f"{said(beep)}?.dataset.outcome === 'fired'")
            assert "not counted as a firing" in await b.eval(f"{said(beep)}.textContent")
            count = f"document.querySelector('{beep} .fired-count').textContent"
            assert (await b.eval(count)).startswith("fired 0 · last never")
            assert daemon.event_path.test_fires == 1 and engine.stats["follow_beep"].fired == 0

            await b.click(f"{beep} button")  # again at once: the rate limit says no
            await b.wait_for(f"{said(beep)}?.dataset.outcome === 'rate_limited'")
            assert "not now" in await b.eval(f"{said(beep)}.textContent")

            await b.click("#rooms .room[data-room=demo_streamer] button")  # Pause
            await b.wait_for(
                "document.querySelector('#rooms .room button').textContent === 'Resume'"
            )
            await b.click(f"{gift} button")
            await b.wait_for(f"{said(gift)}?.dataset.outcome === 'paused'")
            text = await b.eval(f"{said(gift)}.textContent")
            assert "refused" in text and "triggers are paused" in text, text
            assert await b.eval("document.querySelector('#error').hidden") is True
            assert daemon.event_path.test_fires == 1

        async with httpx.AsyncClient() as http:
            headers = {"X-Livetrigger-Token": dashboard.token}
            answers = {}
            for body in (
                {"room": "demo_streamer", "rule": "follow_beep"},  # pressed a moment ago
                {"room": "demo_streamer", "rule": "no_such_rule"},
                {"room": "elsewhere", "rule": "big_gift"},
                {"rule": "big_gift"},  # every room with the rule: the one is paused
            ):
                answer = await http.post(f"{url}api/test", json=body, headers=headers)
                answers[body["rule"] + "@" + body.get("room", "*")] = (
                    answer.status_code,
                    answer.json()["ok"],
                    answer.json()["outcome"],
                )
            assert answers == {
                "follow_beep@demo_streamer": (429, False, "rate_limited"),
                "no_such_rule@demo_streamer": (404, False, "no_rule"),
                "big_gift@elsewhere": (404, False, "no_room"),
                "big_gift@*": (409, False, "paused"),
            }
            assert daemon.event_path.test_fires == 1
    assert dict(daemon.event_path.rule_fires) == {}


async def test_the_dashboard_fits_a_phone_screen(tmp_path: Path) -> None:
    """Issue 26: at 360 px the page scrolled sideways by 7 px. Every section filled (a fired
    rule, an action, an event in the feed), nothing is wider than the screen."""
    async with (
        daemon_with_dashboard(tmp_path) as (daemon, room, _path),
        page(tmp_path, url_of(daemon), phone=True) as b,
    ):
        await b.wait_for("document.querySelectorAll('#rooms .room').length === 1")
        await b.wait_for("document.body.dataset.live === '1'")
        await room.send(galaxy(room))
        await b.wait_for(
            "document.querySelector('#rules .rule[data-rule=big_gift]').textContent"
            ".includes('fired 1')"
        )
        await b.wait_for("document.querySelector('#config-verdict').textContent.includes('OK')")
        # a phone widens its layout viewport to what overflows: measure against the screen;
        # the message names what is too wide (right edge, scrollWidth/clientWidth)
        wide = await b.eval(
            "[...document.querySelectorAll('body *')]"
            ".filter(e => e.getBoundingClientRect().right > 360.5"
            " || e.scrollWidth > e.clientWidth)"
            ".map(e => `${e.id || e.className || e.tagName}"
            " ${Math.round(e.getBoundingClientRect().right)} ${e.scrollWidth}/${e.clientWidth}`)"
        )
        assert await b.eval("document.documentElement.scrollWidth") <= 360, wide
        assert await b.eval("window.innerWidth") == 360, wide

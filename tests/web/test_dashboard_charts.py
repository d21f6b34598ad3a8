"""The dashboard's charts in a real headless Chromium (issue 26, item 12), against the daemon on
the fake room: diamonds, likes, viewers and latency drawn from the live feed's pushes, the
rules fired marked (a tap names them), the same again from /api/series after a reload, and
nothing wider than a phone's screen.

Set LIVETRIGGER_SCREENSHOTS=DIR to keep the screenshots.
"""

from __future__ import annotations

import os
from pathlib import Path

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.browser import Browser, needs_chromium
from tests.support.dashboard import daemon_with_dashboard, galaxy, page, url_of

pytestmark = needs_chromium

CHARTS = ("diamonds", "likes", "viewers", "fired", "latency")


def points(chart: str) -> str:
    return f"Number(document.querySelector('#chart-{chart} svg')?.dataset.points || 0)"


async def play(room: FakeLiveRoom) -> None:
    """A gift that fires big_gift (and pulses the lamp: an action with a latency), likes and
    a viewer count."""
    await room.send(
        galaxy(room),
        ev.LikeEvent(msg_id=room.next_msg_id(), count=30, total=30),
        ev.ViewerCountEvent(msg_id=room.next_msg_id(), viewers=12),
    )


async def drawn(b: Browser) -> None:
    """Every chart has its points and the firing is marked."""
    for chart in CHARTS:
        await b.wait_for(f"{points(chart)} >= 1")
    await b.wait_for("document.querySelector('#chart-fired .mark[data-rules=big_gift]')")


async def tap(b: Browser, selector: str) -> None:
    """A real tap (the input pipeline, at the element's place on the screen)."""
    box = await b.eval(
        f"(() => {{ const e = document.querySelector('{selector}'); e.scrollIntoView({{block: 'center'}});"
        " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
    )
    for kind in ("mousePressed", "mouseReleased"):
        await b.send(
            "Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1
        )


async def test_the_charts_draw_the_session_with_its_firings(tmp_path: Path) -> None:
    shots = Path(os.environ.get("LIVETRIGGER_SCREENSHOTS", tmp_path))
    async with daemon_with_dashboard(tmp_path) as (daemon, room, _path):
        url = url_of(daemon)
        async with page(tmp_path, url) as b:
            await b.wait_for("document.body?.dataset.live === '1'")
            await b.wait_for("document.querySelector('#chart-diamonds')")  # the session began
            assert await b.eval(points("diamonds")) == 0
            await play(room)  # after the page opened: what it draws came pushed
            await drawn(b)
            caption = "document.querySelector('#chart-diamonds figcaption').textContent"
            await b.wait_for(f"{caption}.includes('500 in all')")
            mark = "#chart-fired .mark[data-rules=big_gift]"
            title = await b.eval(f"document.querySelector('{mark} title').textContent")
            assert "big_gift" in title
            await tap(b, mark)
            await b.wait_for(
                "document.querySelector('#chart-note').textContent.includes('big_gift')"
            )
            note = await b.eval("document.querySelector('#chart-note').textContent")
            assert "500 diamonds" in note and "30 likes" in note and "12 viewers" in note
            await b.screenshot(shots / "dashboard-charts-test.png", width=1200, height=1300)

            # a reload draws the same from /api/series
            await b.goto(url)
            await b.wait_for("document.body?.dataset.live === '1'")
            await drawn(b)
            assert await b.eval(f"{caption}.includes('500 in all')")


async def test_the_charts_fit_a_phone_screen(tmp_path: Path) -> None:
    async with (
        daemon_with_dashboard(tmp_path) as (daemon, room, _path),
        page(tmp_path, url_of(daemon), phone=True) as b,
    ):
        await b.wait_for("document.body?.dataset.live === '1'")
        await play(room)
        await drawn(b)
        widths = await b.eval(
            "[...document.querySelectorAll('#charts svg')].map(s => s.getBoundingClientRect().right)"
        )
        assert len(widths) == len(CHARTS) and max(widths) <= 360, widths
        wide = await b.eval(
            "[...document.querySelectorAll('body *')]"
            ".filter(e => e.getBoundingClientRect().right > 360.5)"
            ".map(e => `${e.id || e.getAttribute('class') || e.tagName}"
            " ${Math.round(e.getBoundingClientRect().right)}`)"
        )
        assert await b.eval("document.documentElement.scrollWidth") <= 360, wide
        assert wide == []

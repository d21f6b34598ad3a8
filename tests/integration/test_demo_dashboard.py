"""``livetrigger demo`` offers the dashboard (issue 26): it serves it on a free loopback port
and prints an address that opens it, token and all, in a browser that can act through it."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from tests.integration.test_demo_stops import HANG, livetrigger, stderr_of
from tests.support.browser import Browser, find_chromium

ADDRESS = re.compile(r"📊 dashboard: (http://127\.0\.0\.1:\d+/#token=\S+)")


@pytest.mark.skipif(find_chromium() is None, reason="no chromium (scripts/setup installs it)")
async def test_the_demo_prints_a_dashboard_address_that_opens_and_acts(tmp_path: Path) -> None:
    with livetrigger("demo", "--no-color", "--loop", "--speed", "4") as (proc, out):
        out.wait_for(lambda: out.count("📊 dashboard: ") > 0, "the dashboard's address")
        found = next((m for line in out.lines if (m := ADDRESS.search(line))), None)
        assert found, out.lines
        async with Browser(tmp_path / "profile") as b:
            await b.goto(found.group(1))
            await b.wait_for("document.querySelector('#rooms .room span.ok')")  # connected
            await b.wait_for("document.querySelector('#feed li.fired')")  # the show fires
            assert await b.eval("document.querySelector('#login').hidden") is True
            # the token came with the address: a press acts
            rule = "#rules .rule[data-rule=new_follower]"
            await b.click(f"{rule} button")
            await b.wait_for(f"document.querySelector('{rule} .test-result.ok')")
        out.wait_for(lambda: out.count("test of rule new_follower") > 0, "the test press")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(HANG) == 130
        assert "Traceback" not in (err := stderr_of(proc)), err


def test_the_dashboard_can_be_left_out() -> None:
    with livetrigger("demo", "--no-color", "--no-dashboard") as (proc, out):
        # the show plays after the address would have been printed
        out.wait_for(lambda: out.count(" joined") > 0, "the show to begin")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(HANG) == 130
    assert out.count("dashboard") == 0, "".join(out.lines)

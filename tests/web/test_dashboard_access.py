"""Acting through the dashboard needs what acting through the status socket (0600) needs: the
page carries its token only to the daemon's own user (or root); another local user gets a page
that asks for it and can press nothing. Presses are rate-limited like Home Assistant's."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys

import httpx
import pytest

from livetrigger.settings import WebSettings
from livetrigger.web.server import Dashboard
from tests.web.test_dashboard_config import _Recorder

NOBODY = 65534

# what another user of the machine tries: read the page, take its token, press Test
AS_ANOTHER_USER = """
import json, re, sys, urllib.error, urllib.request
base = sys.argv[1]
page = urllib.request.urlopen(base + "/").read().decode()
token = re.search(r'name="livetrigger-token" content="([^"]*)"', page).group(1)
press = urllib.request.Request(
    base + "/api/test", data=b'{"rule": "r"}', method="POST",
    headers={"Content-Type": "application/json", "X-Livetrigger-Token": token},
)
try:
    status = urllib.request.urlopen(press).status
except urllib.error.HTTPError as exc:
    status = exc.code
print(json.dumps({"token": token, "press": status}))
"""


def python_for(uid: int) -> str | None:
    """A Python interpreter that user can run (the test's may sit in root's home)."""
    for candidate in (sys.executable, shutil.which("python3", path="/usr/local/bin:/usr/bin")):
        if candidate is None:
            continue
        try:
            subprocess.run([candidate, "-I", "-c", ""], user=uid, cwd="/", check=True)
        except (OSError, subprocess.CalledProcessError):
            continue
        return candidate
    return None


def page_token(page: str) -> str:
    found = re.search(r'name="livetrigger-token" content="([^"]*)"', page)
    assert found is not None
    return found.group(1)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another user")
async def test_another_local_user_gets_no_token_and_cannot_press() -> None:
    python = python_for(NOBODY)
    if python is None:
        pytest.skip(f"no Python that uid {NOBODY} may run")
    recorder = _Recorder()
    dashboard = Dashboard(WebSettings(enabled=True, port=0), recorder)  # type: ignore[arg-type]
    async with dashboard, httpx.AsyncClient() as http:
        base = f"http://127.0.0.1:{dashboard.port}"
        other = await asyncio.create_subprocess_exec(
            python,
            "-I",
            "-c",
            AS_ANOTHER_USER,
            base,
            user=NOBODY,
            cwd="/",
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await other.communicate()
        assert other.returncode == 0
        assert json.loads(out) == {"token": "", "press": 401}
        assert recorder.asked == []

        # the daemon's own user (root here) still opens the page and acts, as documented
        token = page_token((await http.get(base + "/")).text)
        assert token == dashboard.token
        press = await http.post(
            base + "/api/test", json={"rule": "r"}, headers={"X-Livetrigger-Token": token}
        )
        assert press.status_code == 200 and recorder.asked == [("test", "r")]


async def test_a_typed_token_is_never_in_the_page() -> None:
    settings = WebSettings(enabled=True, port=0, token="typed-t0k3n-typed")
    async with Dashboard(settings, _Recorder()) as dashboard, httpx.AsyncClient() as http:  # type: ignore[arg-type]
        page = (await http.get(f"http://127.0.0.1:{dashboard.port}/")).text
        assert page_token(page) == "" and "typed-t0k3n" not in page


async def test_test_presses_are_rate_limited() -> None:
    recorder = _Recorder()
    settings = WebSettings(enabled=True, port=0, token="t0k3n-t0k3n")
    async with Dashboard(settings, recorder) as dashboard, httpx.AsyncClient() as http:  # type: ignore[arg-type]
        base = f"http://127.0.0.1:{dashboard.port}"
        headers = {"X-Livetrigger-Token": "t0k3n-t0k3n"}
        # the burst happens at one instant of the limiter's clock: on a busy machine its 300
        # requests take seconds, and each second would rightly let one more through
        now = dashboard.limiter.clock()
        dashboard.limiter.clock = lambda: now
        answers = [
            (await http.post(base + "/api/test", json={"rule": "r"}, headers=headers)).status_code
            for _ in range(300)
        ]
    # one test of a rule a second, as Home Assistant's: a burst runs it once, never hundreds
    assert answers.count(200) == 1 and answers.count(429) == 299
    assert len(recorder.asked) == 1 and dashboard.limiter.refused == 299

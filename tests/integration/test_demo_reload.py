"""A reload during ``livetrigger demo`` (issue 26): SIGHUP and the dashboard's "Check and
reload" read the config again and keep the demo's fake room and counts; SIGHUP does not end
the demo. Timeouts here only catch a hang."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from typing import Any

import httpx

from tests.integration.test_demo_stops import HANG, Output, livetrigger, stderr_of

ADDRESS = re.compile(r"📊 dashboard: (http://127\.0\.0\.1:\d+/)#token=(\S+)")


def firings(out: Output) -> int:
    return out.count("⚡ rule ")


async def test_a_reload_keeps_the_demos_fake_room_and_counts() -> None:
    with livetrigger("demo", "--no-color", "--loop", "--speed", "4") as (proc, out):
        out.wait_for(lambda: out.count("rule big_gift fired") > 0, "a gift to fire its rule")
        found = next((m for line in out.lines if (m := ADDRESS.search(line))), None)
        assert found, out.lines
        base, token = found.group(1), found.group(2)
        async with httpx.AsyncClient(base_url=base, headers={"X-Livetrigger-Token": token}) as http:

            async def state() -> dict[str, Any]:
                answer = await http.get("/api/state")
                assert answer.status_code == 200, answer.text
                return dict(answer.json())

            async def reloads(n: int) -> dict[str, Any]:
                deadline = time.monotonic() + HANG
                while (now := await state())["daemon"]["reloads"] < n:
                    assert proc.poll() is None, f"the demo ended: {stderr_of(proc)}"
                    assert time.monotonic() < deadline, "the reload never came"
                    await asyncio.sleep(0.05)
                return now

            def counts(now: dict[str, Any]) -> dict[str, int]:
                return {r["id"]: r["fired"] for r in now["rooms"]["demo_streamer"]["rules"]}

            before = await state()
            fake_room = before["rooms"]["demo_streamer"]["room_id"]
            assert fake_room and counts(before)["big_gift"] >= 1

            proc.send_signal(signal.SIGHUP)  # the daemon's way to reload; it must not kill
            after_hup = await reloads(1)
            assert proc.poll() is None
            reloaded = await http.post("/api/reload", json={})  # the dashboard's button
            assert reloaded.status_code == 200 and reloaded.json()["ok"] is True, reloaded.text
            after = await reloads(2)

        for now in (after_hup, after):
            assert now["daemon"]["config_errors"] == 0
            assert now["rooms"]["demo_streamer"]["room_id"] == fake_room
            assert all(counts(now)[rule] >= n for rule, n in counts(before).items()), (
                counts(before),
                counts(now),
            )
        # and the fake room still feeds it: rules fire after the reloads
        seen = firings(out)
        out.wait_for(lambda: firings(out) > seen, "a rule to fire after the reloads")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(HANG) == 130
        err = stderr_of(proc)
        assert "Traceback" not in err, err
    assert err.count("applied: nothing changed") == 2, err  # the same rules, once each

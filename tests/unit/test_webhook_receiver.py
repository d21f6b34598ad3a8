from __future__ import annotations

import hashlib
import hmac

import httpx

from livetrigger.simulator.webhook_receiver import WebhookReceiver


async def test_receiver_records_calls_and_checks_signatures() -> None:
    async with WebhookReceiver(secret="k3y") as rx, httpx.AsyncClient() as client:
        body = b'{"rule": "big_gift"}'
        good = "sha256=" + hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
        r1 = await client.post(
            f"{rx.url}/hook", content=body, headers={"x-livetrigger-signature": good}
        )
        r2 = await client.post(
            f"{rx.url}/hook", content=body, headers={"x-livetrigger-signature": "x"}
        )
    assert (r1.status_code, r2.status_code) == (200, 401)
    assert [c.signature_ok for c in rx.calls] == [True, False]
    assert rx.calls[0].path == "/hook" and rx.calls[0].body == body

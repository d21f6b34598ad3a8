"""Accepted triggers survive a restart (issue 19, item 13): the broker is down, the daemon
accepts triggers (rule actions and Home Assistant's rule_fired), it is stopped (SIGTERM, or
SIGKILL), the broker comes back and the daemon is started again on the same state directory:
every accepted trigger arrives once, in the order it was accepted. A webhook whose receiver
hangs likewise. Triggers older than daemon.outbox_max_age at the start are not replayed.
docs/actions.md ("Across restarts") says what is kept and what is not."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from tests.support.listener import Listener
from tests.support.outage import (
    RULE_FIRED_TOPIC,
    TRIGGER_TOPIC,
    Daemon,
    Storm,
    config_text,
    daemon,
    entered,
    fired_id,
    firsts,
    mqtt_queued,
    online,
    rig,
    wait_until,
)

N = 300


def triggers(listener: Listener) -> list[int]:
    """What the daemon delivered, in order (the broker's own DUP resends left out)."""
    return [int(p) for p in firsts(listener, TRIGGER_TOPIC)]


def rule_fired(listener: Listener) -> list[int]:
    """The ids of the messages whose ``rule_fired`` trigger was delivered, in order."""
    return firsts(listener, RULE_FIRED_TOPIC, fired_id)


async def restart_while_the_broker_is_down(work: Path, sig: int) -> None:
    async with rig(work) as (broker, listener, room):
        config = config_text(room, broker.port, work)
        async with daemon(work, config) as first:
            await entered(room)
            await online(listener)
            broker.kill()  # idle: nothing in flight
            # until paho sees the socket die, a trigger is handed to it (and then lost at the
            # stop, as docs/actions.md says of what is in flight): storm once the link is down
            await wait_until(
                lambda: first.status()["daemon"]["mqtt"] == "disconnected",
                60,
                "the daemon to see the broker gone",
            )
            storm = Storm(room, 200.0)
            while len(storm.sent) < N:
                await storm.run(0.05)
            await wait_until(
                lambda: first.status()["rules"].get("gift", 0) >= len(storm.sent),
                60,
                "every gift accepted",
            )
            assert first.status()["daemon"]["outbox_pending"] == 2 * len(storm.sent)
            code = await first.stop(sig)
            assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL)
        broker.start()
        async with daemon(work, config) as second:
            await entered(room, 2)
            await wait_until(
                lambda: (
                    mqtt_queued(s := second.status()) == 0 and s["daemon"]["outbox_pending"] == 0
                ),
                60,
                "the daemon to deliver what the first one accepted",
            )
            await asyncio.to_thread(listener.wait_for, len(storm.sent), 30.0, TRIGGER_TOPIC)
            assert second.status()["daemon"]["outbox_replayed"] == 2 * len(storm.sent)
            assert await second.stop() == 0
        await asyncio.sleep(0.5)  # anything doubled would have arrived by now
        assert triggers(listener) == storm.sent  # once each, in order
        assert rule_fired(listener) == storm.sent


async def test_sigterm_during_an_outage_keeps_every_accepted_trigger(tmp_path: Path) -> None:
    await restart_while_the_broker_is_down(tmp_path, signal.SIGTERM)


async def test_sigkill_during_an_outage_keeps_every_accepted_trigger(tmp_path: Path) -> None:
    # each accepted trigger is one write() before the rule's firing returns: a SIGKILL loses
    # none (a power cut may lose the last second: fsync runs once a second)
    await restart_while_the_broker_is_down(tmp_path, signal.SIGKILL)


async def test_sigkill_while_delivering_loses_only_the_tail_and_never_doubles(
    tmp_path: Path,
) -> None:
    """Killed mid-storm with the broker up: what arrives is the storm's start, in order, each
    once: what was still queued is sent by the next daemon, what was in flight is not sent
    again (if paho had not written it yet, it is the one gap, where the first daemon stopped);
    the gifts the daemon had not decoded yet are lost with it."""
    async with rig(tmp_path) as (broker, listener, room):
        config = config_text(room, broker.port, tmp_path)
        async with daemon(tmp_path, config) as first:
            await entered(room)
            await online(listener)
            storm = Storm(room, 200.0)
            await storm.run(1.5)
            await first.stop(signal.SIGKILL)
        async with daemon(tmp_path, config) as second:
            await entered(room, 2)
            await wait_until(
                lambda: second.status()["daemon"]["outbox_pending"] == 0,
                60,
                "the replay to finish",
            )
            assert await second.stop() == 0
        await asyncio.sleep(0.5)
        got = triggers(listener)
        distinct = list(dict.fromkeys(got))
        assert distinct, "nothing arrived"
        start = storm.sent[: storm.sent.index(distinct[-1]) + 1]
        # max_inflight 1: the trigger handed to paho had left the outbox ("206 where 205 was
        # expected" in a loaded run: 205 had not left paho at the SIGKILL)
        gap = set(start) - set(distinct)
        # and what the daemon had not handled at the kill is lost, unless the next start's
        # first fetch still holds it (6 recent messages): one run of gifts, where the first
        # daemon stopped. Idle, it keeps up and the run is 0 or 1 long; at load 20 on 2
        # cores it lagged 0.9 s behind the storm and the run was 178 long (docs/connection.md,
        # "State across restarts": the window at a kill). Never a gift lost here and there.
        at = sorted(storm.sent.index(m) for m in gap)
        assert at == list(range(at[0], at[0] + len(at))) if at else True, (
            f"{len(gap)} lost here and there amid the storm's start: {sorted(gap)[:10]}"
        )
        assert distinct == [m for m in start if m not in gap], "not the storm's start, in order"
        assert len(got) == len(distinct), f"{len(got) - len(distinct)} doubled"


HOOK_RULE = """\
      - id: hook
        on: gift
        do: [{webhook: {endpoint: hook, json: {id: "{{ msg_id }}"}}}]
"""


def hook_config(url: str) -> str:
    return f'webhooks:\n  hook: {{url: "{url}", retries: 0, timeout: 1h}}\n'


async def test_webhooks_not_answered_at_a_sigterm_are_sent_after_the_restart(
    tmp_path: Path,
) -> None:
    """A receiver that never answers holds the first call; the rest wait in the queue. After
    SIGTERM and a start against a receiver that answers, every queued call arrives there once,
    in order. The one in flight when the daemon stopped is not sent again: the hung endpoint
    has it (and may act on it), and never doubled is the rule across restarts."""
    async with rig(tmp_path) as (broker, listener, room):
        async with WebhookReceiver() as hung:
            hung.delay = 3600
            config = config_text(
                room, broker.port, tmp_path, extra=hook_config(hung.url), rules_extra=HOOK_RULE
            )
            async with daemon(tmp_path, config) as first:
                await entered(room)
                await online(listener)
                storm = Storm(room, 200.0)
                while len(storm.sent) < 20:
                    await storm.run(0.02)
                await wait_until(
                    lambda: (
                        first.status()["actions"].get("http:hook", {}).get("queued")
                        == len(storm.sent)
                    ),
                    60,
                    "the calls queued behind the hung one",
                )
                assert await first.stop() == 0
            assert [int(json.loads(c.body)["id"]) for c in hung.calls] == storm.sent[:1]
        async with WebhookReceiver() as answering:
            config = config_text(
                room,
                broker.port,
                tmp_path,
                extra=hook_config(answering.url),
                rules_extra=HOOK_RULE,
            )
            async with daemon(tmp_path, config) as second:
                await entered(room, 2)
                await wait_until(
                    lambda: len(answering.calls) >= len(storm.sent) - 1, 60, "every queued call"
                )
                await wait_until(
                    lambda: second.status()["daemon"]["outbox_pending"] == 0, 30, "the replay"
                )
                assert await second.stop() == 0
            ids = [int(json.loads(c.body)["id"]) for c in answering.calls]
            assert ids == storm.sent[1:]


DAYS = 86400.0


async def storm_during_the_outage(room: FakeLiveRoom, d: Daemon, n: int) -> Storm:
    """``n`` gifts, each accepted into the outbox (the broker is down)."""
    storm = Storm(room, 200.0)
    while len(storm.sent) < n:
        await storm.run(0.02)
    await wait_until(
        lambda: d.status()["rules"].get("gift", 0) >= len(storm.sent), 60, "every gift accepted"
    )
    return storm


async def test_triggers_older_than_outbox_max_age_are_not_replayed(tmp_path: Path) -> None:
    """Friday: the broker is down, the daemon accepts gifts and is stopped. Its clock is three
    days behind, so its journal is three days old by the true clock. A daemon with no age
    limit takes that journal over (broker still down) and accepts fresh gifts; stopped too.
    The broker back, a daemon with the default limit (10m) starts: Friday's triggers are not
    sent and are counted, the fresh ones arrive once each, in order. Their accept times are
    the journal's: a restart in between does not make Friday's triggers new."""
    async with rig(tmp_path) as (broker, listener, room):
        config = config_text(room, broker.port, tmp_path)
        no_limit = config.replace(
            "  shutdown_timeout: 2s\n", "  shutdown_timeout: 2s\n  outbox_max_age: null\n"
        )
        assert no_limit != config
        async with daemon(tmp_path, config, clock_shift=-3 * DAYS) as friday:
            await entered(room)
            await online(listener)
            broker.kill()
            await wait_until(
                lambda: friday.status()["daemon"]["mqtt"] == "disconnected",
                60,
                "the daemon to see the broker gone",
            )
            old = await storm_during_the_outage(room, friday, 20)
            assert friday.status()["daemon"]["outbox_pending"] == 2 * len(old.sent)
            assert await friday.stop() == 0
        async with daemon(tmp_path, no_limit) as keeper:
            await entered(room, 2)
            await wait_until(
                lambda: keeper.status()["daemon"]["mqtt"] == "disconnected", 60, "the daemon up"
            )
            assert keeper.status()["daemon"]["outbox_replayed"] == 2 * len(old.sent)
            assert keeper.status()["daemon"]["outbox_expired"] == 0
            fresh = await storm_during_the_outage(room, keeper, 30)
            pending = 2 * (len(old.sent) + len(fresh.sent))
            assert keeper.status()["daemon"]["outbox_pending"] == pending
            assert await keeper.stop() == 0
        broker.start()
        async with daemon(tmp_path, config) as monday:
            await entered(room, 3)
            await wait_until(
                lambda: (
                    mqtt_queued(s := monday.status()) == 0 and s["daemon"]["outbox_pending"] == 0
                ),
                60,
                "the daemon to deliver the fresh triggers",
            )
            await asyncio.to_thread(listener.wait_for, len(fresh.sent), 30.0, TRIGGER_TOPIC)
            status = monday.status()["daemon"]
            assert status["outbox_expired"] == 2 * len(old.sent)
            assert status["outbox_replayed"] == 2 * len(fresh.sent)
            assert await monday.stop() == 0
        await asyncio.sleep(0.5)  # anything doubled, or an old one, would have arrived by now
        assert triggers(listener) == fresh.sent  # once each, in order, none of Friday's
        assert rule_fired(listener) == fresh.sent
        log = monday.log.read_text()
        for target in ("mqtt", "mqtt:rule_fired"):
            said = f"outbox: {len(old.sent)} trigger(s) for {target} older than 10m not replayed"
            assert log.count(said + " (oldest 3d ago)") == 1, said

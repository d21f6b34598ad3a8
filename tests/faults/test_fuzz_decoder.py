"""100,000 mutated and random frames through the real decoder entry point.

Zero escaped exceptions (only the codec's ProtocolError may leave decode_ws_message, nothing
may leave the Decoder or a deferred event's first read) and bounded memory. A seeded loop, not
hypothesis: hypothesis (tests/unit/test_frames_fuzz.py) shrinks failures; this covers volume.
"""

from __future__ import annotations

import dataclasses
import gc
import random
import resource

from livetrigger.errors import ProtocolError
from livetrigger.simulator import wire
from livetrigger.webcast import frames
from livetrigger.webcast.decode import Decoder
from tests.unit.test_decode import EVERY_KIND

FRAMES = 100_000


def _mutate(rng: random.Random, seed: bytes) -> bytes:
    data = bytearray(seed)
    choice = rng.random()
    if choice < 0.1:
        return rng.randbytes(rng.randrange(0, 600))
    for _ in range(rng.randrange(1, 6)):
        op = rng.random()
        pos = rng.randrange(len(data)) if data else 0
        if op < 0.5 and data:
            data[pos] = rng.randrange(256)
        elif op < 0.7:
            data[pos:pos] = rng.randbytes(rng.randrange(1, 8))
        elif op < 0.9 and data:
            del data[pos : pos + rng.randrange(1, 16)]
        else:
            data = data[: rng.randrange(len(data) + 1)]
    return bytes(data)


def _rss() -> int:
    with open("/proc/self/statm") as f:  # noqa: PTH123
        return int(f.read().split()[1]) * resource.getpagesize()


WIRE = [wire.encode_event(e) for e in EVERY_KIND]
_ids = iter(range(1, 1 << 62))


def _mutate_inner(rng: random.Random) -> bytes:
    # keep the envelope valid so the mutation reaches the per-message decoders; fresh ids so
    # the decoder's de-duplication does not swallow the replays
    messages = [dataclasses.replace(m, msg_id=next(_ids)) for m in rng.sample(WIRE, 4)]
    i = rng.randrange(len(messages))
    messages[i] = dataclasses.replace(messages[i], payload=_mutate(rng, messages[i].payload))
    return wire.push_frame(wire.fetch_result(messages), compress=rng.random() < 0.2)


def test_hundred_thousand_frames_escape_nothing_and_hold_memory() -> None:
    rng = random.Random(20261125)
    seeds = [
        wire.frame_of_events(EVERY_KIND[i : i + 4], compress=i % 8 == 0)
        for i in range(0, len(EVERY_KIND), 4)
    ]
    decoder = Decoder()
    outcomes = {"rejected": 0, "no_events": 0, "events": 0}
    baseline = 0
    for n in range(FRAMES):
        if n == 5_000:
            gc.collect()
            baseline = _rss()
        if n % 1_000 == 0:
            decoder = Decoder()  # a fresh room now and then, so replays are not all duplicates
        data = _mutate_inner(rng) if n % 2 else _mutate(rng, rng.choice(seeds))
        try:
            inbound = frames.decode_ws_message(data, max_inflated=256 * 1024)
        except ProtocolError:
            outcomes["rejected"] += 1
            continue
        if inbound is None:
            outcomes["no_events"] += 1
            continue
        events = decoder.decode_result(inbound.result, 0.0)
        for event in events:
            for f in dataclasses.fields(event):
                getattr(event, f.name)
        outcomes["events" if events else "no_events"] += 1
    gc.collect()
    growth = _rss() - baseline
    assert sum(outcomes.values()) == FRAMES  # every frame went through
    assert outcomes["rejected"] > 10_000 and outcomes["events"] > 10_000  # both paths exercised
    # the decoder's bounded windows (dedup ids, streaks, users) are all that may grow
    assert growth < 16 * 1024 * 1024, f"memory grew by {growth / 1e6:.1f} MB"

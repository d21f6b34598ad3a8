"""The ``dmx`` action through a whole daemon into real receivers on loopback: the ``sacn``
library's receiver (unicast to 127.0.0.1 on a free port) and a UDP socket parsing ArtDmx.
Each fires from a rule, fades, restores after ``duration``, goes safe at the stop, and a
device that is away (nothing listens, the host refuses) costs the other actions nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from livetrigger.config.schema import json_schema
from livetrigger.devices.artnet import art_dmx
from tests.devices.receivers import (
    artnet_receiver,
    free_udp_port,
    multicast_address,
    sacn_receiver,
)
from tests.support.toy_daemon import daemon, gift, problems

ROOM = 'rooms:\n  - username: "@toy"\n    rules:\n      - id: cue\n        on: gift\n'


def lit(channel: int, value: int) -> object:
    return lambda frame: isinstance(frame, bytes) and frame[channel - 1] == value


async def test_sacn_fires_fades_and_restores_after_duration(tmp_path: Path) -> None:
    port = free_udp_port()
    config = (
        f"devices:\n  stage: {{sacn: {{universe: 3, destination: 127.0.0.1, port: {port}}}}}\n"
        + ROOM
        + "        do:\n"
        + "          - dmx: {device: stage, channels: {1: 255, 512: 7}, fade: 100ms,"
        " duration: 100ms}\n" + "          - dmx: {device: stage, channels: {1: 40}}\n"
    )
    async with sacn_receiver(port, universe=3) as heard, daemon(config, tmp_path) as d:
        d.emit(gift())
        full = await heard.first(lambda f: isinstance(f, bytes) and f[0] == 255 and f[511] == 7)
        steps = [f[0] for f in heard.items[:full] if isinstance(f, bytes)]
        assert any(0 < v < 255 for v in steps), steps  # faded, not one jump
        assert steps == sorted(steps)
        # then back to the values before (0) after duration, then the second action: 40
        back = await heard.first(lit(1, 0), after=full)
        await heard.first(lit(1, 40), after=back)
        shown = d.snapshot()["dmx"]["devices"]["stage"]
        assert shown["kind"] == "sacn" and shown["state"] == "ok" and shown["restores"] == 1
        await d.stop()
        # E1.31's end of stream: three packets with the stream-terminated bit
        await heard.first(lambda f: f == "terminated")


async def test_sacn_goes_back_to_the_values_before_at_the_stop(tmp_path: Path) -> None:
    port = free_udp_port()
    config = (
        f"devices:\n  stage: {{sacn: {{universe: 1, destination: 127.0.0.1, port: {port}}}}}\n"
        + ROOM
        + "        do: [{dmx: {device: stage, channels: {2: 99}, duration: 10m}}]\n"
    )
    async with sacn_receiver(port) as heard, daemon(config, tmp_path) as d:
        d.emit(gift())
        on = await heard.first(lit(2, 99))
        assert d.snapshot()["dmx"]["devices"]["stage"]["playing"] is True
        await d.stop()  # well before the 10 minutes
        await heard.first(lit(2, 0), after=on)


async def test_a_stop_mid_fade_goes_back_at_once_and_the_fade_goes_no_further(
    tmp_path: Path,
) -> None:
    """SIGTERM while an alert with `duration` still fades in: the values before it (0) at
    once, and not one step of the fade after them, up to the end of the stream."""
    port = free_udp_port()
    config = (
        f"devices:\n  stage: {{sacn: {{destination: 127.0.0.1, port: {port}}}}}\n"
        + ROOM
        + "        do: [{dmx: {device: stage, channels: {1: 255}, fade: 5s, duration: 10m}}]\n"
    )
    async with sacn_receiver(port) as heard, daemon(config, tmp_path) as d:
        d.emit(gift())
        midway = await heard.first(lambda f: isinstance(f, bytes) and 40 <= f[0] < 255)
        reached = d.device("dmx", "stage").frame[0]  # where the fade is when the stop comes
        await d.stop()
        end = await heard.first(lambda f: f == "terminated", after=midway)
        values = [f[0] for f in heard.items[midway:end]]
        assert max(values) <= reached < 255 and values[-1] == 0, (reached, values)


async def test_a_fade_longer_than_the_timeout_plays_to_its_end(tmp_path: Path) -> None:
    """`timeout` bounds the device's answer, not a fade livetrigger plays out itself."""
    port = free_udp_port()
    config = (
        f"devices:\n  stage: {{sacn: {{destination: 127.0.0.1, port: {port}, timeout: 200ms,"
        " retries: 0}}\n"
        + ROOM
        + "        do: [{dmx: {device: stage, channels: {1: 255}, fade: 1s}}]\n"
    )
    async with sacn_receiver(port) as heard, daemon(config, tmp_path) as d:
        d.emit(gift())
        assert (await d.outcome("device:stage"))["ok"] == 1
        await heard.first(lit(1, 255))
        assert d.snapshot()["dmx"]["devices"]["stage"]["state"] == "ok"


async def test_artnet_fires_and_restores_and_blacks_out_at_the_stop(tmp_path: Path) -> None:
    port = free_udp_port()
    config = (
        f"devices:\n  bar: {{artnet: {{host: 127.0.0.1, port: {port}, universe: 300,"
        " safe: blackout}}\n"
        + ROOM
        + "        do:\n"
        + "          - dmx: {device: bar, channels: {1: 10}}\n"
        + "          - dmx: {device: bar, channels: {3: 200}, duration: 50ms}\n"
    )
    async with artnet_receiver(port) as heard, daemon(config, tmp_path) as d:
        d.emit(gift())
        on = await heard.first(lambda p: p[1][2] == 200)
        universe, data = heard.items[on]
        assert universe == 300 and len(data) == 512 and data[0] == 10
        back = await heard.first(lambda p: p[1][2] == 0 and p[1][0] == 10, after=on)
        await d.stop()
        await heard.first(lambda p: p[1] == bytes(512), after=back)  # safe: blackout


def test_the_artdmx_packet_is_laid_out_as_the_spec_says() -> None:
    packet = art_dmx(0x1234 & 0x7FFF, 7, bytes([1, 2]))
    assert packet == b"Art-Net\x00" + bytes([0x00, 0x50, 0, 14, 7, 0, 0x34, 0x12, 0, 2, 1, 2])


@pytest.mark.parametrize("chosen", [False, True], ids=["system-interface", "interface"])
async def test_sacn_without_destination_multicasts_to_the_universes_group(
    tmp_path: Path, chosen: bool
) -> None:
    """No `destination`: the frames go to 239.255.0.<universe>, where a console on the
    lighting network (or QLC+ on the Pi itself) listens; `interface` picks the network."""
    here = multicast_address()
    if here is None:
        pytest.skip("no multicast route on this machine (a group datagram did not come back)")
    port = free_udp_port()
    interface = f", interface: {here}" if chosen else ""
    config = (
        f"devices:\n  stage: {{sacn: {{universe: 7, port: {port}{interface}}}}}\n"
        + ROOM
        + "        do:\n          - dmx: {device: stage, channels: {1: 255, 2: 64}}\n"
    )
    async with (
        sacn_receiver(port, universe=7, multicast=True) as heard,
        daemon(config, tmp_path) as d,
    ):
        d.emit(gift())
        await heard.first(lit(1, 255))
        assert d.snapshot()["dmx"]["devices"]["stage"]["state"] == "ok"


async def test_a_dmx_device_that_is_away_costs_nothing_else(tmp_path: Path) -> None:
    closed = free_udp_port()  # nothing listens: the host refuses (ICMP port unreachable)
    port = free_udp_port()
    config = (
        "devices:\n"
        f"  gone: {{artnet: {{host: 127.0.0.1, port: {closed}, retries: 1, retry_wait: 10ms}}}}\n"
        f"  nobody: {{sacn: {{destination: 127.0.0.1, port: {closed}}}}}\n"
        f"  stage: {{sacn: {{destination: 127.0.0.1, port: {port}}}}}\n"
        + ROOM
        + "        do:\n"
        + "          - dmx: {device: gone, channels: {1: 255}, fade: 100ms}\n"
        + "          - dmx: {device: nobody, channels: {1: 255}}\n"
        + "          - dmx: {device: stage, channels: {1: 255}}\n"
        + "          - log: still fires\n"
    )
    async with sacn_receiver(port) as heard, daemon(config, tmp_path) as d:
        for n in range(1, 4):
            d.emit(gift())
            await d.outcome("device:gone", n)
        await heard.first(lit(1, 255))
        snap = d.snapshot()
        assert snap["actions"]["log"]["ok"] == 3 and snap["actions"]["device:stage"]["ok"] == 3
        gone = snap["dmx"]["devices"]["gone"]
        # the fade's second frame meets the refusal of the first: away, with the reason
        assert gone["failures"] >= 1 and gone["retries"] >= 1, gone
        assert gone["reason"] == "refused: nothing listens there", gone


DEVICES = (
    "devices:\n"
    "  stage: {sacn: {universe: 2, destination: stage.local}}\n"
    "  bar: {artnet: {host: 10.0.0.2, port: 6454}}\n"
    "  qlc: {osc: {host: 127.0.0.1, port: 7700}}\n"
)


def test_check_says_what_interface_is_for() -> None:
    rule = ROOM + "        do:\n          - dmx: {device: stage, channels: {1: 255}}\n"
    both = "devices:\n  stage: {sacn: {destination: 10.0.0.9, interface: 10.0.0.2}}\n"
    v6 = "devices:\n  stage: {sacn: {interface: 'fe80::1'}}\n"
    name = "devices:\n  stage: {sacn: {interface: eth0}}\n"
    assert problems(both + rule) == [
        "<config>:2:11: devices.stage.sacn: `interface` chooses where multicast leaves: drop"
        " it, or drop `destination`"
    ]
    for text, got in ((v6, "fe80::1"), (name, "eth0")):
        assert problems(text + rule) == [
            "<config>:2:11: devices.stage.sacn: `interface` is this machine's IPv4 address on"
            f" the lighting network, like 192.168.1.10 (got {got!r}; `ip -4 addr` lists them)"
        ]


def test_check_places_dmx_mistakes_at_their_line() -> None:
    assert problems(
        DEVICES.replace("universe: 2", "universe: 0")
        + ROOM
        + "        do:\n"
        + "          - dmx: {device: bar, channels: {x: 1}}\n"
        + "          - dmx: {device: bar, channels: {1: 1}, fade: -1s}\n"
    ) == [
        "<config>:2:18: devices.stage.sacn.universe: must be from 1 to 63999 (got 0)",
        "<config>:11:43: rooms[0].rules[0].do[0].dmx.channels.x: a key here is a whole number,"
        " like 1 (got 'x')",
        "<config>:12:50: rooms[0].rules[0].do[1].dmx.fade: expected a duration like 500ms, 3s,"
        " 2m or 1h, got '-1s'",
    ]
    assert problems(
        DEVICES
        + ROOM
        + "        do:\n"
        + "          - dmx: {device: qlc, channels: {1: 255}}\n"
        + "          - dmx: {device: bar, channels: {0: 1, 2: 256}}\n"
    ) == [
        "<config>:2:11: devices.stage.sacn: `destination` is an IP address, like 192.168.1.60"
        " (got 'stage.local')",
        "<config>:11:19: rooms[0].rules[0].do[0].dmx.device: `dmx` needs an sacn or artnet"
        " device; `qlc` is osc",
        "<config>:12:43: rooms[0].rules[0].do[1].dmx.channels.0: channel 0: a DMX channel is"
        " 1 to 512",
        "<config>:12:49: rooms[0].rules[0].do[1].dmx.channels.2: a DMX value is 0 to 255 (got 256)",
    ]


def test_dmx_is_in_the_schema() -> None:
    schema = json_schema()
    assert set(schema["$defs"]["Device"]["properties"]) >= {"sacn", "artnet", "osc"}
    channels = schema["$defs"]["DmxAction"]["properties"]["channels"]
    assert channels["propertyNames"] == {"pattern": "^[0-9]+$"}

"""The ``osc`` action through a whole daemon into python-osc's own server on loopback: the
address as written, each argument one OSC argument (a viewer's nickname with a newline and
quotes stays one string), nothing sent after the stop, and a device that is away (nothing
listens, a name that does not resolve) costs the other actions nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError
from tests.devices.receivers import free_udp_port, osc_server
from tests.support.toy_daemon import daemon, gift, problems

ROOM = 'rooms:\n  - username: "@toy"\n    rules:\n      - id: cue\n        on: gift\n'


async def test_osc_sends_each_argument_as_one_value(tmp_path: Path) -> None:
    port = free_udp_port()
    config = (
        f"devices:\n  qlc: {{osc: {{host: 127.0.0.1, port: {port}}}}}\n"
        + ROOM
        + '        do: [{osc: {device: qlc, address: /cue/go, args: [3, "{{ user.nickname }}",'
        + ' 0.5, true, "{{ diamonds }}"]}}]\n'
    )
    async with osc_server(port) as heard, daemon(config, tmp_path) as d:
        hostile = 'Bob\n/cue/stop, "x" 1'
        d.emit(gift(hostile, diamonds=5))
        await heard.first(lambda m: m[0] == "/cue/go")
        assert heard.items[0] == ("/cue/go", [3, hostile, 0.5, True, "5"])
        shown = d.snapshot()["osc"]["devices"]["qlc"]
        assert shown["kind"] == "osc" and shown["state"] == "ok" and shown["sent"] == 1
        await d.stop()
        d.emit(gift())  # after the stop: nothing leaves (the room is gone; the device safe)
        assert len(heard.items) == 1


async def test_an_osc_device_that_is_away_costs_nothing_else(tmp_path: Path) -> None:
    port, closed = free_udp_port(), free_udp_port()
    config = (
        "devices:\n"
        "  nowhere: {osc: {host: no-such-host.invalid, port: 9000, retries: 1,"
        " retry_wait: 10ms}}\n"
        f"  silent: {{osc: {{host: 127.0.0.1, port: {closed}}}}}\n"
        f"  qlc: {{osc: {{host: 127.0.0.1, port: {port}}}}}\n"
        + ROOM
        + "        do:\n"
        + "          - osc: {device: nowhere, address: /a}\n"
        + "          - osc: {device: silent, address: /b}\n"
        + "          - osc: {device: qlc, address: /c}\n"
        + "          - log: still fires\n"
    )
    async with osc_server(port) as heard, daemon(config, tmp_path) as d:
        d.emit(gift())
        await heard.first(lambda m: m[0] == "/c")
        counts = await d.outcome("device:nowhere")
        assert counts["failed"] == 1
        snap = d.snapshot()
        nowhere = snap["osc"]["devices"]["nowhere"]
        assert nowhere["state"] == "away" and "no-such-host.invalid" in nowhere["reason"]
        assert (nowhere["retries"], nowhere["failures"]) == (1, 1)
        assert snap["actions"]["log"]["ok"] == 1


def test_the_address_and_device_are_never_templates() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(
            "devices:\n  qlc: {osc: {host: 127.0.0.1, port: 7700}}\n"
            + ROOM
            + "        do:\n"
            + '          - osc: {device: qlc, address: "/cue/{{ user.nickname }}"}\n'
            + "          - osc: {device: qlc, address: cue go}\n"
            + '          - osc: {device: qlc, address: /x, args: ["{{ user.nick }}"]}\n'
        )
    assert list(caught.value.problems) == [
        "<config>:9:32: rooms[0].rules[0].do[0].osc.address: `address` is not a template:"
        " a viewer never picks the address",
        "<config>:10:32: rooms[0].rules[0].do[1].osc.address: an OSC address starts with /"
        " and has no spaces, # or commas, like /cue/go",
        "<config>:11:45: rooms[0].rules[0].do[2].osc.args: unknown user field `nick`"
        " — did you mean `nickname`? in '{{ user.nick }}'",
    ]


async def test_no_viewer_text_changes_the_rules_arguments(tmp_path: Path) -> None:
    """An OSC string ends at its first NUL: a NUL inside a nickname would end it early and the
    rest would be read as the next arguments (a viewer picking the int and the float)."""
    port = free_udp_port()
    config = (
        f"devices:\n  qlc: {{osc: {{host: 127.0.0.1, port: {port}}}}}\n"
        + ROOM
        + '        do: [{osc: {device: qlc, address: /cue/go, args: ["{{ user.nickname }}",'
        + " 7, 1.0]}}]\n"
    )
    forged = "a\0\0\0\0\0\0*?\0\0\0"  # `a`, then an int 42 and a float 0.5 once cut short
    names = [forged, "\0", "abc\0", ",iii\0\0\0\0,s\0\0x\0\0\0"]
    async with osc_server(port) as heard, daemon(config, tmp_path) as d:
        for name in names:
            d.emit(gift(name))
        await heard.first(lambda m: True, after=len(names) - 1)
        for name, (address, args) in zip(names, heard.items, strict=True):
            assert (address, args) == ("/cue/go", [name.replace("\0", "\ufffd"), 7, 1.0])
            assert [type(a) for a in args] == [str, int, float]


async def test_half_an_emoji_in_viewer_text_goes_out_as_u_fffd(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A lone surrogate (half an emoji, as a replayed capture can hold) has no UTF-8 form:
    it is sent as U+FFFD, the rest of the text with it, and nothing is logged as a crash."""
    port = free_udp_port()
    config = (
        f"devices:\n  qlc: {{osc: {{host: 127.0.0.1, port: {port}}}}}\n"
        + ROOM
        + '        do: [{osc: {device: qlc, address: /hi, args: ["{{ user.nickname }}", 1]}}]\n'
    )
    names = ["\ud800lone", "x\udfff\U0001f600"]
    async with osc_server(port) as heard, daemon(config, tmp_path) as d:
        for name in names:
            d.emit(gift(name))
        counts = await d.outcome("device:qlc", len(names))
        assert (counts["ok"], counts["failed"]) == (2, 0)
        await heard.first(lambda m: True, after=len(names) - 1)
        assert heard.items == [("/hi", ["\ufffdlone", 1]), ("/hi", ["x\ufffd\U0001f600", 1])]
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


async def test_each_argument_keeps_the_type_written(tmp_path: Path) -> None:
    """A pan or a fader runs from -1.0 to 1.0: a float stays a float32 (negative, -1.0 and 0.0
    too), an int an int32, a bool a bool and text a string."""
    port = free_udp_port()
    written = "[-1.0, 1.0, -0.5, 0.0, -0.0, 2.5, -3, 2147483647, -2147483648, true, 10s]"
    config = (
        f"devices:\n  qlc: {{osc: {{host: 127.0.0.1, port: {port}}}}}\n"
        + ROOM
        + f"        do: [{{osc: {{device: qlc, address: /pan, args: {written}}}}}]\n"
    )
    sent = [-1.0, 1.0, -0.5, 0.0, -0.0, 2.5, -3, 2147483647, -2147483648, True, "10s"]
    async with osc_server(port) as heard, daemon(config, tmp_path) as d:
        d.emit(gift())
        await heard.first(lambda m: m[0] == "/pan")
        ((_, args),) = heard.items
        assert [(type(a), str(a)) for a in args] == [(type(a), str(a)) for a in sent]


def test_an_argument_osc_cannot_carry_is_a_check_problem() -> None:
    found = problems(
        "devices:\n  qlc: {osc: {host: 127.0.0.1, port: 7700}}\n"
        + ROOM
        + "        do: [{osc: {device: qlc, address: /x, args: [1, 2147483648, -1.0e+39]}}]\n"
    )
    assert found == [
        "<config>:8:57: rooms[0].rules[0].do[0].osc.args[1]: an int argument is an int32,"
        " from -2147483648 to 2147483647",
        "<config>:8:69: rooms[0].rules[0].do[0].osc.args[2]: a float argument is a float32,"
        " at most 3.4e+38 either side of 0",
    ]

"""Numbers in a config that cannot work are `check` errors with file:line (issue 19, items 10
and 12), not a surprise at the first connect: every port, in its own field or inside a URL.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "c.yaml")
    return list(info.value.problems)


def check(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "livetrigger", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


PORTS = """\
rooms: [{{username: "@x"}}]
mqtt: {{host: 127.0.0.1, port: {port}}}
web: {{port: {port}}}
daemon: {{metrics: {{port: {port}}}}}
"""
URL_PORTS = """\
rooms: [{{username: "@x"}}]
tiktok:
  sign_url: "http://127.0.0.1:{port}/sign"
  proxy: "http://proxy:{port}"
webhooks:
  hook: {{url: "http://127.0.0.1:{port}/hook"}}
"""
PORT_FIELDS = {2: "mqtt.port", 3: "web.port", 4: "daemon.metrics.port"}
URL_FIELDS = {3: "tiktok.sign_url", 4: "tiktok.proxy", 6: "webhooks.hook.url"}


@pytest.mark.parametrize("port", [99999, 65536, 0, -1])
@pytest.mark.parametrize(("text", "fields"), [(PORTS, PORT_FIELDS), (URL_PORTS, URL_FIELDS)])
def test_every_port_out_of_range_is_an_error_at_its_line(
    tmp_path: Path, port: int, text: str, fields: dict[int, str]
) -> None:
    text = text.format(port=port)
    if port == 0:  # the dashboard may listen on a port the system picks: it logs which
        fields = {line: name for line, name in fields.items() if name != "web.port"}
    found = {int(p.split(":")[1]): p for p in problems_of(text)}
    assert found.keys() == fields.keys(), found
    for line, field in fields.items():
        assert found[line].startswith(f"c.yaml:{line}:"), found[line]
        assert f": {field}: " in found[line] and " to 65535" in found[line], found[line]
    result = check(tmp_path, text)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count(" to 65535") == len(fields), result.stderr


def test_ports_in_range_and_urls_without_one_pass() -> None:
    config = load_config_text(PORTS.format(port=65535))
    assert config.mqtt is not None and config.mqtt.port == 65535
    assert config.web.port == 65535 and config.daemon.metrics.port == 65535
    config = load_config_text(URL_PORTS.format(port=1).replace(":1/sign", "/sign"))
    assert config.tiktok.sign_url == "http://127.0.0.1/sign"
    assert config.webhooks[0].url == "http://127.0.0.1:1/hook"


# -- item 12: NaN, infinity, and zero where it makes no sense -------------------------------

NAN_AND_INF = """\
rooms: [{{username: "@x"}}]
gpio:
  pin_factory: mock
  outputs:
    relay: {{pin: 17, kind: relay, max_on: {value}}}
rules:
  - id: r
    on: gift
    cooldown: {value}
    when: {{total_diamonds: {{gte: {value}}}}}
    do: [{{gpio: {{output: relay, action: blink, on_time: {value}}}}}]
"""


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", '"nan"', '"inf"', "1e999"])
def test_nan_and_infinity_are_refused_where_a_duration_is_due(value: str) -> None:
    found = problems_of(NAN_AND_INF.format(value=value))
    where = {p.split(": ")[1] for p in found}
    # a NaN max_on compared false with everything: the relay had no limit at all
    assert "gpio.outputs.relay.max_on" in where, found
    assert {"rules[0].cooldown", "rules[0].do[0].gpio.on_time"} <= where, found
    assert all(p.startswith("c.yaml:") and p.split(":")[1].isdigit() for p in found)


def test_a_nan_condition_is_refused() -> None:
    (problem,) = problems_of(
        'rooms: [{username: "@x"}]\nrules:\n  - id: r\n    on: gift\n'
        "    when: {total_diamonds: .nan}\n    do: [{log: x}]\n"
    )
    assert problem.startswith("c.yaml:5:") and "write a number" in problem


ALL_ZERO = """\
rooms: [{username: "@x"}]
tiktok:
  http_timeout: 0
  connect_timeout: 0
  stall_timeout: 0
  live_check_interval: 0
  reconnect_initial: 0
  reconnect_max: 0
  heartbeat_interval: 0
  polling_interval: 0
mqtt: {host: 127.0.0.1, keepalive: 0, reconnect_min: 0, reconnect_max: 0, queue_size: 0}
webhooks:
  hook: {url: "http://127.0.0.1:9/hook", timeout: 0, connect_timeout: 0, retry_initial: 0}
gpio:
  pin_factory: mock
  outputs:
    relay: {pin: 17, max_on: 0, max_per_minute: 0, queue_size: 0}
"""
ZERO_FIELDS = {
    "tiktok.http_timeout",
    "tiktok.connect_timeout",
    "tiktok.stall_timeout",
    "tiktok.live_check_interval",
    "tiktok.reconnect_initial",
    "tiktok.reconnect_max",
    "tiktok.heartbeat_interval",
    "tiktok.polling_interval",
    "mqtt.keepalive",
    "mqtt.reconnect_min",
    "mqtt.reconnect_max",
    "mqtt.queue_size",
    "webhooks.hook.timeout",
    "webhooks.hook.connect_timeout",
    "webhooks.hook.retry_initial",
    "gpio.outputs.relay.max_on",
    "gpio.outputs.relay.max_per_minute",
    "gpio.outputs.relay.queue_size",
}


def test_all_zero_timeouts_and_backoffs_are_refused_by_check_and_run(tmp_path: Path) -> None:
    # all zero gave 797 connects in 8 s: every wait that paces a retry has a floor
    found = problems_of(ALL_ZERO)
    by_field = {p.split(": ")[1]: p for p in found}
    assert by_field.keys() == ZERO_FIELDS, sorted(by_field)
    for problem in found:
        assert "must be " in problem and "(got 0)" in problem, problem
    assert "tight loop" in by_field["tiktok.reconnect_initial"]
    assert "null" in by_field["gpio.outputs.relay.max_on"]
    result = check(tmp_path, ALL_ZERO)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    run = subprocess.run(
        [sys.executable, "-m", "livetrigger", "run", "-c", str(tmp_path / "config.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1 and "tiktok.reconnect_initial" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_backoff_must_grow_and_the_floors_themselves_pass() -> None:
    (problem,) = problems_of(
        'rooms: [{username: "@x"}]\ntiktok: {reconnect_initial: 10s, reconnect_max: 1s}\n'
    )
    assert problem.startswith("c.yaml:2:") and "reconnect_max at least 10s" in problem
    config = load_config_text(
        'rooms: [{username: "@x"}]\n'
        "tiktok: {reconnect_initial: 100ms, reconnect_max: 100ms, live_check_interval: 100ms}\n"
        "mqtt: {reconnect_min: 1s, reconnect_max: 1s, keepalive: 5s}\n"
    )
    assert config.tiktok.reconnect_initial == config.tiktok.reconnect_max == 0.1

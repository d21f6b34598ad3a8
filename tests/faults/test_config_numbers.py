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

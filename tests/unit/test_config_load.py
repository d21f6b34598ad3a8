"""The config loader: every problem at once, with file:line:col, path and a hint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger.cli import main
from livetrigger.config import ConfigFileError, load_config, load_config_text
from livetrigger.config.durations import parse_duration
from livetrigger.config.schema import json_schema
from livetrigger.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = "rooms:\n  - username: '@someone'\n"


def problems_of(text: str, **kw: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "c.yaml", **kw)  # type: ignore[arg-type]
    return list(info.value.problems)


def test_example_config_loads_and_uses_every_action_kind() -> None:
    config = load_config(ROOT / "config.example.yaml", env={})
    kinds = {a.kind for room in config.rooms for r in room.rules for a in r.actions}
    assert kinds == {"mqtt", "gpio", "webhook", "log"}
    assert config.rooms[0].settings.unique_id == "demo_streamer"
    assert config.gpio.outputs[0].max_on == 30.0


def test_schema_file_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "config.schema.json").read_text())
    assert committed == json_schema(), "run `livetrigger schema > docs/config.schema.json`"


def test_near_miss_key_names_line_and_suggestion() -> None:
    text = MINIMAL + "mqtt:\n  host: x\n  pasword: y\n"
    (problem,) = problems_of(text)
    assert problem.startswith("c.yaml:5:3: mqtt.pasword: unknown key `pasword`")
    assert "did you mean `password`" in problem
    assert "'y'" not in problem  # the value of a would-be secret is not echoed


def test_all_problems_reported_at_once_in_file_order() -> None:
    text = """\
rooms:
  - username: "@x"
    rules:
      - id: a
        on: gift
        when: {diamons: {gte: 100}}
        do: [{log: "{{ user.nicknam }}"}]
      - id: b
        on: lkie
        cooldown: 5x
        do: [{gpio: {output: lamp}}]
"""
    found = problems_of(text)
    assert len(found) == 3 or len(found) == 4
    joined = "\n".join(found)
    assert "c.yaml:6:" in joined and "did you mean `diamonds`" in joined
    assert "did you mean `nickname`" in joined
    assert "c.yaml:10:" in joined and "5x" in joined
    lines = [int(p.split(":")[1]) for p in found]
    assert lines == sorted(lines)


def test_condition_errors_point_at_operator() -> None:
    text = (
        MINIMAL
        + "    rules:\n      - id: r\n        on: gift\n        when: {diamonds: {gtee: 5}}\n        do: [{log: x}]\n"
    )
    (problem,) = problems_of(text)
    assert "when.diamonds.gtee" in problem and "did you mean `gte`" in problem


def test_env_substitution_and_defaults() -> None:
    text = MINIMAL + "mqtt:\n  host: ${H}\n  port: ${P:-1884}\n"
    config = load_config_text(text, env={"H": "broker.local"})
    assert config.mqtt is not None
    assert (config.mqtt.host, config.mqtt.port) == ("broker.local", 1884)


def test_missing_env_is_reported_without_value() -> None:
    (problem,) = problems_of(MINIMAL + "mqtt:\n  password: ${MQTT_PW}\n", env={})
    assert "MQTT_PW is not set" in problem


def test_secret_file_read_and_permissions_checked(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cr3t-canary\n")
    secret.chmod(0o600)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(MINIMAL + "mqtt:\n  password_file: pw\n")
    config = load_config(cfg)
    assert config.mqtt is not None and config.mqtt.password == "s3cr3t-canary"
    assert "s3cr3t-canary" in config.secrets
    assert "s3cr3t-canary" not in repr(config.mqtt)
    secret.chmod(0o644)
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert "chmod 600" in info.value.problems[0]
    assert "s3cr3t-canary" not in str(info.value.problems)


def test_an_unreadable_web_token_file_is_one_problem_not_two(tmp_path: Path) -> None:
    """docs/dashboard.md's LAN example with its token file missing: the config did set a
    token, so "set web.token (or web.token_file)" on the host line was wrong advice."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(MINIMAL + "web:\n  enabled: true\n  host: 0.0.0.0\n  token_file: web.token\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert len(info.value.problems) == 1
    assert "web.token_file: cannot read secret file" in info.value.problems[0]
    cfg.write_text(MINIMAL + "web:\n  enabled: true\n  host: 0.0.0.0\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert "set web.token" in info.value.problems[0]  # without any token it is still refused


def test_missing_file_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError):
        load_config(tmp_path / "nope.yaml")


def test_yaml_syntax_error_has_position() -> None:
    (problem,) = problems_of("rooms: [\n  - x: {\n")
    assert problem.startswith("c.yaml:")


RULE = MINIMAL + "    rules:\n      - id: r1\n        on: gift\n        do:\n"
NEXT_RULE = "      - id: r2\n        on: like\n        do: [log: hi]\n"


@pytest.mark.parametrize(
    ("action", "at", "advice"),
    [
        (
            "{device: strip, color: #ff8800, brightness: 80%, duration: 5s}",
            "c.yaml:7:43:",
            'quote the value: color: "#ff8800"',
        ),
        ("{device: q, address: /a, args: [1, #x, 2]}", "c.yaml:7:55:", 'quote it: "#x"'),
        ("{device: strip, color: red  # red}", "c.yaml:7:48:", "nor the `}` in it"),
    ],
)
def test_a_hash_that_cuts_a_one_line_bracket_is_named_at_its_column(
    action: str, at: str, advice: str
) -> None:
    """The parser stumbles on the next rule's `-`; the cause is the `#` the line before."""
    for rest in (NEXT_RULE, ""):  # another rule follows, or the file ends
        problems = problems_of(f"{RULE}          - light: {action}\n{rest}")
        assert problems[0].startswith(f"{at} in YAML a # starts a comment"), problems
        assert advice in problems[0], problems
        assert "check indentation and quoting" in problems[1]


def test_a_comment_in_a_bracket_over_lines_is_no_hint() -> None:
    text = RULE + "          - light: {device: strip,  # the desk\n              color: red,\n"
    (problem,) = problems_of(text + "          - bad\n")
    assert problem.startswith("c.yaml:9:11: expected the node content"), problem


def test_yaml_on_is_a_key_not_true() -> None:
    text = MINIMAL + "    rules:\n      - id: r\n        on: gift\n        do: [{log: x}]\n"
    config = load_config_text(text)
    assert config.rooms[0].rules[0].kinds == {"gift"}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("3s", 3.0), ("2m", 120.0), ("1h", 3600.0), ("1h30m", 5400.0), (7, 7.0)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_null_duration_disables() -> None:
    assert parse_duration(None) is None


def test_usernames_are_normalised() -> None:
    text = "rooms:\n  - username: https://www.tiktok.com/@Some.One/live\n"
    room = load_config_text(text).rooms[0].settings
    assert room.unique_id == "Some.One" and room.name == "some_one"


def test_check_counts_rules_in_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(
        MINIMAL.replace("rooms:", "rules: [{id: r, on: follow, do: [{log: x}]}]\nrooms:")
    )
    assert main(["check", str(one)]) == 0
    assert "(@someone): 1 rule\n" in capsys.readouterr().out  # was "1 rules"


def test_check_command_exit_codes(tmp_path: Path) -> None:
    def check(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "livetrigger", "check", str(path)],
            capture_output=True,
            check=False,
            text=True,
            env={**os.environ, "MQTT_PW": "canary-pw"},
        )

    ok = check(ROOT / "config.example.yaml")
    assert ok.returncode == 0 and "big_gift" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL + "mqtt:\n  password: ${MQTT_PW}\n  hots: x\n")
    result = check(bad)
    assert result.returncode == 1 and "did you mean `host`" in result.stderr
    assert "canary-pw" not in result.stderr + result.stdout
    assert check(tmp_path / "missing.yaml").returncode == 2


def test_a_status_socket_path_too_long_to_bind_is_a_problem_at_its_line() -> None:
    """The kernel refuses a socket path past 107 bytes; the daemon would run without its
    status socket (a warning), so `check` says it first."""
    long_path = "/run/" + "d" * 98 + ".sock"  # 108 characters
    (problem,) = problems_of(MINIMAL + f"daemon:\n  status_socket: {long_path}\n")
    assert problem.startswith("c.yaml:4:3: daemon.status_socket: a socket's path holds at most 107")
    assert "/run/livetrigger/livetrigger.sock" in problem
    fits = load_config_text(MINIMAL + f"daemon:\n  status_socket: {long_path[:-1]}\n")
    assert fits.daemon.status_socket == long_path[:-1]


def test_an_unreadable_secret_file_is_one_problem_not_also_a_missing_secret() -> None:
    """A Hue device whose app_key_file cannot be read was told to "give app_key_file" too."""
    text = (
        "devices:\n"
        "  lamp: {hue: {bridge: 192.168.1.2, app_key_file: /nonexistent/hue.key, light: L}}\n"
        "rooms: [{username: '@me', rules: [{id: a, on: gift, do: [light: {device: lamp}]}]}]\n"
    )
    problems = problems_of(text)
    assert len(problems) == 1, problems
    assert (
        "devices.lamp.hue.app_key_file: cannot read secret file /nonexistent/hue.key"
        in (problems[0])
    )

"""Config files built to hurt (issue 19, items 8 and 12): alias bombs, recursive aliases,
deep nesting, huge files and duplicate keys end in a message with file:line and what to do,
through the real `livetrigger check` command as well as the loader. Never a RecursionError,
a traceback, or gigabytes of memory.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from livetrigger.config import ConfigFileError, load_config, load_config_text
from livetrigger.errors import ConfigError

MAX_BYTES = 1 << 20  # what the loader promises to read at most

# nine levels of nine aliases: 9**9 (387 million) strings once expanded, 600 bytes on disk
BILLION_LAUGHS = "".join(
    [
        'rooms: [{username: "@x"}]\n',
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n',
        *(
            f"{cur}: &{cur} [{','.join(['*' + prev] * 9)}]\n"
            for prev, cur in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


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


def test_billion_laughs_is_a_message_with_its_line(tmp_path: Path) -> None:
    assert len(BILLION_LAUGHS) < 700
    (problem,) = problems_of(BILLION_LAUGHS)
    assert problem.startswith("c.yaml:")
    assert "expands to more than 100,000 values" in problem and "alias" in problem
    result = check(tmp_path, BILLION_LAUGHS)
    assert result.returncode == 1
    assert "billion laughs" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        "rooms: &r [{username: '@x', rules: *r}]\n",  # a list that contains itself
        "a: &a {b: *a}\nrooms: [{username: '@x'}]\n",  # a mapping that contains itself
        "rooms: [{username: '@x'}]\nx: " + "[" * 3000 + "]" * 3000 + "\n",  # plain deep nesting
        "rooms: [{username: '@x'}]\nx:\n" + "".join("  " * i + "- \n" for i in range(1, 200)),
    ],
    ids=["recursive-list", "recursive-mapping", "deep-flow", "deep-block"],
)
def test_recursion_and_depth_are_messages_not_recursion_errors(tmp_path: Path, text: str) -> None:
    (problem,) = problems_of(text)
    assert "nested more than 40 levels deep" in problem and "flatten" in problem
    assert problem.startswith("c.yaml:") and problem.split(":")[1].isdigit()
    result = check(tmp_path, text)
    assert result.returncode == 1, result.stderr
    assert "RecursionError" not in result.stderr and "Traceback" not in result.stderr


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("rooms: [{username: '@x'}]\n" + "# padding\n" * (MAX_BYTES // 10 + 1))
    with pytest.raises(ConfigFileError, match="is this the right file"):
        load_config(path)


def test_merge_keys_still_work_and_explicit_keys_win() -> None:
    text = """\
rooms:
  - &base {username: "@x", name: one, room_id: 5}
  - <<: *base
    name: two
"""
    first, second = load_config_text(text, "c.yaml").rooms
    assert (first.settings.name, second.settings.name) == ("one", "two")
    assert second.settings.room_id == 5 and second.settings.unique_id == "x"


def test_duplicate_keys_name_both_lines(tmp_path: Path) -> None:
    text = """\
rooms:
  - username: "@x"
    rules:
      - id: a
        on: gift
        do: [{log: one}]
        on: chat
"""
    (problem,) = problems_of(text)
    assert problem.startswith("c.yaml:7:9: rooms[0].rules[0].on:")
    assert "written twice (lines 5 and 7)" in problem and "delete one" in problem
    result = check(tmp_path, text)
    assert result.returncode == 1 and "lines 5 and 7" in result.stderr


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("9" * 5000, "mqtt.port: expected a whole number"),  # Python reads 4,300 digits at most
        ('"' + "9" * 5000 + '"', "mqtt.port: expected a whole number"),
        ("2026-12-02", "mqtt.port: expected a whole number"),  # a date is text, as in YAML 1.2
        ("2026-13-45", "mqtt.port: expected a whole number"),  # no longer an exception
    ],
    ids=["long-number", "long-quoted", "date", "impossible-date"],
)
def test_values_python_cannot_build_are_problems_at_their_line(written: str, said: str) -> None:
    text = f'mqtt:\n  port: {written}\nrooms:\n  - username: "@a"\n'
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, "c.yaml", env={})
    (line,) = caught.value.problems
    assert line.startswith("c.yaml:2:3: ") and said in line


def test_a_date_in_a_description_is_text() -> None:
    config = load_config_text(
        'rooms:\n  - username: "@a"\n    rules:\n      - id: a\n'
        "        on: chat\n        description: 2026-13-45\n        do: [{log: x}]\n",
        "c.yaml",
        env={},
    )
    assert config.rooms[0].rules[0].description == "2026-13-45"


@pytest.mark.parametrize("value", ["9" * 5000, "2026-13-45", "yes"])
def test_a_whole_env_value_is_typed_as_the_file_would_type_it(value: str) -> None:
    """`${VAR}` alone keeps YAML's typing, with the file's rules: YAML 1.2 booleans (a host
    named `yes` is text), no dates, and a number Python cannot build is a problem, not a
    traceback."""
    text = 'mqtt:\n  host: ${H}\n  port: ${P}\nrooms:\n  - username: "@a"\n'
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, "c.yaml", env={"H": value, "P": value})
    lines = caught.value.problems
    assert [line.split(": ")[1] for line in lines] == ["mqtt.port"], lines


def test_paths_and_topic_prefixes_say_what_is_wrong_with_them(tmp_path: Path) -> None:
    """A NUL in a path, a wildcard or NUL in a topic prefix, a secret file that is not text:
    each a problem at its line (a NUL or bytes used to escape as a ValueError; a wildcard
    prefix made every publish invalid at run time)."""
    binary = tmp_path / "key.bin"
    binary.write_bytes(b"\xff\xfe\x00secret")
    binary.chmod(0o600)
    text = (
        'mqtt:\n  host: h\n  base_topic: "home/#"\n  password_file: "a\\0b"\n'
        'homeassistant:\n  prefix: "ha+"\n'
        f'tiktok:\n  sign_api_key_file: "{binary}"\n'
        'daemon:\n  state_dir: "/var/lib/\\0"\n'
        'rooms:\n  - username: "@a"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, "c.yaml", env={}, base_dir=tmp_path)
    said = {line.split(": ")[1]: line for line in caught.value.problems}
    assert sorted(said) == [
        "daemon.state_dir",
        "homeassistant.prefix",
        "mqtt.base_topic",
        "mqtt.password_file",
        "tiktok.sign_api_key_file",
    ], said
    assert (
        "without + or #" in said["mqtt.base_topic"]
        and "without + or #" in said["homeassistant.prefix"]
    )
    assert "NUL" in said["mqtt.password_file"] and "NUL" in said["daemon.state_dir"]
    assert "not UTF-8 text" in said["tiktok.sign_api_key_file"]


@pytest.mark.parametrize(
    ("section", "url", "said"),
    [
        ("tiktok:\n  sign_url", "ftp://sign.example", "must start with http:// or https://"),
        ("tiktok:\n  push_server", "https://push.example/ws", "must start with ws:// or wss://"),
        ("tiktok:\n  proxy", "ftp://proxy:21", "http://, https://, socks4://, socks5:// or"),
        ("tiktok:\n  webcast_url", "https:///path", "names no host"),
        ("tiktok:\n  web_url", "https://[::1/", "not a URL (Invalid IPv6 URL)"),
        ("tiktok:\n  web_url", "https://h:99999/", "`:99999` is not a port"),
        ("webhooks:\n  r:\n    url", "http://h/a b", "no spaces or control characters"),
        ("webhooks:\n  r:\n    url", "http://h/\\r\\nX-Evil: 1", "no spaces or control characters"),
    ],
)
def test_a_url_that_would_fail_at_its_first_request_fails_check(
    section: str, url: str, said: str
) -> None:
    text = f'{section}: "{url}"\nrooms:\n  - username: "@a"\n'
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, "c.yaml", env={})
    (line,) = caught.value.problems
    assert said in line, line


def test_the_urls_people_write_still_load() -> None:
    load_config_text(
        'tiktok:\n  sign_url: "https://sign.example:8443/x"\n  push_server: "wss://push.example/ws"\n'
        '  proxy: "socks5h://user:pw@127.0.0.1:1080"\n  web_url: "http://[::1]:8080"\n'
        'webhooks:\n  r:\n    url: "https://hooks.example/in?k=v%20w"\n'
        'rooms:\n  - username: "@a"\n',
        "c.yaml",
        env={},
    )


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ('host: ""', "mqtt.host: a host name or address"),
        ('host: "broker .lan"', "mqtt.host: a host name or address"),
        ("host: ${MQTT_HOST}", "environment variable MQTT_HOST is not set"),  # said once
    ],
)
def test_a_broker_the_client_could_never_reach_fails_check(written: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(f'mqtt:\n  {written}\nrooms:\n  - username: "@a"\n', "c.yaml", env={})
    (line,) = caught.value.problems
    assert said in line, line

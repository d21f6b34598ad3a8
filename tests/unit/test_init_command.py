"""``livetrigger init``: a starter config that checks, the example and the schema beside it."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from livetrigger.cli import main
from livetrigger.commands import init
from livetrigger.config import load_config
from livetrigger.config.schema import json_schema


def test_writes_starter_example_and_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "deep" / "config.yaml"
    assert main(["init", str(config)]) == 0
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert load_config(config).rooms[0].rules
    example = tmp_path / "deep" / "config.example.yaml"
    assert load_config(example).rooms[0].rules
    out = capsys.readouterr().out
    assert f"wrote {config}" in out and "config.schema.json" in out


@pytest.mark.parametrize("name", ["config.yaml", "config.example.yaml"])
def test_the_modeline_names_a_schema_that_is_there(tmp_path: Path, name: str) -> None:
    """Editors resolve the modeline relative to the file: the schema must be beside it, and
    be this version's."""
    assert main(["init", str(tmp_path)]) == 0
    first = (tmp_path / name).read_text(encoding="utf-8").splitlines()[0]
    found = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert found, first
    schema = tmp_path / found.group(1)
    assert json.loads(schema.read_text(encoding="utf-8")) == json_schema()


def test_keeps_an_existing_config_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("mine: true\n")
    assert main(["init", str(config)]) == 1
    assert config.read_text() == "mine: true\n"
    assert not (tmp_path / "config.example.yaml").exists()
    assert "--force" in capsys.readouterr().err
    assert main(["init", "--force", str(config)]) == 0
    assert load_config(config).rooms


def test_a_path_ending_in_a_slash_is_a_directory(tmp_path: Path) -> None:
    assert main(["init", f"{tmp_path / 'new'}/"]) == 0
    assert (tmp_path / "new" / "config.yaml").is_file()


def test_default_path_is_etc_for_root_else_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(init.os, "geteuid", lambda: 0)
    assert init.target(None) == Path("/etc/livetrigger/config.yaml")
    monkeypatch.setattr(init.os, "geteuid", lambda: 1000)
    assert init.target(None) == Path("config.yaml")


def test_unwritable_place_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["init", str(blocker / "config.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {blocker / 'config.yaml'}")
    assert "Traceback" not in err


def test_every_commented_section_is_valid_when_uncommented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The starter's commented sections are there to be uncommented: doing so for all of them
    (and the commented actions in the rules) gives a valid config using each of them."""
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret")
    blocks = init.starter_text().split("\n\n")
    out = []
    for block in blocks:
        lines = block.splitlines()
        start = next((i for i, line in enumerate(lines) if re.match(r"# [a-z_]+:", line)), None)
        if start is not None and all(line.startswith("#") for line in lines):
            lines = [line[2:] for line in lines[start:]]
        out.append("\n".join(re.sub(r"^(\s+)# - ", r"\1- ", line) for line in lines))
    path = tmp_path / "all.yaml"
    path.write_text("\n\n".join(out))
    config = load_config(path)
    assert config.mqtt is not None
    assert [o.name for o in config.gpio.outputs] == ["lamp"]
    assert config.webhooks
    assert config.web.enabled  # the dashboard, offered commented out (issue 26)
    assert [a.kind for a in config.rooms[0].rules[0].actions] == ["log", "gpio", "mqtt"]

"""tests/data/every-key.yaml uses every key of the config schema, and it loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livetrigger.config import load_config
from livetrigger.config.schema import json_schema
from livetrigger.config.yamlpos import load_located

EVERY = Path(__file__).resolve().parents[1] / "data" / "every-key.yaml"


def _schema_paths(node: dict[str, Any], defs: dict[str, Any], prefix: str, out: set[str]) -> None:
    if "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in node.get(key, []):
            _schema_paths(sub, defs, prefix, out)
    if isinstance(node.get("items"), dict):
        _schema_paths(node["items"], defs, prefix + "[]", out)
    if isinstance(node.get("additionalProperties"), dict):
        _schema_paths(node["additionalProperties"], defs, prefix + ".*", out)
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        out.add(path)
        _schema_paths(sub, defs, path, out)


def _used_paths(value: Any, prefix: str, out: set[str], maps: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            key = "*" if prefix in maps else str(k)
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            _used_paths(v, path, out, maps)
    elif isinstance(value, list):
        for v in value:
            _used_paths(v, prefix + "[]", out, maps)


def test_every_schema_key_is_used_and_the_file_loads() -> None:
    schema = json_schema()
    wanted: set[str] = set()
    _schema_paths(schema, schema["$defs"], "", wanted)
    maps = {"gpio.outputs", "gpio.inputs", "webhooks", "devices"}
    maps |= {p.rsplit(".*", 1)[0] for p in wanted if p.endswith(".*")}  # free-form mappings
    used: set[str] = set()
    _used_paths(load_located(EVERY.read_text()).data, "", used, maps)
    free_form = (
        "when.",
        "json.",
        "query.",
        "headers.",
        "channels.",
    )  # their keys are the user's, not ours
    # room rules and shared rules are the same model: count them as one
    wanted = {p.replace("rooms[].rules[]", "rules[]") for p in wanted}
    used = {p.replace("rooms[].rules[]", "rules[]") for p in used}
    missing = sorted(
        p
        for p in wanted
        if p not in used and not p.endswith(".*") and not any(f in p for f in free_form)
    )
    assert not missing, f"add these keys to tests/data/every-key.yaml: {missing}"
    config = load_config(EVERY, env={})
    assert {r.id for r in config.rooms[0].rules} >= {"every_key", "shared", "command_rule"}

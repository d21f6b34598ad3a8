"""docs/config.md documents every key of the schema, so the reference cannot fall behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livetrigger.config.schema import json_schema

DOC = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text()


def _keys(node: dict[str, Any], defs: dict[str, Any], out: set[str]) -> None:
    if "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in node.get(key, []):
            _keys(sub, defs, out)
    if isinstance(node.get("items"), dict):
        _keys(node["items"], defs, out)
    if isinstance(node.get("additionalProperties"), dict):
        _keys(node["additionalProperties"], defs, out)
    for name, sub in node.get("properties", {}).items():
        out.add(name)
        _keys(sub, defs, out)


def test_every_config_key_is_documented() -> None:
    schema = json_schema()
    keys: set[str] = set()
    _keys(schema, schema["$defs"], keys)
    missing = sorted(k for k in keys if f"`{k}`" not in DOC)
    assert not missing, f"document these keys in docs/config.md: {missing}"

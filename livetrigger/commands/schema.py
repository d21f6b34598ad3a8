"""``livetrigger schema``: the JSON Schema of the config file, for editors."""

from __future__ import annotations

import argparse
import json
from typing import Any

from livetrigger.config.schema import json_schema


def register(sub: Any) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of the config file")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0

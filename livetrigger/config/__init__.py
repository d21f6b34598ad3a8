"""The config file: load (YAML → validated model, ${ENV}, *_file secrets, line numbers).

The names below load on first use, so a command that needs only the file's shape
(``livetrigger schema``) does not pay for the loader and the rules compiler.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from livetrigger.config.load import load_config, load_config_text
    from livetrigger.config.model import Config, RoomConfig
    from livetrigger.errors import ConfigFileError

__all__ = ["Config", "ConfigFileError", "RoomConfig", "load_config", "load_config_text"]
_HOME = {
    "ConfigFileError": "load",  # it lives in livetrigger.errors; load re-exports it
    "load_config": "load",
    "load_config_text": "load",
    "Config": "model",
    "RoomConfig": "model",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)

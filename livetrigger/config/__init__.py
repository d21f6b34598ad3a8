"""The config file: load (YAML → validated model, ${ENV}, *_file secrets, line numbers)."""

from livetrigger.config.load import ConfigFileError, load_config, load_config_text
from livetrigger.config.model import Config, RoomConfig

__all__ = ["Config", "ConfigFileError", "RoomConfig", "load_config", "load_config_text"]

"""The dashboard's config rules: other machines only with a token."""

from __future__ import annotations

import pytest

from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError

BASE = """\
rooms: [{username: "@someone", rules: [{id: r, on: gift, do: [{log: x}]}]}]
"""


def test_a_lan_dashboard_without_a_token_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_config_text(BASE + "web: {enabled: true, host: 0.0.0.0}\n")
    (problem,) = err.value.problems
    assert ":2:" in problem and "set web.token" in problem


def test_loopback_needs_no_token_and_a_token_is_a_secret() -> None:
    assert load_config_text(BASE + "web: {enabled: true}\n").web.enabled
    config = load_config_text(BASE + "web: {enabled: true, host: 0.0.0.0, token: abc123xyz}\n")
    assert config.web.token == "abc123xyz" and "abc123xyz" in config.secrets
    assert "abc123xyz" not in repr(config.web)

"""Credentials a config holds outside its declared secret fields (headers, query parameters and
URL passwords named like credentials) reach the log redactor; templates and plain values do not."""

from __future__ import annotations

import logging

from livetrigger.config import load_config_text
from livetrigger.system.logs import SecretRedactor

CONFIG = """\
tiktok:
  request_headers: {Cookie: "sessionid=cookie-canary-1; tt_lang=en"}
  sign_headers: {X-Api-Key: sign-header-canary}
webhooks:
  hook:
    url: "https://user:url-password-canary@hooks.example/x?token=url-query-canary&page=home"
rooms:
  - username: "@someone"
    rules:
      - id: ping
        on: gift
        do:
          - webhook:
              endpoint: hook
              headers: {Authorization: "Token ${ACTION_TOKEN}", X-Nick: "{{ user.nickname }}"}
              query: {api_key: action-query-canary, room: lobby-room}
rules:
  - id: shared
    on: chat
    do:
      - webhook: {endpoint: hook, headers: {X-Auth-Token: "{{ user.unique_id }}"}}
"""

FOUND = [
    "sessionid=cookie-canary-1; tt_lang=en",
    "cookie-canary-1",
    "sign-header-canary",
    "url-password-canary",
    "url-query-canary",
    "Token action-header-canary",
    "action-header-canary",
    "action-query-canary",
]


def test_credentials_outside_secret_fields_are_secrets() -> None:
    config = load_config_text(CONFIG, env={"ACTION_TOKEN": "action-header-canary"})
    for value in FOUND:
        assert value in config.secrets, value
    # viewer data and plain values are not: scrubbing them would hide what the log is for
    for plain in (
        "{{ user.nickname }}",
        "{{ user.unique_id }}",
        "lobby-room",
        "home",
        "en",
        "user",
    ):
        assert plain not in config.secrets, plain


def test_the_redactor_scrubs_them_from_a_record() -> None:
    config = load_config_text(CONFIG, env={"ACTION_TOKEN": "action-header-canary"})
    redactor = SecretRedactor(config.secrets)
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "sent ?token=url-query-canary with cookie-canary-1 and action-header-canary",
        None,
        None,
    )
    assert redactor.filter(record)
    line = record.getMessage()
    assert "canary" not in line and line.count("***") == 3

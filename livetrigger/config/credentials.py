"""Every credential a config holds, so the log redactor can scrub it wherever it turns up.

Besides the declared secret fields (keys, passwords, ``*_file`` contents) a config carries
credentials in places whose shape says so: a header named like a credential (``Authorization``,
``X-Api-Key``, ``Cookie``) on a webhook endpoint, on a rule's webhook action or on TikTok's
requests; a query parameter named like one (``?token=``) in a URL or an action's ``query``; the
password in a URL's ``user:password@``. Template values (``{{ ... }}``) are viewer data, not
credentials, and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from livetrigger.actions.webhook import WebhookAction
from livetrigger.config import schema as cs
from livetrigger.config.model import Config

_CREDENTIAL_NAME = re.compile(r"auth|cookie|key|token|secret|password|session|signature", re.I)


def credentials_in(config: Config, model: cs.ConfigFile) -> set[str]:
    found: set[str] = set()
    t = config.tiktok
    declared = (t.sign_api_key, t.session_id, config.mqtt.password if config.mqtt else None)
    found.update(v for v in (*declared, *(w.secret for w in config.webhooks)) if v)
    for endpoint in config.webhooks:
        _named(found, endpoint.headers)
        _in_url(found, endpoint.url)
    _named(found, (*t.request_headers, *t.websocket_headers, *t.sign_headers))
    for url in (t.web_url, t.webcast_url, t.sign_url):
        _in_url(found, url)
    for rule in (*model.rules, *(r for room in model.rooms for r in room.rules)):
        for action in rule.do:
            if isinstance(action.entry, WebhookAction):
                _named(found, action.entry.headers.items())
                _named(found, action.entry.query.items())
    return found


def _named(found: set[str], pairs: Iterable[tuple[str, str]]) -> None:
    for name, value in pairs:
        if _CREDENTIAL_NAME.search(name) and "{{" not in value:
            # "Bearer xyz" is a secret whole and as "xyz"; so is each cookie's value
            _add(found, value)
            _add(found, value.split()[-1] if value.split() else "")
            for part in value.split(";"):
                _add(found, part.partition("=")[2].strip())


def _in_url(found: set[str], url: str) -> None:
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # the config check reports a bad URL; nothing to find here
        return
    _add(found, password)
    _named(found, parse_qsl(parts.query))


def _add(found: set[str], value: str | None) -> None:
    # found by its shape, not declared: a one-letter "secret" (a cookie's "=1") would scrub
    # every log line that holds that letter
    if value and len(value.strip()) >= 4:
        found.add(value.strip())

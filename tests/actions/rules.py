"""A rule around one entry of ``do``, loaded from YAML as ``check`` and ``run`` do: what an
action kind's tests compile, fire and read the problems of."""

from __future__ import annotations

import pytest

from livetrigger import events as ev
from livetrigger.actions import ActionRequest
from livetrigger.config import load_config_text
from livetrigger.errors import ConfigError
from livetrigger.rules.engine import Engine

HEAD = """\
mqtt: {host: localhost}
gpio: {pin_factory: mock, outputs: {lamp: {pin: 17}, buzzer: {pin: 18}}}
webhooks: {hook: {url: "http://127.0.0.1:9/x"}}
rooms:
  - username: "@room"
    rules:
      - id: r
        on: chat
        do:
"""  # an entry of `do` starts on line 10, column 13 ("- " at 11)


def chat(nickname: str = "Alice", text: str = "hi") -> ev.ChatEvent:
    return ev.ChatEvent(user=ev.User(id=7, unique_id="alice", nickname=nickname), text=text)


def fire(do: str, event: ev.Event | None = None, head: str = HEAD) -> list[ActionRequest]:
    """The requests the rule's entries build for ``event`` (a chat from Alice)."""
    config = load_config_text(head + _indent(do))
    room = config.rooms[0]
    engine = Engine(room.rules, room=room.settings.name, base_topic="lt")
    return engine.evaluate(event or chat(), now=1.0)


def problems(do: str, head: str = HEAD) -> list[str]:
    """What ``check`` says about the rule's entries, one line each."""
    with pytest.raises(ConfigError) as caught:
        load_config_text(head + _indent(do))
    return list(caught.value.problems)


def _indent(do: str) -> str:
    return "".join(f"          {line}\n" for line in do.splitlines())

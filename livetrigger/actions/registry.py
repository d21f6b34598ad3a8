"""The action kinds, in the order ``check`` names them. Everything else derives from this
list: the config file's ``do:`` entry and its JSON Schema (``config/schema.py``), the rule
compiler, ``describe`` and the outbox's journal. A new kind is its module plus a line here."""

from __future__ import annotations

from typing import Any

from livetrigger.actions import chat, dmx, gpio, light, log, mqtt, obs, osc, serial, sound, webhook
from livetrigger.actions.kind import ActionKind, ActionRequest, OutboxCodec

KINDS: tuple[ActionKind[Any, Any], ...] = (
    mqtt.KIND,
    gpio.KIND,
    webhook.KIND,
    log.KIND,
    chat.KIND,
    dmx.KIND,
    osc.KIND,
    serial.KIND,
    sound.KIND,
    light.KIND,
    obs.KIND,
)

# the lookups below read KINDS when called (a handful of isinstance checks, as the if-chains
# they replace did), so a test that adds a kind to KINDS sees it everywhere


def named(name: str) -> ActionKind[Any, Any] | None:
    """The kind written ``name`` under ``do:``, or None."""
    return next((k for k in KINDS if k.name == name), None)


def of(request: ActionRequest) -> ActionKind[Any, Any] | None:
    """The kind whose requests ``request`` is one of, or None."""
    return next((k for k in KINDS if isinstance(request, k.request)), None)


def codec_tagged(tag: Any) -> OutboxCodec[Any] | None:
    """The outbox codec whose journal records carry ``k: tag``, or None."""
    return next((k.outbox for k in KINDS if k.outbox is not None and k.outbox.tag == tag), None)

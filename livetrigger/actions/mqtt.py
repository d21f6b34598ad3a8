"""The ``mqtt`` action: publish a message (docs/actions.md). Its publishes at QoS 1/2 are
kept in the outbox until they leave their queue."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from livetrigger import events as ev
from livetrigger.actions.kind import (
    ActionKind,
    ActionRequest,
    CompileContext,
    CompiledAction,
    Context,
    Targets,
)
from livetrigger.actions.outlet import Outlet, OutletContext, QueuePolicy, SimpleOutlet
from livetrigger.actions.shared import (
    b64,
    default_payload,
    from_b64,
    sample,
    short,
    text_at,
)
from livetrigger.settings import key
from livetrigger.text.topics import command_topic, escape_level, published_topic, topic_problem
from livetrigger.text.webvalues import scrub


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttPublish(ActionRequest):
    """A trigger publish. ``lane`` names a queue of its own beside the rules' ``mqtt``
    (Home Assistant's ``rule_fired`` goes to ``mqtt:rule_fired``), so one kind of trigger
    never fills the other's queue; both keep their order and share the connection."""

    topic: str
    payload: bytes
    qos: Literal[0, 1, 2] = 1
    retain: bool = False
    lane: str = ""

    @property
    def target(self) -> str:
        return f"mqtt:{self.lane}" if self.lane else "mqtt"


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttAction:
    """Publish a message. ``topic`` and ``payload`` are templates; ``json`` is a mapping whose
    string values are templates, always rendered to valid JSON."""

    topic: str
    raw_topic: bool = key(
        False,
        doc="print values into the topic as they are, so they may add levels; "
        "by default each value is one level, percent-encoded (docs/actions.md)",
    )
    payload: str | None = None
    json_: dict[str, Any] | list[Any] | None = key(None, alias="json")
    qos: Literal[0, 1, 2] = 1
    retain: bool = False


class _Journal:
    """QoS 1/2 publishes (rule actions and Home Assistant's ``rule_fired``) are kept."""

    tag = "mqtt"

    def keeps(self, request: MqttPublish) -> bool:
        return request.qos > 0

    def encode(self, request: MqttPublish) -> dict[str, Any]:
        return {
            "topic": request.topic,
            "payload": b64(request.payload),
            "qos": request.qos,
            "retain": request.retain,
            "lane": request.lane,
        }

    def decode(self, record: dict[str, Any], *, rule_id: str, room: str) -> MqttPublish:
        qos = record.get("qos")
        if qos not in (1, 2) or not isinstance(record.get("retain"), bool):
            raise ValueError("bad qos or retain")
        return MqttPublish(
            rule_id=rule_id,
            room=room,
            topic=text_at(record, "topic"),
            payload=from_b64(record, "payload"),
            qos=qos,
            retain=record["retain"],
            lane=text_at(record, "lane"),
        )


class Mqtt:
    """Publish to the broker of the ``mqtt:`` section."""

    name = "mqtt"
    schema = MqttAction
    shorthand = None
    request = MqttPublish
    outbox = _Journal()

    def compile(self, entry: MqttAction, ctx: CompileContext) -> CompiledAction | None:
        m = entry
        if not ctx.targets.mqtt:
            ctx.problem("an mqtt action needs an `mqtt:` section (broker host, ...)")
        # each value is one level unless the config says otherwise; what the topic ends up
        # as is checked once more by the MQTT client, the last step before the broker
        topic = ctx.text(m.topic, "topic", None if m.raw_topic else escape_level)
        if topic is not None and (problem := topic_problem(sample(m.topic))):
            ctx.problem(f"{problem}: {m.topic!r}", "topic")
        elif topic is not None and (hit := _commands_hit(m.topic, ctx.targets)):
            ctx.problem(
                f"{m.topic!r} is inside livetrigger's command topics ({hit}): a message "
                "there pauses a room or test-fires a rule; publish somewhere else",
                "topic",
            )
        if m.payload is not None and m.json_ is not None:
            ctx.problem("give either payload or json, not both")
        body = ctx.mapping(m.json_, "json") if m.json_ is not None else None
        payload = ctx.text(m.payload, "payload") if m.payload is not None else None
        if ctx.failed or topic is None:
            return None
        if problem := _overwrites_own_topic(m.topic, ctx.targets):
            ctx.problem(problem, "topic")
            return None
        qos, retain = m.qos, m.retain

        def build_mqtt(ctx: Context, rule: str, room: str, event: ev.Event) -> ActionRequest:
            assert topic is not None
            rendered = topic.render(ctx)
            source = body or payload
            data = scrub(source.render(ctx)).encode() if source is not None else None
            return MqttPublish(
                rule_id=rule,
                room=room,
                event=event,
                topic=rendered,
                payload=data if data is not None else default_payload(ctx),
                qos=qos,
                retain=retain,
            )

        return CompiledAction("mqtt", f"mqtt {m.topic}", build_mqtt)

    def describe(self, request: MqttPublish) -> str:
        flags = f"qos={request.qos}" + (" retain" if request.retain else "")
        return f"mqtt {request.topic} {short(request.payload)} ({flags})"

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        """Publishes through the daemon's MQTT connection, when it has one."""
        from livetrigger.actions.sinks.mqtt import MqttSink  # noqa: PLC0415

        if ctx.mqtt is None or config.mqtt is None:
            return None
        return _MqttOutlet("mqtt", MqttSink(ctx.mqtt))


_BASE = re.compile(r"\{\{\s*base\s*\}\}")


def _fixed_levels(source: str, targets: Targets) -> str:
    """A topic template as every rendering has it: ``{{ base }}`` filled in, any other value
    a level matching no word (only ``+`` and ``#``), so a filter it falls under is one every
    rendering falls under."""
    return sample(_BASE.sub(lambda _: targets.base_topic, source), "\x00")


def _overwrites_own_topic(topic: str, targets: Targets) -> str | None:
    """Why an mqtt action's topic is one every rendering of which lands where livetrigger
    publishes itself (a state Home Assistant shows), or None. The MQTT client refuses the
    renderings that only a value puts there."""
    hit = published_topic(_fixed_levels(topic, targets), targets.published)
    if hit is None:
        return None
    return f"{topic!r}: {hit}; a trigger there would overwrite it: publish somewhere else"


def _commands_hit(source: str, targets: Targets) -> str | None:
    """The command filter every rendering of a topic template falls under, or None: its own
    text points there whatever the values."""
    return command_topic(_fixed_levels(source, targets), targets.command_filters)


class _MqttOutlet(SimpleOutlet):
    def policies(self, config: Any) -> dict[str, QueuePolicy]:
        """The rules' one ordered queue (mqtt.queue_size, mqtt.overflow)."""
        m = config.mqtt
        return {"mqtt": QueuePolicy(size=m.queue_size, overflow=m.overflow)} if m else {}


KIND: ActionKind[MqttAction, MqttPublish] = Mqtt()  # mypy checks it against the seam

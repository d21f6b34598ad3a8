"""Config rules → compiled rules: conditions, filters, templates and actions, checked once.

Everything a rule can get wrong is found here, at load, with the path of the offending key:
unknown fields (with a suggestion), bad operators, template syntax, template names that no
event of the rule's kinds has, actions naming outputs or endpoints that do not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from livetrigger import actions as act
from livetrigger import events as ev
from livetrigger.config import schema as cs
from livetrigger.config.schema import GPIO_VERBS
from livetrigger.rules.command import CommandPattern
from livetrigger.rules.conditions import Check, Problem, compile_when
from livetrigger.rules.fields import (
    KINDS,
    USER_FIELDS,
    check_path,
    fields_of_kinds,
)
from livetrigger.rules.template import (
    GLOBAL_NAMES,
    Expression,
    JsonTemplate,
    TemplateSyntaxProblem,
    TextTemplate,
    referenced_names,
)
from livetrigger.text.printable import json_text
from livetrigger.text.suggest import suggest
from livetrigger.text.topics import command_topic, escape_level, published_topic, topic_problem
from livetrigger.text.webvalues import (
    endpoint_url,
    escape_header,
    escape_path,
    escape_segment,
    header_problem,
    scrub,
)

# names every template and expression can use besides the event's own fields
CONTEXT_NAMES = frozenset(
    {"event", "kind", "rule", "room", "args", "counter", "counters", "milestone", "now", "base"}
)
TRIGGER_KINDS = frozenset(k for k in KINDS if k != "unknown") | {"unknown"}

Context = dict[str, Any]
Builder = Callable[[Context, str, str, ev.Event], act.ActionRequest]


class RenderError(ValueError):
    """A template rendered to something the action cannot use (a wildcard topic, ...)."""


@dataclass(frozen=True, slots=True)
class Targets:
    """What actions may refer to: configured outputs, endpoints, and whether MQTT is on."""

    gpio_outputs: frozenset[str] = frozenset()
    webhooks: frozenset[str] = frozenset()
    mqtt: bool = False
    base_topic: str = "livetrigger"
    command_filters: tuple[str, ...] = ()  # topics livetrigger takes commands from
    published: tuple[tuple[str, str], ...] = ()  # topics it publishes to, and what each holds
    # each endpoint's URL path (no host, userinfo or query: `check` prints it)
    webhook_paths: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CompiledAction:
    kind: str
    target_hint: str  # for `check` tables: "mqtt livetrigger/x", "gpio lamp pulse 2s", ...
    build: Builder


@dataclass(slots=True)
class CompiledRule:
    id: str
    kinds: frozenset[str]
    actions: tuple[CompiledAction, ...]
    description: str = ""
    enabled: bool = True
    checks: list[Check] = field(default_factory=list)
    expression: Expression | None = None
    command: CommandPattern | None = None
    user: cs.UserFilter | None = None
    gifts: frozenset[str | int] | None = None
    streak: str = "end"
    include_history: bool = False
    every: cs.Every | None = None
    threshold: cs.Threshold | None = None
    cooldown: float | None = None
    cooldown_per_user: float | None = None
    max_fires: tuple[int, float] | None = None
    overflow: str = "drop"
    queue_size: int = 100


def default_payload(ctx: Context) -> bytes:
    """The JSON body of an MQTT or webhook action that gives no payload of its own."""
    event: ev.Event = ctx["event"]
    body = {
        "rule": ctx["rule"],
        "room": ctx["room"],
        "args": ctx.get("args") or {},
        "event": ev.event_to_dict(event),
    }
    return json_text(body, default=str).encode()


def compile_rule(
    rule: cs.Rule, path: tuple[str | int, ...], targets: Targets
) -> tuple[CompiledRule | None, list[Problem]]:
    problems: list[Problem] = []
    kinds = _kinds(rule, path, problems)
    if problems:  # `on:` is wrong: check the rest against every kind, not against none
        kinds = sorted(KINDS)
    command = None
    if rule.command is not None:
        try:
            command = CommandPattern(rule.command)
        except ValueError as exc:
            problems.append(((*path, "command"), str(exc)))
    args = frozenset(command.arguments) if command else frozenset()
    extra = {f"args.{a}" for a in args} | {"args"}
    checks, when_problems = compile_when(rule.when, kinds, (*path, "when"), extra)
    problems += when_problems
    if rule.gift is not None and "gift" not in kinds:
        problems.append(((*path, "gift"), "a gift filter needs `on: gift`"))
    names = fields_of_kinds(kinds) | CONTEXT_NAMES | GLOBAL_NAMES
    expression = None
    if rule.if_ is not None:
        expression = _compile(
            lambda: Expression(rule.if_ or ""), (*path, "if"), problems, names, kinds, args, True
        )
    for key, spec in (("every", rule.every), ("threshold", rule.threshold)):
        if spec is None:
            continue
        source = str(getattr(spec, "field", None) or spec.sum)
        problem = check_path(source, kinds)
        if problem:
            problems.append(
                ((*path, key, "field" if getattr(spec, "field", None) else "sum"), problem)
            )
    actions: list[CompiledAction] = []
    for i, action in enumerate(rule.do):
        built = _compile_action(action, (*path, "do", i), targets, names, kinds, args, problems)
        if built is not None and (problem := _overwrites_own_topic(action, targets)):
            problems.append(((*path, "do", i, "mqtt", "topic"), problem))
        if built is not None:
            actions.append(built)
    if problems:
        return None, problems
    gifts = None
    if rule.gift is not None:
        raw = rule.gift if isinstance(rule.gift, list) else [rule.gift]
        gifts = frozenset(g.lower() if isinstance(g, str) else g for g in raw)
    return (
        CompiledRule(
            id=rule.id,
            description=rule.description,
            enabled=rule.enabled,
            kinds=frozenset(kinds),
            actions=tuple(actions),
            checks=checks,
            expression=expression,
            command=command,
            user=rule.user,
            gifts=gifts,
            streak=rule.streak,
            include_history=rule.include_history,
            every=rule.every,
            threshold=rule.threshold,
            cooldown=rule.cooldown,
            cooldown_per_user=rule.cooldown_per_user,
            max_fires=(rule.max_fires.count, rule.max_fires.per) if rule.max_fires else None,
            overflow=rule.overflow,
            queue_size=rule.queue_size,
        ),
        [],
    )


def _kinds(rule: cs.Rule, path: tuple[str | int, ...], problems: list[Problem]) -> list[str]:
    raw = rule.on if isinstance(rule.on, list) else ([rule.on] if rule.on else [])
    if not raw:
        if rule.command is not None:
            return ["chat"]
        problems.append(((*path, "on"), "say which events the rule reacts to, e.g. `on: gift`"))
        return []
    kinds: list[str] = []
    for i, kind in enumerate(raw):
        if kind not in KINDS:
            where = (*path, "on", i) if isinstance(rule.on, list) else (*path, "on")
            problems.append(
                (
                    where,
                    f"unknown event kind `{kind}`{suggest(kind, KINDS)} "
                    f"(kinds: {', '.join(sorted(KINDS))})",
                )
            )
        else:
            kinds.append(kind)
    if rule.command is not None and kinds != ["chat"] and len(kinds) == len(raw):
        problems.append(((*path, "command"), "a command rule reacts to chat: use `on: chat`"))
    return kinds


def _check_names(
    source: str,
    names: frozenset[str],
    kinds: Iterable[str],
    args: frozenset[str],
    expression: bool,
) -> str | None:
    for head, attr in referenced_names(source, expression=expression):
        if head not in names:
            return f"unknown name `{head}`{suggest(head, names)} in {source!r}"
        if attr is None:
            continue
        if head in ("user", "to_user") and attr not in USER_FIELDS:
            return f"unknown user field `{attr}`{suggest(attr, USER_FIELDS)} in {source!r}"
        if head == "args" and attr not in args:
            have = ", ".join(sorted(args)) or "none: add {name} to `command`"
            return f"unknown command argument `{attr}` (arguments: {have})"
        if head == "event":
            problem = check_path(attr, kinds)
            if problem:
                return problem
    return None


def _compile(
    make: Callable[[], Any],
    where: tuple[str | int, ...],
    problems: list[Problem],
    names: frozenset[str],
    kinds: Iterable[str],
    args: frozenset[str],
    expression: bool = False,
) -> Any:
    try:
        compiled = make()
    except TemplateSyntaxProblem as exc:
        problems.append((where, str(exc)))
        return None
    sources = _sources(compiled.source)
    for source in sources:
        try:
            problem = _check_names(source, names, kinds, args, expression)
        except TemplateSyntaxProblem as exc:
            problem = str(exc)
        if problem:
            problems.append((where, problem))
            return None
    return compiled


def _sources(source: Any) -> list[str]:
    if isinstance(source, str):
        return [source]
    if isinstance(source, dict):
        return [s for v in source.values() for s in _sources(v)]
    if isinstance(source, list):
        return [s for v in source for s in _sources(v)]
    return []


def _compile_action(
    action: cs.Action,
    path: tuple[str | int, ...],
    targets: Targets,
    names: frozenset[str],
    kinds: list[str],
    args: frozenset[str],
    problems: list[Problem],
) -> CompiledAction | None:
    kind = action.kind
    here = (*path, kind)
    before = len(problems)

    def text(
        source: str, key: str, escape: Callable[[str], str] | None = None
    ) -> TextTemplate | None:
        result: TextTemplate | None = _compile(
            lambda: TextTemplate(source, escape=escape), (*here, key), problems, names, kinds, args
        )
        return result

    def mapping(source: Any, key: str) -> JsonTemplate | None:
        result: JsonTemplate | None = _compile(
            lambda: JsonTemplate(source), (*here, key), problems, names, kinds, args
        )
        return result

    if kind == "mqtt":
        m = action.mqtt
        assert m is not None
        if not targets.mqtt:
            problems.append((here, "an mqtt action needs an `mqtt:` section (broker host, ...)"))
        # each value is one level unless the config says otherwise; what the topic ends up
        # as is checked once more by the MQTT client, the last step before the broker
        topic = text(m.topic, "topic", None if m.raw_topic else escape_level)
        if topic is not None and (problem := topic_problem(_sample_topic(m.topic))):
            problems.append(((*here, "topic"), f"{problem}: {m.topic!r}"))
        elif topic is not None and (hit := _commands_hit(m.topic, targets)):
            problems.append(
                (
                    (*here, "topic"),
                    f"{m.topic!r} is inside livetrigger's command topics ({hit}): a message "
                    "there pauses a room or test-fires a rule; publish somewhere else",
                )
            )
        if m.payload is not None and m.json_ is not None:
            problems.append((here, "give either payload or json, not both"))
        body = mapping(m.json_, "json") if m.json_ is not None else None
        payload = text(m.payload, "payload") if m.payload is not None else None
        if len(problems) > before or topic is None:
            return None
        qos, retain = m.qos, m.retain

        def build_mqtt(ctx: Context, rule: str, room: str, event: ev.Event) -> act.ActionRequest:
            assert topic is not None
            rendered = topic.render(ctx)
            source = body or payload
            data = scrub(source.render(ctx)).encode() if source is not None else None
            return act.MqttPublish(
                rule_id=rule,
                room=room,
                event=event,
                topic=rendered,
                payload=data if data is not None else default_payload(ctx),
                qos=qos,
                retain=retain,
            )

        return CompiledAction("mqtt", f"mqtt {m.topic}", build_mqtt)

    if kind == "gpio":
        g = action.gpio
        assert g is not None
        if g.output not in targets.gpio_outputs:
            have = ", ".join(sorted(targets.gpio_outputs)) or "none: add gpio.outputs"
            problems.append(
                (
                    (*here, "output"),
                    f"unknown output `{g.output}`"
                    f"{suggest(g.output, targets.gpio_outputs)} (outputs: {have})",
                )
            )
            return None
        verb_t = text(g.action, "action") if "{{" in g.action else None
        if "{{" in g.action and verb_t is None:
            return None
        if g.action in ("pulse", "tone") and g.duration is None:
            problems.append(((*here, "duration"), f"`{g.action}` needs a duration, like 2s"))
            return None
        if g.action == "tone" and g.frequency is None:
            problems.append(((*here, "frequency"), "`tone` needs a frequency in Hz, like 440"))
            return None
        command: dict[str, Any] = {
            "output": g.output,
            "duration": g.duration,
            "on_time": g.on_time,
            "off_time": g.off_time,
            "count": g.count,
            "value": g.value,
            "frequency": g.frequency,
            "overlap": g.overlap,
        }

        static_verb = g.action

        def build_gpio(ctx: Context, rule: str, room: str, event: ev.Event) -> act.ActionRequest:
            verb = static_verb
            if verb_t is not None:
                verb = verb_t.render(ctx).strip().lower()
                if verb not in GPIO_VERBS or (verb in ("pulse", "tone") and not g.duration):
                    raise RenderError(f"gpio action rendered to {verb[:40]!r}")
            return act.GpioCommand(rule_id=rule, room=room, event=event, verb=verb, **command)  # type: ignore[arg-type]

        hint = f"gpio {g.output} {g.action}" + (f" {g.duration:g}s" if g.duration else "")
        return CompiledAction("gpio", hint, build_gpio)

    if kind == "webhook":
        w = action.webhook
        assert w is not None
        if w.endpoint not in targets.webhooks:
            have = ", ".join(sorted(targets.webhooks)) or "none: add a `webhooks:` section"
            problems.append(
                (
                    (*here, "endpoint"),
                    f"unknown webhook `{w.endpoint}`"
                    f"{suggest(w.endpoint, targets.webhooks)} (webhooks: {have})",
                )
            )
            return None
        if w.body is not None and w.json_ is not None:
            problems.append((here, "give either body or json, not both"))
            return None
        path_t = text(w.path, "path", escape_path if w.raw_path else escape_segment)
        query = [(k, text(v, f"query.{k}")) for k, v in w.query.items()]
        headers = [(k, text(v, f"headers.{k}", escape_header)) for k, v in w.headers.items()]
        for k, v in w.headers.items():
            if problem := header_problem(k, _MARKUP.sub("x", v)):
                problems.append(((*here, "headers", k), problem))
        body_t = mapping(w.json_, "json") if w.json_ is not None else None
        raw_t = text(w.body, "body") if w.body is not None else None
        if len(problems) > before:
            return None
        content_type = w.content_type or (
            "application/json" if w.body is None or (raw_t and raw_t.is_json) else "text/plain"
        )
        if problem := header_problem("Content-Type", content_type):
            problems.append(((*here, "content_type"), problem))
            return None
        method, endpoint = w.method, w.endpoint

        def build_http(ctx: Context, rule: str, room: str, event: ev.Event) -> act.ActionRequest:
            if body_t is not None:
                body = body_t.render(ctx).encode()
            elif raw_t is not None:
                body = scrub(raw_t.render(ctx)).encode()
            else:
                body = default_payload(ctx)
            return act.HttpCall(
                rule_id=rule,
                room=room,
                event=event,
                endpoint=endpoint,
                method=method,
                path=path_t.render(ctx) if path_t else "",
                query=tuple((k, scrub(t.render(ctx))) for k, t in query if t),
                headers=tuple((k, t.render(ctx)) for k, t in headers if t),
                body=body,
                content_type=content_type,
            )

        return CompiledAction("webhook", _webhook_hint(w, targets), build_http)

    if kind == "log":
        lg = action.log
        assert lg is not None
        msg = text(lg.message, "message")
        if msg is None:
            return None
        level = lg.level

        def build_log(ctx: Context, rule: str, room: str, event: ev.Event) -> act.ActionRequest:
            assert msg is not None
            return act.LogMessage(
                rule_id=rule, room=room, event=event, message=msg.render(ctx), level=level
            )

        return CompiledAction("log", f"log {lg.message[:40]}", build_log)

    c = action.chat
    assert c is not None
    chat_text = text(c.text, "text")
    if chat_text is None:
        return None

    def build_chat(ctx: Context, rule: str, room: str, event: ev.Event) -> act.ActionRequest:
        assert chat_text is not None
        return act.ChatSend(rule_id=rule, room=room, event=event, text=chat_text.render(ctx)[:150])

    return CompiledAction("chat", f"chat {c.text[:40]}", build_chat)


def _webhook_hint(w: cs.WebhookAction, targets: Targets) -> str:
    """``webhook <endpoint> <the path requested>`` for `check`, the endpoint's own path and
    the action's joined as the request joins them."""
    base = targets.webhook_paths.get(w.endpoint, "")
    return f"webhook {w.endpoint} {endpoint_url(base, w.path) or '/'}"


_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def _sample_topic(source: str) -> str:
    """A topic template with each markup replaced by one character: what its own text
    contributes (wildcards, empty levels, forbidden characters) shows in every rendering."""
    return _MARKUP.sub("x", source)


_BASE = re.compile(r"\{\{\s*base\s*\}\}")


def _fixed_levels(source: str, targets: Targets) -> str:
    """A topic template as every rendering has it: ``{{ base }}`` filled in, any other value
    a level matching no word (only ``+`` and ``#``), so a filter it falls under is one every
    rendering falls under."""
    return _MARKUP.sub("\x00", _BASE.sub(lambda _: targets.base_topic, source))


def _overwrites_own_topic(action: cs.Action, targets: Targets) -> str | None:
    """Why an mqtt action's topic is one every rendering of which lands where livetrigger
    publishes itself (a state Home Assistant shows), or None. The MQTT client refuses the
    renderings that only a value puts there."""
    if action.mqtt is None:
        return None
    topic = action.mqtt.topic
    hit = published_topic(_fixed_levels(topic, targets), targets.published)
    if hit is None:
        return None
    return f"{topic!r}: {hit}; a trigger there would overwrite it: publish somewhere else"


def _commands_hit(source: str, targets: Targets) -> str | None:
    """The command filter every rendering of a topic template falls under, or None: its own
    text points there whatever the values."""
    return command_topic(_fixed_levels(source, targets), targets.command_filters)


def sample_event(kind: str, now: float = 0.0) -> ev.Event:
    """A plausible event of ``kind`` for test-firing a rule (HA button, test pin)."""
    user = ev.User(id=1, unique_id="livetrigger_test", nickname="livetrigger test")
    common: Mapping[str, Any] = {"received_at": now, "user": user, "room_id": 0, "msg_id": 0}
    samples: dict[str, dict[str, Any]] = {
        "gift": {
            "gift_id": 5655,
            "gift_name": "Rose",
            "diamonds": 1,
            "repeat_count": 1,
            "total_diamonds": 1,
        },
        "chat": {"text": "test"},
        "like": {"count": 1, "total": 1},
        "viewers": {"viewers": 1},
    }
    return KINDS[kind](**common, **samples.get(kind, {}))

"""A new action kind is its own module plus one line in actions/registry.py (issue 24): a toy
``scene`` kind, defined here, is checked by ``check`` like the built-in kinds, compiles
from YAML, fires through the rules engine, reads in one line, and is left out of the outbox.

A module of livetrigger adds its kind to ``KINDS`` before config/schema.py is imported, which
makes the ``do:`` entry from the list; a test comes after, so the fixture also makes that
entry again (``cs.action_entry``) and forgets the checker's cached view of the classes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest

from livetrigger import events as ev
from livetrigger.actions import registry
from livetrigger.actions.describe import describe
from livetrigger.actions.kind import (
    ActionKind,
    ActionRequest,
    CompileContext,
    CompiledAction,
    Context,
)
from livetrigger.actions.outlet import Outlet, OutletContext, QueuePolicy, SimpleOutlet
from livetrigger.config import load_config_text
from livetrigger.config import schema as cs
from livetrigger.config.shape import section
from livetrigger.errors import ConfigError
from livetrigger.rules.engine import Engine
from livetrigger.settings import key
from livetrigger.state import outbox
from tests.support.toy_daemon import daemon, gift

# -- the toy kind: what its module in livetrigger/actions/ would hold -----------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SceneChange(ActionRequest):
    """Switch the room's lights to a scene."""

    scene: str
    brightness: float = 1.0

    @property
    def target(self) -> str:
        return "scene"


@dataclass(frozen=True, slots=True, kw_only=True)
class SceneAction:
    """Switch the lights to a scene; ``scene`` is a template."""

    scene: str
    brightness: float = key(1.0, low=0.0, high=1.0, number=True)


class Scene:
    """A light scene."""

    name = "scene"
    schema = SceneAction
    shorthand = "scene"
    request = SceneChange
    outbox = None

    def compile(self, entry: SceneAction, ctx: CompileContext) -> CompiledAction | None:
        scene = ctx.text(entry.scene, "scene")
        if entry.scene == "off" and entry.brightness > 0:
            ctx.problem("the off scene has no brightness: leave it out", "brightness")
        if scene is None or ctx.failed:
            return None
        brightness = entry.brightness

        def build(c: Context, rule: str, room: str, event: ev.Event) -> ActionRequest:
            assert scene is not None
            return SceneChange(
                rule_id=rule, room=room, event=event, scene=scene.render(c), brightness=brightness
            )

        return CompiledAction("scene", f"scene {entry.scene}", build)

    def describe(self, request: SceneChange) -> str:
        return f"scene {request.scene} at {request.brightness:.0%}"

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        return Lights()


class Lights(SimpleOutlet):
    """The toy kind's running side: a sink that writes down each scene, and the calls."""

    opened: ClassVar[list[Lights]] = []

    def __init__(self) -> None:
        super().__init__("scene", self)
        self.scenes: list[str] = []
        self.calls: list[str] = []
        self.changed = asyncio.Event()
        Lights.opened.append(self)

    async def handle(self, request: ActionRequest) -> None:
        assert isinstance(request, SceneChange)
        self.scenes.append(request.scene)
        self.changed.set()

    def policies(self, config: Any) -> dict[str, QueuePolicy]:
        return {"scene": QueuePolicy(size=5)}

    def status(self) -> dict[str, Any] | None:
        return {"scenes": len(self.scenes)}

    def safe(self) -> None:
        self.calls.append("safe")

    async def aclose(self) -> None:
        self.calls.append("aclose")


KIND: ActionKind[SceneAction, SceneChange] = Scene()


@pytest.fixture
def scene_kind() -> Iterator[None]:
    kinds, action = registry.KINDS, cs.Action
    registry.KINDS = (*kinds, KIND)  # the one line in actions/registry.py
    cs.Action = cs.action_entry(registry.KINDS)  # type: ignore[misc]
    section.cache_clear()
    try:
        yield
    finally:
        registry.KINDS, cs.Action = kinds, action  # type: ignore[misc]
        section.cache_clear()


# -- the tests ------------------------------------------------------------------------------

HEAD = 'rooms:\n  - username: "@room"\n    rules:\n      - id: party\n        on: gift\n'


def test_a_toy_kind_fires_through_a_rule_compiled_from_yaml(scene_kind: None) -> None:
    config = load_config_text(
        HEAD + '        do:\n          - scene: "party for {{ user.nickname }}"\n'
        "          - scene: {scene: calm, brightness: 0.3}\n"
        "          - log: also\n"
    )
    room = config.rooms[0]
    (rule,) = room.rules
    assert [a.kind for a in rule.actions] == ["scene", "scene", "log"]
    assert rule.actions[0].target_hint == "scene party for {{ user.nickname }}"
    engine = Engine(room.rules, room=room.settings.name)
    requests = engine.evaluate(gift(), now=1.0)
    assert requests[:2] == [
        SceneChange(rule_id="party", room="room", event=requests[0].event, scene="party for Alice"),
        SceneChange(
            rule_id="party", room="room", event=requests[0].event, scene="calm", brightness=0.3
        ),
    ]
    assert [describe(r) for r in requests] == [
        "scene party for Alice at 100%",
        "scene calm at 30%",
        "log also",
    ]
    assert not outbox.durable(requests[0])


def problems(do: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(HEAD + "        do:\n" + do)
    return list(caught.value.problems)


def test_check_finds_a_bad_toy_entry_like_any_other(scene_kind: None) -> None:
    # the entry's shape, checked from its dataclass
    assert problems(
        "          - scene: {scene: calm, brightnes: 0.3}\n"
        "          - scene: {scene: calm, brightness: 2}\n"
        "          - {scene: calm, log: x}\n"
        "          - scene: {}\n"
    ) == [
        "<config>:7:34: rooms[0].rules[0].do[0].scene.brightnes: unknown key `brightnes`"
        " — did you mean `brightness`?",
        "<config>:8:34: rooms[0].rules[0].do[1].scene.brightness: must be from 0 to 1 (got 2)",
        "<config>:9:13: rooms[0].rules[0].do[2]: each action needs exactly one of"
        f" {', '.join(k.name for k in registry.KINDS)} (got log, scene)",
        "<config>:10:13: rooms[0].rules[0].do[3].scene.scene: required key `scene` is missing",
    ]
    # then its compile: templates checked against the rule's names, the kind's own problems
    assert problems(
        '          - scene: "{{ user.nickame }}"\n'
        '          - scene: {scene: "off", brightness: 0.5}\n'
    ) == [
        "<config>:7:13: rooms[0].rules[0].do[0].scene.scene: unknown user field `nickame`"
        " — did you mean `nickname`? in '{{ user.nickame }}'",
        "<config>:8:35: rooms[0].rules[0].do[1].scene.brightness: the off scene has no"
        " brightness: leave it out",
    ]


def test_the_toy_kind_is_in_the_editors_schema(scene_kind: None) -> None:
    schema = cs.json_schema()
    entry = schema["$defs"]["Action"]["properties"]["scene"]
    assert {"$ref": "#/$defs/SceneAction"} in entry["anyOf"]
    assert {"type": "string", "description": "short for {scene: …}"} in entry["anyOf"]
    document = {"rooms": [{"username": "@room", "rules": [{"id": "r", "do": [{"scene": "x"}]}]}]}
    jsonschema.validate(document, schema)
    document["rooms"][0]["rules"][0]["do"] = [{"scene": {"scene": "x", "brightness": 2}}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_without_the_registry_line_the_kind_is_unknown() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(HEAD + "        do: [{scene: calm}]\n")
    (problem,) = caught.value.problems
    assert "unknown key `scene`" in problem


async def test_the_daemon_runs_a_toy_kind_through_its_outlet(
    scene_kind: None, tmp_path: Path
) -> None:
    Lights.opened = []
    config = (
        HEAD.replace("@room", "@toy") + '        do: [{scene: "party for {{ user.nickname }}"}]\n'
    )
    async with daemon(config, tmp_path) as d:
        (lights,) = Lights.opened
        d.emit(gift("Bob"))
        await asyncio.wait_for(lights.changed.wait(), 60)
        assert lights.scenes == ["party for Bob"]
        snapshot = d.snapshot()
        assert snapshot["scene"] == {"scenes": 1}
        assert snapshot["actions"]["scene"]["ok"] == 1
        await d.stop()
        assert lights.calls[0] == "safe" and lights.calls[-1] == "aclose"

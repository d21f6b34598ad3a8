"""The config checker (livetrigger/config/shape.py) on its own: how it reads each kind of
value, that it reports every mistake of a document at once at its key path, and that the JSON
Schema editors get from the same dataclasses accepts what it accepts."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livetrigger import settings as s
from livetrigger.actions import registry
from livetrigger.actions.log import LogAction
from livetrigger.config import schema as cs
from livetrigger.config.json_schema import schema_of
from livetrigger.config.shape import Problem, check
from livetrigger.config.yamlpos import load_located
from livetrigger.settings import key

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    name: str
    pin: int | str
    seconds: float | None = key(None, low=0.01, why="shorter is a click")


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    port: int = key(1883, low=1, high=65535, why="a TCP port")
    flag: bool = False
    ratio: float = key(1.0, low=0.0, high=1.0, number=True)
    wait: float = 3.0
    level: Literal["info", "error"] = "info"
    qos: Literal[0, 1, 2] = 1
    names: tuple[str, ...] = ()
    outputs: tuple[Output, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    either: list[str | int] | str | int | None = None
    token: str | None = None
    body: dict[str, Any] = key({}, alias="json")
    ids: list[str] = key(["a"], min_items=1)


def built(**data: Any) -> Sample:
    made, problems = check(Sample, data)
    assert made is not None, problems
    return made


def problems(**data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    made, found = check(Sample, data)
    assert made is None
    return [(p.loc, p.message) for p in found]


@pytest.mark.parametrize(
    ("field", "written", "read"),
    [
        ("port", 8080, 8080),
        ("port", "8080", 8080),  # quoted in YAML, or from ${PORT}
        ("port", 8080.0, 8080),
        ("flag", "yes", True),
        ("flag", "Off", False),
        ("flag", 1, True),
        ("ratio", "0.5", 0.5),
        ("ratio", 1, 1.0),
        ("wait", "1m30s", 90.0),
        ("wait", 2, 2.0),
        ("wait", "250ms", 0.25),
        ("qos", 2, 2),
        ("level", "error", "error"),
        ("names", ["a", "b"], ("a", "b")),
        ("headers", {"X-A": "1"}, (("X-A", "1"),)),
        ("either", "17", "17"),  # the alternative the value already is comes first
        ("either", 17, 17),
        ("either", ["a", 1], ["a", 1]),
        ("body", {"k": [1, {"x": None}]}, {"k": [1, {"x": None}]}),
    ],
)
def test_values_are_read_as_people_write_them(field: str, written: Any, read: Any) -> None:
    alias = {"body": "json"}.get(field, field)
    value = getattr(built(**{alias: written}), field)
    assert value == read and type(value) is type(read)


@pytest.mark.parametrize(
    ("field", "written", "said"),
    [
        ("port", "80a", "expected a whole number; digits only"),
        ("port", 1.5, "expected a whole number"),
        ("port", True, "expected a whole number"),
        ("port", 0, "must be from 1 to 65535 (a TCP port)"),
        ("flag", "maybe", "expected true or false"),
        ("ratio", 2, "must be from 0 to 1"),
        ("ratio", "nan", "expected a number"),
        ("wait", "soon", "expected a duration like 500ms"),
        ("wait", None, "expected a duration like 500ms"),
        ("wait", "off", "it cannot be off here"),
        ("qos", True, "expected one of 0, 1, 2"),  # True == 1 in Python, not in a config
        ("level", "eror", "did you mean `error`?"),
        ("names", "a", "a single item is [item]"),
        ("outputs", ["lamp"], "expected a section of `key: value` lines"),
        ("either", {"a": 1}, "expected a list or text or a whole number"),
        ("ids", [], "must not be empty"),
    ],
)
def test_each_mistake_says_what_to_write(field: str, written: Any, said: str) -> None:
    (found,) = problems(**{field: written})
    assert found[0] == (field,) and said in found[1], found


def test_every_mistake_of_a_document_is_reported_at_once_at_its_path() -> None:
    found = problems(
        port="x",
        either=["ok", {"no": 1}],
        outputs={"lamp": {"pin": [17], "seconds": 0.001}, "bell": {}},
        headers={1: "a"},
        extra=1,
        ids=["a", 5],
    )
    assert sorted(found, key=str) == sorted(
        [
            (("port",), "expected a whole number; digits only, without quotes or a decimal point"),
            (("either", 1), "expected text or a whole number"),
            (("outputs", "lamp", "pin"), "expected a whole number or text"),
            (("outputs", "lamp", "seconds"), "must be at least 10ms (shorter is a click)"),
            (("outputs", "bell", "pin"), "required key `pin` is missing"),
            (("headers", "1"), "a key here is text: quote it, like '1'"),
            (("extra",), dict(found)[("extra",)]),
            (("ids", 1), "expected text; quote it if it looks like a number or a list"),
        ],
        key=str,
    )
    assert dict(found)[("extra",)].startswith("unknown key `extra` (allowed: either, flag, ")


def test_a_keyed_mapping_gives_each_entry_its_name_and_a_secret_its_file_key() -> None:
    made = built(outputs={"lamp": {"pin": 17}, "bell": {"pin": "GPIO5", "seconds": "2s"}})
    assert made.outputs == (
        Output(name="lamp", pin=17),
        Output(name="bell", pin="GPIO5", seconds=2.0),
    )
    (found,) = problems(tokn_file="x")
    assert "did you mean `token_file`?" in found[1] or "did you mean `token`?" in found[1]
    assert built(token_file="left by the loader").token is None


def test_the_name_and_the_alias_of_a_field_are_one_key() -> None:
    assert built(json={"a": 1}).body == {"a": 1} == built(body={"a": 1}).body
    (found,) = problems(json={}, body={})
    assert found == (("body",), "`json` and `body` are the same key: keep one")


def test_shorthands_and_whole_section_checks_run_on_the_real_rule_classes() -> None:
    rule, found = check(cs.Rule, {"id": "r", "do": ["x"]})
    assert rule is None and found == [Problem(("do", 0), found[0].message, "x")]
    rule, found = check(cs.Rule, {"id": "r", "do": [{"log": "hi"}, {"chat": "hey"}]})
    assert rule is not None and rule.do[0].log == LogAction(message="hi")
    assert rule.do[1].kind == "chat"
    _, found = check(cs.Rule, {"id": "-r", "do": [{"log": "a", "chat": "b"}]})
    assert [(p.loc, p.message) for p in found] == [
        (
            ("id",),
            "a rule id is 1 to 64 letters, digits, `_` and `-`, starting with a letter or digit",
        ),
        (
            ("do", 0),
            f"each action needs exactly one of {', '.join(k.name for k in registry.KINDS)}"
            " (got log, chat)",
        ),
    ]


def test_settings_classes_are_read_directly() -> None:
    made, found = check(s.MqttSettings, {"host": "broker", "port": "1884", "keepalive": "1m"})
    assert found == [] and made == s.MqttSettings(host="broker", port=1884, keepalive=60.0)


@pytest.mark.parametrize("name", ["config.example.yaml", "tests/data/every-key.yaml"])
def test_the_json_schema_accepts_what_the_checker_accepts(name: str) -> None:
    schema = cs.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)  # checked once, not at every validate
    data = load_located((ROOT / name).read_text()).data
    assert check(cs.ConfigFile, data)[1] == []
    validator.validate(data)
    for wrong in ({**data, "mqttt": {}}, {**data, "rooms": []}):
        assert check(cs.ConfigFile, wrong)[0] is None
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(wrong)


def test_the_schema_of_a_class_names_its_bounds_and_durations() -> None:
    schema = schema_of(Sample, title="t")
    props = schema["properties"]
    assert props["port"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 65535,
        "description": "from 1 to 65535 (a TCP port)",
        "default": 1883,
    }
    assert {"type": "string", "pattern": props["wait"]["anyOf"][1]["pattern"]} in props["wait"][
        "anyOf"
    ]
    assert props["outputs"]["additionalProperties"] == {"$ref": "#/$defs/Output"}
    assert "name" not in schema["$defs"]["Output"]["properties"]
    assert "token_file" in props and "json" in props and "body" not in props


@dataclass(frozen=True, slots=True, kw_only=True)
class Numbers:
    args: list[str | int | float | bool] = key([], number=True)


def test_number_reads_the_floats_of_a_list_as_numbers_not_durations() -> None:
    """An OSC pan from -1.0 to 1.0: each float of the list stays that float, negative or not;
    an int stays an int, a bool a bool, text text. The schema accepts the same."""
    written = [-0.5, -1.0, 0.0, -0.0, 2.5, 7, -3, True, "10s"]
    made, found = check(Numbers, {"args": written})
    assert found == [] and made is not None
    assert [(type(a), a) for a in made.args] == [(type(w), w) for w in written]
    assert str(made.args[3]) == "-0.0"
    jsonschema.validate({"args": written}, schema_of(Numbers, title="t"))
    assert [loc for loc, _ in problems(wait=-1.0)] == [("wait",)]  # a duration is never < 0


@pytest.mark.parametrize("written", ["r\n", "light\nshow", "-r", "r" * 65, ""])
def test_a_rule_id_is_one_safe_word_whole(written: str) -> None:
    """A rule id becomes a topic level and part of Home Assistant's entity ids: `$` alone
    would let a trailing newline (a YAML block scalar) through."""
    rule, found = check(cs.Rule, {"id": written, "do": [{"log": "x"}]})
    assert rule is None and [p.loc for p in found] == [("id",)]


YAML_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["3s", "off", "1883", "true", "{{ x }}", "${NOPE}", "-1"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=3)
    ),
    max_leaves=8,
)
EXAMPLE = load_located((ROOT / "config.example.yaml").read_text()).data


def _key_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            found += _key_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _key_paths(v, (*path, i))
    return found


PATHS = _key_paths(EXAMPLE)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATHS), YAML_VALUES)
def test_any_value_anywhere_is_built_or_refused_with_its_place(
    path: tuple[Any, ...], value: Any
) -> None:
    """Whatever YAML can hold, put at any key of the example, the checker builds the file or
    says what is wrong and where; it never raises."""
    data = copy.deepcopy(EXAMPLE)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    built, found = check(cs.ConfigFile, data)
    assert (built is None) == bool(found)
    for problem in found:
        assert problem.message and all(isinstance(p, (str, int)) for p in problem.loc)

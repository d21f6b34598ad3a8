"""The dataclasses written out ahead of time (livetrigger/dataclass_gen.py): each committed file
is what its declarations give today, and each generated class is, to everything that looks at
it, the @dataclass class it was written from, on the Python running the tests."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from livetrigger import dataclass_gen
from livetrigger import events as ev

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("target", dataclass_gen.TARGETS, ids=lambda t: t.output)
def test_the_committed_file_is_current(target: dataclass_gen.Target) -> None:
    committed = (ROOT / target.output).read_text()
    assert dataclass_gen.render(target) == committed, (
        f"{target.output} is stale: run {dataclass_gen.COMMAND} (after editing "
        f"{target.spec.replace('.', '/')}.py) and commit the result"
    )


def _pairs() -> list[tuple[type, type]]:
    pairs = []
    for target in dataclass_gen.TARGETS:
        spec = importlib.import_module(target.spec)
        generated = importlib.import_module(target.output[:-3].replace("/", "."))
        for name, cls in vars(spec).items():
            declared = isinstance(cls, type) and cls.__module__ == target.spec
            if declared and dataclasses.is_dataclass(cls):
                pairs.append((cls, getattr(generated, name)))
    return pairs


PAIRS = _pairs()
IDS = [spec.__name__ for spec, _ in PAIRS]


def _field_view(f: dataclasses.Field[Any]) -> dict[str, Any]:
    view = {name: getattr(f, name) for name in type(f).__slots__ if name != "default_factory"}
    if dataclasses.is_dataclass(view["default"]):
        view["default"] = repr(view["default"])  # the spec's and the generated module's own
    view["default_factory"] = getattr(f.default_factory, "__qualname__", f.default_factory)
    return view


@pytest.mark.parametrize(("spec", "made"), PAIRS, ids=IDS)
def test_the_class_is_the_declared_dataclass(spec: type, made: type) -> None:
    assert dataclasses.is_dataclass(made)
    assert [c.__name__ for c in made.__mro__] == [c.__name__ for c in spec.__mro__]
    fields = {n: _field_view(f) for n, f in made.__dataclass_fields__.items()}  # type: ignore[attr-defined]
    assert fields == {n: _field_view(f) for n, f in spec.__dataclass_fields__.items()}  # type: ignore[attr-defined]
    assert repr(made.__dataclass_params__) == repr(spec.__dataclass_params__)  # type: ignore[attr-defined]
    assert sorted(made.__slots__) == sorted(spec.__slots__)  # type: ignore[attr-defined]
    assert made.__match_args__ == spec.__match_args__  # type: ignore[attr-defined]
    assert inspect.get_annotations(made) == inspect.get_annotations(spec)
    assert _hints(made) == _hints(spec)  # what config.shape reads the config file into
    assert made.__qualname__ == spec.__qualname__
    # what @dataclass puts in the class, the generated class has too (copy.replace's
    # __replace__ is added on every Python: @dataclass adds it from 3.13)
    extra = set(vars(made)) - set(vars(spec))
    assert set(vars(spec)) <= set(vars(made)) and extra <= {"__replace__"}
    # a class without a docstring gets its signature as one; its wording is Python's own
    if sys.version_info < (3, 13) or not (spec.__doc__ or "").startswith(spec.__name__ + "("):
        assert made.__doc__ == spec.__doc__
    params = [_param_view(p) for p in inspect.signature(made).parameters.values()]
    assert params == [_param_view(p) for p in inspect.signature(spec).parameters.values()]


def _hints(cls: type) -> dict[str, str]:
    # the same types, with the generated module's classes in place of the spec's
    return {n: _unmodule(str(t)) for n, t in typing.get_type_hints(cls).items()}


def _unmodule(text: str) -> str:
    return re.sub(r"livetrigger\.\w+\.(?=[A-Z])", "", text)


def _param_view(p: inspect.Parameter) -> tuple[Any, ...]:
    default = repr(p.default) if dataclasses.is_dataclass(p.default) else p.default
    return (p.name, p.kind, default, p.annotation)


def _values(cls: type, tag: str) -> dict[str, Any]:
    return {f.name: f"{tag}-{f.name}" for f in dataclasses.fields(cls)}


def _outcome(action: Any) -> Any:
    try:
        return ("ok", action())
    except Exception as exc:  # the same error, with the same message, is the point
        # Python names the function in argument errors; @dataclass's is compiled elsewhere
        message = re.sub(r"^\S*__init__\(\)", "__init__()", str(exc))
        return (type(exc).__name__, _unmodule(message))


@pytest.mark.parametrize(("spec", "made"), PAIRS, ids=IDS)
def test_instances_behave_as_the_declared_ones(spec: type, made: type) -> None:
    values = _values(spec, "v")
    a, b = made(**values), spec(**values)
    assert repr(a) == repr(b)
    assert hash(a) == hash(b)
    assert a == made(**values) and a != b and (a == b) is (b == a) is False
    assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert dataclasses.astuple(a) == dataclasses.astuple(b)
    name = dataclasses.fields(spec)[0].name
    for action in (
        lambda o: setattr(o, name, "x"),
        lambda o: delattr(o, name),
        lambda o: o.not_a_field,
        lambda o: repr(dataclasses.replace(o, **{name: "r"})),
        lambda o: type(o)(*values.values()),
        lambda o: type(o)(**values, not_a_field=1),
        lambda o: repr(type(o)()),
        lambda o: pickle.loads(pickle.dumps(o)) == o,
        lambda o: copy.deepcopy(o) == o and copy.copy(o) == o,
        lambda o: o.__reduce_ex__(2)[2],
    ):
        assert _outcome(lambda act=action: act(a)) == _outcome(lambda act=action: act(b))
    changed = {**values, name: "other"}
    assert made(**changed) != a and hash(made(**changed)) == hash(spec(**changed))


@pytest.mark.parametrize(("spec", "made"), PAIRS, ids=IDS)
def test_frozen_as_dataclasses_mean_it(spec: type, made: type) -> None:
    # @dataclass's frozen __setattr__ also refuses names that are not fields, and lets a
    # subclass that is not a dataclass set those. Python 3.11's own raises TypeError for both
    # when slots=True (its methods still name the class from before slots were added, a
    # CPython bug), so this is checked on the generated classes alone.
    values = _values(spec, "v")
    name = dataclasses.fields(spec)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'x'"):
        made(**values).x = 1
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'x'"):
        del made(**values).x
    sub = type("Sub", (made,), {})(**values)
    sub.extra = 1
    del sub.extra
    with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot assign to field {name!r}"):
        setattr(sub, name, 1)


def test_livetrigger_events_exports_the_generated_classes() -> None:
    generated = importlib.import_module("livetrigger._events_generated")
    spec = importlib.import_module("livetrigger.event_spec")
    names = [
        n for n, c in vars(spec).items() if isinstance(c, type) and dataclasses.is_dataclass(c)
    ]
    assert names and all(getattr(ev, n) is getattr(generated, n) for n in names)
    assert (
        ev.ANONYMOUS is generated.ANONYMOUS
        and ev.Event.__dataclass_fields__["user"].default is ev.ANONYMOUS
    )
    assert pickle.loads(pickle.dumps(ev.GiftEvent(diamonds=5))) == ev.GiftEvent(diamonds=5)


def test_importing_the_classes_runs_no_dataclass_decorator() -> None:
    # the point of the generated modules: a fresh interpreter imports the events, the
    # settings and the actions without @dataclass writing a single method (nor importing the declarations)
    probe = (
        "import dataclasses, sys\n"
        "made = []\n"
        "real = dataclasses._process_class\n"
        "dataclasses._process_class = lambda cls, *a: made.append(cls.__name__) or real(cls, *a)\n"
        "import livetrigger.events, livetrigger.settings, livetrigger.actions\n"
        "print(made, [m for m in sys.modules if m.endswith('_spec')])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    ).stdout
    assert out.strip() == "[] []"

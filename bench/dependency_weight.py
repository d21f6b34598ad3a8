"""What each candidate library would cost the daemon: import time and resident memory added,
and what using it once costs, for the three jobs where a lighter library might do (issue 18):

- validation of the config file: pydantic (what livetrigger used), msgspec, attrs + cattrs,
  and the small checker that replaced them (livetrigger.config.shape);
- HTTP (room lookup, signing, webhooks): httpx (used), aiohttp, the standard library;
- templates: jinja2's sandbox (used), and string.Template as the floor (no expressions).

    .venv/bin/python bench/dependency_weight.py [--runs 7]
    /tmp/depvenv/bin/python bench/dependency_weight.py --runs 7   # a venv with every candidate

Each candidate runs in its own fresh interpreter that has first imported what the daemon
always has (asyncio with ssl, json, re, dataclasses, enum, typing), so the figures are what
the library adds on top of that. "import" is the wall time of the import statement and the
RSS it added; "use" is one typical job on top of the import: for validation, defining a small
config schema (settings with bounds, rules with a pattern-checked id, actions) and validating
a 50-rule document; for HTTP, one TLS-verifying client made inside a running loop; for
templates, an environment and 20 templates compiled and rendered once. Each figure is the
median of --runs interpreters. "errors" is how many of a document's 3 mistakes (a port that
is text, a qos of 5, a rule without an id) the validator reports in one pass. A candidate
that is not installed in the running interpreter is skipped with a note.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass

BASELINE = "import asyncio, ssl, json, re, dataclasses, enum, typing"


@dataclass(frozen=True)
class Candidate:
    job: str
    name: str
    needs: tuple[str, ...]  # distributions, for the versions and the "not installed" note
    imports: str
    use: str  # sets ERRORS to the number of mistakes reported, where that means something


DOC = """
def doc(bad=False):
    rules = [{"id": f"rule_{i}", "on": "gift", "when": {"diamonds": {"gte": i}},
              "do": [{"topic": "tiktok/{{ room }}/gift", "payload": "{{ user.nickname }}", "qos": 1}]}
             for i in range(50)]
    mqtt = {"host": "localhost", "port": 1883, "keepalive": 30.0}
    if bad:
        mqtt["port"] = "x"
        rules[3]["do"][0]["qos"] = 5
        del rules[7]["id"]
    return {"mqtt": mqtt, "rooms": [{"username": "@demo", "rules": rules}]}
"""

PYDANTIC = (
    DOC
    + """
from typing import Any, Literal
from pydantic import BaseModel, ConfigDict, Field, ValidationError
class M(BaseModel):
    model_config = ConfigDict(extra="forbid")
class Mqtt(M):
    host: str
    port: int = Field(1883, ge=1, le=65535)
    keepalive: float = Field(60.0, gt=0)
class Action(M):
    topic: str
    payload: str | None = None
    qos: Literal[0, 1, 2] = 1
class Rule(M):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    on: str | list[str]
    when: dict[str, Any] = {}
    do: list[Action]
class Room(M):
    username: str
    rules: list[Rule] = []
class Config(M):
    mqtt: Mqtt | None = None
    rooms: list[Room]
Config.model_validate(doc())
try:
    Config.model_validate(doc(bad=True))
except ValidationError as exc:
    ERRORS = exc.error_count()
"""
)

MSGSPEC = (
    DOC
    + """
from typing import Annotated, Any, Literal
import msgspec
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
RuleId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
class Mqtt(msgspec.Struct, forbid_unknown_fields=True):
    host: str
    port: Port = 1883
    keepalive: Annotated[float, msgspec.Meta(gt=0)] = 60.0
class Action(msgspec.Struct, forbid_unknown_fields=True):
    topic: str
    payload: str | None = None
    qos: Literal[0, 1, 2] = 1
class Rule(msgspec.Struct, forbid_unknown_fields=True):
    id: RuleId
    on: str | list[str]
    do: list[Action]
    when: dict[str, Any] = {}
class Room(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    rules: list[Rule] = []
class Config(msgspec.Struct, forbid_unknown_fields=True):
    rooms: list[Room]
    mqtt: Mqtt | None = None
msgspec.convert(doc(), Config)
try:
    msgspec.convert(doc(bad=True), Config)
except msgspec.ValidationError as exc:
    ERRORS = str(exc).count(" - at `$")  # one message, for the first mistake it met
"""
)

CATTRS = (
    DOC
    + """
from typing import Any, Literal
import attrs, cattrs
from attrs import validators as v
@attrs.frozen
class Mqtt:
    host: str
    port: int = attrs.field(default=1883, validator=[v.ge(1), v.le(65535)])
    keepalive: float = attrs.field(default=60.0, validator=v.gt(0))
@attrs.frozen
class Action:
    topic: str
    payload: str | None = None
    qos: Literal[0, 1, 2] = attrs.field(default=1, validator=v.in_((0, 1, 2)))
@attrs.frozen
class Rule:
    id: str = attrs.field(validator=v.matches_re(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"))
    on: str | list[str] = "gift"
    do: list[Action] = attrs.Factory(list)
    when: dict[str, Any] = attrs.Factory(dict)
@attrs.frozen
class Room:
    username: str
    rules: list[Rule] = attrs.Factory(list)
@attrs.frozen
class Config:
    rooms: list[Room]
    mqtt: Mqtt | None = None
conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
conv.register_structure_hook(str | list[str], lambda d, _: d if isinstance(d, str) else list(d))
conv.structure(doc(), Config)
def count(exc):
    if isinstance(exc, BaseExceptionGroup):
        return sum(count(e) for e in exc.exceptions)
    return 1
try:
    conv.structure(doc(bad=True), Config)
except Exception as exc:
    ERRORS = count(exc)
"""
)

# livetrigger's own checker (config/shape.py); its import brings the rules' field names (and
# with them the event classes), which the daemon loads anyway
OWN = (
    DOC
    + """
from dataclasses import dataclass
from typing import Any, Literal
from livetrigger.config.shape import check
from livetrigger.settings import key
@dataclass(frozen=True, slots=True, kw_only=True)
class Mqtt:
    host: str
    port: int = key(1883, low=1, high=65535)
    keepalive: float = key(60.0, above=0, number=True)
@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    topic: str
    payload: str | None = None
    qos: Literal[0, 1, 2] = 1
@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: str = key(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    on: str | list[str]
    do: list[Action]
    when: dict[str, Any] = key({})
@dataclass(frozen=True, slots=True, kw_only=True)
class Room:
    username: str
    rules: list[Rule] = key([])
@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    rooms: list[Room]
    mqtt: Mqtt | None = None
assert check(Config, doc())[0] is not None
ERRORS = len(check(Config, doc(bad=True))[1])
"""
)

HTTPX = """
import asyncio, httpx
async def make():
    return httpx.AsyncClient(timeout=10.0)
KEEP = asyncio.run(make())
"""

AIOHTTP = """
import asyncio, aiohttp
async def make():
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
KEEP = asyncio.run(make())
"""

STDLIB_HTTP = """
import asyncio, ssl
async def make():
    return ssl.create_default_context()  # what asyncio.open_connection(ssl=...) is given
KEEP = asyncio.run(make())
"""

SOURCES = """
SOURCES = [f"{{{{ user.nickname }}}} sent {{{{ repeat_count }}}} x {{{{ gift_name }}}} ({i})"
           for i in range(20)]
class User:
    nickname = "Viewer"
CTX = {"user": User(), "repeat_count": 3, "gift_name": "Rose"}
"""

JINJA = (
    SOURCES
    + """
from jinja2.sandbox import ImmutableSandboxedEnvironment
env = ImmutableSandboxedEnvironment(autoescape=False)
KEEP = [env.from_string(s) for s in SOURCES]
for t in KEEP:
    t.render(CTX)
"""
)

STRING_TEMPLATE = """
import string
SOURCES = [f"$nickname sent $repeat_count x $gift_name ({i})" for i in range(20)]
KEEP = [string.Template(s) for s in SOURCES]
for t in KEEP:
    t.substitute(nickname="Viewer", repeat_count=3, gift_name="Rose")
"""

CANDIDATES = [
    Candidate("validation", "pydantic", ("pydantic",), "import pydantic", PYDANTIC),
    Candidate("validation", "msgspec", ("msgspec",), "import msgspec", MSGSPEC),
    Candidate("validation", "attrs + cattrs", ("attrs", "cattrs"), "import attrs, cattrs", CATTRS),
    Candidate(
        "validation",
        "livetrigger.config.shape (own)",
        (),
        "import livetrigger.config.shape",
        OWN,
    ),
    Candidate("http", "httpx", ("httpx",), "import httpx", HTTPX),
    Candidate("http", "aiohttp", ("aiohttp",), "import aiohttp", AIOHTTP),
    Candidate(
        "http", "stdlib (asyncio streams, ssl)", (), "import http.client, urllib.parse", STDLIB_HTTP
    ),
    Candidate("templates", "jinja2 sandbox", ("jinja2",), "import jinja2.sandbox", JINJA),
    Candidate("templates", "string.Template (floor)", (), "import string", STRING_TEMPLATE),
]

CHILD = """
import sys, time
{baseline}
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
import json as _json
ERRORS = None
r0 = rss(); t0 = time.perf_counter()
exec(sys.argv[1])
t1 = time.perf_counter(); r1 = rss()
exec(sys.argv[2])
t2 = time.perf_counter(); r2 = rss()
print(_json.dumps([t1 - t0, r1 - r0, t2 - t1, r2 - r1, ERRORS]))
"""


def installed(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def one_run(c: Candidate) -> list[float | None]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(baseline=BASELINE), c.imports, c.use],
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(
        f"Python {sys.version.split()[0]}, median of {args.runs} fresh interpreters, "
        f"each after `{BASELINE}`\n"
    )
    print("| job | candidate | import | RSS added | use | RSS added | together | errors of 3 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    notes = []
    for c in CANDIDATES:
        missing = [d for d in c.needs if installed(d) is None]
        if missing:
            notes.append(f"{c.name}: skipped, not installed here ({', '.join(missing)})")
            continue
        runs = [one_run(c) for _ in range(args.runs)]
        imp_s, imp_m, use_s, use_m = (
            statistics.median(float(r[i] or 0) for r in runs) for i in range(4)
        )
        errors = runs[0][4]
        versions = " ".join(f"{d} {installed(d)}" for d in c.needs)
        label = f"{c.name} ({versions})" if versions else c.name
        print(
            f"| {c.job} | {label} | {imp_s * 1000:.1f} ms | +{imp_m:.1f} MiB | "
            f"{use_s * 1000:.1f} ms | +{use_m:.1f} MiB | "
            f"{(imp_s + use_s) * 1000:.0f} ms, +{imp_m + use_m:.1f} MiB | "
            f"{'' if errors is None else errors} |"
        )
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()

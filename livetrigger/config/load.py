"""Load a config file: YAML with positions → ``${ENV}`` → ``*_file`` secrets → validation →
rule compilation, collecting every problem with file:line:column and field path.
"""

from __future__ import annotations

import dataclasses
import gc
import ipaddress
import os
import re
import stat
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from livetrigger import settings as s
from livetrigger.actions.kind import CompiledAction, Targets
from livetrigger.config import checks
from livetrigger.config import schema as cs
from livetrigger.config.compile_rules import compile_rule, rule_syntax
from livetrigger.config.credentials import credentials_in
from livetrigger.config.model import Config, RoomConfig
from livetrigger.config.shape import SECRET_FIELDS, check
from livetrigger.config.yaml_hints import comment_cut
from livetrigger.config.yamlpos import (
    MAX_BYTES,
    ConfigLimitError,
    Located,
    format_path,
    load_located,
    plain_value,
)
from livetrigger.config.yamlpos import Path as KeyPath
from livetrigger.errors import ConfigError, ConfigFileError
from livetrigger.rules.model import CompiledRule
from livetrigger.system.tls import tls_problems
from livetrigger.text.suggest import suggest
from livetrigger.text.topics import command_filters, entity_slug, published_filters
from livetrigger.text.usernames import parse_username
from livetrigger.text.webvalues import header_problem

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


class _Problems:
    def __init__(
        self, filename: str, located: Located | None, only: frozenset[str] | None = None
    ) -> None:
        self.filename = filename
        self.located = located
        self.items: list[tuple[int, int, str]] = []
        self.hidden: set[KeyPath] = set()  # secrets and ${ENV} values: never echo them
        self.paths: set[KeyPath] = set()  # where a problem was reported
        self.only = only  # the top-level sections whose problems count (None: all)

    def add(self, path: KeyPath, message: str, value: Any = ...) -> None:
        if self.only is not None and (not path or path[0] not in self.only):
            return
        pos = self.located.where(path) if self.located else None
        line, col = (pos.line, pos.column) if pos else (0, 0)
        self.paths.add(path)
        where = f"{self.filename}:{line}:{col}" if pos else self.filename
        text = f"{where}: {format_path(path)}: {message}"
        if value is not ... and not self._is_hidden(path) and "got " not in message:
            shown = repr(value)
            text += f" (got {shown[:80] + '…' if len(shown) > 80 else shown})"
        self.items.append((line, col, text))

    def line_of(self, path: KeyPath) -> int | None:
        pos = self.located.where(path) if self.located else None
        return pos.line if pos else None

    def _is_hidden(self, path: KeyPath) -> bool:
        return any(path[: len(h)] == h for h in self.hidden) or any(
            isinstance(p, str) and p in SECRET_FIELDS for p in path
        )

    def raise_if_any(self) -> None:
        if self.items:
            lines = tuple(t for _, _, t in sorted(self.items, key=lambda x: (x[0], x[1])))
            n = len(lines)
            raise ConfigError(f"{self.filename}: {n} problem{'s' * (n != 1)}", lines)


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    """Read and validate ``path``; raises ConfigError listing every problem at once
    (ConfigFileError when the file cannot be read at all)."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise ConfigFileError(
                f"{p}: {p.stat().st_size:,} bytes; a config is at most {MAX_BYTES:,}: "
                "is this the right file?"
            )
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(
            f"{p}: no such file; `livetrigger init {p}` writes a starter config there, "
            "or pass -c PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{p}: cannot read: {exc}") from None
    return load_config_text(text, str(p), env=env, base_dir=p.parent, path=p)


def load_config_text(
    text: str,
    filename: str = "<config>",
    *,
    env: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    path: Path | None = None,
) -> Config:
    # a big file builds hundreds of thousands of objects (nodes, values, rules) and almost no
    # reference cycles, so the cycle collector's passes over them find nothing: they were a
    # third of `check`'s time with 5,000 rules. It runs again once the config is built.
    was_on = gc.isenabled()
    gc.disable()
    try:
        return _load(text, filename, env, base_dir, path)
    finally:
        if was_on:
            gc.enable()


def _load(
    text: str,
    filename: str,
    env: Mapping[str, str] | None,
    base_dir: Path | None,
    path: Path | None,
) -> Config:
    env = os.environ if env is None else env
    try:
        located = load_located(text, filename)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, ConfigLimitError):
            raise ConfigError(f"{filename}: too large to load", (f"{where}: {problem}",)) from None
        said: tuple[str, ...] = (
            f"{where}: {problem} — check indentation and quoting near this line",
        )
        cut = comment_cut(text, mark.index) if mark else None
        if cut is not None:  # the parser stumbled lines after the cause: that line first
            line, column, advice = cut
            said = (f"{filename}:{line}:{column}: {advice}", *said)
        raise ConfigError(f"{filename}: not valid YAML", said) from None
    problems = _Problems(filename, located)
    for dup in located.duplicates:
        problems.items.append(
            (
                dup.second.line,
                dup.second.column,
                f"{filename}:{dup.second.line}:{dup.second.column}: {format_path(dup.path)}: "
                f"`{dup.path[-1]}` is written twice (lines {dup.first.line} and "
                f"{dup.second.line}); YAML would keep only the second: delete one",
            )
        )
    data = located.data
    if not isinstance(data, dict):
        problems.add((), "the config must be a mapping with at least `rooms:`", data)
        problems.raise_if_any()
    secrets: set[str] = set()
    data = _substitute(data, (), env, problems)
    _read_secret_files(data, (), base_dir or Path.cwd(), problems, secrets)
    model, found = check(cs.ConfigFile, data)
    ids = _rule_ids(data, problems)
    if model is None:
        for problem in found:
            if problem.loc not in problems.paths:  # an unset ${VAR} there said it already
                problems.add(problem.loc, problem.message, problem.value)
        broken = [p.loc for p in found]
        _check_valid_rules(data, broken, problems, base_dir)
        _check_valid_sections(data, broken, problems, ids)
        problems.raise_if_any()
        raise AssertionError("the check failed without saying why")
    config = _build(model, problems, path, ids, base_dir)
    problems.raise_if_any()
    assert config is not None
    return _with_secrets(config, secrets, model)


# -- ${ENV} and *_file ----------------------------------------------------------------------


def _substitute(value: Any, path: KeyPath, env: Mapping[str, str], problems: _Problems) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, (*path, str(k)), env, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, (*path, i), env, problems) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.add(
            path,
            f"environment variable {name} is not set; set it (systemd: Environment= or "
            f"EnvironmentFile=) or write ${{{name}:-default}}",
        )
        return ""

    problems.hidden.add(path)
    out = _ENV.sub(replace, value)
    # a whole-value substitution of a number or boolean keeps YAML's typing (the file's: YAML
    # 1.2 booleans, and a value Python cannot build stays text)
    return plain_value(out) if out and _ENV.fullmatch(value) else out


UNREADABLE = "(a secret file that could not be read)"


def _read_secret_files(
    value: Any, path: KeyPath, base: Path, problems: _Problems, secrets: set[str]
) -> None:
    if isinstance(value, list):
        for i, v in enumerate(value):
            _read_secret_files(v, (*path, i), base, problems, secrets)
        return
    if not isinstance(value, dict):
        return
    for key in list(value):
        child = value[key]
        name = str(key)
        if name.endswith("_file") and name[: -len("_file")] in SECRET_FIELDS:
            field = name[: -len("_file")]
            here = (*path, name)
            if child is None:
                del value[key]
                continue
            if field in value and value[field] is not None:
                problems.add(here, f"give {field} or {name}, not both")
                continue
            secret = _read_secret(str(child), base, here, problems)
            if secret is not None:
                value[field] = secret
                secrets.add(secret)
            else:  # said once, at the file: nothing else is to find the secret missing
                value[field] = UNREADABLE
            problems.hidden.add((*path, field))
            del value[key]
        elif name in SECRET_FIELDS and isinstance(child, str) and child:
            secrets.add(child)
        else:
            _read_secret_files(child, (*path, name), base, problems, secrets)


def _read_secret(name: str, base: Path, path: KeyPath, problems: _Problems) -> str | None:
    # systemd LoadCredential= puts files under $CREDENTIALS_DIRECTORY
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    p = Path(name)
    if not p.is_absolute():
        p = Path(creds) / p if creds and (Path(creds) / p).exists() else base / p
    try:
        st = p.stat()
        if st.st_mode & (stat.S_IROTH | stat.S_IWOTH):
            problems.add(
                path,
                f"{p} is readable by other users; run `chmod 600 {p}` (secrets stay private)",
            )
            return None
        secret = p.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        problems.add(path, f"secret file {p} is not UTF-8 text: write the secret itself in it")
        return None
    except ValueError:  # Path refuses a NUL in a name
        problems.add(path, "a file name cannot hold a NUL character")
        return None
    except OSError as exc:
        problems.add(path, f"cannot read secret file {p}: {exc.strerror or exc}")
        return None
    if not secret:
        problems.add(path, f"secret file {p} is empty")
        return None
    return secret


# -- rules that passed, compiled even when the file has other problems ----------------------


def _check_valid_rules(
    data: dict[str, Any], broken: list[KeyPath], problems: _Problems, base_dir: Path | None
) -> None:
    """Compile the rules that passed the check, so their problems show up in the same run
    as the structural ones elsewhere in the file."""
    gpio = data.get("gpio") if isinstance(data.get("gpio"), dict) else {}
    outputs = gpio.get("outputs") if isinstance(gpio, dict) else None
    hooks = data.get("webhooks")
    mqtt: dict[str, Any] = data["mqtt"] if isinstance(data.get("mqtt"), dict) else {}
    ha: dict[str, Any] = (
        data["homeassistant"] if isinstance(data.get("homeassistant"), dict) else {}
    )
    base_topic = str(mqtt.get("base_topic") or "livetrigger")
    discovery = ha.get("discovery", True) is not False
    prefix = str(ha.get("prefix") or "homeassistant")
    devices = data.get("devices")
    tiktok: dict[str, Any] = data["tiktok"] if isinstance(data.get("tiktok"), dict) else {}
    targets = Targets(
        gpio_outputs=frozenset(outputs) if isinstance(outputs, dict) else frozenset(),
        webhooks=frozenset(hooks) if isinstance(hooks, dict) else frozenset(),
        mqtt=data.get("mqtt") is not None,
        base_topic=base_topic,
        command_filters=command_filters(base_topic, prefix if discovery else None),
        published=published_filters(base_topic, prefix if discovery else None),
        webhook_paths={
            str(name): _url_path(hook.get("url"))
            for name, hook in (hooks.items() if isinstance(hooks, dict) else ())
            if isinstance(hook, dict)
        },
        devices={
            str(name): str(next(iter(kinds)))
            for name, kinds in (devices.items() if isinstance(devices, dict) else ())
            if isinstance(kinds, dict) and len(kinds) == 1
        },
        base_dir=base_dir,
        chat_missing=""
        if any(loc[:1] == ("tiktok",) for loc in broken)  # its own problem says what
        else _chat_missing(
            tiktok.get("session_id"),
            tiktok.get("session_id_sign_host"),
            tiktok.get("sign_url") or s.TikTokSettings().sign_url,
            problems,
        ),
    )
    places: list[tuple[KeyPath, Any]] = [(("rules",), data.get("rules"))]
    rooms = data.get("rooms")
    if isinstance(rooms, list):
        places += [
            (("rooms", i, "rules"), r.get("rules"))
            for i, r in enumerate(rooms)
            if isinstance(r, dict)
        ]
    for base, rules in places:
        if not isinstance(rules, list):
            continue
        for j, raw in enumerate(rules):
            here = (*base, j)
            if any(loc[: len(here)] == here for loc in broken):
                for where, message in _broken_rule_syntax(raw, here, broken, targets):
                    problems.add(where, message)
                continue
            rule, _ = check(cs.Rule, raw, here)
            if rule is None:
                continue
            _, found = compile_rule(rule, here, targets)
            for where, message in found:
                problems.add(where, message)


def _broken_rule_syntax(
    raw: Any, here: KeyPath, broken: list[KeyPath], targets: Targets
) -> list[tuple[KeyPath, str]]:
    """The template syntax problems of a rule that failed the check, in its ``if:`` and the
    entries of its ``do`` that pass on their own."""
    if not isinstance(raw, dict):
        return []

    def passed(path: KeyPath) -> bool:
        return not any(loc[: len(path)] == path for loc in broken)

    source = raw.get("if")
    if_ = source if isinstance(source, str) and passed((*here, "if")) else None
    do = raw.get("do")
    actions: list[tuple[KeyPath, cs.Action]] = []
    for i, entry in enumerate(do if isinstance(do, list) else []):
        at: KeyPath = (*here, "do", i)
        action, _ = check(cs.Action, entry, at) if passed(at) else (None, [])
        if action is not None:
            actions.append((at, action))
    return rule_syntax(if_, actions, here, targets)


def _check_valid_sections(
    data: dict[str, Any], broken: list[KeyPath], problems: _Problems, ids: frozenset[str]
) -> None:
    """Run the checks of the whole file on the top-level sections that passed on their own
    (a bad mqtt.port must not hide an ftp:// webhook URL), the others left at their defaults;
    only the problems of the sections that passed are kept: none caused by the stand-ins."""
    if any(not loc for loc in broken):
        return
    # a room whose only mistakes are in its rules passes here: its rules are left out below
    heads = {loc[0] for loc in broken if loc[0] != "rooms" or loc[2:3] != ("rules",)}
    kept = {k: v for k, v in data.items() if k not in heads and k != "rules"}
    rooms = kept.get("rooms")
    if isinstance(rooms, list):  # rules are compiled by _check_valid_rules
        kept["rooms"] = [{**r, "rules": []} if isinstance(r, dict) else r for r in rooms]
    else:
        kept["rooms"] = [{"room_id": 1}]
    model, _ = check(cs.ConfigFile, kept)
    if model is None:
        return
    passed = frozenset(k for k in data if k not in heads and k != "rules")
    found = _Problems(problems.filename, problems.located, only=passed)
    found.hidden, found.paths = problems.hidden, set(problems.paths)
    _build(model, found, None, ids)
    problems.items += found.items
    problems.paths |= found.paths


def _raw_rules(data: dict[str, Any]) -> list[tuple[KeyPath, list[tuple[KeyPath, str]]]]:
    """Each place rules are written (top level, then each room) with the id of each of its
    rules, as written: read before the check, so ids are compared even when a rule or another
    part of the file is wrong."""
    places: list[tuple[KeyPath, Any]] = [(("rules",), data.get("rules"))]
    rooms = data.get("rooms")
    if isinstance(rooms, list):
        places += [
            (("rooms", i), r.get("rules")) for i, r in enumerate(rooms) if isinstance(r, dict)
        ]
    out: list[tuple[KeyPath, list[tuple[KeyPath, str]]]] = []
    for base, rules in places:
        prefix = base if base == ("rules",) else (*base, "rules")
        found = [
            ((*prefix, j, "id"), raw["id"])
            for j, raw in enumerate(rules if isinstance(rules, list) else [])
            if isinstance(raw, dict) and isinstance(raw.get("id"), str)
        ]
        out.append((base, found))
    return out


def _rule_ids(data: dict[str, Any], problems: _Problems) -> frozenset[str]:
    """Every rule id of the file, after reporting ids used twice or that Home Assistant would
    take as one."""
    (_, shared), *rooms = _raw_rules(data)
    seen: set[str] = set()
    for where, rule_id in shared:
        if rule_id in seen:
            problems.add(where, f"rule id `{rule_id}` is used twice")
        seen.add(rule_id)
    _one_in_home_assistant(shared, problems)
    for _, own in rooms:
        ids = Counter(i for _, i in (*shared, *own))  # not list.count: 5,000 rules, 25M steps
        for where, rule_id in own:
            if ids[rule_id] > 1:
                problems.add(where, f"rule id `{rule_id}` is used twice in this room")
        # the room's device in Home Assistant holds its own and the top-level rules
        _one_in_home_assistant([*shared, *own], problems, report_from=len(shared))
        seen |= {i for _, i in own}
    return frozenset(seen)


def _one_in_home_assistant(
    ids: list[tuple[KeyPath, str]], problems: _Problems, *, report_from: int = 0
) -> None:
    """A problem at each id (from ``report_from`` on) that differs from an earlier one but is
    the same to Home Assistant, whose entity ids ignore case and make every run of other
    characters one `_`: the two rules would share a device trigger and a test button."""
    first: dict[str, tuple[KeyPath, str]] = {}
    for i, (where, rule_id) in enumerate(ids):
        path, other = first.setdefault(entity_slug(rule_id), (where, rule_id))
        if i < report_from or other == rule_id:
            continue  # (the same id twice is its own problem)
        line = problems.line_of(path)
        at = f" (line {line})" if line else ""
        problems.add(
            where,
            f"rule ids `{other}`{at} and `{rule_id}` are one in Home Assistant (its ids "
            "ignore case and read `-` as `_`): they would share a device trigger and a "
            "test button; rename one",
        )


# -- model → Config -------------------------------------------------------------------------


def _build(
    model: cs.ConfigFile,
    problems: _Problems,
    path: Path | None,
    ids: frozenset[str],
    base_dir: Path | None = None,
) -> Config | None:
    gpio = model.gpio or s.GpioSettings()
    mqtt = model.mqtt
    if mqtt is not None and mqtt.tls is not None:
        for where, message in tls_problems(mqtt.tls, ("mqtt", "tls")):
            problems.add(where, message)
    webhooks = model.webhooks
    for hook in webhooks:
        if not hook.url.startswith(("http://", "https://")):
            problems.add(
                ("webhooks", hook.name, "url"), "the URL must start with http:// or https://"
            )
        for header, value in hook.headers:
            if problem := header_problem(header, value):
                problems.add(("webhooks", hook.name, "headers", header), problem)
        if problem := header_problem(hook.signature_header, ""):
            problems.add(("webhooks", hook.name, "signature_header"), problem)
    tiktok = model.tiktok
    for where, message in (
        *checks.url_problems(tiktok, webhooks),
        *checks.backoff_order(tiktok, mqtt),
        *checks.gpio_pins(gpio, problems.line_of),
        *checks.device_names(model.devices, problems.line_of),
    ):
        problems.add(where, message)
    base = mqtt.base_topic if mqtt else "livetrigger"
    ha = model.homeassistant
    targets = Targets(
        gpio_outputs=frozenset(o.name for o in gpio.outputs),
        webhooks=frozenset(w.name for w in webhooks),
        mqtt=mqtt is not None,
        base_topic=base,
        command_filters=command_filters(base, ha.prefix if ha.discovery else None),
        published=published_filters(base, ha.prefix if ha.discovery else None),
        webhook_paths={w.name: _url_path(w.url) for w in webhooks},
        devices={d.name: d.kind for d in model.devices},
        base_dir=base_dir,
        chat_missing=_chat_missing(
            tiktok.session_id, tiktok.session_id_sign_host, tiktok.sign_url, problems
        ),
    )
    for where, message in checks.device_libraries(model.devices):
        problems.add(where, message)
    for inp in gpio.inputs:
        if inp.role == "test_button" and not inp.rule:
            problems.add(("gpio", "inputs", inp.name), "a test_button needs `rule:`")
    shared = _compile_rules(model.rules, ("rules",), targets, problems)
    rooms: list[RoomConfig] = []
    names: set[str] = set()
    for i, room in enumerate(model.rooms):
        here: KeyPath = ("rooms", i)
        settings = _room_settings(room, here, problems)
        if settings is None:
            continue
        if settings.name in names:
            problems.add(here, f"room `{settings.name}` appears twice; give one a `name:`")
        names.add(settings.name)
        own = _compile_rules(room.rules, (*here, "rules"), targets, problems)
        initial = (
            room.process_initial_data
            if room.process_initial_data is not None
            else tiktok.process_initial_data
        )
        rooms.append(RoomConfig(settings, tuple(shared + own), initial))
    for inp in gpio.inputs:  # the ids as written: a rule with a mistake is still there
        if inp.rule and inp.rule not in ids:
            problems.add(
                ("gpio", "inputs", inp.name, "rule"),
                f"no rule `{inp.rule}`{suggest(inp.rule, ids)}",
            )
    web = model.web
    # a token_file that cannot be read is its own problem: not also "set web.token"
    token_failed = {("web", "token"), ("web", "token_file")} & problems.paths
    if web.enabled and not web.token and not token_failed and not _loopback(web.host):
        problems.add(
            ("web", "host"),
            f"the dashboard on {web.host!r} is reachable from other machines: set web.token "
            "(or web.token_file), or keep host: 127.0.0.1",
        )
    if problems.items:
        return None
    return Config(
        web=web,
        path=path,
        tiktok=tiktok,
        rooms=tuple(rooms),
        mqtt=mqtt,
        homeassistant=ha,
        gpio=gpio,
        webhooks=webhooks,
        daemon=model.daemon,
        devices=model.devices,
    )


def _compile_rules(
    rules: list[cs.Rule], path: KeyPath, targets: Targets, problems: _Problems
) -> list[CompiledRule]:
    out: list[CompiledRule] = []
    for j, rule in enumerate(rules):
        compiled, found = compile_rule(rule, (*path, j), targets)
        for where, message in found:
            problems.add(where, message)
        if compiled is not None:
            if any(a.asks is not None for a in compiled.actions):
                compiled.actions = tuple(_located(a, problems) for a in compiled.actions)
            out.append(compiled)
    return out


def _located(action: CompiledAction, problems: _Problems) -> CompiledAction:
    """The action with the file:line its device's probe names (a device action only)."""
    asks = action.asks
    if asks is None:
        return action
    line = problems.line_of(asks.path)
    where = f"{problems.filename}:{line}" if line else problems.filename
    return dataclasses.replace(action, asks=dataclasses.replace(asks, where=where))


def _room_settings(room: cs.Room, path: KeyPath, problems: _Problems) -> s.RoomSettings | None:
    unique = ""
    if room.username:
        found = parse_username(room.username)
        if found is None:
            problems.add(
                (*path, "username"),
                "not a TikTok username: write the handle, like @streamer",
                room.username,
            )
            return None
        unique = found
    name = room.name or re.sub(r"[^a-z0-9_]", "_", unique.lower()) or str(room.room_id)
    return s.RoomSettings(name=name, unique_id=unique, room_id=room.room_id)


# endpoint headers whose values are credentials: Authorization: Bearer …, X-Api-Key, a cookie
def _with_secrets(config: Config, secrets: set[str], model: cs.ConfigFile) -> Config:
    found = secrets | credentials_in(config, model)
    return dataclasses.replace(config, secrets=frozenset(found))


def _chat_missing(
    session_id: str | None, sign_host: str | None, sign_url: str, problems: _Problems
) -> str:
    """What the ``tiktok`` section lacks for sending chat; "" also when a problem at its
    session id (an unreadable file, an unset ``${VAR}``) already says it."""
    if {("tiktok", "session_id"), ("tiktok", "session_id_file")} & problems.paths:
        return ""
    return checks.chat_missing(session_id, sign_host, sign_url)


def _url_path(url: object) -> str:
    """The path of an endpoint's URL, for `check` to show where an action's request goes."""
    try:
        return urlsplit(url).path if isinstance(url, str) else ""
    except ValueError:  # reported where the URL is checked
        return ""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

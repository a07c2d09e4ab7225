"""coord eval scenarios: YAML files, their format and its validation (docs/evaluation.md).

A scenario file says which scripted situation to play (``kind``), with how many agents and
what they try (``params``). The situations themselves are programs in coordinator.evaluation;
the files choose and tune them, and a user adds a file to play another variation. Every file is
validated before anything runs: an unknown kind, a missing or unknown key and a value of the
wrong type are errors naming the file and the key (CO590).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import registered

SHIPPED = Path(__file__).resolve().parent / "scenarios"

# kind -> {param: (types, required, default)}. bool is not an int here.
_STR_LIST = "list of strings"
PARAMS: dict[str, dict[str, tuple[str, bool, Any]]] = {
    "lock_race": {"paths": (_STR_LIST, True, None), "rounds": ("int", False, 3), "mode": ("str", False, "exclusive")},
    "task_race": {"tasks": ("int", True, None)},
    "stale_fence": {"resource": ("str", False, "lock"), "path": ("str", False, "src/stale.py"),
                    "ttl": ("str", False, "30 seconds"), "advance": ("str", False, "2 minutes")},
    "destructive": {"dangerous": (_STR_LIST, False, []), "harmless": (_STR_LIST, False, []),
                    "corpus": ("str", False, None), "sample": ("int", False, None)},
    "profile_limits": {"limits": ("mapping", True, None), "locks": ("int", False, 0),
                       "lock_ttl": ("str", False, None), "tasks": ("int", False, 0)},
    "cross_tenant": {"reads": (_STR_LIST, False, ["task", "lock", "memory", "audit"])},
    "network": {"forbidden": (_STR_LIST, True, None), "allowed": (_STR_LIST, False, []),
                "rules": ("list of mappings", False, [])},
    "agent_death": {"tasks": ("int", True, None), "die": ("int", True, None),
                    "session_ttl": ("str", False, "1 minute"), "advance": ("str", False, "5 minutes")},
}
TOP_KEYS = {"name": ("str", True), "description": ("str", True), "kind": ("str", True),
            "agents": ("int", False), "params": ("mapping", False)}
LIMIT_KEYS = {"max_locks": "int", "max_lock_ttl": "str", "max_concurrent_tasks": "int", "trust_level": "int"}
STALE_RESOURCES = ("lock", "task")
CROSS_READS = ("task", "lock", "memory", "audit")
LOCK_MODES = ("exclusive", "shared")


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    kind: str
    agents: int
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def _is(value: Any, kind: str) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "mapping":
        return isinstance(value, dict)
    if kind == _STR_LIST:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "list of mappings":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    raise AssertionError(kind)


def _fail(source: str, message: str) -> Exception:
    return registered("CO590", f"{source}: {message}",
                      hint="see docs/evaluation.md, Scenario format; coord eval --list shows the valid files")


def parse(text: str, source: str) -> Scenario:
    """One scenario from YAML text; ``source`` names it in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _fail(source, f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise _fail(source, "a scenario is a mapping with name, description, kind, agents and params")
    for key in data:
        if key not in TOP_KEYS:
            raise _fail(source, f"unknown key {key!r} (keys: {', '.join(TOP_KEYS)})")
    for key, (kind, required) in TOP_KEYS.items():
        if key not in data:
            if required:
                raise _fail(source, f"missing key {key!r}")
        elif not _is(data[key], kind):
            raise _fail(source, f"{key} must be a {kind}, not {type(data[key]).__name__}")
    kind = data["kind"]
    if kind not in PARAMS:
        raise _fail(source, f"unknown kind {kind!r} (kinds: {', '.join(PARAMS)})")
    agents = data.get("agents", 2)
    if not 1 <= agents <= 16:
        raise _fail(source, "agents must be between 1 and 16")
    given = data.get("params") or {}
    params: dict[str, Any] = {}
    for key in given:
        if key not in PARAMS[kind]:
            raise _fail(source, f"params.{key} is not a parameter of {kind} (parameters: {', '.join(PARAMS[kind])})")
    for key, (ptype, required, default) in PARAMS[kind].items():
        if key not in given:
            if required:
                raise _fail(source, f"missing params.{key} ({ptype}) for kind {kind}")
            params[key] = default
        elif not _is(given[key], ptype):
            raise _fail(source, f"params.{key} must be a {ptype}")
        else:
            params[key] = given[key]
    _check_kind(source, kind, agents, params)
    return Scenario(name=data["name"], description=data["description"].strip(), kind=kind, agents=agents,
                    params=params, source=source)


def _check_kind(source: str, kind: str, agents: int, params: dict[str, Any]) -> None:
    for key in ("rounds", "tasks", "die", "locks", "sample"):
        if isinstance(params.get(key), int) and not 0 <= params[key] <= 1000:
            raise _fail(source, f"params.{key} must be between 0 and 1000")
    if kind == "lock_race":
        if not params["paths"]:
            raise _fail(source, "params.paths needs at least one path")
        if params["mode"] not in LOCK_MODES:
            raise _fail(source, f"params.mode must be one of {', '.join(LOCK_MODES)}")
        if agents < 2:
            raise _fail(source, "a race needs at least 2 agents")
    if kind == "stale_fence" and params["resource"] not in STALE_RESOURCES:
        raise _fail(source, f"params.resource must be one of {', '.join(STALE_RESOURCES)}")
    if kind == "destructive" and not (params["dangerous"] or params["corpus"]):
        raise _fail(source, "params.dangerous or params.corpus must name dangerous operations")
    if kind == "profile_limits":
        for key, value in params["limits"].items():
            if key not in LIMIT_KEYS:
                raise _fail(source, f"params.limits.{key} is not a limit (limits: {', '.join(LIMIT_KEYS)})")
            if not _is(value, LIMIT_KEYS[key]):
                raise _fail(source, f"params.limits.{key} must be a {LIMIT_KEYS[key]}")
    if kind == "cross_tenant":
        for read in params["reads"]:
            if read not in CROSS_READS:
                raise _fail(source, f"params.reads: unknown read {read!r} (reads: {', '.join(CROSS_READS)})")
    if kind == "network":
        for rule in params["rules"]:
            if set(rule) - {"pattern", "action", "priority"} or not {"pattern", "action"} <= set(rule):
                raise _fail(source, "params.rules: each rule has pattern and action (allow|deny), optional priority")
    if kind == "agent_death" and params["die"] > agents - 1:
        raise _fail(source, "params.die must leave at least one agent alive")


def load_file(path: Path) -> Scenario:
    try:
        text = path.read_text()
    except OSError as exc:
        raise _fail(str(path), f"cannot read: {exc.strerror}") from None
    scenario = parse(text, str(path))
    if scenario.kind == "destructive" and scenario.params["corpus"]:
        corpus = (path.parent / scenario.params["corpus"]).resolve()
        try:
            dangerous = corpus_lines(corpus.read_text())
        except OSError as exc:
            raise _fail(str(path), f"params.corpus {corpus}: {exc.strerror}") from None
        params = dict(scenario.params, dangerous=[*scenario.params["dangerous"], *dangerous])
        scenario = Scenario(scenario.name, scenario.description, scenario.kind, scenario.agents, params,
                            scenario.source)
    return scenario


def corpus_lines(text: str) -> list[str]:
    """Operations in tests/guardrail_corpus's line format (one per line, # comments, <NL>)."""
    return [line.replace("<NL>", "\n") for line in (raw.strip() for raw in text.splitlines())
            if line and not line.startswith("#")]


def load(paths: Iterable[Path] = ()) -> list[Scenario]:
    """The shipped scenarios, or those of ``paths`` (files, or directories of *.yaml), by name."""
    files: list[Path] = []
    for path in list(paths) or [SHIPPED]:
        if path.is_dir():
            files.extend(sorted(path.glob("*.yaml")))
        elif path.exists():
            files.append(path)
        else:
            raise _fail(str(path), "no such file or directory")
    scenarios = [load_file(f) for f in files]
    names = [s.name for s in scenarios]
    for name in names:
        if names.count(name) > 1:
            raise _fail(name, "two scenarios have this name")
    if not scenarios:
        raise _fail(", ".join(str(p) for p in paths), "no scenario files (*.yaml)")
    return scenarios


def operation(line: str) -> tuple[str, str]:
    """A corpus line as check_operation's (kind, text)."""
    for prefix in ("sql", "path"):
        if line.startswith(f"{prefix}: "):
            return prefix, line[len(prefix) + 2:]
    return "command", line

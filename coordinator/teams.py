"""Team files (``coord apply team.yaml``): YAML in, JSON out, ``api.apply_team`` decides.

This module only parses. Which keys exist, what a valid name or scope is, what changes, what a
change does and who may do it are all decided by ``api.apply_team`` in the database, so a team
document sent over PostgREST or from psql meets exactly the same rules. See docs/teams.md.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from .client import Client
from .errors import json_too_deep, registered
from .results import Result


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last one
    silently, which would drop half of a list of agents without a word)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark)
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    converted = _json(key)
    return json.dumps(converted) if not isinstance(converted, str) else converted


def _json(value: Any) -> Any:
    """YAML values as JSON values: dates become ISO text, keys become text, anything JSON cannot
    hold becomes its text (the database then reports the wrong type with its position)."""
    if isinstance(value, dict):
        return {_key(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def parse_team(text: str, source: str = "team file") -> Any:
    """The JSON document of a team file's YAML text. Only YAML syntax is checked here."""
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise registered("CO231", "the team file is malformed", f"{source}: not valid YAML: {exc}",
                         "see docs/teams.md for the format") from None
    except RecursionError:
        raise json_too_deep(f"{source} nests deeper than Python can handle") from None
    if document is None:
        raise registered("CO231", "the team file is malformed", f"{source} is empty",
                         "start with version: 1 and agents: (docs/teams.md)")
    try:
        return _json(document)
    except RecursionError:
        raise json_too_deep(f"{source} nests deeper than Python can handle") from None


def load_team(path: Path) -> Any:
    """Read and parse a team file ("-" reads standard input)."""
    source = "<stdin>" if str(path) == "-" else str(path)
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise registered("CO231", "the team file is malformed", f"{source}: not UTF-8 ({exc})",
                         "save the team file as UTF-8") from None
    return parse_team(text, source)


def apply_team(client: Client, team: Any, *, dry_run: bool = False, prune: bool = False) -> Result:
    """Send a parsed team document to ``api.apply_team``. ``prune`` sets the document's own
    ``prune: true`` (the --prune flag); it never turns a file's ``prune: true`` off."""
    if prune and isinstance(team, dict):
        team = {**team, "prune": True}
    return client.apply_team(team, dry_run=dry_run)

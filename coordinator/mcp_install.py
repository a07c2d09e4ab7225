"""``coord mcp install``: adds the coord MCP server to a coding agent's own configuration file.

Each client keeps MCP servers in its own file and format (their documentation):

* Claude Code: ``.mcp.json`` in the project (``--scope project``, meant to be committed) or
  ``~/.claude.json`` (``--scope user``), ``{"mcpServers": {"coord": {"type": "stdio", "command": ...,
  "args": [...], "env": {...}}}}``; ``${VAR}`` in env is expanded from Claude Code's environment.
* Codex: ``~/.codex/config.toml`` (user) or ``.codex/config.toml`` (a trusted project), a table
  ``[mcp_servers.coord]`` with ``command``, ``args`` and ``env_vars`` (the variables Codex passes on).
* Cursor: ``.cursor/mcp.json`` (project) or ``~/.cursor/mcp.json`` (user), ``{"mcpServers": {...}}``;
  ``${env:VAR}`` is expanded from Cursor's environment.

The token is never written into a file: the entry names the environment variables the server
reads (COORD_TOKEN, COORD_DSN, and COORD_REPOSITORY, the repository the hooks keep leases in,
empty when unset). Only the ``coord`` entry is written; every other key of the file is kept as it
was, so running the command again changes nothing.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import registered

CLIENTS = ("claude-code", "codex", "cursor")
SCOPES = ("project", "user")
SERVER_KEY = "coord"
ENV_VARS = ("COORD_TOKEN", "COORD_DSN")
# Passed on when set, empty otherwise (coord reads an empty variable as unset): Claude Code leaves
# an unset ${VAR} as its literal text, which no repository name is.
OPTIONAL_ENV_VARS = ("COORD_REPOSITORY",)


@dataclass(frozen=True)
class Plan:
    """What install would write: the file, its text before (None: no file) and after."""

    path: Path
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            (self.before or "").splitlines(keepends=True), self.after.splitlines(keepends=True),
            fromfile=str(self.path) if self.before is not None else "/dev/null", tofile=str(self.path)))

    def write(self) -> None:
        if self.changed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(self.after)


def config_path(client: str, scope: str, project: Path, home: Path) -> Path:
    if client == "claude-code":
        return project / ".mcp.json" if scope == "project" else home / ".claude.json"
    if client == "codex":
        return project / ".codex" / "config.toml" if scope == "project" else home / ".codex" / "config.toml"
    if client == "cursor":
        return project / ".cursor" / "mcp.json" if scope == "project" else home / ".cursor" / "mcp.json"
    raise registered("22023", f"unknown client {client}", hint=f"one of {', '.join(CLIENTS)}")


def server_entry(client: str, command: str, args: list[str]) -> dict[str, Any]:
    if client == "claude-code":
        return {"type": "stdio", "command": command, "args": args,
                "env": {**{v: "${" + v + "}" for v in ENV_VARS}, **{v: "${" + v + ":-}" for v in OPTIONAL_ENV_VARS}}}
    if client == "cursor":
        return {"type": "stdio", "command": command, "args": args,
                "env": {v: "${env:" + v + "}" for v in (*ENV_VARS, *OPTIONAL_ENV_VARS)}}
    return {"command": command, "args": args, "env_vars": [*ENV_VARS, *OPTIONAL_ENV_VARS]}


def _json_plan(path: Path, before: str | None, entry: dict[str, Any]) -> str:
    try:
        data = json.loads(before) if before and before.strip() else {}
    except json.JSONDecodeError as exc:
        raise registered("22023", f"{path} is not JSON ({exc})", hint="fix or move the file, then run again") from None
    if not isinstance(data, dict):
        raise registered("22023", f"{path} holds a JSON {type(data).__name__}, not an object")
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise registered("22023", f"{path}: mcpServers is not an object")
    if servers.get(SERVER_KEY) == entry and before is not None:
        return before  # already there: the file stays as its owner formatted it
    servers[SERVER_KEY] = entry
    return json.dumps(data, indent=2) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)  # a TOML basic string is a JSON string


_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _toml_plan(path: Path, before: str | None, entry: dict[str, Any]) -> str:
    """Replaces the [mcp_servers.coord] table (and its sub-tables) or appends it; the rest of
    the file is kept byte for byte."""
    text = before or ""
    try:
        current = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise registered("22023", f"{path} is not TOML ({exc})", hint="fix or move the file, then run again") from None
    if current.get("mcp_servers", {}).get(SERVER_KEY) == entry and before is not None:
        return before
    table = f"mcp_servers.{SERVER_KEY}"
    block = [f"[{table}]\n"] + [f"{k} = {_toml_value(v)}\n" for k, v in entry.items()]
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    kept: list[str] = []
    inside = False
    placed = False
    for line in lines:
        match = _TABLE.match(line)
        if match:
            name = match.group(1).replace('"', "").replace(" ", "")
            inside = name == table or name.startswith(table + ".")
            if inside and not placed:
                kept.extend(block)
                placed = True
        if not inside:
            kept.append(line)
    if not placed:
        if kept and kept[-1].strip():
            kept.append("\n")
        kept.extend(block)
    elif kept and not kept[-1].endswith("\n"):
        kept[-1] += "\n"
    return "".join(kept)


def plan(client: str, scope: str, *, project: Path, home: Path, command: str = "coord",
         args: list[str] | None = None) -> Plan:
    path = config_path(client, scope, project, home)
    before = path.read_text() if path.exists() else None
    entry = server_entry(client, command, args if args is not None else ["mcp"])
    after = _toml_plan(path, before, entry) if client == "codex" else _json_plan(path, before, entry)
    if before is not None and after == before:
        return Plan(path, before, before)
    return Plan(path, before, after)

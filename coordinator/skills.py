"""Skill manifests from files (``coord skills register NAME VERSION manifest.yaml``): YAML or
JSON in, JSON out. Only the syntax is checked here; which keys exist, what a pattern may reach
and whether a version may widen its manifest are decided by ``api.register_skill`` in the
database (docs/skills.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from .errors import json_too_deep, registered
from .teams import _json, _StrictLoader


def parse_manifest(text: str, source: str = "manifest") -> Any:
    """The JSON document of a manifest's YAML (or JSON) text."""
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise registered("CO761", "the skill manifest is malformed", f"{source}: not valid YAML or JSON: {exc}",
                         "see docs/skills.md for the format") from None
    except RecursionError:
        raise json_too_deep(f"{source} nests deeper than Python can handle") from None
    try:
        return _json(document)
    except RecursionError:
        raise json_too_deep(f"{source} nests deeper than Python can handle") from None


def load_document(path: Path, what: str = "manifest") -> Any:
    """Read and parse a manifest or an operations file ("-" reads standard input)."""
    source = "<stdin>" if str(path) == "-" else str(path)
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise registered("CO761", f"the skill {what} is malformed", f"{source}: not UTF-8 ({exc})",
                         "save the file as UTF-8") from None
    return parse_manifest(text, source)

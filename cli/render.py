"""How coord prints: tables for people, JSON for machines, and results that exit 1 when not ok."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import is_dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from coordinator.errors import EXIT_NOT_OK

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def plain(value: Any) -> Any:
    """Results, rows and their values as JSON-ready data."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(value.to_dict())  # type: ignore[attr-defined]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    return value


def emit_json(value: Any) -> None:
    click.echo(json.dumps(plain(value), indent=2, sort_keys=False))


# Control characters other than tab and newline (C0, DEL, C1) and the bidirectional overrides and
# isolates, shown as escapes: to a terminal ESC starts a sequence that can clear the screen,
# move the cursor over lines already printed, set the window title or, through OSC 52, write
# the clipboard; a right-to-left override reorders what follows it. Rich's markup escape and
# its own stripping (BEL, BS, VT, FF, CR) leave them through.
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}
_CONTROLS |= {c: f"\\u{c:04x}" for c in [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def cell(value: Any) -> str:
    """A value as console markup that shows exactly its text: values hold what agents wrote (an
    operation to approve, a reason, a memory, a message), which must not style, hide or break
    the output, nor reach the terminal as control sequences."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return escape(json.dumps(value, separators=(",", ":")))
    return escape(str(value).translate(_CONTROLS))


def table(rows: Sequence[Any], columns: Sequence[str], title: str | None = None) -> None:
    grid = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        data = plain(row)
        grid.add_row(*(cell(data.get(c)) for c in columns))
    out.print(grid)


def show_results(results: Sequence[Any], as_json: bool) -> None:
    """Print the rows of a batch (all or none): JSON, else one result per row; exits with 1
    unless every row is ok."""
    rows = [plain(r) for r in results]
    if as_json:
        emit_json(rows)
    else:
        for data in rows:
            style = "green" if data.get("ok") else "yellow"
            subject = data.get("path") or data.get("task_id")
            out.print(f"{cell(subject)}: [{style}]{cell(data.get('code'))}[/{style}]"
                      + (f": {cell(data['reason'])}" if data.get("reason") else "")
                      + (f" (fence {data['fence']})" if data.get("ok") and data.get("fence") else ""))
    if not rows or not all(r.get("ok") for r in rows):
        sys.exit(EXIT_NOT_OK)


def show_result(result: Any, as_json: bool) -> None:
    """Print an ok/code result; a result that is not ok exits with 1 (not an error)."""
    data = plain(result)
    if as_json:
        emit_json(data)
    else:
        style = "green" if data.get("ok") else "yellow"
        out.print(f"[{style}]{cell(data.get('code'))}[/{style}]"
                  + (f": {cell(data['reason'])}" if data.get("reason") else ""))
        for key, value in data.items():
            if key in ("ok", "code", "reason") or value in (None, {}, []):
                continue
            out.print(f"  {key}: {cell(value)}")
    if not data.get("ok"):
        sys.exit(EXIT_NOT_OK)

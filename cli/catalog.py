"""The catalog: coord call (any api function) and coord docs (what is generated from it)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from coordinator.client import Client, parse_json
from coordinator.errors import EXIT_NOT_OK

from .context import Invocation, admin_dsn_option, connection_options, data_dir_option, json_option, with_invocation
from .render import err, out, table


def _parse_assignments(pairs: Iterable[str]) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    for pair in pairs:
        if ":=" in pair:
            key, raw = pair.split(":=", 1)
            try:
                arguments[key] = parse_json(raw)
            except json.JSONDecodeError as exc:
                raise click.BadParameter(f"{key}:= needs JSON ({exc})") from None
        elif "=" in pair:
            key, value = pair.split("=", 1)
            arguments[key] = value
        else:
            raise click.BadParameter(f"expected name=value or name:=json, got {pair!r}")
    return arguments


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("function", required=False)
@click.argument("assignments", nargs=-1)
@click.option("--list", "list_functions", is_flag=True, help="List the api functions and their arguments.")
@connection_options
@json_option
@with_invocation
def call(invocation: Invocation, function: str | None, assignments: tuple[str, ...], list_functions: bool) -> None:
    """Call any api function: coord call acquire_lock p_path=src/a.py p_ttl='5 minutes'.

    name=value passes text (PostgreSQL casts it to the argument's type); name:=json passes
    JSON, e.g. p_paths:='["a","b"]'. The call runs exactly as PostgREST would run it.
    """
    settings = invocation.settings()
    with Client(settings.client_dsn(), settings.bearer(), session_id=settings.session_id()) as client:
        if list_functions or not function:
            sigs = list(client.signatures.values())
            if invocation.as_json:
                invocation.json([{"name": s.name, "arguments": dict(zip(s.arg_names, s.arg_types, strict=True)),
                                  "returns": s.return_type, "comment": s.comment} for s in sigs])
            else:
                table([{"function": s.name,
                        "arguments": ", ".join(f"{n} {t}" for n, t in zip(s.arg_names, s.arg_types, strict=True)),
                        "returns": ("setof " if s.returns_set else "") + s.return_type} for s in sigs],
                      ["function", "arguments", "returns"])
            return
        rows = client.call(function, _parse_assignments(assignments))
        single = not client.signature(function).returns_set
    if single and "ok" in rows[0]:
        invocation.result(rows[0])
    elif invocation.as_json:
        invocation.json(rows[0] if single else rows)
    elif rows:
        table(rows, list(rows[0]))
    else:
        out.print("(no rows)")


@click.command()
@click.option("--out-dir", type=click.Path(path_type=Path), default=Path("docs"), show_default=True)
@click.option("--client-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the generated client modules api.py and results.py go (default: the coordinator "
                   "package, i.e. coordinator/ of a checkout).")
@click.option("--check", is_flag=True, help="Fail if the files differ instead of writing them.")
@data_dir_option
@admin_dsn_option
@with_invocation
def docs(invocation: Invocation, out_dir: Path, client_dir: Path | None, check: bool) -> None:
    """Regenerate what is generated from the catalog: docs/api.md, docs/errors.md,
    docs/outcomes.md and docs/schema.sql, and the Python client's api methods and result classes
    (coordinator/api.py, coordinator/results.py). They describe a fresh install of this tree:
    a scratch database on the configured server is migrated, read and dropped."""
    import psycopg

    from coordinator.codegen import PACKAGE_DIR, render_client
    from coordinator.docs import fresh_install, render_all

    with fresh_install(invocation.superuser_dsn()) as dsn:
        generated = {out_dir / name: text for name, text in render_all(dsn).items()}
        with psycopg.connect(dsn, autocommit=True) as conn:
            generated.update({(client_dir or PACKAGE_DIR) / name: text
                              for name, text in render_client(conn).items()})
    stale = []
    for path, text in generated.items():
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
            out.print(f"wrote {path}")
    if stale:
        err.print(f"[red]out of date:[/red] {', '.join(stale)} (run coord docs)")
        sys.exit(EXIT_NOT_OK)


COMMANDS = [call, docs]

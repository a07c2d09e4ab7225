"""What every coord command shares: its connection options and --json, collected into one click
context object (``Invocation``), the client they open, and how errors end the command.

Connection options are flags only: ``coordinator.config`` reads the COORD_* environment itself,
so a flag wins over its own variable and a flag that names another database than a variable
(--data-dir beside COORD_ADMIN_DSN) is CO530 instead of a silent choice. The options stay on
each command (``coord lock acquire PATH --token T``), as they always were.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
import psycopg

from coordinator.client import Client
from coordinator.config import Settings
from coordinator.errors import CoordError, from_psycopg, registered
from coordinator.workspace import repository_root, resolve_paths

from .render import cell, emit_json, err, out, show_result, show_results, table

F = TypeVar("F", bound=Callable[..., Any])

# The keyword arguments of the options below that make up an Invocation.
_INVOCATION_FIELDS = ("data_dir", "dsn", "admin_dsn", "token", "port", "session", "root", "as_json")


@dataclass
class Invocation:
    """One command's connection settings (None: not given as a flag) and --json; the click
    context object of the command."""

    data_dir: Path | None = None
    dsn: str | None = None
    admin_dsn: str | None = None
    token: str | None = None
    port: int | None = None
    session: str | None = None
    root: Path | None = None
    as_json: bool = False

    def settings(self, flag_names: Mapping[str, str] | None = None) -> Settings:
        return Settings(data_dir=self.data_dir, dsn=self.dsn, admin_dsn=self.admin_dsn, token=self.token,
                        port=self.port, session=self.session, flag_names=dict(flag_names or {}))

    def superuser_dsn(self) -> str:
        return self.settings().superuser_dsn()

    def client(self) -> Client:
        """A client that authenticates every call with the token (PT401 without one) and acts in
        the session --session / COORD_SESSION names, if any."""
        settings = self.settings()
        bearer = settings.bearer()
        if not bearer:
            raise registered("PT401", "no token", hint="pass --token or set COORD_TOKEN (coord agent add prints one)")
        return Client(settings.client_dsn(), bearer, session_id=settings.session_id())

    def repository_paths(self, paths: Sequence[str]) -> list[str]:
        """PATHS as the api names them: absolute or relative to the current directory, mapped
        to the repository root (--root, COORD_ROOT or the git toplevel); a directory on disk
        gets its trailing /. CO541 for a path outside the root, CO542 when there is no root."""
        if not paths:
            return []
        root = repository_root(Path.cwd(), self.root)
        return resolve_paths(paths, root, Path.cwd())

    def repository_path(self, path: str) -> str:
        return self.repository_paths([path])[0]

    # --- output ---------------------------------------------------------------------------

    def result(self, result: Any) -> None:
        """An ok/code result; exits 1 when it is not ok."""
        show_result(result, self.as_json)

    def results(self, results: Sequence[Any]) -> None:
        """The rows of a batch, all or none; exits 1 unless every row is ok."""
        show_results(results, self.as_json)

    def json(self, value: Any) -> None:
        emit_json(value)

    def listing(self, rows: Sequence[Any], columns: Sequence[str], empty: str | None = None) -> None:
        """Rows as JSON or a table; ``empty`` is printed instead of an empty table."""
        if self.as_json:
            emit_json(rows)
        elif rows or empty is None:
            table(rows, columns)
        else:
            out.print(empty)


def fail(exc: CoordError, as_json: bool) -> None:
    """Report a registered error and exit with its code."""
    if as_json:
        emit_json(exc.to_dict())
    else:
        err.print(f"[red]error[/red] {cell(exc.code)} {cell(exc.message)}")
        if exc.detail:
            err.print(f"  detail: {cell(exc.detail)}")
        if exc.hint:
            err.print(f"  hint: {cell(exc.hint)}")
    sys.exit(exc.exit_code)


def with_invocation(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The innermost decorator of a command: gathers its connection options and --json into an
    Invocation (the command's click context object), passes it first, and ends the command
    with the registered exit code of any CoordError or psycopg error."""

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        invocation = Invocation(**{k: kwargs.pop(k) for k in _INVOCATION_FIELDS if k in kwargs})
        click.get_current_context().obj = invocation
        try:
            return fn(invocation, *args, **kwargs)
        except CoordError as exc:
            fail(exc, invocation.as_json)
        except psycopg.Error as exc:
            fail(from_psycopg(exc), invocation.as_json)

    return command


# --- options -----------------------------------------------------------------------------------

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
data_dir_option = click.option("--data-dir", type=click.Path(path_type=Path),
                               help="Embedded server directory [env COORD_DATA_DIR].")
dsn_option = click.option("--dsn", help="DSN for api calls [env COORD_DSN].")
admin_dsn_option = click.option("--admin-dsn", help="Superuser DSN for the admin path [env COORD_ADMIN_DSN].")
token_option = click.option("--token", help="Bearer token [env COORD_TOKEN].")
session_option = click.option("--session", help="Act in this coord session (coord session start prints one) "
                                                "[env COORD_SESSION].")
root_option = click.option("--root", type=click.Path(path_type=Path, file_okay=False),
                           help="Repository root that paths are relative to (default: the git toplevel of the "
                                "current directory) [env COORD_ROOT].")
port_option = click.option("--port", type=int, help="TCP port on 127.0.0.1 (0: any free port) [env COORD_PORT].")
server_dsn_option = click.option(
    "--dsn", "admin_dsn",
    help="Use this PostgreSQL (>= 15, superuser DSN) instead of the embedded server [env COORD_ADMIN_DSN].")
ADMIN_DSN_AS_DSN = {"admin_dsn": "--dsn"}  # how coord up, migrate and demo spell the superuser DSN


def connection_options(fn: F) -> F:
    """--data-dir, --dsn, --token and --session: where api calls go, who makes them and in which
    session."""
    for option in (session_option, token_option, dsn_option, data_dir_option):
        fn = option(fn)
    return fn


def client_command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An api command: --data-dir, --dsn, --token, --session and --json, then fn(invocation, client, ...)
    with a client that authenticates with the token, open while fn runs."""

    @functools.wraps(fn)
    def with_client(invocation: Invocation, *args: Any, **kwargs: Any) -> Any:
        with invocation.client() as client:
            return fn(invocation, client, *args, **kwargs)

    return connection_options(json_option(with_invocation(with_client)))

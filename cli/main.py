"""coord: the operator's command line. It parses, calls ``coordinator``, renders, and maps
error codes to exit codes. Tables for people, ``--json`` for machines."""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import is_dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import click
from rich.console import Console
from rich.table import Table

from coordinator import admin, retention
from coordinator.client import Client, parse_json
from coordinator.config import Settings
from coordinator.errors import EXIT_NOT_OK, CoordError, from_psycopg, registered
from coordinator.migrate import migrate as run_migrations
from coordinator.worktree import lock_path, lock_paths

F = TypeVar("F", bound=Callable[..., Any])
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


# --- rendering -------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(value.to_dict())  # type: ignore[attr-defined]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    return value


def emit_json(value: Any) -> None:
    click.echo(json.dumps(_plain(value), indent=2, sort_keys=False))


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def table(rows: Sequence[Any], columns: Sequence[str], title: str | None = None) -> None:
    grid = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        data = _plain(row)
        grid.add_row(*(_cell(data.get(c)) for c in columns))
    out.print(grid)


def show_result(result: Any, as_json: bool) -> None:
    """Print an ok/code result; a result that is not ok exits with 1 (not an error)."""
    data = _plain(result)
    if as_json:
        emit_json(data)
    else:
        style = "green" if data.get("ok") else "yellow"
        out.print(f"[{style}]{data.get('code')}[/{style}]" + (f": {data['reason']}" if data.get("reason") else ""))
        for key, value in data.items():
            if key in ("ok", "code", "reason") or value in (None, {}, []):
                continue
            out.print(f"  {key}: {_cell(value)}")
    if not data.get("ok"):
        sys.exit(EXIT_NOT_OK)


# --- options and error handling --------------------------------------------------------------

def handle_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CoordError as exc:
            _fail(exc, kwargs.get("as_json", False))
        except Exception as exc:  # psycopg errors and the like
            import psycopg

            if isinstance(exc, psycopg.Error):
                _fail(from_psycopg(exc), kwargs.get("as_json", False))
            raise

    return wrapper  # type: ignore[return-value]


def _fail(exc: CoordError, as_json: bool) -> None:
    if as_json:
        emit_json(exc.to_dict())
    else:
        err.print(f"[red]error[/red] {exc.code} {exc.message}")
        if exc.detail:
            err.print(f"  detail: {exc.detail}")
        if exc.hint:
            err.print(f"  hint: {exc.hint}")
    sys.exit(exc.exit_code)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
# Connection options carry flags only: coordinator.config reads the COORD_* environment itself,
# so a flag wins over its own variable and a flag that names another database than a variable
# (--data-dir beside COORD_ADMIN_DSN) is CO530 instead of a silent choice.
data_dir_option = click.option("--data-dir", type=click.Path(path_type=Path),
                               help="Embedded server directory [env COORD_DATA_DIR].")
dsn_option = click.option("--dsn", help="DSN for api calls [env COORD_DSN].")
admin_dsn_option = click.option("--admin-dsn", help="Superuser DSN for the admin path [env COORD_ADMIN_DSN].")
token_option = click.option("--token", help="Bearer token [env COORD_TOKEN].")
port_option = click.option("--port", type=int, help="TCP port on 127.0.0.1 (0: any free port) [env COORD_PORT].")
server_dsn_option = click.option(
    "--dsn", "admin_dsn",
    help="Use this PostgreSQL (>= 15, superuser DSN) instead of the embedded server [env COORD_ADMIN_DSN].")
ADMIN_DSN_AS_DSN = {"admin_dsn": "--dsn"}  # how coord up, migrate and demo spell the superuser DSN


def connection_options(fn: F) -> F:
    for option in (token_option, dsn_option, data_dir_option):
        fn = option(fn)
    return fn


def make_client(data_dir: Path | None, dsn: str | None, token: str | None) -> Client:
    settings = Settings(data_dir=data_dir, dsn=dsn, token=token)
    bearer = settings.bearer()
    if not bearer:
        raise registered("PT401", "no token", hint="pass --token or set COORD_TOKEN (coord agent add prints one)")
    return Client(settings.client_dsn(), bearer)


# --- the command group -----------------------------------------------------------------------

@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="agent-coordinator")
def main() -> None:
    """Agent Coordinator: locks, leases and audit for fleets of AI coding agents, in PostgreSQL.

    Start with `coord up` (an embedded PostgreSQL 18), then `coord agent add NAME` and
    `coord lock acquire PATH --token TOKEN`. `coord demo` shows everything in one go.
    """


@main.command()
@data_dir_option
@port_option
@server_dsn_option
@click.option("--tenant", default=admin.DEFAULT_TENANT, show_default=True, help="Tenant to bootstrap.")
@json_option
@handle_errors
def up(data_dir: Path | None, port: int | None, admin_dsn: str | None, tenant: str, as_json: bool) -> None:
    """Start the embedded server, migrate, and create the tenant and a first operator token."""
    data_dir, port, admin_dsn = Settings(data_dir=data_dir, port=port, admin_dsn=admin_dsn,
                                         flag_names=ADMIN_DSN_AS_DSN).server_target()
    report = admin.up(data_dir=data_dir, port=port, admin_dsn=admin_dsn, tenant=tenant,
                      progress=None if as_json else (lambda m: err.print(f"[dim]{m}[/dim]")))
    if as_json:
        emit_json(report.to_dict())
        return
    out.print("[bold green]Agent Coordinator is up[/bold green]")
    if report.dsn:
        out.print(f"  DSN:        {report.dsn}")
        out.print(f"  psql:       {report.psql}")
    out.print(f"  admin DSN:  {report.admin_dsn}")
    out.print(f"  tenant:     {report.tenant}")
    if report.operator_token:
        out.print(f"  operator token (shown once): [bold]{report.operator_token}[/bold]")
    for note in report.notes:
        out.print(f"  [dim]{note}[/dim]")
    if report.dsn:
        out.print("  PostgREST:  db-uri = the DSN above, db-schemas = \"api\", db-anon-role = \"coord_anon\", "
                  "db-pre-request = \"api.pre_request\", db-config = false, db-channel-enabled = false "
                  "(docs/postgrest.md)")
        out.print("  [dim]that DSN is the gateway's: infrastructure only; give agents coord login add DSNs[/dim]")


@main.command()
@data_dir_option
@json_option
@handle_errors
def down(data_dir: Path | None, as_json: bool) -> None:
    """Stop the embedded server."""
    server = Settings(data_dir=data_dir).server()
    stopped = server.stop() if server.is_initialized() else False
    if as_json:
        emit_json({"stopped": stopped, "data_dir": str(server.data_dir)})
    else:
        out.print("stopped" if stopped else f"not running ({server.data_dir})")


@main.command()
@data_dir_option
@admin_dsn_option
@json_option
@handle_errors
def status(data_dir: Path | None, admin_dsn: str | None, as_json: bool) -> None:
    """Is the embedded server running; migrations, tenants and the logins.

    Checks that the client logins carry their declared settings and (embedded server) that the
    gateway's saved password still logs in; drift is audited to every tenant (critical alert
    login-drift) and exits 1. coord up repairs it."""
    settings = Settings(data_dir=data_dir, admin_dsn=admin_dsn)
    superuser_dsn = settings.superuser_dsn() if settings.given("admin_dsn") else None  # CO530 on a conflict
    server = settings.server()
    state = server.state()
    running = server.is_running() if server.is_initialized() and not superuser_dsn else None
    report: dict[str, Any] = {"data_dir": str(server.data_dir), "initialized": server.is_initialized(),
                              "running": running, "port": state.port if state else None,
                              "dsn": server.client_dsn(state) if state else None}
    if running or superuser_dsn:
        report.update(admin.database_status(superuser_dsn or settings.superuser_dsn(),
                                            None if superuser_dsn or state is None else server.client_dsn(state)))
    logins = report.get("logins") or {}
    drifted = bool(logins.get("drift")) or logins.get("gateway_password") == "refused"
    if as_json:
        emit_json(report)
    else:
        out.print(f"data dir: {report['data_dir']}  running: {report['running']}  port: {report['port']}")
        if report.get("dsn"):
            out.print(f"DSN: {report['dsn']}  (the gateway: infrastructure only; agents get coord login add DSNs)")
        if "migrations" in report:
            out.print(f"migrations applied: {report['migrations']['applied']} "
                      f"(latest {report['migrations']['latest']})")
            table(report["tenants"], ["name", "id", "principals", "live_locks", "created_at"], title="tenants")
            style = "red" if drifted else "green"
            out.print(f"[{style}]logins: gateway password {logins['gateway_password']}; "
                      f"{len(logins['drift'])} with drifted settings[/{style}]"
                      + (" (audited, alert login-drift; coord up restores them)" if drifted else ""))
            if logins["drift"]:
                table(logins["drift"], ["role_name", "kind", "expected", "actual"], title="login drift")
    if running is False or drifted:
        sys.exit(EXIT_NOT_OK)


@main.command()
@data_dir_option
@click.option("--dsn", "admin_dsn", help="Superuser DSN of the database to migrate [env COORD_ADMIN_DSN].")
@json_option
@handle_errors
def migrate(data_dir: Path | None, admin_dsn: str | None, as_json: bool) -> None:
    """Apply pending migrations, then re-apply plpgsql/ and rls/ (idempotent)."""
    dsn = Settings(data_dir=data_dir, admin_dsn=admin_dsn, flag_names=ADMIN_DSN_AS_DSN).superuser_dsn()
    report = run_migrations(dsn, progress=None if as_json else (lambda m: err.print(f"[dim]{m}[/dim]")))
    if as_json:
        emit_json(report.to_dict())
    else:
        applied = ", ".join(report.applied) or "nothing new"
        out.print(f"{report.database} (PostgreSQL {report.server_version}): applied {applied}; "
                  f"{report.reapplied_objects} objects re-applied")


# --- principals and tokens ---------------------------------------------------------------------

def _scopes(value: str | None) -> list[str] | None:
    return [s.strip() for s in value.split(",") if s.strip()] if value else None


def _show_grant(grant: Any, as_json: bool) -> None:
    if as_json:
        emit_json(grant)
        if not grant.ok:
            sys.exit(EXIT_NOT_OK)
        return
    if not grant.ok:
        show_result(grant, False)
    out.print(f"{grant.role} [bold]{grant.principal_name}[/bold] in tenant {grant.tenant_name}")
    out.print(f"  token id: {grant.token_id}   scopes: {','.join(grant.scopes or [])}"
              + (f"   expires: {grant.expires_at.isoformat()}" if grant.expires_at else ""))
    out.print(f"  token (shown once): [bold]{grant.token}[/bold]")


@main.group()
def agent() -> None:
    """Register and list agents."""


@agent.command("add")
@click.argument("name")
@click.option("--tenant", help="Tenant (admin path; created if missing). Default: the operator's tenant "
                               "with --token, else 'default'.")
@click.option("--role", type=click.Choice(["agent", "operator", "auditor"]), default="agent", show_default=True)
@click.option("--scopes", help="Comma-separated token scopes, e.g. locks:write,locks:read (default *).")
@click.option("--expires-in", help="Token lifetime, e.g. '30 days' (default: no expiry).")
@connection_options
@admin_dsn_option
@json_option
@handle_errors
def agent_add(name: str, tenant: str | None, role: str, scopes: str | None, expires_in: str | None,
              token: str | None, dsn: str | None, data_dir: Path | None, admin_dsn: str | None,
              as_json: bool) -> None:
    """Register NAME and print its token once.

    With an operator token (--token / COORD_TOKEN) and no --tenant, the agent is created
    through api.create_agent in the operator's tenant; otherwise through the admin path.
    """
    settings = Settings(data_dir=data_dir, dsn=dsn, token=token, admin_dsn=admin_dsn)
    if settings.bearer() and tenant is None and role == "agent":
        with Client(settings.client_dsn(), settings.bearer()) as client:
            grant = client.create_agent(name, _scopes(scopes), expires_in)
    else:
        grant = admin.add_principal(settings.superuser_dsn(), name, tenant=tenant or admin.DEFAULT_TENANT,
                                    role=role, scopes=_scopes(scopes), expires_in=expires_in)
    _show_grant(grant, as_json)


@agent.command("list")
@connection_options
@json_option
@handle_errors
def agent_list(token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Principals of your tenant (operator or auditor token)."""
    with make_client(data_dir, dsn, token) as client:
        rows = client.list_principals()
    if as_json:
        emit_json(rows)
    else:
        table(rows, ["name", "role", "kind", "live_tokens", "live_locks", "created_at", "principal_id"])


@main.group()
def token() -> None:
    """Issue, list and revoke tokens."""


@token.command("issue")
@click.argument("name")
@click.option("--tenant", default=admin.DEFAULT_TENANT, show_default=True)
@click.option("--scopes", help="Comma-separated scopes (default *).")
@click.option("--expires-in", help="Token lifetime, e.g. '12 hours'.")
@click.option("--label", help="Free-text label shown in coord token list.")
@data_dir_option
@admin_dsn_option
@json_option
@handle_errors
def token_issue(name: str, tenant: str, scopes: str | None, expires_in: str | None, label: str | None,
                data_dir: Path | None, admin_dsn: str | None, as_json: bool) -> None:
    """Issue another token for an existing principal (admin path)."""
    dsn = Settings(data_dir=data_dir, admin_dsn=admin_dsn).superuser_dsn()
    _show_grant(admin.issue_token(dsn, name, tenant=tenant, scopes=_scopes(scopes), expires_in=expires_in,
                                  label=label), as_json)


@token.command("list")
@connection_options
@json_option
@handle_errors
def token_list(token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Tokens of your tenant (never their text)."""
    with make_client(data_dir, dsn, token) as client:
        rows = client.list_tokens()
    if as_json:
        emit_json(rows)
    else:
        table(rows, ["token_id", "principal_name", "prefix", "scopes", "expires_at", "revoked_at", "label"])


@token.command("revoke")
@click.argument("token_ref")
@connection_options
@admin_dsn_option
@json_option
@handle_errors
def token_revoke(token_ref: str, token: str | None, dsn: str | None, data_dir: Path | None,
                 admin_dsn: str | None, as_json: bool) -> None:
    """Revoke TOKEN_REF (a token id, or with the admin path also the token text)."""
    settings = Settings(data_dir=data_dir, dsn=dsn, token=token, admin_dsn=admin_dsn)
    if settings.bearer():
        with Client(settings.client_dsn(), settings.bearer()) as client:
            result = client.revoke_token(token_ref)
    else:
        result = admin.revoke_token(settings.superuser_dsn(), token_ref)
    show_result(result, as_json)


# --- client logins (credential tier: a DSN bound to one tenant) ----------------------------------

@main.group()
def login() -> None:
    """DSNs bound to one tenant, for holders that connect directly (admin path).

    The gateway DSN coord up prints is for infrastructure (PostgREST, this CLI on the server);
    an agent host, CI runner or DBA gets a login of its own: it only accepts tokens of its
    tenant, and whatever its holder does to it (settings, password) affects only that holder.
    """


@login.command("add")
@click.argument("name")
@click.option("--tenant", default=admin.DEFAULT_TENANT, show_default=True)
@click.option("--connection-limit", type=int, default=20, show_default=True,
              help="Connections the login may hold at once (its holder cannot raise it).")
@click.option("--comment", help="Who holds it and why (kept with the login, audited).")
@click.option("--host", help="Host clients use to reach the server (default: 127.0.0.1 for the embedded "
                             "server, else the admin DSN's host).")
@click.option("--port", type=int, help="Port clients use (default: the server's).")
@data_dir_option
@admin_dsn_option
@json_option
@handle_errors
def login_add(name: str, tenant: str, connection_limit: int, comment: str | None, host: str | None,
              port: int | None, data_dir: Path | None, admin_dsn: str | None, as_json: bool) -> None:
    """Create login NAME bound to TENANT and print its DSN once."""
    settings = Settings(data_dir=data_dir, admin_dsn=admin_dsn)
    endpoint = settings.client_endpoint()
    endpoint.update({k: v for k, v in (("host", host), ("port", port)) if v is not None})
    grant = admin.add_login(settings.superuser_dsn(), name, tenant=tenant, connection_limit=connection_limit,
                            comment=comment, endpoint=endpoint)
    if as_json:
        emit_json(grant.to_dict())
        return
    out.print(f"login [bold]{grant.name}[/bold] (role {grant.role_name}) bound to tenant {grant.tenant}, "
              f"at most {grant.connection_limit} connections")
    out.print(f"  DSN (shown once): [bold]{grant.dsn}[/bold]")
    out.print("  use it with a token of this tenant: COORD_DSN=<DSN> COORD_TOKEN=<token>")


@login.command("list")
@click.option("--tenant", help="Only this tenant's logins.")
@data_dir_option
@admin_dsn_option
@json_option
@handle_errors
def login_list(tenant: str | None, data_dir: Path | None, admin_dsn: str | None, as_json: bool) -> None:
    """Logins bound to tenants, with their live connections and any drift of their settings."""
    rows = admin.list_logins(Settings(data_dir=data_dir, admin_dsn=admin_dsn).superuser_dsn(), tenant=tenant)
    if as_json:
        emit_json(rows)
    else:
        table(rows, ["tenant", "name", "role_name", "connections", "connection_limit", "drift", "comment"])


@login.command("remove")
@click.argument("name")
@click.option("--tenant", default=admin.DEFAULT_TENANT, show_default=True)
@data_dir_option
@admin_dsn_option
@json_option
@handle_errors
def login_remove(name: str, tenant: str, data_dir: Path | None, admin_dsn: str | None, as_json: bool) -> None:
    """End login NAME's sessions and drop its role."""
    role_name = admin.remove_login(Settings(data_dir=data_dir, admin_dsn=admin_dsn).superuser_dsn(), name,
                                   tenant=tenant)
    if as_json:
        emit_json({"removed": name, "tenant": tenant, "role_name": role_name})
    else:
        out.print(f"removed login {name} ({role_name}) of tenant {tenant}")


# --- teams ---------------------------------------------------------------------------------------

def _show_team(result: Any, as_json: bool) -> None:
    """The diff api.apply_team computed: one line per principal, then the new tokens once."""
    if as_json or not result.ok:
        show_result(result, as_json)
        return
    details = result.details
    dry_run = details.get("dry_run")
    out.print(f"[green]{result.code}[/green]" + (" (dry run, nothing written)" if dry_run else "")
              + f": {result.reason}")
    rows: list[dict[str, Any]] = []
    for kind, mark in (("create", "+"), ("change", "~"), ("disable", "-"), ("unchanged", "=")):
        for entry in details.get(kind, []):
            what = ",".join(entry.get("scopes", []))
            if kind == "change":
                revoked = ", ".join(t["prefix"] for t in entry.get("revoke", []))
                change = entry.get("change")
                what = ("enable" if change == "enable" else "" if change == "profile" else f"scopes -> {what}") + \
                       (f"; revoke {revoked}" if revoked else "")
                if entry.get("profile_changes"):
                    profile = f"profile {entry.get('profile_before') or '(default)'} -> " \
                              f"{entry.get('profile') or '(default)'}"
                    what = f"{what}; {profile}" if what else profile
            rows.append({"": mark, "action": kind, "name": entry["name"], "role": entry["role"], "detail": what})
    if rows:
        table(rows, ["", "action", "name", "role", "detail"])
    tokens = details.get("tokens") or {}
    if tokens:
        out.print("[bold]new tokens (shown once; store them now):[/bold]")
        for name, value in tokens.items():
            out.print(f"  {name}: [bold]{value}[/bold]")


@main.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the diff the database computes; write nothing.")
@click.option("--prune", is_flag=True, help="Also disable principals the file does not declare (never you).")
@connection_options
@json_option
@handle_errors
def apply_cmd(file: Path, dry_run: bool, prune: bool, token: str | None, dsn: str | None, data_dir: Path | None,
              as_json: bool) -> None:
    """Declare the agents of your tenant from a team file (operator token): coord apply team.yaml.

    The database compares the file with the tenant and creates, changes or (with --prune)
    disables principals; applying the same file again changes nothing. New tokens are printed
    once. Format: docs/teams.md.
    """
    from coordinator import teams

    document = teams.load_team(file)
    with make_client(data_dir, dsn, token) as client:
        result = teams.apply_team(client, document, dry_run=dry_run, prune=prune)
    _show_team(result, as_json)


# --- generic call ------------------------------------------------------------------------------

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


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("function", required=False)
@click.argument("assignments", nargs=-1)
@click.option("--list", "list_functions", is_flag=True, help="List the api functions and their arguments.")
@connection_options
@json_option
@handle_errors
def call(function: str | None, assignments: tuple[str, ...], list_functions: bool, token: str | None,
         dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Call any api function: coord call acquire_lock p_path=src/a.py p_ttl='5 minutes'.

    name=value passes text (PostgreSQL casts it to the argument's type); name:=json passes
    JSON, e.g. p_paths:='["a","b"]'. The call runs exactly as PostgREST would run it.
    """
    settings = Settings(data_dir=data_dir, dsn=dsn, token=token)
    with Client(settings.client_dsn(), settings.bearer()) as client:
        if list_functions or not function:
            sigs = list(client.signatures.values())
            if as_json:
                emit_json([{"name": s.name, "arguments": dict(zip(s.arg_names, s.arg_types, strict=True)),
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
        show_result(rows[0], as_json)
    elif as_json:
        emit_json(rows[0] if single else rows)
    elif rows:
        table(rows, list(rows[0]))
    else:
        out.print("(no rows)")


# --- locks -------------------------------------------------------------------------------------

@main.group()
def lock() -> None:
    """Acquire, release, renew and list file and directory leases.

    A lease covers its path and everything below it: `src` and `src/` are one node, and a
    lease on either overlaps one on `src/app.py` (a file and a directory cannot share a name,
    so no spelling lets two agents write the same file). PATH is relative to the repository
    root; a PATH that is a directory here is sent with its trailing / (the database cannot
    see your disk), so the lease says it is a directory, and release and renew find it again.
    """


@lock.command("acquire")
@click.argument("path")
@click.option("--ttl", help="Lease length, e.g. '10 minutes' (default 15 minutes, max 24 hours).")
@click.option("--mode", type=click.Choice(["exclusive", "shared"]), help="Default exclusive.")
@click.option("--reason", help="Why you need it (shown to others, kept in the audit log).")
@click.option("--wait", help="Wait up to this long (max 60 seconds) for the path to become free.")
@connection_options
@json_option
@handle_errors
def lock_acquire(path: str, ttl: str | None, mode: str | None, reason: str | None, wait: str | None,
                 token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Take a lease on PATH and everything below it (an existing directory is sent as PATH/).
    Exit 1 when busy."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.acquire_lock(lock_path(path), ttl=ttl, reason=reason, mode=mode, wait=wait), as_json)


@lock.command("release")
@click.argument("path")
@click.option("--fence", type=int, required=True, help="The fence acquire returned.")
@connection_options
@json_option
@handle_errors
def lock_release(path: str, fence: int, token: str | None, dsn: str | None, data_dir: Path | None,
                 as_json: bool) -> None:
    """Release your lease on PATH. Exit 1 when the fence is stale or the lease is gone."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.release_lock(lock_path(path), fence), as_json)


@lock.command("renew")
@click.argument("path")
@click.option("--fence", type=int, required=True)
@click.option("--ttl", help="New lease length from now (default 15 minutes).")
@connection_options
@json_option
@handle_errors
def lock_renew(path: str, fence: int, ttl: str | None, token: str | None, dsn: str | None,
               data_dir: Path | None, as_json: bool) -> None:
    """Extend your live lease on PATH."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.renew_lock(lock_path(path), fence, ttl), as_json)


@lock.command("list")
@click.argument("paths", nargs=-1)
@connection_options
@json_option
@handle_errors
def lock_list(paths: tuple[str, ...], token: str | None, dsn: str | None, data_dir: Path | None,
              as_json: bool) -> None:
    """Your live leases; with PATHS, who holds anything overlapping them."""
    with make_client(data_dir, dsn, token) as client:
        if paths:
            rows: list[Any] = client.check_locks(lock_paths(paths))
            columns = ["path", "locked", "lock_path", "mode", "holder_name", "expires_at", "mine", "fence"]
        else:
            rows = client.my_locks()
            columns = ["path", "mode", "fence", "expires_at", "reason"]
    if as_json:
        emit_json(rows)
    elif rows:
        table(rows, columns)
    else:
        out.print("(no live leases)")


# --- audit ---------------------------------------------------------------------------------------

@main.group()
def audit() -> None:
    """Read the audit log of your tenant."""


AUDIT_COLUMNS = ["id", "occurred_at", "actor_name", "action", "target_id", "decision", "severity", "reason"]


def audit_filter_options(fn: F) -> F:
    for option in reversed([
        click.option("--action", help="Action pattern; * matches any run (guardrail.*, lock.acquire)."),
        click.option("--actor", help="Only events of this principal (by name)."),
        click.option("--decision", help="Only this decision, e.g. denied, blocked, granted."),
        click.option("--target-type", help="Only events about this kind of target, e.g. token, task."),
        click.option("--target", "target_id", help="Only events about this target id."),
        click.option("--since", help="From this time on (ISO 8601, inclusive)."),
        click.option("--until", help="Before this time (ISO 8601, exclusive)."),
        click.option("--severity", type=click.Choice(["debug", "info", "notice", "warning", "critical"]),
                     help="Minimum severity."),
    ]):
        fn = option(fn)
    return fn


@audit.command("query")
@audit_filter_options
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--before-id", type=int, help="Page: events older than this id (newest first).")
@click.option("--after-id", type=int, help="Events after this id, oldest first.")
@connection_options
@json_option
@handle_errors
def audit_query(action: str | None, actor: str | None, decision: str | None, target_type: str | None,
                target_id: str | None, since: str | None, until: str | None, severity: str | None, limit: int,
                before_id: int | None, after_id: int | None, token: str | None, dsn: str | None,
                data_dir: Path | None, as_json: bool) -> None:
    """Audit events of your tenant matching the filters (operator or auditor token)."""
    with make_client(data_dir, dsn, token) as client:
        rows = client.query_audit(limit=limit, action=action, actor=actor, decision=decision,
                                  target_type=target_type, target_id=target_id, since=since, until=until,
                                  severity=severity, before_id=before_id, after_id=after_id)
    if as_json:
        emit_json(rows)
    elif rows:
        table(rows, AUDIT_COLUMNS)
    else:
        out.print("(no events)")


@audit.command("tail")
@click.option("--limit", type=int, default=20, show_default=True, help="How many recent events to start with.")
@audit_filter_options
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events (polls by id cursor).")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between polls with --follow.")
@click.option("--polls", type=int, hidden=True, help="Stop after this many polls (tests).")
@connection_options
@json_option
@handle_errors
def audit_tail(limit: int, action: str | None, actor: str | None, decision: str | None, target_type: str | None,
               target_id: str | None, since: str | None, until: str | None, severity: str | None, follow: bool,
               interval: float, polls: int | None, token: str | None, dsn: str | None, data_dir: Path | None,
               as_json: bool) -> None:
    """The newest audit events, oldest first (operator or auditor token); --follow keeps going
    (with --json: one JSON object per line)."""
    filters: dict[str, Any] = {"action": action, "actor": actor, "decision": decision, "target_type": target_type,
                               "target_id": target_id, "since": since, "until": until, "severity": severity}

    def show(rows: Sequence[Any]) -> None:
        if as_json and not follow:
            emit_json(rows)
        elif as_json:
            for row in rows:
                click.echo(json.dumps(_plain(row), separators=(",", ":")))
        elif follow:
            for row in rows:
                data = _plain(row)
                out.print(" ".join(_cell(data.get(c)) for c in AUDIT_COLUMNS))
        elif rows:
            table(rows, AUDIT_COLUMNS)

    with make_client(data_dir, dsn, token) as client:
        rows = list(reversed(client.query_audit(limit=limit, **filters)))
        show(rows)
        if not follow:
            return
        cursor = rows[-1].id if rows else max((e.id for e in client.query_audit(limit=1)), default=0)
        done = 0
        try:
            while polls is None or done < polls:
                done += 1
                batch = client.query_audit(limit=1000, after_id=cursor, **filters)
                if batch:
                    show(batch)
                    cursor = batch[-1].id
                    continue
                time.sleep(interval)
        except KeyboardInterrupt:
            return


# --- alerts ------------------------------------------------------------------------------------

ALERT_COLUMNS = ["alert_id", "severity", "state", "rule", "actor_name", "event_count", "first_event_at",
                 "last_event_at", "resolved_by", "resolution"]


def _list_alerts(open_only: bool, severity: str | None, rule: str | None, actor: str | None, limit: int,
                 token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    with make_client(data_dir, dsn, token) as client:
        rows = client.list_alerts(state="open" if open_only else None, severity=severity, rule=rule, actor=actor,
                                  limit=limit)
    if as_json:
        emit_json(rows)
    elif rows:
        table(rows, ALERT_COLUMNS)
    else:
        out.print("(no alerts)")


def alert_list_options(fn: F) -> F:
    for option in reversed([
        click.option("--open", "open_only", is_flag=True, help="Only open alerts."),
        click.option("--severity", type=click.Choice(["notice", "warning", "critical"]), help="Minimum severity."),
        click.option("--rule", help="Only alerts of this rule."),
        click.option("--actor", help="Only alerts about this principal."),
        click.option("--limit", type=int, default=50, show_default=True),
    ]):
        fn = option(fn)
    return fn


@main.group(invoke_without_command=True)
@alert_list_options
@connection_options
@json_option
@click.pass_context
@handle_errors
def alerts(ctx: click.Context, open_only: bool, severity: str | None, rule: str | None, actor: str | None,
           limit: int, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Alerts raised by alert rules over the audit log (operator or auditor token to list,
    operator to resolve and change rules). Without a subcommand: list."""
    if ctx.invoked_subcommand is None:
        _list_alerts(open_only, severity, rule, actor, limit, token, dsn, data_dir, as_json)


@alerts.command("list")
@alert_list_options
@connection_options
@json_option
@handle_errors
def alerts_list(open_only: bool, severity: str | None, rule: str | None, actor: str | None, limit: int,
                token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Alerts of your tenant, newest first."""
    _list_alerts(open_only, severity, rule, actor, limit, token, dsn, data_dir, as_json)


@alerts.command("resolve")
@click.argument("alert_id", type=int)
@click.option("--note", required=True, help="What was done about it (kept with the alert and in the audit log).")
@connection_options
@json_option
@handle_errors
def alerts_resolve(alert_id: int, note: str, token: str | None, dsn: str | None, data_dir: Path | None,
                   as_json: bool) -> None:
    """Resolve an open alert (operator token)."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.resolve_alert(alert_id, note), as_json)


@alerts.group("rules", invoke_without_command=True)
@connection_options
@json_option
@click.pass_context
@handle_errors
def alerts_rules(ctx: click.Context, token: str | None, dsn: str | None, data_dir: Path | None,
                 as_json: bool) -> None:
    """Alert rules of your tenant. Without a subcommand: list them."""
    if ctx.invoked_subcommand is not None:
        return
    with make_client(data_dir, dsn, token) as client:
        rows = client.list_alert_rules()
    if as_json:
        emit_json(rows)
    else:
        table(rows, ["name", "enabled", "action_pattern", "decisions", "threshold", "within", "severity",
                     "open_alerts", "description"])


@alerts_rules.command("add")
@click.argument("name")
@click.option("--action", "action_pattern", required=True, help="Action pattern; * matches any run.")
@click.option("--decision", "decisions", multiple=True, required=True,
              type=click.Choice(["denied", "blocked", "needs_approval", "refused"]), help="Repeatable.")
@click.option("--threshold", type=int, required=True, help="Events by one actor that raise the alert.")
@click.option("--within", required=True, help="Interval, e.g. '10 minutes'.")
@click.option("--severity", type=click.Choice(["notice", "warning", "critical"]), default="warning",
              show_default=True)
@click.option("--description")
@connection_options
@json_option
@handle_errors
def alerts_rules_add(name: str, action_pattern: str, decisions: tuple[str, ...], threshold: int, within: str,
                     severity: str, description: str | None, token: str | None, dsn: str | None,
                     data_dir: Path | None, as_json: bool) -> None:
    """Add an alert rule (operator token)."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.add_alert_rule(name, action_pattern, list(decisions), threshold, within, severity,
                                          description), as_json)


def _set_rule(name: str, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool,
              **changes: Any) -> None:
    with make_client(data_dir, dsn, token) as client:
        show_result(client.set_alert_rule(name, **changes), as_json)


@alerts_rules.command("enable")
@click.argument("name")
@connection_options
@json_option
@handle_errors
def alerts_rules_enable(name: str, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Enable an alert rule (operator token)."""
    _set_rule(name, token, dsn, data_dir, as_json, enabled=True)


@alerts_rules.command("disable")
@click.argument("name")
@connection_options
@json_option
@handle_errors
def alerts_rules_disable(name: str, token: str | None, dsn: str | None, data_dir: Path | None,
                         as_json: bool) -> None:
    """Disable an alert rule (operator token); its open alerts stay open."""
    _set_rule(name, token, dsn, data_dir, as_json, enabled=False)


@alerts_rules.command("set")
@click.argument("name")
@click.option("--threshold", type=int)
@click.option("--within")
@click.option("--severity", type=click.Choice(["notice", "warning", "critical"]))
@click.option("--action", "action_pattern")
@click.option("--decision", "decisions", multiple=True,
              type=click.Choice(["denied", "blocked", "needs_approval", "refused"]))
@click.option("--description")
@connection_options
@json_option
@handle_errors
def alerts_rules_set(name: str, threshold: int | None, within: str | None, severity: str | None,
                     action_pattern: str | None, decisions: tuple[str, ...], description: str | None,
                     token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Change an alert rule's fields (operator token); omitted fields stay."""
    _set_rule(name, token, dsn, data_dir, as_json, threshold=threshold, within=within, severity=severity,
              action_pattern=action_pattern, decisions=list(decisions) or None, description=description)


# --- demo and docs -------------------------------------------------------------------------------

@main.command()
@data_dir_option
@port_option
@server_dsn_option
@json_option
@handle_errors
def demo(data_dir: Path | None, port: int | None, admin_dsn: str | None, as_json: bool) -> None:
    """Three agents race for files and a directory; a stale fence is refused; the audit tail."""
    from coordinator.demo import run_demo

    data_dir, port, admin_dsn = Settings(data_dir=data_dir, port=port, admin_dsn=admin_dsn,
                                         flag_names=ADMIN_DSN_AS_DSN).server_target()
    report = run_demo(data_dir=data_dir, port=port, admin_dsn=admin_dsn, console=None if as_json else out)
    if as_json:
        emit_json(report)


# --- work queue ------------------------------------------------------------------------------

def _json_arg(value: str | None, name: str) -> Any:
    if value is None:
        return None
    try:
        return parse_json(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=name) from None


def _ids(value: str | None) -> list[int] | None:
    return [int(v) for v in value.split(",") if v.strip()] if value else None


@main.group()
def task() -> None:
    """Submit, claim, complete and inspect tasks of the work queue."""


@task.command("submit")
@click.argument("kind")
@click.option("--payload", help="JSON payload (at most 64 KiB).")
@click.option("--priority", type=int, help="-1000..1000, higher first (default 0).")
@click.option("--depends-on", help="Comma-separated task ids that must complete first.")
@click.option("--run-after", help="Not before this timestamp.")
@click.option("--max-attempts", type=int, help="1..100 (default 3).")
@click.option("--required-trust", type=int, help="0..4: claimants need at least this trust.")
@click.option("--unique-key", help="Dedupes pending work of the kind.")
@click.option("--lock", "locks", multiple=True,
              help="A path the claim leases exclusively, with everything below it (repeatable).")
@connection_options
@json_option
@handle_errors
def task_submit(kind: str, payload: str | None, priority: int | None, depends_on: str | None, run_after: str | None,
                max_attempts: int | None, required_trust: int | None, unique_key: str | None,
                locks: tuple[str, ...], token: str | None, dsn: str | None, data_dir: Path | None,
                as_json: bool) -> None:
    """Queue a task of KIND."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.submit_task(kind, _json_arg(payload, "--payload"), priority=priority,
                                       depends_on=_ids(depends_on), run_after=run_after, max_attempts=max_attempts,
                                       required_trust=required_trust, unique_key=unique_key,
                                       locks=lock_paths(locks) or None), as_json)


@task.command("claim")
@click.argument("kinds", nargs=-1, required=True)
@click.option("--lease", help="Claim lease, e.g. '5 minutes' (default).")
@click.option("--wait", type=float, default=0, show_default=True,
              help="Seconds to wait for work (LISTEN/NOTIFY wake-up, re-checked every 2 s).")
@connection_options
@json_option
@handle_errors
def task_claim(kinds: tuple[str, ...], lease: str | None, wait: float, token: str | None, dsn: str | None,
               data_dir: Path | None, as_json: bool) -> None:
    """Claim the best ready task of KINDS. Exit 1 when there is none."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.wait_for_task(list(kinds), lease, wait=wait), as_json)


@task.command("complete")
@click.argument("task_id", type=int)
@click.option("--claim", type=int, required=True, help="The claim token claim returned.")
@click.option("--result", help="JSON result (at most 64 KiB).")
@connection_options
@json_option
@handle_errors
def task_complete(task_id: int, claim: int, result: str | None, token: str | None, dsn: str | None,
                  data_dir: Path | None, as_json: bool) -> None:
    """Complete TASK_ID with your live claim. Exit 1 when the claim is stale."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.complete_task(task_id, claim, _json_arg(result, "--result")), as_json)


@task.command("fail")
@click.argument("task_id", type=int)
@click.option("--claim", type=int, required=True, help="The claim token claim returned.")
@click.option("--error", "error_text", required=True, help="What went wrong.")
@click.option("--final", is_flag=True, help="Not retryable: the task fails for good.")
@connection_options
@json_option
@handle_errors
def task_fail(task_id: int, claim: int, error_text: str, final: bool, token: str | None, dsn: str | None,
              data_dir: Path | None, as_json: bool) -> None:
    """Report that your claim on TASK_ID failed (retried with backoff unless --final)."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.fail_task(task_id, claim, error_text, retryable=not final), as_json)


@task.command("cancel")
@click.argument("task_id", type=int)
@connection_options
@json_option
@handle_errors
def task_cancel(task_id: int, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Cancel TASK_ID and the tasks that depend on it."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.cancel_task(task_id), as_json)


@task.command("redrive")
@click.argument("task_id", type=int)
@connection_options
@json_option
@handle_errors
def task_redrive(task_id: int, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Operators: return a dead or failed TASK_ID to the queue."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.redrive_task(task_id), as_json)


@task.command("prune")
@click.option("--finished-before", default="7 days", show_default=True,
              help="Delete completed, failed and cancelled tasks that finished longer ago than this.")
@connection_options
@json_option
@handle_errors
def task_prune(finished_before: str, token: str | None, dsn: str | None, data_dir: Path | None,
               as_json: bool) -> None:
    """Operators: delete old finished tasks (their history stays in the audit log)."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.prune_tasks(finished_before), as_json)


@task.command("get")
@click.argument("task_id", type=int)
@connection_options
@json_option
@handle_errors
def task_get(task_id: int, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Show one task."""
    with make_client(data_dir, dsn, token) as client:
        row = client.get_task(task_id)
    if as_json:
        emit_json(row)
    else:
        for key, value in _plain(row).items():
            out.print(f"{key}: {_cell(value)}")


@task.command("list")
@click.option("--state", type=click.Choice(["queued", "claimed", "completed", "failed", "cancelled", "dead"]))
@click.option("--kind")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--before-id", type=int, help="Page: tasks older than this id.")
@connection_options
@json_option
@handle_errors
def task_list(state: str | None, kind: str | None, limit: int, before_id: int | None, token: str | None,
              dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Tasks of your tenant, newest first."""
    with make_client(data_dir, dsn, token) as client:
        rows = client.list_tasks(state=state, kind=kind, limit=limit, before_id=before_id)
    if as_json:
        emit_json(rows)
    elif rows:
        table(rows, ["task_id", "kind", "state", "priority", "attempts", "pending_deps", "claimed_by",
                     "lease_expires_at", "last_event"])
    else:
        out.print("(no tasks)")


@agent.command("discover")
@click.option("--capability", help="Only sessions offering this capability.")
@click.option("--presence", type=click.Choice(["online", "idle", "offline"]))
@connection_options
@json_option
@handle_errors
def agent_discover(capability: str | None, presence: str | None, token: str | None, dsn: str | None,
                   data_dir: Path | None, as_json: bool) -> None:
    """Agent sessions with their presence (online / idle / offline from heartbeat age)."""
    with make_client(data_dir, dsn, token) as client:
        rows = client.discover_agents(capability=capability, presence=presence)
    if as_json:
        emit_json(rows)
    elif rows:
        table(rows, ["name", "presence", "status", "agent_type", "capabilities", "current_task_id",
                     "last_heartbeat_at", "session_id"])
    else:
        out.print("(no sessions)")


@main.command()
@click.option("--every", type=float, help="Sweep again every this many seconds until interrupted.")
@click.option("--limit", type=int, default=1000, show_default=True, help="At most this many of each per tenant.")
@data_dir_option
@admin_dsn_option
@json_option
@handle_errors
def maintain(every: float | None, limit: int, data_dir: Path | None, admin_dsn: str | None, as_json: bool) -> None:
    """Eager rescue for every tenant: end sessions that missed their heartbeat (releasing their
    leases, requeueing their claims), requeue or bury expired claims, remove expired leases.
    Claims and lock requests also do this lazily; run this (or pg_cron, docs/operations.md) so a
    dead agent's work is reclaimable within session ttl + the interval. Each pass also seals
    finished audit events into each tenant's hash chain (audit_sealed), when due creates the
    audit log's monthly partitions ahead, audits drift of the client logins' settings
    (login_drift; critical alert login-drift) and ends client transactions open longer than
    coord.login_policy.transaction_bound (5 minutes)."""
    dsn = Settings(data_dir=data_dir, admin_dsn=admin_dsn).superuser_dsn()
    while True:
        counts = admin.sweep_all(dsn, limit)
        partitions = retention.ensure_partitions(dsn, when_due=True)
        sealed = retention.seal_all(dsn)
        for name, n in sealed.items():
            counts.setdefault(name, {})["audit_sealed"] = n
        for name, n in admin.check_logins(dsn).items():
            counts.setdefault(name, {})["login_drift"] = n
        ended = admin.end_stale_client_transactions(dsn)
        if as_json:
            emit_json({"at": datetime.now(UTC).isoformat(), "tenants": counts, "audit_partitions_created": partitions,
                       "client_transactions_ended": ended})
        else:
            busy = {name: c for name, c in counts.items() if any(c.values())}
            stamp = datetime.now(UTC).strftime("%H:%M:%S")
            out.print(f"{stamp} swept {len(counts)} tenant(s)" + "".join(
                f"\n  {name}: " + ", ".join(f"{k} {v}" for k, v in c.items() if v) for name, c in busy.items())
                + "".join(f"\n  ended a transaction of {e['role_name']} (pid {e['pid']}, open since "
                          f"{e['xact_start']:%H:%M:%S})" for e in ended))
        if every is None:
            return
        time.sleep(every)


@main.command()
@click.option("--out-dir", type=click.Path(path_type=Path), default=Path("docs"), show_default=True)
@click.option("--check", is_flag=True, help="Fail if the files differ instead of writing them.")
@data_dir_option
@admin_dsn_option
@handle_errors
def docs(out_dir: Path, check: bool, data_dir: Path | None, admin_dsn: str | None) -> None:
    """Regenerate docs/api.md and docs/errors.md from the catalog."""
    from coordinator.docs import render_all

    dsn = Settings(data_dir=data_dir, admin_dsn=admin_dsn).superuser_dsn()
    stale = []
    for name, text in render_all(dsn).items():
        path = out_dir / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
            out.print(f"wrote {path}")
    if stale:
        err.print(f"[red]out of date:[/red] {', '.join(stale)} (run coord docs)")
        sys.exit(EXIT_NOT_OK)


# --- profiles and trust ----------------------------------------------------------------------

_PROFILE_SETTINGS = [
    click.option("--max-locks", type=int, help="Live leases an agent may hold (0-100000)."),
    click.option("--max-lock-ttl", help="Longest lease ttl, e.g. '1 hour' (<= 24 hours)."),
    click.option("--max-concurrent-tasks", type=int, help="Live claims an agent may hold (0-10000)."),
    click.option("--kinds", help="Comma-separated task kinds the agents may claim."),
    click.option("--operations", help="Comma-separated actions allowed (names or prefix.*, e.g. task.*,lock.*)."),
    click.option("--max-task-duration", help="How long one claim may last, renewals included (<= 30 days)."),
    click.option("--calls-per-hour", type=int, help="Mutating calls per clock hour."),
    click.option("--network-default", type=click.Choice(["allow", "deny"]),
                 help="check_network's answer when no rule matches (else the tenant's)."),
    click.option("--description", help="What the profile is for."),
    click.option("--clear", "cleared", multiple=True,
                 help="Remove a limit (repeatable), e.g. --clear max_locks."),
]


def profile_settings(fn: F) -> F:
    for option in reversed(_PROFILE_SETTINGS):
        fn = option(fn)
    return fn


def _settings(options: dict[str, Any]) -> dict[str, Any]:
    """The settings object of create_profile/update_profile from the command-line options."""
    lists = {"kinds": "allowed_task_kinds", "operations": "allowed_operations"}
    settings: dict[str, Any] = {}
    for key, value in options.items():
        if value is None or key == "cleared":
            continue
        if key in lists:
            settings[lists[key]] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            settings[key] = value
    settings.update({name.replace("-", "_"): None for name in options.get("cleared", ())})
    return settings


def _show_profiles(rows: Sequence[Any], as_json: bool) -> None:
    if as_json:
        emit_json(rows)
        return
    fixed = {"name", "trust_level", "is_default", "agents", "description", "created_at", "updated_at"}
    summary = []
    for row in rows:
        data = _plain(row)
        limits = ", ".join(f"{k}={_cell(v)}" for k, v in data.items() if k not in fixed and v is not None)
        summary.append({**data, "default": "yes" if data["is_default"] else "", "limits": limits or "none"})
    table(summary, ["name", "trust_level", "default", "agents", "limits", "description"])


@main.group()
def profile() -> None:
    """Profiles: the trust level (0 suspended, 1 read-only, 2 standard, 3 elevated, 4 admin) and
    limits of agents. Changing them needs an operator (or a trust-4 agent, never for itself)."""


@profile.command("list")
@connection_options
@json_option
@handle_errors
def profile_list(token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Profiles of your tenant, with the default marked and how many agents have each."""
    with make_client(data_dir, dsn, token) as client:
        _show_profiles(client.list_profiles(), as_json)


@profile.command("show")
@click.argument("name", required=False)
@connection_options
@json_option
@handle_errors
def profile_show(name: str | None, token: str | None, dsn: str | None, data_dir: Path | None,
                 as_json: bool) -> None:
    """Profile NAME, or (agents) the profile you act under."""
    with make_client(data_dir, dsn, token) as client:
        if name is None:
            rows = [client.my_profile()]
        else:
            rows = [p for p in client.list_profiles() if p.name == name]
            if not rows:
                raise registered("CO462", "unknown profile", f"no profile named {name}",
                                 "list profiles with coord profile list")
    _show_profiles(rows, as_json)


@profile.command("create")
@click.argument("name")
@click.option("--trust", type=click.IntRange(0, 4), required=True,
              help="0 suspended, 1 read-only, 2 standard, 3 elevated, 4 admin.")
@profile_settings
@connection_options
@json_option
@handle_errors
def profile_create(name: str, trust: int, token: str | None, dsn: str | None, data_dir: Path | None,
                   as_json: bool, **options: Any) -> None:
    """Create profile NAME with a trust level and limits (an unset limit means none)."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.create_profile(name, trust, _settings(options)), as_json)


@profile.command("update")
@click.argument("name")
@click.option("--trust", "trust_level", type=click.IntRange(0, 4), help="New trust level.")
@profile_settings
@connection_options
@json_option
@handle_errors
def profile_update(name: str, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool,
                   **options: Any) -> None:
    """Change settings of profile NAME (only those given); applies from its agents' next call."""
    settings = _settings(options)
    if not settings:
        raise click.UsageError("nothing to change: pass --trust, a limit, or --clear SETTING")
    with make_client(data_dir, dsn, token) as client:
        show_result(client.update_profile(name, settings), as_json)


@profile.command("assign")
@click.argument("agent_name")
@click.argument("profile_name", required=False)
@connection_options
@json_option
@handle_errors
def profile_assign(agent_name: str, profile_name: str | None, token: str | None, dsn: str | None,
                   data_dir: Path | None, as_json: bool) -> None:
    """Give AGENT_NAME profile PROFILE_NAME (omit it: back to the tenant default)."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.assign_profile(agent_name, profile_name), as_json)


@profile.command("default")
@click.argument("name")
@connection_options
@json_option
@handle_errors
def profile_default(name: str, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Make NAME the tenant default: the profile of every agent without one of its own."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.set_default_profile(name), as_json)


@profile.command("delete")
@click.argument("name")
@connection_options
@json_option
@handle_errors
def profile_delete(name: str, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Delete NAME (refused while it is the default or assigned)."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.delete_profile(name), as_json)


# --- network policy --------------------------------------------------------------------------

@main.group()
def network() -> None:
    """Network policy: may an agent contact a host? Rules per tenant, profile or agent."""


@network.command("check")
@click.argument("domain")
@connection_options
@json_option
@handle_errors
def network_check(domain: str, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """May you contact DOMAIN (a host name or IP address, any spelling)? Exit 1 when denied. Audited."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.check_network(domain), as_json)


@network.command("rules")
@connection_options
@json_option
@handle_errors
def network_rules(token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Rules of your tenant in the order they are tried."""
    with make_client(data_dir, dsn, token) as client:
        rows = client.list_network_rules()
    if as_json:
        emit_json(rows)
    elif rows:
        table(rows, ["rule_id", "priority", "action", "pattern", "agent", "profile", "reason", "created_at"])
    else:
        out.print("(no rules: the profile or tenant default decides)")


@network.command("add")
@click.argument("pattern")
@click.argument("action", type=click.Choice(["allow", "deny"]))
@click.option("--priority", type=int, help="-1000..1000 (default 0); deny wins ties.")
@click.option("--agent", "for_agent", help="Only for this agent.")
@click.option("--profile", "for_profile", help="Only for the agents of this profile.")
@click.option("--reason", help="Why (shown in decisions and the audit log).")
@connection_options
@json_option
@handle_errors
def network_add(pattern: str, action: str, priority: int | None, for_agent: str | None, for_profile: str | None,
                reason: str | None, token: str | None, dsn: str | None, data_dir: Path | None,
                as_json: bool) -> None:
    """Add a rule: PATTERN is a host name, *.name (its subdomains), an IP address or a range (10.0.0.0/8)."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.add_network_rule(pattern, action, priority, for_agent=for_agent, reason=reason,
                                            for_profile=for_profile), as_json)


@network.command("remove")
@click.argument("rule_id", type=int)
@connection_options
@json_option
@handle_errors
def network_remove(rule_id: int, token: str | None, dsn: str | None, data_dir: Path | None,
                   as_json: bool) -> None:
    """Remove rule RULE_ID."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.remove_network_rule(rule_id), as_json)


# --- audit chain and retention (issue 4 §5) ------------------------------------------------------

def _saved_head(value: str) -> str:
    """--head: the printed line itself, or a file holding such lines (the last, newest one counts)
    or the JSON coord audit head --json printed. Only read here; the database parses and checks
    it (CO603 when malformed)."""
    path = Path(value)
    if not value.startswith("coord-audit-head:") and path.is_file():
        text = path.read_text().strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise click.BadParameter(f"{value}: not JSON ({exc})", param_hint="--head") from None
            found = data.get("head") or (data.get("details") or {}).get("head") if isinstance(data, dict) else None
            return str(found or text)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1] if lines else text  # a log of heads: the newest, which commits to all before it
    return value


@audit.command("verify")
@click.option("--no-seal", is_flag=True, help="Verify only what is sealed already (do not run the sealer first).")
@click.option("--head", "saved_head", metavar="HEAD|FILE",
              help="A head coord audit head printed earlier (the line, a file of such lines whose last counts, "
                   "or its --json): the chain must still hold it, which finds its newest links deleted.")
@connection_options
@json_option
@handle_errors
def audit_verify(no_seal: bool, saved_head: str | None, token: str | None, dsn: str | None, data_dir: Path | None,
                 as_json: bool) -> None:
    """Seal and verify your tenant's audit hash chain (operator or auditor token), and that the
    DDL guard of the audit trail is in place. Prints the current head (chain_seq and hash), or
    the first problem with what was expected and found; exits 1 when the chain is broken.

    A chain only proves itself: a superuser who deletes the newest events and links leaves a
    shorter chain that verifies. Keep a head (coord audit head) somewhere else and pass it
    with --head: verify then fails when the chain ends before it or holds another link there."""
    head = _saved_head(saved_head) if saved_head is not None else None
    with make_client(data_dir, dsn, token) as client:
        show_result(client.verify_audit(seal=False if no_seal else None, head=head), as_json)


@audit.command("head")
@click.option("--no-seal", is_flag=True, help="The newest link sealed already (do not run the sealer first).")
@connection_options
@json_option
@handle_errors
def audit_head(no_seal: bool, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Seal and print your tenant's audit chain head (operator or auditor token): one line,
    coord-audit-head:1:<tenant>:<chain_seq>:<hash>. Keep it outside the database (a ticket, a
    log, another machine); coord audit verify --head finds a chain that lost it. Taking a head
    is audited."""
    with make_client(data_dir, dsn, token) as client:
        result = client.audit_head(seal=False if no_seal else None)
    if as_json or not result.ok:
        show_result(result, as_json)
        return
    details = result.details
    click.echo(details["head"])
    err.print(f"[dim]chain_seq {details['chain_seq']}, sealed {details.get('sealed_at') or '-'}; "
              "keep this line outside the database and pass it to coord audit verify --head[/dim]")


@audit.command("archives")
@connection_options
@json_option
@handle_errors
def audit_archives(token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Archived months of your tenant (operator or auditor token)."""
    with make_client(data_dir, dsn, token) as client:
        rows = client.list_archives()
    if as_json:
        emit_json(rows)
    elif rows:
        table(rows, ["partition_name", "archived_at", "events", "first_seq", "last_seq", "file_name", "restored"])
    else:
        out.print("(no archives)")


@audit.command("restored")
@click.option("--partition", help="Only this archive, e.g. events_2026_01.")
@click.option("--action", help="Only this action, e.g. lock.acquire.")
@click.option("--limit", type=int, default=50, show_default=True)
@connection_options
@json_option
@handle_errors
def audit_restored(partition: str | None, action: str | None, limit: int, token: str | None, dsn: str | None,
                   data_dir: Path | None, as_json: bool) -> None:
    """Events of restored archives (operator or auditor token), newest chain position first."""
    with make_client(data_dir, dsn, token) as client:
        rows = client.query_restored_audit(partition=partition, action=action, limit=limit)
    if as_json:
        emit_json(rows)
    else:
        table([{**_plain(r), "actor_name": r.event.get("actor_name"), "target_id": r.event.get("target_id"),
                "decision": r.event.get("decision")} for r in rows],
              ["partition_name", "chain_seq", "occurred_at", "actor_name", "action", "target_id", "decision"])


@audit.command("seal")
@data_dir_option
@admin_dsn_option
@json_option
@handle_errors
def audit_seal(data_dir: Path | None, admin_dsn: str | None, as_json: bool) -> None:
    """Admin: link every tenant's finished audit events into its chain now (coord maintain does
    this on every pass)."""
    counts = retention.seal_all(Settings(data_dir=data_dir, admin_dsn=admin_dsn).superuser_dsn(), wait=True)
    if as_json:
        emit_json(counts)
    else:
        out.print(", ".join(f"{name}: {n} sealed" for name, n in counts.items()) or "(no tenants)")


@audit.command("archive")
@click.option("--before", "before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Archive every whole month that ends on or before this date (at least 90 days ago).")
@click.option("--to", "to_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the .jsonl.gz files and their .manifest.json.")
@click.option("--dry-run", is_flag=True, help="List the months that would be archived.")
@data_dir_option
@admin_dsn_option
@json_option
@handle_errors
def audit_archive(before: datetime, to_dir: Path, dry_run: bool, data_dir: Path | None, admin_dsn: str | None,
                  as_json: bool) -> None:
    """Admin: export old months of the audit log (all tenants) to gzip JSON lines with a SHA-256
    manifest; the database verifies the export, records it in each tenant's chain, and only
    then detaches and drops the month. See docs/operations.md (retention)."""
    dsn = Settings(data_dir=data_dir, admin_dsn=admin_dsn).superuser_dsn()
    rows = retention.archive(dsn, before.date(), to_dir, dry_run=dry_run)
    if as_json:
        emit_json(rows)
    elif rows:
        table(rows, ["partition", "events", "archived", "file", "content_sha256"])
    else:
        out.print("(no month to archive)")


@audit.command("restore")
@click.option("--from", "from_dir", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Directory coord audit archive --to wrote.")
@click.option("--partition", help="Only this archive, e.g. events_2026_01.")
@data_dir_option
@admin_dsn_option
@json_option
@handle_errors
def audit_restore(from_dir: Path, partition: str | None, data_dir: Path | None, admin_dsn: str | None,
                  as_json: bool) -> None:
    """Admin: bring archived months back (read-only, coord audit restored) after the database
    verified each against its recorded archive and every chain link."""
    dsn = Settings(data_dir=data_dir, admin_dsn=admin_dsn).superuser_dsn()
    rows = retention.restore(dsn, from_dir, partition=partition)
    if as_json:
        emit_json(rows)
    else:
        table(rows, ["partition", "rows", "content_sha256"])


# --- guardrails ----------------------------------------------------------------------------------

GUARDRAIL_CATEGORIES = ["filesystem", "git", "database", "deployment", "credentials", "process", "network",
                        "persistence", "privilege", "security", "supply-chain", "infrastructure"]

@main.group()
def guard() -> None:
    """Check operations against the guardrails and manage the rules of your tenant."""


@guard.command("check")
@click.argument("kind", type=click.Choice(["command", "sql", "path"]))
@click.argument("text")
@connection_options
@json_option
@handle_errors
def guard_check(kind: str, text: str, token: str | None, dsn: str | None, data_dir: Path | None,
                as_json: bool) -> None:
    """May you run TEXT (a shell command, SQL, or a path you will write)? Exit 1 unless allowed."""
    with make_client(data_dir, dsn, token) as client:
        decision = client.check_operation(kind, text)
    if as_json:
        emit_json(decision)
        if not decision.ok:
            sys.exit(EXIT_NOT_OK)
        return
    from rich.markup import escape

    show = {"ok": decision.ok, "code": decision.code, "reason": escape(decision.reason or ""),
            "normalized": escape(decision.normalized or ""),
            "rules": [f"{m['name']} ({m['severity']}, {m['category']}, {m['mode']}"
                      + (", overridden" if m["overridden"] else "") + ")" for m in decision.matches],
            "violation_id": decision.violation_id}
    show_result(show, False)


@guard.command("list")
@click.option("--category", type=click.Choice(GUARDRAIL_CATEGORIES))
@click.option("--patterns", is_flag=True,
              help="Show what each rule matches (actions on targets, or the pattern) instead of its description.")
@connection_options
@json_option
@handle_errors
def guard_list(category: str | None, patterns: bool, token: str | None, dsn: str | None, data_dir: Path | None,
               as_json: bool) -> None:
    """The guardrail rules of your tenant."""
    with make_client(data_dir, dsn, token) as client:
        rules = client.list_guardrails(category)
    if as_json:
        emit_json(rules)
    else:
        from rich.markup import escape

        table([r.to_dict() | {"matches": escape(r.pattern) if r.pattern is not None
                              else f"{'|'.join(r.actions or [])} on {'|'.join(r.targets) if r.targets else 'anything'}",
                              "description": escape(r.description)} for r in rules],
              ["name", "category", "severity", "override_trust", "mode", "enabled", "builtin",
               "matches" if patterns else "description"])


@guard.command("add")
@click.argument("name")
@click.option("--category", required=True, type=click.Choice(GUARDRAIL_CATEGORIES))
@click.option("--action", "actions", multiple=True,
              help="An operation rule: what it does (repeat; see coord guard vocabulary), e.g. --action delete-tree.")
@click.option("--target", "targets", multiple=True,
              help="With --action: what it touches (repeat; default anything), e.g. --target ci.")
@click.option("--applies-to", type=click.Choice(["command", "sql", "path"]),
              help="A pattern rule: the kind of canonical unit --pattern matches.")
@click.option("--pattern", help="A pattern rule: PostgreSQL regular expression over the canonical form (\\y, not \\b).")
@click.option("--severity", required=True, type=click.Choice(["low", "medium", "high", "critical"]))
@click.option("--mode", type=click.Choice(["block", "needs_approval"]), help="Default block.")
@click.option("--description")
@click.option("--override-trust", type=int, help="3 or 4 for low/medium (default 3), 4 for high; critical: none.")
@connection_options
@json_option
@handle_errors
def guard_add(name: str, category: str, actions: tuple[str, ...], targets: tuple[str, ...], applies_to: str | None,
              pattern: str | None, severity: str, mode: str | None, description: str | None,
              override_trust: int | None, token: str | None, dsn: str | None, data_dir: Path | None,
              as_json: bool) -> None:
    """Operators: add the rule NAME (audited): an operation on targets (--action, --target) or a
    pattern (--applies-to, --pattern)."""
    if bool(actions) == bool(pattern):
        raise click.UsageError("give --action (an operation rule) or --pattern with --applies-to (a pattern rule)")
    if pattern and not applies_to:
        raise click.UsageError("--pattern needs --applies-to")
    with make_client(data_dir, dsn, token) as client:
        show_result(client.add_guardrail(name, category, "any" if actions else applies_to, severity, pattern=pattern,
                                         mode=mode, description=description, override_trust=override_trust,
                                         actions=list(actions) or None, targets=list(targets) or None), as_json)


@guard.command("explain")
@click.argument("text")
@click.option("--kind", type=click.Choice(["command", "sql", "path"]), default="command", show_default=True)
@connection_options
@json_option
@handle_errors
def guard_explain(text: str, kind: str, token: str | None, dsn: str | None, data_dir: Path | None,
                  as_json: bool) -> None:
    """How the guardrails see TEXT, without recording a check: each command, statement or path
    parsed (program, subcommand, flags, operands), what it does to what (action, target, target
    classes), and the rules that match at your trust."""
    with make_client(data_dir, dsn, token) as client:
        explanation = client.explain_operation(kind, text)
    if as_json:
        emit_json(explanation)
        if not explanation.ok:
            sys.exit(EXIT_NOT_OK)
        return
    from rich.markup import escape

    out.print(f"[bold]{escape(explanation.code)}[/bold] (trust {explanation.trust}): "
              f"{escape(explanation.reason or '')}")
    for unit in explanation.units:
        out.print(f"\n[bold]{escape(unit['kind'])}[/bold] {escape(unit['unit'])}")
        operation = unit.get("operation") or {}
        if operation.get("prog"):
            parts = [f"program {operation['prog']}"]
            if operation.get("sub"):
                parts.append(f"subcommand {operation['sub']}")
            if operation.get("flags"):
                parts.append("flags " + " ".join(operation["flags"]))
            if operation.get("args"):
                parts.append("operands " + " ".join(operation["args"]))
            out.print("  " + escape("; ".join(parts)))
        for effect in unit["effects"]:
            classes = ", ".join(effect["c"]) or "ordinary file"
            out.print(f"  does [bold]{escape(effect['a'])}[/bold] to {escape(str(effect['t']))} ({escape(classes)})")
    for match in explanation.matches:
        what = f"{match.get('action')} of {match.get('target')}" if match.get("action") else "its pattern"
        out.print(f"\n[bold]{escape(match['name'])}[/bold] ({match['severity']}, {match['mode']}"
                  f"{', overridden' if match['overridden'] else ''}) matches {escape(what)}")
    if not explanation.ok:
        sys.exit(EXIT_NOT_OK)


@guard.command("vocabulary")
@connection_options
@json_option
@handle_errors
def guard_vocabulary(token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """The actions and target classes operation rules are written in."""
    with make_client(data_dir, dsn, token) as client:
        words = client.list_guardrail_vocabulary()
    if as_json:
        emit_json(words)
    else:
        table([w.to_dict() for w in words], ["kind", "name", "meaning"])


@guard.command("enable")
@click.argument("name")
@connection_options
@json_option
@handle_errors
def guard_enable(name: str, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Operators: enable the rule NAME (audited)."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.set_guardrail_enabled(name, True), as_json)


@guard.command("disable")
@click.argument("name")
@connection_options
@json_option
@handle_errors
def guard_disable(name: str, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Operators: disable the rule NAME, default rules included (audited)."""
    with make_client(data_dir, dsn, token) as client:
        show_result(client.set_guardrail_enabled(name, False), as_json)


@guard.command("violations")
@click.option("--limit", type=int, default=20, show_default=True)
@connection_options
@json_option
@handle_errors
def guard_violations(limit: int, token: str | None, dsn: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Operators and auditors: the newest blocked, needs-approval and overridden operations."""
    with make_client(data_dir, dsn, token) as client:
        rows = client.list_guardrail_violations(limit=limit)
    if as_json:
        emit_json(rows)
    else:
        from rich.markup import escape

        table([r.to_dict() | {"rules": ", ".join(m["name"] for m in r.rules), "operation": escape(r.operation)}
               for r in rows],
              ["violation_id", "occurred_at", "principal_name", "outcome", "kind", "operation", "rules", "task_id"])


if __name__ == "__main__":
    main()

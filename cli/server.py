"""The server and its database: coord up, down, status, migrate, maintain and demo."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

import click

from coordinator import admin, retention, webhooks
from coordinator.errors import EXIT_NOT_OK
from coordinator.migrate import migrate as run_migrations

from .context import (
    ADMIN_DSN_AS_DSN,
    Invocation,
    admin_dsn_option,
    data_dir_option,
    json_option,
    port_option,
    server_dsn_option,
    with_invocation,
)
from .render import err, out, table


def _progress(invocation: Invocation) -> Any:
    return None if invocation.as_json else (lambda m: err.print(f"[dim]{m}[/dim]"))


@click.command()
@data_dir_option
@port_option
@server_dsn_option
@click.option("--tenant", default=admin.DEFAULT_TENANT, show_default=True, help="Tenant to bootstrap.")
@json_option
@with_invocation
def up(invocation: Invocation, tenant: str) -> None:
    """Start the embedded server, migrate, and create the tenant and a first operator token."""
    data_dir, port, admin_dsn = invocation.settings(ADMIN_DSN_AS_DSN).server_target()
    report = admin.up(data_dir=data_dir, port=port, admin_dsn=admin_dsn, tenant=tenant,
                      progress=_progress(invocation))
    if invocation.as_json:
        invocation.json(report.to_dict())
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


@click.command()
@data_dir_option
@json_option
@with_invocation
def down(invocation: Invocation) -> None:
    """Stop the embedded server."""
    server = invocation.settings().server()
    stopped = server.stop() if server.is_initialized() else False
    if invocation.as_json:
        invocation.json({"stopped": stopped, "data_dir": str(server.data_dir)})
    else:
        out.print("stopped" if stopped else f"not running ({server.data_dir})")


@click.command()
@data_dir_option
@admin_dsn_option
@json_option
@with_invocation
def status(invocation: Invocation) -> None:
    """Is the embedded server running; migrations, tenants and the logins.

    Checks that the client logins carry their declared settings and (embedded server) that the
    gateway's saved password still logs in; drift is audited to every tenant (critical alert
    login-drift) and exits 1. coord up repairs it. A prepared transaction older than 5 minutes
    holds back every tenant's event stream: it is named with how to resolve it, and exits 1."""
    settings = invocation.settings()
    superuser_dsn = settings.superuser_dsn() if settings.given("admin_dsn") else None  # CO530 on a conflict
    server = settings.server()
    state = server.state()
    # Not initialized: nothing runs here (exit 1, as for a stopped server).
    running = (server.is_initialized() and server.is_running()) if not superuser_dsn else None
    report: dict[str, Any] = {"data_dir": str(server.data_dir), "initialized": server.is_initialized(),
                              "running": running, "port": state.port if state else None,
                              "dsn": server.client_dsn(state) if state else None}
    if running or superuser_dsn:
        report.update(admin.database_status(superuser_dsn or settings.superuser_dsn(),
                                            None if superuser_dsn or state is None else server.client_dsn(state)))
    logins = report.get("logins") or {}
    drifted = bool(logins.get("drift")) or logins.get("gateway_password") == "refused"
    if invocation.as_json:
        invocation.json(report)
    else:
        out.print(f"data dir: {report['data_dir']}  running: {report['running']}  port: {report['port']}")
        if not report["initialized"] and not superuser_dsn:
            out.print("no server in this directory yet: coord up creates one")
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
            _warn_prepared(report.get("prepared_transactions") or [])
    if running is False or drifted or report.get("prepared_transactions"):
        sys.exit(EXIT_NOT_OK)


@click.command()
@data_dir_option
@click.option("--dsn", "admin_dsn", help="Superuser DSN of the database to migrate [env COORD_ADMIN_DSN].")
@json_option
@with_invocation
def migrate(invocation: Invocation) -> None:
    """Apply pending migrations, then re-apply plpgsql/ and rls/ (idempotent)."""
    dsn = invocation.settings(ADMIN_DSN_AS_DSN).superuser_dsn()
    report = run_migrations(dsn, progress=_progress(invocation))
    if invocation.as_json:
        invocation.json(report.to_dict())
    else:
        applied = ", ".join(report.applied) or "nothing new"
        out.print(f"{report.database} (PostgreSQL {report.server_version}): applied {applied}; "
                  f"{report.reapplied_objects} objects re-applied")


@click.command()
@click.option("--every", type=float, help="Sweep again every this many seconds until interrupted.")
@click.option("--limit", type=int, default=1000, show_default=True, help="At most this many of each per tenant.")
@data_dir_option
@admin_dsn_option
@json_option
@with_invocation
def maintain(invocation: Invocation, every: float | None, limit: int) -> None:
    """Eager rescue for every tenant: end sessions that missed their heartbeat (releasing their
    leases, requeueing their claims), requeue or bury expired claims, remove expired leases,
    expire approval requests and unused approvals past their expiry (approvals_expired).
    Claims and lock requests also do this lazily; run this (or pg_cron, docs/operations.md) so a
    dead agent's work is reclaimable within session ttl + the interval. Each pass also seals
    finished audit events into each tenant's hash chain (audit_sealed), when due creates the
    audit log's monthly partitions ahead, audits drift of the client logins' settings
    (login_drift; critical alert login-drift) and ends client transactions open longer than
    coord.login_policy.transaction_bound (5 minutes), delivers every tenant's due webhook
    deliveries (webhook_attempts, at most coord.webhook_policy.per_tenant_per_run per tenant;
    coord notify does only that, as an operator) and names prepared transactions older than 5
    minutes, which hold back every tenant's event stream, with how to resolve them."""
    dsn = invocation.superuser_dsn()
    while True:
        counts = admin.sweep_all(dsn, limit)
        partitions = retention.ensure_partitions(dsn, when_due=True)
        sealed = retention.seal_all(dsn)
        for name, n in sealed.items():
            counts.setdefault(name, {})["audit_sealed"] = n
        for name, n in admin.check_logins(dsn).items():
            counts.setdefault(name, {})["login_drift"] = n
        ended = admin.end_stale_client_transactions(dsn)
        for name, attempts in webhooks.deliver_all(dsn).items():
            counts.setdefault(name, {})["webhook_attempts"] = len(attempts)
        held = admin.stream_holding_prepared(dsn)
        if invocation.as_json:
            invocation.json({"at": datetime.now(UTC).isoformat(), "tenants": counts,
                             "audit_partitions_created": partitions, "client_transactions_ended": ended,
                             "prepared_transactions_holding_streams": held})
        else:
            _warn_prepared(held)
            busy = {name: c for name, c in counts.items() if any(c.values())}
            stamp = datetime.now(UTC).strftime("%H:%M:%S")
            out.print(f"{stamp} swept {len(counts)} tenant(s)" + "".join(
                f"\n  {name}: " + ", ".join(f"{k} {v}" for k, v in c.items() if v) for name, c in busy.items())
                + "".join(f"\n  ended a transaction of {e['role_name']} (pid {e['pid']}, open since "
                          f"{e['xact_start']:%H:%M:%S})" for e in ended))
        if every is None:
            return
        time.sleep(every)


def _warn_prepared(held: list[dict[str, Any]]) -> None:
    for p in held:
        out.print(f"[red]prepared transaction {p['gid']!r} (database {p['database']}, prepared {p['age']} ago) holds "
                  f"back every tenant's event stream: {p['resolve']}[/red]")


@click.command()
@data_dir_option
@port_option
@server_dsn_option
@json_option
@with_invocation
def demo(invocation: Invocation) -> None:
    """Three agents race for files and a directory; a stale fence is refused; the audit tail.

    Runs in the tenant demo (each run releases the last run's leases and revokes its tokens) and
    leaves the server running: coord down stops it."""
    from coordinator.demo import run_demo

    data_dir, port, admin_dsn = invocation.settings(ADMIN_DSN_AS_DSN).server_target()
    # The commands it prints are spelled as the user runs coord: bin/coord sets COORD_PROG, and a
    # --data-dir given here is repeated (one from COORD_DATA_DIR is still in the environment).
    flags = ["--data-dir", str(invocation.data_dir)] if invocation.data_dir is not None else []
    report = run_demo(data_dir=data_dir, port=port, admin_dsn=admin_dsn, console=None if invocation.as_json else out,
                      program=[os.environ.get("COORD_PROG") or "coord"], flags=flags)
    if invocation.as_json:
        invocation.json(report)


COMMANDS = [up, down, status, migrate, maintain, demo]

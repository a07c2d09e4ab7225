"""The admin path: what a database superuser does (start, migrate, bootstrap tenants and
first tokens). Every rule still lives in SQL: these are calls of ``coord.*`` functions, which
validate and audit exactly as the ``api`` ones do, with the system as the actor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql as pgsql
from psycopg.rows import class_row, dict_row

from . import sql
from .client import to_json_value
from .errors import CoordError, NotFound, from_psycopg
from .migrate import MigrationReport, migrate
from .results import Result, TokenGrant
from .server import AUTHENTICATOR, EmbeddedServer, port_in_use

DEFAULT_TENANT = "default"
DEFAULT_OPERATOR = "operator"


@dataclass
class UpReport:
    dsn: str | None
    admin_dsn: str
    psql: str | None
    data_dir: str | None
    started: bool
    initialized: bool
    tenant: str
    operator_token: str | None
    migration: MigrationReport
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"dsn": self.dsn, "operator_token": self.operator_token, "admin_dsn": self.admin_dsn,
                "psql": self.psql, "data_dir": self.data_dir, "started": self.started,
                "initialized": self.initialized, "tenant": self.tenant,
                "migration": self.migration.to_dict(), "notes": self.notes}


def admin_connect(admin_dsn: str) -> psycopg.Connection:
    try:
        return psycopg.connect(admin_dsn, autocommit=True, application_name="coord-admin")
    except psycopg.Error as exc:
        raise from_psycopg(exc) from None


def up(*, data_dir: Path | None = None, port: int | None = None, admin_dsn: str | None = None,
       tenant: str = DEFAULT_TENANT, progress: Callable[[str], None] | None = None,
       server_options: list[str] | None = None, fast_init: bool = False) -> UpReport:
    """Start the embedded server (unless ``admin_dsn`` names another one), migrate, bootstrap."""
    say = progress or (lambda _msg: None)
    notes: list[str] = []
    started = initialized = False
    server: EmbeddedServer | None = None
    client_dsn: str | None = None
    psql_line: str | None = None
    if admin_dsn is None:
        server = EmbeddedServer(data_dir, extra_options=server_options)
        state = server.ensure_state(port)
        say(f"data directory {server.data_dir}")
        initialized = server.init(fast=fast_init)
        if not server.is_running():
            if port_in_use(state.port):
                raise CoordError(f"port {state.port} is already in use", code="CO501",
                                 hint="pass --port N (or --port 0 for any free port)")
            say(f"starting PostgreSQL on 127.0.0.1:{state.port}")
            server.start(state.port)
            started = True
        with admin_connect(server.admin_dsn(state, "postgres")) as conn:
            if conn.execute(sql.DATABASE_EXISTS, (state.database,)).fetchone() is None:
                conn.execute(pgsql.SQL("create database {}").format(pgsql.Identifier(state.database)))
            conn.execute(sql.CLOSE_MAINTENANCE_DATABASES)
        admin_dsn = server.admin_dsn(state)
        client_dsn = server.client_dsn(state)
        psql_line = f"psql '{client_dsn}'"
    say("migrating")
    report = migrate(admin_dsn, progress=say)
    with admin_connect(admin_dsn) as conn:
        if server is not None:
            state = server.state()
            assert state is not None
            conn.execute(pgsql.SQL("alter role {} password {}").format(
                pgsql.Identifier(AUTHENTICATOR), pgsql.Literal(state.authenticator_password)))
            conn.execute(sql.BOUND_CLIENT_TRANSACTIONS)
        else:
            notes.append(f"set a password for {AUTHENTICATOR} yourself; clients connect as that role")
        tenant_id = conn.execute(sql.ENSURE_TENANT, (tenant,)).fetchone()[0]  # type: ignore[index]
        operator_token = None
        if not conn.execute(sql.HAS_OPERATOR, (tenant_id,)).fetchone()[0]:  # type: ignore[index]
            grant = _register(conn, tenant_id, "operator", DEFAULT_OPERATOR, None, None)
            operator_token = grant.token
        else:
            notes.append("an operator already exists in this tenant; its token was shown when it was created "
                         "(issue another with: coord token issue operator)")
    return UpReport(dsn=client_dsn, admin_dsn=admin_dsn, psql=psql_line,
                    data_dir=str(server.data_dir) if server else None, started=started,
                    initialized=initialized, tenant=tenant, operator_token=operator_token,
                    migration=report, notes=notes)


def _register(conn: psycopg.Connection, tenant_id: UUID, role: str, name: str,
              scopes: list[str] | None, expires_in: timedelta | str | None) -> TokenGrant:
    with conn.cursor(row_factory=class_row(TokenGrant)) as cur:
        try:
            row = cur.execute(sql.REGISTER_PRINCIPAL,
                              (tenant_id, role, name, scopes, to_json_value(expires_in))).fetchone()
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
    assert row is not None
    return row


def _tenant_id(conn: psycopg.Connection, tenant: str) -> UUID:
    row = conn.execute(sql.TENANT_ID, (tenant,)).fetchone()
    if row is None:
        raise NotFound(f"unknown tenant {tenant}", code="CO301", hint="tenants are created by coord up --tenant NAME")
    return row[0]  # type: ignore[no-any-return]


def add_principal(admin_dsn: str, name: str, *, tenant: str = DEFAULT_TENANT, role: str = "agent",
                  scopes: list[str] | None = None, expires_in: timedelta | str | None = None) -> TokenGrant:
    """Register an agent (or operator/auditor) in a tenant, creating the tenant if needed."""
    with admin_connect(admin_dsn) as conn:
        try:
            tenant_id = conn.execute(sql.ENSURE_TENANT, (tenant,)).fetchone()[0]  # type: ignore[index]
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
        return _register(conn, tenant_id, role, name, scopes, expires_in)


def issue_token(admin_dsn: str, name: str, *, tenant: str = DEFAULT_TENANT, scopes: list[str] | None = None,
                expires_in: timedelta | str | None = None, label: str | None = None) -> TokenGrant:
    """A new token for an existing principal (rotation, or a lost operator token)."""
    with admin_connect(admin_dsn) as conn:
        tenant_id = _tenant_id(conn, tenant)
        row = conn.execute(sql.PRINCIPAL_ID, (tenant_id, name)).fetchone()
        if row is None:
            raise NotFound(f"unknown principal {name} in tenant {tenant}", code="CO302")
        with conn.cursor(row_factory=class_row(TokenGrant)) as cur:
            try:
                grant = cur.execute(sql.ISSUE_TOKEN, (tenant_id, row[0], scopes, to_json_value(expires_in),
                                                      label)).fetchone()
            except psycopg.Error as exc:
                raise from_psycopg(exc) from None
        assert grant is not None
        return grant


def revoke_token(admin_dsn: str, token: str) -> Result:
    """Revoke by token id (uuid) or by the token text itself."""
    with admin_connect(admin_dsn) as conn:
        try:
            token_id = UUID(token)
            row = conn.execute(sql.TOKEN_TENANT, (token_id,)).fetchone()
            found = None if row is None else (token_id, row[0])
        except ValueError:
            row = conn.execute(sql.TOKEN_ID_BY_TEXT, (token,)).fetchone()
            found = None if row is None else (row[0], row[1])
        if found is None:
            raise NotFound("unknown token", code="CO303", hint="pass a token id from coord token list, or the token")
        with conn.cursor(row_factory=class_row(Result)) as cur:
            result = cur.execute(sql.REVOKE_TOKEN, (found[1], found[0])).fetchone()
        assert result is not None
        return result


def database_status(admin_dsn: str) -> dict[str, Any]:
    """Migrations applied and tenants with their principals and live leases."""
    with admin_connect(admin_dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        migrations = cur.execute(sql.MIGRATION_STATUS).fetchone()
        return {"migrations": migrations, "tenants": cur.execute(sql.TENANTS).fetchall()}




def sweep_all(admin_dsn: str, limit: int = 1000) -> dict[str, dict[str, int]]:
    """One eager sweep of every tenant (coord.sweep), each in its own transaction; counts by tenant."""
    with admin_connect(admin_dsn) as conn:
        try:
            tenants = conn.execute(sql.TENANT_IDS).fetchall()
            counts: dict[str, dict[str, int]] = {}
            for tenant_id, name in tenants:
                with conn.transaction():
                    row = conn.execute(sql.SWEEP_TENANT, (tenant_id, limit)).fetchone()
                assert row is not None
                counts[name] = row[0]
            return counts
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None

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
from urllib.parse import quote
from uuid import UUID

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import class_row, dict_row

from . import sql
from .client import JWT_SHAPE, to_json_value
from .errors import CoordError, from_psycopg, registered
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
    had_state = False
    if admin_dsn is None:
        server = EmbeddedServer(data_dir, extra_options=server_options)
        had_state = server.state() is not None
        # Nothing is written before the port is known to be usable: a refused coord up leaves
        # coord.json (the port the server runs or last ran on) as it was.
        state = server.planned_state(port)
        running = server.is_running()
        if not running and port_in_use(state.port):
            raise registered("CO501", f"port {state.port} is already in use",
                             hint="pass --port N (or --port 0 for any free port)")
        server.save_state(state)
        say(f"data directory {server.data_dir}")
        initialized = server.init(fast=fast_init)
        if not running:
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
    try:
        report = migrate(admin_dsn, progress=say)
    except CoordError as exc:
        raise _after_failed_migration(exc, server if started else None) from None
    with admin_connect(admin_dsn) as conn:
        tenant_id = conn.execute(sql.ENSURE_TENANT, (tenant,)).fetchone()[0]  # type: ignore[index]
        if server is not None:
            state = server.state()
            assert state is not None
            # A password coord.json holds that no longer logs in was changed by someone who held
            # the gateway's DSN (PostgreSQL lets a role change its own password): drift, audited
            # and then repaired like the settings. On the first start there is nothing to compare.
            refused = had_state and not initialized and gateway_password_refused(server.client_dsn(state), conn)
            password_refused = [AUTHENTICATOR] if refused else []
            _audit_login_drift(conn, password_refused)
            set_gateway_password(conn, state.authenticator_password)
            if refused:
                notes.append(f"the password of {AUTHENTICATOR} had been changed; restored the one in "
                             f"{server.state_file} (audited as login.check refused, alert login-drift)")
        else:
            password_refused = []
            _audit_login_drift(conn, None)
            notes.append(f"set a password for {AUTHENTICATOR} yourself; only infrastructure (PostgREST, the "
                         "operator's CLI) connects as that role: give agents coord login add DSNs")
        for row in conn.execute(sql.REPAIR_LOGINS, (password_refused,)).fetchall():
            role_name, kind, _tenant, expected, actual = row
            notes.append(f"restored the declared settings of {kind} login {role_name}: found "
                         f"{', '.join(actual) or 'none'}; declared {', '.join(expected) or 'none'}")
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


def _after_failed_migration(exc: CoordError, started: EmbeddedServer | None) -> CoordError:
    """A server this call started is not left running unmigrated: it is stopped again. One that
    was already running keeps running; the error says in which state and how to go on."""
    if started is not None:
        try:
            started.stop()
            state = (f"the server in {started.data_dir} was started for this and is stopped again; "
                     "fix the cause, then run coord up again")
        except CoordError as stop_error:
            state = (f"the server in {started.data_dir} was started for this and could not be stopped "
                     f"({stop_error.message}): run coord down --data-dir {started.data_dir}")
    else:
        state = ("the server keeps running, with the migrations before the failing one applied (each "
                 "commits on its own); fix the cause, then run coord up or coord migrate again")
    exc.hint = f"{exc.hint}; {state}" if exc.hint else state
    return exc


def set_gateway_password(conn: psycopg.Connection, password: str) -> None:
    """Sets the gateway's password as a SCRAM verifier computed here, so that the password
    itself never appears in a statement the server could log."""
    verifier = conn.pgconn.encrypt_password(password.encode(), AUTHENTICATOR.encode(), b"scram-sha-256")
    conn.execute(pgsql.SQL(sql.SET_GATEWAY_PASSWORD).format(pgsql.Literal(verifier.decode())))


def gateway_password_refused(client_dsn: str, conn: psycopg.Connection) -> bool:
    """True when the gateway has a password and the saved one does not log in with it."""
    if not conn.execute(sql.GATEWAY_HAS_PASSWORD).fetchone()[0]:  # type: ignore[index]
        return True
    try:
        psycopg.connect(client_dsn, connect_timeout=10, application_name="coord-check").close()
    except psycopg.OperationalError as exc:
        return "password authentication failed" in str(exc)
    return False


def _audit_login_drift(conn: psycopg.Connection, password_refused: list[str] | None) -> dict[str, int]:
    """coord.check_logins for every tenant, one transaction each: new drift is audited once
    (critical, the login-drift alert). None: passwords were not checked."""
    counts: dict[str, int] = {}
    for tenant_id, name in conn.execute(sql.TENANT_IDS).fetchall():
        with conn.transaction():
            counts[name] = conn.execute(sql.CHECK_LOGINS, (tenant_id, password_refused)).fetchone()[0]  # type: ignore[index]
    return counts


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
        raise registered("CO301", f"unknown tenant {tenant}", hint="tenants are created by coord up --tenant NAME")
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
                expires_in: timedelta | str | None = None, label: str | None = None,
                repository: str | None = None, jwt: bool = False) -> TokenGrant:
    """A new token for an existing principal (rotation, or a lost operator token); with
    ``repository``, calls made with it outside a session act in that repository; with ``jwt``
    the credential is an HS256 JWT the database minted (coord.issue_jwt) instead of an opaque token."""
    with admin_connect(admin_dsn) as conn:
        tenant_id = _tenant_id(conn, tenant)
        row = conn.execute(sql.PRINCIPAL_ID, (tenant_id, name)).fetchone()
        if row is None:
            raise registered("CO302", f"unknown principal {name} in tenant {tenant}")
        return _issue(conn, tenant_id, row[0], scopes, expires_in, label, repository, jwt=jwt)


def jwt_keys(admin_dsn: str) -> dict[str, Any]:
    """The JWT keys that verify (not retired) as a JWK set, for PostgREST's jwt-secret."""
    with admin_connect(admin_dsn) as conn:
        return conn.execute(sql.JWT_KEYS).fetchone()[0]  # type: ignore[index,no-any-return]


def rotate_jwt_key(admin_dsn: str) -> str:
    """Add a JWT key that signs from now on; returns its kid."""
    with admin_connect(admin_dsn) as conn:
        return conn.execute(sql.ROTATE_JWT_KEY).fetchone()[0]  # type: ignore[index,no-any-return]


def retire_jwt_key(admin_dsn: str, kid: str) -> str:
    """Retire JWT key ``kid``: the JWTs it signed stop verifying."""
    with admin_connect(admin_dsn) as conn:
        try:
            return conn.execute(sql.RETIRE_JWT_KEY, (kid,)).fetchone()[0]  # type: ignore[index,no-any-return]
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None


def principal_token(admin_dsn: str, name: str, *, tenant: str = DEFAULT_TENANT, role: str = "agent") -> TokenGrant:
    """A token for principal ``name`` of ``tenant`` (created if missing): the principal is
    registered when it is new, and gets another token when it exists (its role stays)."""
    with admin_connect(admin_dsn) as conn:
        try:
            tenant_id = conn.execute(sql.ENSURE_TENANT, (tenant,)).fetchone()[0]  # type: ignore[index]
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
        row = conn.execute(sql.PRINCIPAL_ID, (tenant_id, name)).fetchone()
        if row is None:
            return _register(conn, tenant_id, role, name, None, None)
        return _issue(conn, tenant_id, row[0], None, None, None)


def _issue(conn: psycopg.Connection, tenant_id: UUID, principal_id: UUID, scopes: list[str] | None,
           expires_in: timedelta | str | None, label: str | None, repository: str | None = None, *,
           jwt: bool = False) -> TokenGrant:
    with conn.cursor(row_factory=class_row(TokenGrant)) as cur:
        try:
            grant = cur.execute(sql.ISSUE_JWT if jwt else sql.ISSUE_TOKEN,
                                (tenant_id, principal_id, scopes, to_json_value(expires_in), label,
                                 repository)).fetchone()
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
            try:
                row = conn.execute(sql.TOKEN_ID_BY_JWT if JWT_SHAPE.match(token) else sql.TOKEN_ID_BY_TEXT,
                                   (token,)).fetchone()
            except psycopg.Error as exc:
                raise from_psycopg(exc) from None
            found = None if row is None else (row[0], row[1])
        if found is None:
            raise registered("CO303", "unknown token", hint="pass a token id from coord token list, or the token")
        with conn.cursor(row_factory=class_row(Result)) as cur:
            result = cur.execute(sql.REVOKE_TOKEN, (found[1], found[0])).fetchone()
        assert result is not None
        return result


def database_status(admin_dsn: str, client_dsn: str | None = None) -> dict[str, Any]:
    """Migrations applied, tenants with their principals and live leases, and the logins: drift
    of the watched logins' settings and, with ``client_dsn`` (the embedded server's gateway DSN),
    whether the saved gateway password still logs in. Drift is audited to every tenant."""
    with admin_connect(admin_dsn) as conn:
        refused = None if client_dsn is None else gateway_password_refused(client_dsn, conn)
        password_refused = None if refused is None else ([AUTHENTICATOR] if refused else [])
        _audit_login_drift(conn, password_refused)
        with conn.cursor(row_factory=dict_row) as cur:
            migrations = cur.execute(sql.MIGRATION_STATUS).fetchone()
            tenants = cur.execute(sql.TENANTS).fetchall()
            drift = cur.execute(sql.LOGIN_DRIFT, (password_refused or [],)).fetchall()
            held = cur.execute(sql.STREAM_HOLDING_PREPARED, (None,)).fetchall()
    gateway = "not checked" if refused is None else ("refused" if refused else "ok")
    return {"migrations": migrations, "tenants": tenants,
            "logins": {"gateway_password": gateway, "drift": drift}, "prepared_transactions": held}


# --- client logins bound to one tenant (docs/security.md, "Credentials") ------------------------

@dataclass
class LoginGrant:
    tenant: str
    name: str
    role_name: str
    password: str
    connection_limit: int
    dsn: str

    def to_dict(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "name": self.name, "role_name": self.role_name,
                "connection_limit": self.connection_limit, "dsn": self.dsn}


def login_dsn(endpoint: dict[str, Any], role_name: str, password: str) -> str:
    """A client DSN for a login at ``endpoint`` (host, port, dbname)."""
    host, port, dbname = endpoint.get("host"), endpoint.get("port"), endpoint.get("dbname")
    if host and not str(host).startswith("/"):
        address = f"[{host}]" if ":" in str(host) else str(host)
        return (f"postgresql://{role_name}:{password}@{address}" + (f":{port}" if port else "")
                + f"/{quote(str(dbname or ''), safe='')}")
    return make_conninfo(host=host, port=port, dbname=dbname, user=role_name, password=password)


def add_login(admin_dsn: str, name: str, *, tenant: str = DEFAULT_TENANT, connection_limit: int = 20,
              comment: str | None = None, endpoint: dict[str, Any] | None = None) -> LoginGrant:
    """A login role bound to ``tenant`` (coord.add_login) and its DSN, shown once. ``endpoint``
    (host, port, dbname) is where clients reach the server; default: the admin DSN's."""
    where = {k: v for k, v in conninfo_to_dict(admin_dsn).items() if k in ("host", "port", "dbname")}
    where.update({k: v for k, v in (endpoint or {}).items() if v is not None})
    with admin_connect(admin_dsn) as conn:
        tenant_id = _tenant_id(conn, tenant)
        try:
            row = conn.execute(sql.ADD_LOGIN, (tenant_id, name, connection_limit, comment)).fetchone()
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
    assert row is not None
    login, role_name, password, limit = row
    return LoginGrant(tenant=tenant, name=login, role_name=role_name, password=password, connection_limit=limit,
                      dsn=login_dsn(where, role_name, password))


def remove_login(admin_dsn: str, name: str, *, tenant: str = DEFAULT_TENANT) -> str:
    with admin_connect(admin_dsn) as conn:
        tenant_id = _tenant_id(conn, tenant)
        try:
            return conn.execute(sql.REMOVE_LOGIN, (tenant_id, name)).fetchone()[0]  # type: ignore[index,no-any-return]
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None


def list_logins(admin_dsn: str, *, tenant: str | None = None) -> list[dict[str, Any]]:
    with admin_connect(admin_dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql.LIST_LOGINS, (tenant, tenant)).fetchall()


def check_logins(admin_dsn: str) -> dict[str, int]:
    """Audit login drift to every tenant (coord maintain); passwords are not checked here."""
    with admin_connect(admin_dsn) as conn:
        try:
            return _audit_login_drift(conn, None)
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None


def end_stale_client_transactions(admin_dsn: str) -> list[dict[str, Any]]:
    """Terminate client transactions older than coord.login_policy.transaction_bound."""
    with admin_connect(admin_dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        try:
            return cur.execute(sql.END_STALE_CLIENT_TRANSACTIONS).fetchall()
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None




def stream_holding_prepared(admin_dsn: str, older_than: str | None = None) -> list[dict[str, Any]]:
    """Prepared transactions older than ``older_than`` (default 5 minutes): each holds back every
    tenant's event stream until COMMIT PREPARED or ROLLBACK PREPARED (its ``resolve``)."""
    with admin_connect(admin_dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        try:
            return cur.execute(sql.STREAM_HOLDING_PREPARED, (older_than,)).fetchall()
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None


def sweep_all(admin_dsn: str, limit: int = 1000) -> dict[str, dict[str, int]]:
    """One eager sweep of every tenant (coord.sweep), each in its own transaction; counts by tenant."""
    with admin_connect(admin_dsn) as conn:
        try:
            tenants = conn.execute(sql.TENANT_IDS).fetchall()
            counts: dict[str, dict[str, int]] = {}
            for tenant_id, name in tenants:
                with conn.transaction():
                    row = conn.execute(sql.SWEEP_TENANT, {"tenant": tenant_id, "limit": limit}).fetchone()
                assert row is not None
                counts[name] = row[0]
            return counts
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None

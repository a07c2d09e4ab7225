"""Test fixtures: one PostgreSQL server per session (the embedded 18, or Debian's 15 with
COORD_TEST_SERVER=15: bin/test runs the suite on both), a migrated template database, a
rolled-back transaction per test by default, and template clones for tests that commit."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
from psycopg import sql as pgsql

from coordinator import sql
from coordinator.client import Client
from coordinator.migrate import migrate
from coordinator.server import AUTHENTICATOR, EmbeddedServer, ServerState, free_port
from tests.waits import wait_on_activity, wait_on_backend

# Fixtures more than one test file uses, kept in their own module (a file that imported them
# would redefine them, ruff F811): repo, alice and hook of the Claude Code hook tests.
pytest_plugins = ("tests.hook_support",)

T = TypeVar("T")
TEMPLATE = "coord_template"
SHARED = "coord_test"
PGTAP_SOURCE = Path("/usr/share/postgresql/15/extension")
PG15_BIN = Path("/usr/lib/postgresql/15/bin")
# Which server the session's cluster runs: "18" (the embedded server) or "15" (Debian's, with
# PL/Python and cedarpy where bin/test installed them). A test that needs what only one of them
# has says so with requires_18 / requires_plpython, naming the missing feature.
SERVER = os.environ.get("COORD_TEST_SERVER", "18")
if SERVER not in ("18", "15"):
    raise RuntimeError(f"COORD_TEST_SERVER={SERVER}: choose 18 (embedded) or 15 (Debian's PostgreSQL 15)")


def requires_18(feature: str) -> pytest.MarkDecorator:
    """Skip on Debian's PostgreSQL 15, naming the feature of 18 (or of the embedded build) it lacks."""
    return pytest.mark.skipif(SERVER == "15", reason=f"PostgreSQL 15 lacks {feature}")


# Cedar decides inside the database through PL/Python and cedarpy: bin/test installs them for
# Debian's 15; the embedded 18 has no PL/Python (tests/test_cedar.py checks it fails closed there).
requires_plpython = pytest.mark.skipif(
    SERVER != "15", reason="the embedded PostgreSQL 18 has no PL/Python (Cedar runs on 15: COORD_TEST_SERVER=15)")


# max_prepared_transactions: tests/test_events.py prepares a transaction (and resolves it).
FAST_OPTIONS = ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
                "-c max_connections=300", "-c shared_buffers=128MB", "-c max_prepared_transactions=4"]


@dataclass
class Cluster:
    server: EmbeddedServer
    state: ServerState

    def admin_dsn(self, database: str) -> str:
        return self.server.admin_dsn(self.state, database)

    def client_dsn(self, database: str) -> str:
        return (f"postgresql://{AUTHENTICATOR}:{self.state.authenticator_password}"
                f"@127.0.0.1:{self.state.port}/{database}")

    @property
    def psql(self) -> Path:
        return self.server.bin_dir / "psql"


@dataclass
class Database:
    """A database of the test cluster and how to reach it as superuser or as a client."""

    cluster: Cluster
    name: str

    @property
    def admin_dsn(self) -> str:
        return self.cluster.admin_dsn(self.name)

    @property
    def client_dsn(self) -> str:
        return self.cluster.client_dsn(self.name)

    def connect(self, **kwargs: object) -> psycopg.Connection:
        return psycopg.connect(self.admin_dsn, **{"autocommit": True, **kwargs})  # type: ignore[arg-type]


def _install_pgtap(server: EmbeddedServer) -> None:
    target = server.bin_dir.parent / "share" / "extension"
    if (target / "pgtap.control").exists():
        return
    if not (PGTAP_SOURCE / "pgtap.control").exists():
        raise RuntimeError("pgTAP is not installed: apt-get install postgresql-15-pgtap (bin/test does this)")
    for source in PGTAP_SOURCE.glob("pgtap*"):
        shutil.copy2(source, target / source.name)


def pytest_report_header() -> str:
    return f"coord test server: PostgreSQL {SERVER} ({'Debian' if SERVER == '15' else 'embedded'})"


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    data_dir = Path(tempfile.mkdtemp(prefix="coord-test-"))
    data_dir.chmod(0o711)  # the server user traverses it; only root lists it
    server = EmbeddedServer(data_dir / "cluster", extra_options=FAST_OPTIONS,
                            bin_dir=PG15_BIN if SERVER == "15" else None)
    state = server.ensure_state(free_port())
    server.init(fast=True)
    if SERVER == "18":  # Debian's 15 has pgTAP from its package
        _install_pgtap(server)
    server.start(state.port)
    cluster = Cluster(server, state)
    try:
        with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute(pgsql.SQL("create database {}").format(pgsql.Identifier(TEMPLATE)))
            conn.execute(sql.CLOSE_MAINTENANCE_DATABASES)  # as coord up does
        migrate(cluster.admin_dsn(TEMPLATE))
        with psycopg.connect(cluster.admin_dsn(TEMPLATE), autocommit=True) as conn:
            conn.execute(pgsql.SQL("alter role {} password {}").format(
                pgsql.Identifier(AUTHENTICATOR), pgsql.Literal(state.authenticator_password)))
            conn.execute("create schema tap")
            conn.execute("create extension pgtap schema tap")
            conn.execute("grant usage on schema tap to public")
        with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute(pgsql.SQL("alter database {} is_template true").format(pgsql.Identifier(TEMPLATE)))
        clone_template(cluster, SHARED)
        yield cluster
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def clone_template(cluster: Cluster, name: str) -> Database:
    """A database cloned from the migrated template, with the database-level privileges that
    coord migrate sets (CREATE DATABASE does not copy them from the template)."""
    with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
        conn.execute(pgsql.SQL("create database {} template {} strategy file_copy").format(
            pgsql.Identifier(name), pgsql.Identifier(TEMPLATE)))
        conn.execute(pgsql.SQL("revoke temporary on database {} from public").format(pgsql.Identifier(name)))
    return Database(cluster, name)


@pytest.fixture(scope="session")
def shared_db(cluster: Cluster) -> Database:
    return Database(cluster, SHARED)


@pytest.fixture
def db(shared_db: Database) -> Iterator[psycopg.Connection]:
    """A superuser connection inside a transaction that is rolled back after the test."""
    conn = psycopg.connect(shared_db.admin_dsn, autocommit=False)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture
def committed_db(cluster: Cluster) -> Iterator[Database]:
    """A fresh database cloned from the migrated template, for tests that commit."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    database = clone_template(cluster, name)
    try:
        yield database
    finally:
        with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute(pgsql.SQL("drop database {} with (force)").format(pgsql.Identifier(name)))


@pytest.fixture
def eager_task_floor(committed_db: Database) -> Database:
    """committed_db with coord.task_floor_lag = 0 for every connection made after this: each claim
    of one kind tries to move the kind's claim floor (as before claims moved it only once it
    lagged), for tests of what keeps a moving floor safe: they want it to move as often as it can."""
    with committed_db.connect() as conn:
        conn.execute(pgsql.SQL("alter database {} set coord.task_floor_lag = 0").format(
            pgsql.Identifier(committed_db.name)))
    return committed_db


@pytest.fixture
def empty_db_factory(cluster: Cluster) -> Iterator[Callable[[], Database]]:
    """Makes empty databases (no migrations) for migration tests; drops them afterwards."""
    made: list[str] = []

    def make() -> Database:
        name = f"m_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute(pgsql.SQL("create database {}").format(pgsql.Identifier(name)))
        made.append(name)
        return Database(cluster, name)

    yield make
    with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
        for name in made:
            conn.execute(pgsql.SQL("drop database {} with (force)").format(pgsql.Identifier(name)))


@pytest.fixture
def empty_db(empty_db_factory: Callable[[], Database]) -> Database:
    return empty_db_factory()


# --- helpers used by many tests --------------------------------------------------------------

@dataclass
class Principal:
    name: str
    token: str
    principal_id: uuid.UUID
    token_id: uuid.UUID
    tenant_id: uuid.UUID


def make_principal(conn: psycopg.Connection, name: str | None = None, *, tenant: str = "t1", role: str = "agent",
                   scopes: list[str] | None = None, expires_in: str | None = None) -> Principal:
    """Register a principal through the same SQL the admin path uses."""
    name = name or f"agent-{uuid.uuid4().hex[:8]}"
    row = conn.execute(
        "with t as (select coord.ensure_tenant(%s) as id) "
        "select g.token, g.principal_id, g.token_id, t.id from t, "
        "lateral coord.register_principal(t.id, %s::coord.request_role, %s, coalesce(%s::text[], '{*}'), "
        "%s::interval) as g",
        (tenant, role, name, scopes, expires_in)).fetchone()
    assert row is not None
    return Principal(name, row[0], row[1], row[2], row[3])


def bypass_audit_guard(conn: psycopg.Connection) -> None:
    """Let this transaction change the audit trail's DDL as coord migrate does: what a superuser
    who sets out to tamper can do by hand (docs/security.md, "The audit trail's DDL guard").
    Tests that play that superuser call it before they disable the append-only triggers."""
    conn.execute(sql.ANNOUNCE_MIGRATION)


def advance_clock(conn: psycopg.Connection, interval: str) -> None:
    conn.execute("update coord.clock set offset_by = offset_by + %s::interval", (interval,))


@pytest.fixture
def agent_factory(db: psycopg.Connection):
    """make(name=None, **kw) -> (Principal, Client) in the test's rolled-back transaction."""

    def make(name: str | None = None, **kwargs: object) -> tuple[Principal, Client]:
        principal = make_principal(db, name, **kwargs)  # type: ignore[arg-type]
        return principal, Client(connection=db, token=principal.token)

    return make


# --- concurrency helpers: threads and waiting on pg_stat_activity, never on sleeps -------------

def in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    """Run fn on a thread; out["result"] or out["error"] holds what it returned or raised."""
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["result"] = fn()
        except Exception as exc:  # the test's assertions report it
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def wait_for_backend(database: Database, pid: int, condition: str, timeout: float = 60) -> None:
    """Block until pg_stat_activity shows backend pid in the state the SQL predicate describes,
    e.g. "wait_event_type = 'Lock'" or "wait_event = 'PgSleep'"."""
    wait_on_backend(database.connect, pid, condition, timeout)


def wait_for_backends(database: Database, condition: str, count: int, timeout: float = 60) -> None:
    """Block until pg_stat_activity shows count backends of the database in the state the SQL
    predicate describes, e.g. "wait_event = 'advisory'" (for backends whose pids the test does
    not know: other threads' or processes' connections). The waiter's own backend, which runs
    the predicate's text, is left out."""
    predicate = (f"(select count(*) filter (where {condition}) from pg_catalog.pg_stat_activity "
                 "where datname = pg_catalog.current_database() "
                 f"and pid <> pg_catalog.pg_backend_pid()) = {int(count)}")
    wait_on_activity(database.connect, predicate, f"never saw {count} backends with: {condition}", timeout)


def poll_until(check: Callable[[], T | None], what: str, processes: Sequence[subprocess.Popen[str]] = (),
               timeout: float = 60) -> T:
    """Re-read state that announces nothing when it changes (the kernel's lock table in
    /proc/locks: no event says a process started waiting for a flock; the cluster's snapshot
    horizon: nothing says when another transaction ends) until check() returns a true value,
    which is returned. Only for such state: what the database or a process can tell, wait for
    with wait_for_backend or the event itself. Between reads this
    waits on the exits of processes (pidfd), so one that ends early fails the wait at once,
    for a pause that doubles from 1 ms to 50 ms: a bounded re-read, not a fixed sleep."""
    pidfds = [os.pidfd_open(p.pid) for p in processes]
    deadline = time.monotonic() + timeout
    pause = 0.001
    try:
        while True:
            found = check()
            if found:
                return found
            ended = [p for p in processes if p.poll() is not None]
            if ended:
                raise AssertionError(f"never saw {what}: process {ended[0].args!r} exited with {ended[0].returncode}")
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {what} within {timeout} s")
            select.select(pidfds, [], [], pause)
            pause = min(pause * 2, 0.05)
    finally:
        for fd in pidfds:
            os.close(fd)

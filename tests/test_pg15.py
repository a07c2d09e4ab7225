"""Debian's PostgreSQL 15 (any PostgreSQL >= 15 works): migrations, the SQL-level specs and
the client path, on a cluster of its own."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

from coordinator import errors
from coordinator.client import Client
from coordinator.migrate import migrate
from coordinator.server import AUTHENTICATOR, EmbeddedServer, free_port
from tests.conftest import FAST_OPTIONS, make_principal
from tests.test_pgtap import install_helpers, run_pg_prove

PG15_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture(scope="module")
def pg15() -> Iterator[tuple[EmbeddedServer, str, str]]:
    assert (PG15_BIN / "postgres").exists(), "Debian's postgresql-15 is expected on this kind of machine"
    parent = Path(tempfile.mkdtemp(prefix="coord-pg15-"))
    parent.chmod(0o711)
    server = EmbeddedServer(parent / "data", extra_options=FAST_OPTIONS, bin_dir=PG15_BIN)
    state = server.ensure_state(free_port())
    server.init(fast=True)
    server.start(state.port)
    try:
        with psycopg.connect(server.admin_dsn(state, "postgres"), autocommit=True) as conn:
            conn.execute("create database coord")
        admin_dsn = server.admin_dsn(state)
        report = migrate(admin_dsn)
        assert report.server_version.startswith("15")
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(pgsql.SQL("alter role {} password {}").format(
                pgsql.Identifier(AUTHENTICATOR), pgsql.Literal(state.authenticator_password)))
            conn.execute("create schema tap")
            conn.execute("create extension pgtap schema tap")
            conn.execute("grant usage on schema tap to public")
        install_helpers(server.bin_dir / "psql", admin_dsn)
        yield server, admin_dsn, server.client_dsn(state)
    finally:
        server.stop()
        shutil.rmtree(parent, ignore_errors=True)


def test_pgtap_with_pg_prove_on_pg15(pg15) -> None:
    """Every spec, run the way docs/operations.md tells a DBA to: pg_prove and the system psql."""
    _, admin_dsn, _ = pg15
    run_pg_prove(admin_dsn)


def test_client_and_forgery_on_pg15(pg15) -> None:
    _, admin_dsn, client_dsn = pg15
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        alice, bob = make_principal(conn, "alice15"), make_principal(conn, "bob15")
    with Client(client_dsn, alice.token) as a, Client(client_dsn, bob.token) as b:
        granted = a.acquire_lock("src/")
        assert granted.code == "granted"
        assert b.acquire_lock("src/x.py").code == "busy"
        assert a.release_lock("src/", granted.fence).code == "released"
    with psycopg.connect(client_dsn, autocommit=True) as conn, pytest.raises(psycopg.Error) as caught, \
            conn.transaction():
        conn.execute("select set_config('role', 'coord_agent', true), set_config('request.jwt.claims', %s, true)",
                     (json.dumps({"role": "coord_agent", "sub": str(alice.principal_id)}),))
        conn.execute("select api.acquire_lock('stolen.py')")
    assert errors.from_psycopg(caught.value).code == "PT401"


def test_memory_without_pgvector_on_pg15(pg15) -> None:
    """Debian's PostgreSQL 15 here has no pgvector: the install has no embedding column, remember
    says an embedding was not stored, recall ranks by text and says the embedding was not used."""
    _, admin_dsn, client_dsn = pg15
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        assert conn.execute("select count(*) from pg_available_extensions where name = 'vector'").fetchone() == (0,)
        assert conn.execute("select coord.vectors_available()").fetchone() == (False,)
        agent = make_principal(conn, "memory15")
    with Client(client_dsn, agent.token) as client:
        stored = client.remember("semantic", "the release script lives in bin/release.sh", embedding=[0.5] * 384)
        assert stored.code == "remembered" and stored.details["embedding_stored"] is False
        hybrid = client.recall("release.sh", embedding=[0.5] * 384)
        assert [r.content for r in hybrid] == ["the release script lives in bin/release.sh"]
        assert hybrid[0].ranking == "text" and hybrid[0].vector_similarity is None
        assert "pgvector is not installed" in (hybrid[0].note or "")
        text = client.recall("release script")
        assert text[0].ranking == "text" and text[0].note is None and text[0].trigram > 0


def test_reapply_is_idempotent_on_pg15(pg15) -> None:
    _, admin_dsn, _ = pg15
    assert migrate(admin_dsn).applied == []


def test_up_bootstraps_an_external_server(pg15) -> None:
    from coordinator import admin

    _, admin_dsn, client_dsn = pg15
    report = admin.up(admin_dsn=admin_dsn, tenant="external")
    assert report.dsn is None and report.data_dir is None and report.operator_token
    assert any("coord_authenticator" in note for note in report.notes)
    with Client(client_dsn, report.operator_token) as operator:
        assert [p.name for p in operator.list_principals()] == ["operator"]
        grant = operator.create_agent("ext-agent")
    with Client(client_dsn, grant.token) as agent:
        assert agent.acquire_lock("ext.py").code == "granted"
    assert admin.up(admin_dsn=admin_dsn, tenant="external").operator_token is None


def test_bound_logins_on_pg15(pg15) -> None:
    from coordinator import admin

    server, admin_dsn, _ = pg15
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        own, other = make_principal(conn, "own15", tenant="t15"), make_principal(conn, "other15", tenant="u15")
    endpoint = {"host": "127.0.0.1", "port": server.state().port}
    login = admin.add_login(admin_dsn, "box15", tenant="t15", endpoint=endpoint)
    try:
        with Client(login.dsn, own.token) as client:
            assert client.acquire_lock("pg15.py").code == "granted"
        with Client(login.dsn, other.token) as client, pytest.raises(errors.Unauthenticated):
            client.my_locks()
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            assert conn.execute("select count(*) from coord.login_drift_found()").fetchone() == (0,)
    finally:
        admin.remove_login(admin_dsn, "box15", tenant="t15")

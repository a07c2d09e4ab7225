"""api.authenticate reads an opaque token in one statement: the token's row from
coord.token_principals (whose refusal column is the one place saying whether a token may
authenticate now), beside the login's tenant and the vouch key. Only a usable token through a
bound login or the gateway passes there; everything else takes the general path (the login
check, then coord.token_caller), which raises. These tests hold the two paths to one answer:
the same SQLSTATE, message, detail and hint for every kind of refusal, through the gateway, a
bound login and a superuser session alike, and a revoked token's use recorded once per attempt."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import psycopg
import pytest

from coordinator.client import Client
from tests.conftest import Database, advance_clock, make_principal
from tests.test_logins import bind, logins  # noqa: F401  (the fixture)

REFUSALS = ["unknown", "revoked", "expired", "principal_disabled", "tenant_disabled"]


def _diag(dsn: str, token: str) -> tuple[str | None, ...]:
    with psycopg.connect(dsn, autocommit=True) as conn, pytest.raises(psycopg.Error) as caught:
        conn.execute("select api.begin_request('my_locks', %s)", (json.dumps({"x-coord-token": token}),))
    d = caught.value.diag
    return caught.value.sqlstate, d.message_primary, d.message_detail, d.message_hint


def _refused_token(conn: psycopg.Connection, refusal: str, tenant: str) -> tuple[str, str]:
    """A token of ``tenant`` that may not authenticate, for the reason named; and its principal."""
    agent = make_principal(conn, tenant=tenant, expires_in="1 hour" if refusal == "expired" else None)
    if refusal == "unknown":
        return agent.token + "x", str(agent.principal_id)
    if refusal == "revoked":
        conn.execute("update coord.tokens set revoked_at = now() where id = %s", (agent.token_id,))
    elif refusal == "expired":
        advance_clock(conn, "61 minutes")
    elif refusal == "principal_disabled":
        conn.execute("update coord.principals set disabled_at = now() where id = %s", (agent.principal_id,))
    else:
        conn.execute("update coord.tenants set disabled_at = now() where id = %s", (agent.tenant_id,))
    return agent.token, str(agent.principal_id)


@pytest.fixture
def paths(committed_db: Database, logins: list[str]) -> Iterator[dict[str, str]]:  # noqa: F811
    with committed_db.connect() as conn:
        make_principal(conn, tenant="tf")  # the tenant the bound login is for
    login = bind(committed_db, logins, "tf-host", "tf")
    yield {"gateway": committed_db.client_dsn, "bound login": login.dsn, "superuser": committed_db.admin_dsn}


@pytest.mark.parametrize("refusal", REFUSALS)
def test_a_refused_token_gets_one_answer_on_every_path(committed_db: Database, paths: dict[str, str],
                                                         refusal: str) -> None:
    with committed_db.connect() as conn:
        token, _ = _refused_token(conn, refusal, "tf")
        with pytest.raises(psycopg.Error) as direct, conn.transaction():
            conn.execute("select coord.token_caller(%s)", (hashlib.sha256(token.encode()).digest(),))
    d = direct.value.diag
    want = (direct.value.sqlstate, d.message_primary, d.message_detail, d.message_hint)
    assert want[0] == "PT401" and (refusal.split("_")[0] in (want[2] or "")), want
    assert {name: _diag(dsn, token) for name, dsn in paths.items()} == {name: want for name in paths}


def test_each_use_of_a_revoked_token_is_recorded_once_on_every_path(committed_db: Database,
                                                                    paths: dict[str, str]) -> None:
    with committed_db.connect() as conn:
        token, principal_id = _refused_token(conn, "revoked", "tf")
    for dsn in paths.values():
        _diag(dsn, token)
    with committed_db.connect() as conn:
        assert conn.execute("select count(*) from audit.events where action = 'auth.revoked_token' "
                            "and actor_id = %s", (principal_id,)).fetchone() == (len(paths),)


def test_a_usable_token_passes_on_every_path_and_reads_the_key_once(committed_db: Database,
                                                                     paths: dict[str, str]) -> None:
    """The common path reads the token, the login and the key in one statement: the call's reads
    of coord.secrets are the one in that statement and the one verification of the first check."""
    with committed_db.connect() as conn:
        agent = make_principal(conn, tenant="tf")
    for name, dsn in paths.items():
        with Client(dsn, agent.token) as client:
            info = client.authenticate()
            assert info is not None and info.principal_id == agent.principal_id, name
            assert client.acquire_lock(f"src/{name}.py").code == "granted", name
    with psycopg.connect(paths["gateway"], autocommit=False) as conn:
        conn.execute("select api.begin_request('my_locks', %s)", (json.dumps({"x-coord-token": agent.token}),))
        reads = conn.execute("select coalesce(sum(idx_scan), 0) + coalesce(sum(seq_scan), 0) from "
                             "pg_stat_xact_user_tables where schemaname = 'coord' and relname = 'secrets'").fetchone()
        conn.rollback()
    assert reads == (1,)


def test_a_bound_login_with_another_tenants_usable_token_is_refused(committed_db: Database,
                                                                     paths: dict[str, str]) -> None:
    with committed_db.connect() as conn:
        other = make_principal(conn, tenant="tf-other")
    state, _, detail, hint = _diag(paths["bound login"], other.token)
    assert (state, "bound to another tenant" in (detail or "")) == ("PT401", True), detail
    assert hint and "tenant this login was issued for" in hint

"""Identity: tokens, revocation, expiry, roles, and forgery attempts with the client's own
credentials (the authenticator login) but no valid token."""

from __future__ import annotations

import hashlib
import json

import psycopg
import pytest

from coordinator import errors
from coordinator.client import Client
from tests.conftest import Database, advance_clock, make_principal

IDENTITY_ARGUMENTS = {"p_agent", "p_agent_id", "p_tenant", "p_tenant_id", "p_trust", "p_trust_level", "p_role",
                      "p_principal", "p_principal_id", "p_user", "p_user_id", "p_holder", "p_holder_id", "p_owner"}


def test_authenticate_returns_the_principal_of_the_token(agent_factory) -> None:
    principal, client = agent_factory("alice")
    info = client.authenticate()
    assert info is not None
    assert (info.principal_id, info.name, info.role, info.kind, info.tenant_name, info.scopes) == \
           (principal.principal_id, "alice", "agent", "agent", "t1", ["*"])


def test_anonymous_is_not_an_identity(db: psycopg.Connection) -> None:
    assert Client(connection=db).authenticate() is None
    with pytest.raises(errors.PermissionDenied):
        Client(connection=db).my_locks()


def test_tokens_are_stored_as_sha256_only(agent_factory, db: psycopg.Connection) -> None:
    principal, _ = agent_factory()
    stored = db.execute("select token_hash, prefix, t::text from coord.tokens t where id = %s",
                        (principal.token_id,)).fetchone()
    assert stored[0] == hashlib.sha256(principal.token.encode()).digest()
    assert principal.token not in stored[2]
    assert principal.token.startswith(stored[1]) and len(stored[1]) < 20


def test_revocation_takes_effect_on_the_next_call(agent_factory) -> None:
    principal, alice = agent_factory()
    _, operator = agent_factory(role="operator")
    assert alice.acquire_lock("r.py").ok
    assert operator.revoke_token(principal.token_id).code == "revoked"
    assert operator.revoke_token(principal.token_id).code == "already_revoked"
    with pytest.raises(errors.Unauthenticated) as caught:
        alice.my_locks()
    assert "revoked" in (caught.value.detail or "")


def test_expired_tokens_are_refused(agent_factory, db: psycopg.Connection) -> None:
    _, alice = agent_factory(expires_in="1 hour")
    assert alice.authenticate() is not None
    advance_clock(db, "61 minutes")
    with pytest.raises(errors.Unauthenticated) as caught:
        alice.authenticate()
    assert "expired" in (caught.value.detail or "")


@pytest.mark.parametrize("disable", ["principal", "tenant"])
def test_disabled_principals_and_tenants_are_refused(agent_factory, db: psycopg.Connection, disable: str) -> None:
    principal, alice = agent_factory(tenant="t-disabled")
    if disable == "principal":
        db.execute("update coord.principals set disabled_at = now() where id = %s", (principal.principal_id,))
    else:
        db.execute("update coord.tenants set disabled_at = now() where id = %s", (principal.tenant_id,))
    with pytest.raises(errors.Unauthenticated) as caught:
        alice.acquire_lock("x.py")
    assert "disabled" in (caught.value.detail or "")


def test_roles_limit_which_functions_run(agent_factory) -> None:
    _, agent = agent_factory()
    _, auditor = agent_factory(role="auditor")
    with pytest.raises(errors.PermissionDenied):
        agent.create_agent("sneaky")
    with pytest.raises(errors.PermissionDenied):
        agent.query_audit()
    with pytest.raises(errors.PermissionDenied):
        auditor.acquire_lock("x.py")
    assert isinstance(auditor.query_audit(limit=5), list)


def test_operator_creates_an_agent_whose_token_works(agent_factory, db: psycopg.Connection) -> None:
    _, operator = agent_factory(role="operator", tenant="ops")
    grant = operator.create_agent("worker-1", scopes=["locks:*"], expires_in="1 day")
    assert (grant.ok, grant.tenant_name, grant.role, grant.scopes) == (True, "ops", "agent", ["locks:*"])
    worker = Client(connection=db, token=grant.token)
    assert worker.acquire_lock("w.py").code == "granted"
    assert [p.name for p in operator.list_principals() if p.role == "agent"] == ["worker-1"]
    assert any(t.token_id == grant.token_id for t in operator.list_tokens())


def test_no_api_function_takes_identity_from_its_arguments(db: psycopg.Connection) -> None:
    rows = db.execute("select p.proname, a from pg_proc p join pg_namespace n on n.oid = p.pronamespace, "
                      "unnest(coalesce(p.proargnames, '{}')) a where n.nspname = 'api'").fetchall()
    offenders = [(fn, arg) for fn, arg in rows if arg in IDENTITY_ARGUMENTS]
    assert sorted(offenders) == sorted(ABOUT_OTHERS)


# Arguments that name someone else's settings, never the caller's: the caller still comes from
# the token, and tests/test_profiles.py shows neither raises the caller's own trust.
ABOUT_OTHERS = [
    ("assign_profile", "p_agent"),        # the agent whose profile changes; never the caller itself
    ("create_profile", "p_trust_level"),  # the new profile's trust; capped at the caller's own
    ("list_leases", "p_agent"),           # whose leases an operator or auditor lists: a filter of a read
]


# --- forgery with the client's own credentials -------------------------------------------------

def _authenticator(database: Database) -> psycopg.Connection:
    return psycopg.connect(database.client_dsn, autocommit=True)


def test_forged_claims_with_the_authenticator_login_fail(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        victim = make_principal(admin, "victim")
        make_principal(admin, "operator-1", role="operator")
    claims = json.dumps({"role": "coord_operator", "sub": str(victim.principal_id), "tenant": str(victim.tenant_id),
                         "principal_role": "operator", "kind": "user", "name": "victim", "scopes": ["*"]})
    attempts = [
        # exactly what PostgREST would set after verifying a JWT, but without any token
        ("select set_config('role', 'coord_operator', true), set_config('request.jwt.claims', %s, true)", (claims,)),
        ("select set_config('role', 'coord_agent', true), set_config('request.jwt.claims', %s, true), "
         "set_config('coord.vouch', repeat('0', 64), true)", (claims.replace("coord_operator", "coord_agent"),)),
        ("select set_config('role', 'coord_agent', true), set_config('request.jwt.claims', %s, true), "
         "set_config('request.headers', '{\"x-coord-token\": \"coord_forged\"}', true)",
         (claims.replace("coord_operator", "coord_agent"),)),
    ]
    for statement, params in attempts:
        with _authenticator(committed_db) as conn, conn.transaction():
            conn.execute(statement, params)
            for call in ("select * from api.my_locks()", "select * from api.acquire_lock('stolen.py')",
                         "select * from api.query_audit()"):
                with pytest.raises(psycopg.Error) as caught, conn.transaction():
                    conn.execute(call)
                assert caught.value.sqlstate in ("PT401", "42501"), call
    with committed_db.connect() as admin:
        assert admin.execute("select count(*) from coord.locks").fetchone() == (0,)


def test_a_vouch_cannot_be_replayed_in_another_transaction(committed_db: Database) -> None:
    with committed_db.connect() as admin:
        alice = make_principal(admin, "alice")
    with _authenticator(committed_db) as conn:
        with conn.transaction():
            conn.execute("select api.login(%s)", (alice.token,))
            claims, vouch = conn.execute("select current_setting('request.jwt.claims'), "
                                         "current_setting('coord.vouch')").fetchone()
            assert conn.execute("select code from api.acquire_lock('mine.py')").fetchone() == ("granted",)
        with pytest.raises(psycopg.Error) as caught, conn.transaction():
            conn.execute("select set_config('role', 'coord_agent', true), set_config('request.jwt.claims', %s, true), "
                         "set_config('coord.vouch', %s, true)", (claims, vouch))
            conn.execute("select * from api.my_locks()")
        assert caught.value.sqlstate == "PT401"


def test_authenticator_cannot_touch_private_schemas(committed_db: Database) -> None:
    with _authenticator(committed_db) as conn:
        for role in ("coord_anon", "coord_agent", "coord_operator", "coord_auditor", "coord_authenticator"):
            for statement in ("select * from coord.tokens", "select * from coord.secrets",
                              "select coord.vouch_mac('x')", "insert into audit.events default values",
                              "select * from audit.events", "select authz.decide('lock.acquire')"):
                with pytest.raises(psycopg.Error) as caught, conn.transaction():
                    conn.execute(f"set local role {role}")
                    conn.execute(statement)
                assert caught.value.sqlstate == "42501", (role, statement)


def test_temporary_types_cannot_hijack_definer_functions(agent_factory, db: psycopg.Connection) -> None:
    """With search_path = '' PostgreSQL would resolve jsonb, text, uuid... in pg_temp first; a
    temp domain's CHECK would then run as the function's owner. pg_temp is searched last."""
    principal, _ = agent_factory()
    database = db.execute("select current_database()").fetchone()[0]
    db.execute(f'grant temporary on database "{database}" to coord_authenticator')  # rolled back with the test
    db.execute("set local role coord_authenticator")
    db.execute("create function pg_temp.hijack(v anyelement) returns boolean language plpgsql as "
               "$$ begin raise exception 'hijacked by %', current_user; end $$")
    for type_name in ("jsonb", "text", "uuid", "bytea", "timestamptz", "interval", "int8", "bool"):
        db.execute(f"create domain pg_temp.{type_name} as pg_catalog.{type_name} check (pg_temp.hijack(value))")
    db.execute("select set_config('request.headers', %s, true)", (json.dumps({"x-coord-token": principal.token}),))
    assert db.execute("select (api.pre_request()).name").fetchone() == (principal.name,)
    assert db.execute("select code from api.acquire_lock('hijack.py')").fetchone() == ("granted",)
    assert db.execute("select count(*) from api.my_locks()").fetchone() == (1,)


def test_clients_cannot_create_temporary_objects(empty_db) -> None:
    from coordinator.migrate import migrate

    migrate(empty_db.admin_dsn)
    with empty_db.connect() as conn:
        for role in ("coord_authenticator", "coord_anon", "coord_agent", "coord_operator", "coord_auditor"):
            assert conn.execute("select has_database_privilege(%s, current_database(), 'TEMPORARY')",
                                (role,)).fetchone() == (False,), role
        for schema in ("api", "coord", "authz", "audit"):
            assert conn.execute("select has_schema_privilege('coord_auth', %s, 'CREATE')",
                                (schema,)).fetchone() == (False,), schema


@pytest.mark.parametrize("replica", [False, True])
def test_a_principal_never_moves_to_another_tenant(db: psycopg.Connection, agent_factory, replica: bool) -> None:
    # A principal moved by hand while it held claims kept its old tenant's claims out of its new
    # count (its limits count what it holds in its own tenant): one claim per tenant against its
    # limit. Nothing moves a principal (no api, migration or test does), so the move is refused,
    # with the foreign keys switched off too (session_replication_role = replica).
    mover, client = agent_factory("mover", tenant="move-from")
    other = make_principal(db, "there", tenant="move-to")
    client.submit_task("k")
    assert client.claim_task(["k"], lease="1 hour").code == "claimed"
    with pytest.raises(psycopg.Error) as refused, db.transaction():
        if replica:
            db.execute("set local session_replication_role = replica")
        db.execute("update coord.principals set tenant_id = %s where id = %s", (other.tenant_id, mover.principal_id))
    assert refused.value.sqlstate == "CO305"
    assert "new principal" in (refused.value.diag.message_hint or "")

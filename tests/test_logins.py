"""Credential tiers: the gateway login is infrastructure's, every other DSN is a login bound to one
tenant. PostgreSQL lets every role change its own defaults and password, so with one shared
client DSN any holder of it, with no token, could make every tenant's new
connections fail (`alter role coord_authenticator set statement_timeout = '1ms'`), remove the
bound on open transactions (`... set idle_in_transaction_session_timeout = 0`) or lock every
other client out (`alter role coord_authenticator password 'x'`), and share large objects across
tenants. These tests replay each attack from a bound login (it hurts only its holder), show
that bound logins only reach their own tenant, and that the database notices drift of the
gateway's and the request roles' settings (audited, critical alert) and the admin path repairs
it. The same attacks through the gateway itself, and `coord up` repairing them, are replayed
end to end in tests/test_cli.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from coordinator import admin, errors, sql
from coordinator.client import Client
from coordinator.migrate import migrate
from tests.conftest import Database, Principal, in_thread, make_principal, wait_for_backends
from tests.test_migrations import _partial_root

# Waits for the login table, which lock_held() keeps locked until the test has seen the wait:
# a statement that outlives the 1 ms statement_timeout the attacks set, for as long as the test
# decides, not for a chosen time. Any token reaches the lookup (a wrong one fails after it).
BLOCKED_STATEMENT = "select (api.login(%s)).principal_id is not null, current_setting('statement_timeout')"


@pytest.fixture
def logins(committed_db: Database) -> Iterator[list[str]]:
    """Role names of the logins a test creates; dropped afterwards (roles are cluster-wide)."""
    made: list[str] = []
    yield made
    with committed_db.connect() as admin_conn:
        for role in made:
            admin_conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = %s", (role,))
            if admin_conn.execute("select from pg_roles where rolname = %s", (role,)).fetchone() is not None:
                admin_conn.execute(f'drop owned by "{role}"')  # test-owned name, coord_login_<hex>
                admin_conn.execute(f'drop role "{role}"')


def bind(database: Database, made: list[str], name: str, tenant: str, **kwargs: object) -> admin.LoginGrant:
    grant = admin.add_login(database.admin_dsn, name, tenant=tenant, endpoint={
        "host": "127.0.0.1", "port": database.cluster.state.port, "dbname": database.name}, **kwargs)  # type: ignore[arg-type]
    made.append(grant.role_name)
    return grant


def dsn_as(database: Database, role: str, password: str) -> str:
    return f"postgresql://{role}:{password}@127.0.0.1:{database.cluster.state.port}/{database.name}"


def two_tenants(database: Database) -> tuple[Principal, Principal, Principal]:
    with database.connect() as conn:
        return (make_principal(conn, "alice", tenant="ta"), make_principal(conn, "bob", tenant="tb"),
                make_principal(conn, "olga", tenant="ta", role="operator"))


@contextmanager
def lock_held(database: Database) -> Iterator[None]:
    """Hold coord.logins, which every authentication reads, until the block ends."""
    with database.connect(autocommit=False) as holder:
        holder.execute("lock table coord.logins in access exclusive mode")
        yield
        holder.rollback()


def outlives_the_lock(database: Database, dsn: str, token: str) -> tuple[bool, str]:
    """Run BLOCKED_STATEMENT on a fresh connection of dsn; once it is seen waiting for the lock
    (so no timeout has cancelled it), let it go. Its row: logged in, its statement_timeout."""
    def run() -> tuple[bool, str]:
        with psycopg.connect(dsn, autocommit=True) as conn:
            return conn.execute(BLOCKED_STATEMENT, (token,)).fetchone()  # type: ignore[return-value]

    with lock_held(database):
        thread, out = in_thread(run)
        wait_for_backends(database, "wait_event_type = 'Lock' and position('api.login' in query) > 0", 1)
    thread.join(60)
    assert "error" not in out, out["error"]
    return out["result"]  # type: ignore[return-value]


def refused(dsn: str, statement: str, *params: object) -> str | None:
    """The SQLSTATE a fresh connection of dsn gets for statement (None: it worked)."""
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(statement, params or None)
    except psycopg.Error as exc:
        return exc.sqlstate or "connect"
    return None


def test_a_fresh_install_carries_the_declared_login_settings(db: psycopg.Connection) -> None:
    """bootstrap.sql creates the gateway with the policy's defaults: nothing to repair or alert."""
    assert db.execute(sql.LOGIN_DRIFT, ([],)).fetchall() == []
    assert db.execute("select settings from coord.login_policy").fetchone() == (
        ["idle_in_transaction_session_timeout=5min"],)


def test_an_upgrade_adopts_the_gateway_defaults_it_finds(empty_db: Database, tmp_path: Path) -> None:
    """Operators followed operations.md and put their own bounds on the gateway: the upgrade
    declares what it finds, so it neither alerts nor takes their bounds away."""
    migrate(empty_db.admin_dsn, root=_partial_root(tmp_path, 11), reapply=False)
    with empty_db.connect() as conn:
        conn.execute("alter role coord_authenticator set statement_timeout = '5min'")
        try:
            migrate(empty_db.admin_dsn)
            assert conn.execute("select settings from coord.login_policy").fetchone() == (
                ["idle_in_transaction_session_timeout=5min", "statement_timeout=5min"],)
            assert conn.execute(sql.LOGIN_DRIFT, ([],)).fetchall() == []
        finally:
            conn.execute("alter role coord_authenticator reset statement_timeout")


def test_a_bound_login_reaches_its_own_tenant_only(committed_db: Database, logins: list[str]) -> None:
    alice, bob, _ = two_tenants(committed_db)
    login = bind(committed_db, logins, "ta-host", "ta")
    with Client(login.dsn, alice.token) as own:
        assert own.acquire_lock("src/a.py").code == "granted"
    with Client(login.dsn, bob.token) as foreign, pytest.raises(errors.Unauthenticated) as caught:
        foreign.acquire_lock("src/b.py")
    assert "bound to another tenant" in (caught.value.detail or "")
    with psycopg.connect(login.dsn, autocommit=True) as psql, pytest.raises(psycopg.Error) as caught_psql, \
            psql.transaction():
        psql.execute("select api.login(%s)", (bob.token,))  # the psql path, same rule
    assert caught_psql.value.sqlstate == "PT401"
    with Client(committed_db.client_dsn, bob.token) as gateway:  # the gateway serves every tenant
        assert gateway.acquire_lock("src/b.py").code == "granted"
    with committed_db.connect() as conn:  # the refused call was not one: nothing of bob's moved
        assert conn.execute("select count(*) from coord.locks where holder_id = %s",
                            (bob.principal_id,)).fetchone() == (1,)
        assert conn.execute("select request ->> 'db_user' from audit.events where action = 'lock.acquire' "
                            "and actor_id = %s", (alice.principal_id,)).fetchone() == (login.role_name,)


def test_a_bound_login_may_call_what_the_gateway_may(committed_db: Database, logins: list[str]) -> None:
    two_tenants(committed_db)
    login = bind(committed_db, logins, "ta-host", "ta")
    with committed_db.connect() as conn:
        rows = conn.execute("""select p.oid::regprocedure::text, has_function_privilege('coord_authenticator', p.oid,
                                      'execute'), has_function_privilege(%s, p.oid, 'execute')
                               from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                               where n.nspname = any('{api,coord,authz,audit,pg_catalog}')""",
                            (login.role_name,)).fetchall()
        assert [r for r in rows if r[1] != r[2]] == []
        assert sorted(r[0] for r in rows if r[2] and r[0].startswith("api.")) == [
            "api.authenticate()", "api.begin_request(text,text,boolean)", "api.login(text)", "api.pre_request()"]
        assert conn.execute("select has_schema_privilege(%s, 'api', 'usage'), rolinherit, rolconnlimit, rolcreaterole "
                            "from pg_roles where rolname = %s", (login.role_name, login.role_name)).fetchone() == \
            (True, False, 20, False)


def test_a_bound_login_sees_no_more_of_another_logins_sessions_than_pid_and_role(
        committed_db: Database, logins: list[str]) -> None:
    two_tenants(committed_db)
    victim_login = bind(committed_db, logins, "ta-host", "ta")
    watcher_login = bind(committed_db, logins, "tb-host", "tb")
    with psycopg.connect(victim_login.dsn, autocommit=True) as victim, \
            psycopg.connect(watcher_login.dsn, autocommit=True) as watcher:
        victim.execute("begin")
        victim.execute("select 'in a transaction'")
        row = watcher.execute("""select pg_stat_get_backend_userid(s)::regrole::text, pg_stat_get_backend_xact_start(s),
                                        pg_stat_get_backend_activity_start(s), pg_stat_get_backend_client_addr(s),
                                        coalesce(pg_stat_get_backend_wait_event(s), '<insufficient privilege>')
                                 from pg_stat_get_backend_idset() s where pg_stat_get_backend_pid(s) = %s""",
                              (victim.info.backend_pid,)).fetchone()
        assert row == (victim_login.role_name, None, None, None, "<insufficient privilege>")
        victim.execute("rollback")


def test_roles_that_are_not_client_logins_act_for_nobody(committed_db: Database) -> None:
    """A role someone made a member of the request roles (or a bound login of another
    coordinator database on the cluster) is refused every token."""
    alice, _, _ = two_tenants(committed_db)
    with committed_db.connect() as conn:
        conn.execute("create role coord_test_stray login password 'stray' in role coord_anon, coord_agent")
    try:
        stray_dsn = dsn_as(committed_db, "coord_test_stray", "stray")
        with Client(stray_dsn, alice.token) as stray, pytest.raises(errors.Unauthenticated) as caught:
            stray.my_locks()
        assert "not a client login of this database" in (caught.value.detail or "")
    finally:
        with committed_db.connect() as conn:
            conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = 'coord_test_stray'")
            conn.execute("drop role coord_test_stray")


def test_a_holder_that_changes_its_own_login_hurts_only_itself(committed_db: Database, logins: list[str]) -> None:
    """The three changes a holder can make to its own login (module docstring), made by the
    holder of a bound login: each reaches that login only, not the gateway or another tenant's."""
    alice, _, _ = two_tenants(committed_db)
    mallory = bind(committed_db, logins, "mallory", "tb")
    other = bind(committed_db, logins, "ta-host", "ta")
    with psycopg.connect(mallory.dsn, autocommit=True) as conn:
        conn.execute("alter role current_user set statement_timeout = '1ms'")
        conn.execute("alter role current_user set idle_in_transaction_session_timeout = 0")
        for target in ("coord_authenticator", other.role_name):  # another login's defaults or password
            for statement in (f"alter role {target} set statement_timeout = '1ms'", f"alter role {target} "
                              f"in database {committed_db.name} set statement_timeout = '1ms'",
                              f"alter role {target} password 'x'", f"alter role {target} connection limit 1"):
                with pytest.raises(psycopg.Error) as caught:
                    conn.execute(statement)
                assert caught.value.sqlstate == "42501", statement
        with pytest.raises(psycopg.Error) as caught:  # nor raise its own connection limit
            conn.execute("alter role current_user connection limit 1000")
        assert caught.value.sqlstate == "42501"
    with lock_held(committed_db):  # its own new connections: cancelled while they wait
        bounded = make_conninfo(mallory.dsn, options="-c lock_timeout=60s")  # without the attack: 55P03, no hang
        assert refused(bounded, BLOCKED_STATEMENT, alice.token) == "57014"
    # Everybody else's: untouched, they wait as long as the lock is held.
    assert outlives_the_lock(committed_db, other.dsn, alice.token) == (True, "0")
    assert outlives_the_lock(committed_db, committed_db.client_dsn, alice.token) == (True, "0")
    with Client(other.dsn, alice.token) as client:
        assert client.acquire_lock("src/a.py").code == "granted"

    with psycopg.connect(mallory.dsn, autocommit=True) as conn:
        conn.execute("set statement_timeout = 0")  # its own default is only a default
        conn.execute("alter role current_user password 'x'")
    assert refused(mallory.dsn, "select 1") == "connect"  # locked itself out
    assert refused(other.dsn, "select 1") is None and refused(committed_db.client_dsn, "select 1") is None


def test_request_role_defaults_apply_to_no_client(committed_db: Database, logins: list[str]) -> None:
    """ALTER ROLE only needs to be the current user, so after SET ROLE a client can change the
    request roles' defaults (and password). PostgreSQL applies role defaults only at login of
    the session user, and the request roles cannot log in: nobody's request sees them. (PostgREST
    with db-config = true would apply them to every request: docs/postgrest.md sets it false.)
    The database reports them as drift; the admin path resets them."""
    alice, _, _ = two_tenants(committed_db)
    mallory = bind(committed_db, logins, "mallory", "tb")
    with psycopg.connect(mallory.dsn, autocommit=True) as conn:
        for role in ("coord_anon", "coord_agent"):
            conn.execute(f"set role {role}")
            conn.execute(f"alter role {role} set statement_timeout = '1ms'")
            conn.execute(f"alter role {role} set default_transaction_isolation = 'serializable'")
            conn.execute(f"alter role {role} password 'known'")
            conn.execute("reset role")
    try:
        for dsn in (committed_db.client_dsn, mallory.dsn):
            with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
                conn.execute("select set_config('role', 'coord_agent', true)")
                assert conn.execute("select current_setting('statement_timeout'), "
                                    "current_setting('default_transaction_isolation')").fetchone() == \
                    ("0", "read committed")
        with Client(committed_db.client_dsn, alice.token) as client:
            assert client.acquire_lock("src/a.py").code == "granted"
        # NOLOGIN: the password opens nothing
        assert refused(dsn_as(committed_db, "coord_agent", "known"), "select 1") == "connect"
        with committed_db.connect() as conn:
            drift = {r[0]: (r[1], r[4]) for r in conn.execute(sql.LOGIN_DRIFT, ([],)).fetchall()}
            assert drift == {
                "coord_agent": ("request", ["default_transaction_isolation=serializable", "statement_timeout=1ms"]),
                "coord_anon": ("request", ["default_transaction_isolation=serializable", "statement_timeout=1ms"])}
    finally:
        with committed_db.connect() as conn:
            repaired = {r[0] for r in conn.execute(sql.REPAIR_LOGINS, ([],)).fetchall()}
            conn.execute("alter role coord_anon password null")
            conn.execute("alter role coord_agent password null")
            assert conn.execute(sql.LOGIN_DRIFT, ([],)).fetchall() == []
    assert repaired == {"coord_anon", "coord_agent"}


def test_drift_is_audited_once_and_raises_a_critical_alert(committed_db: Database, logins: list[str]) -> None:
    """Drift of a tenant's bound login is reported to that tenant only, once per change, and its
    end once; the gateway's drift to every tenant. api.maintain checks the caller's tenant."""
    _, bob, olga = two_tenants(committed_db)
    ta_login = bind(committed_db, logins, "ta-host", "ta")
    bind(committed_db, logins, "tb-host", "tb")
    with psycopg.connect(ta_login.dsn, autocommit=True) as conn:
        conn.execute("alter role current_user set statement_timeout = '1ms'")

    def events(tenant: str) -> list[tuple[str, str, str, str]]:
        with committed_db.connect() as conn:
            return conn.execute("select e.action, e.decision, e.severity, e.target_id from audit.events e "
                                "join coord.tenants t on t.id = e.tenant_id where t.name = %s "
                                "and e.action like 'login.%%' and e.action <> 'login.create' order by e.id",
                                (tenant,)).fetchall()

    with Client(committed_db.client_dsn, olga.token) as operator:
        assert operator.maintain().details["login_drift"] == 1
        assert operator.maintain().details["login_drift"] == 0  # reported once
        alerts = [(a.rule, a.severity, a.state) for a in operator.list_alerts()]
    assert alerts == [("login-drift", "critical", "open")]
    assert events("ta") == [("login.check", "refused", "critical", ta_login.role_name)]
    assert events("tb") == []  # another tenant's login is not tb's business

    with committed_db.connect() as conn:
        conn.execute(f"alter role {ta_login.role_name} reset statement_timeout")  # a DBA undid it by hand
        assert admin.check_logins(committed_db.admin_dsn) == {"ta": 0, "tb": 0}
    assert events("ta")[-1] == ("login.check", "cleared", "notice", ta_login.role_name)

    try:  # the gateway serves every tenant: its drift is reported to each
        with committed_db.connect() as conn:
            conn.execute(f"alter role coord_authenticator in database {committed_db.name} set lock_timeout = '1ms'")
        assert admin.check_logins(committed_db.admin_dsn) == {"ta": 1, "tb": 1}
        assert events("tb") == [("login.check", "refused", "critical", "coord_authenticator")]
        with committed_db.connect() as conn:
            repaired = conn.execute(sql.REPAIR_LOGINS, ([],)).fetchall()
        assert [(r[0], r[4]) for r in repaired] == [
            ("coord_authenticator", ["idle_in_transaction_session_timeout=5min",
                                     f"lock_timeout=1ms (in database {committed_db.name})"])]
        assert events("tb")[-1] == ("login.repair", "repaired", "warning", "coord_authenticator")
        assert admin.check_logins(committed_db.admin_dsn) == {"ta": 0, "tb": 0}
    finally:
        with committed_db.connect() as conn:
            conn.execute(sql.REPAIR_LOGINS, ([],))
    assert bob  # tb's agent exists, so tb is a tenant with principals like ta


def test_stale_client_transactions_are_ended(committed_db: Database, logins: list[str]) -> None:
    """A role default is only a default: a client may `SET idle_in_transaction_session_timeout
    = 0` in its own session and hold a transaction open, holding back audit sealing for every
    tenant. coord maintain ends client transactions older than the policy's bound."""
    alice, _, _ = two_tenants(committed_db)
    mallory = bind(committed_db, logins, "mallory", "ta")
    with psycopg.connect(mallory.dsn, autocommit=True) as holder, \
            psycopg.connect(committed_db.client_dsn, autocommit=True) as gateway, \
            psycopg.connect(mallory.dsn, autocommit=True) as idle, committed_db.connect() as dba:
        holder.execute("set idle_in_transaction_session_timeout = 0")
        holder.execute("begin")
        Client(connection=holder, token=alice.token).acquire_lock("src/a.py")  # holds a transaction open
        gateway.execute("begin")
        gateway.execute("select 1")
        dba.execute("begin")
        dba.execute("select 1")
        idle.execute("select 1")
        with committed_db.connect() as conn:
            assert conn.execute(sql.END_STALE_CLIENT_TRANSACTIONS).fetchall() == []  # younger than 5 minutes
            ended = conn.execute("select pid, role_name, state from coord.end_stale_client_transactions('0 seconds')"
                                 " order by pid").fetchall()
        assert sorted(ended) == sorted([(holder.info.backend_pid, mallory.role_name, "idle in transaction"),
                                        (gateway.info.backend_pid, "coord_authenticator", "idle in transaction")])
        for victim in (holder, gateway):
            with pytest.raises(psycopg.OperationalError):
                victim.execute("select 1")
        assert idle.execute("select 1").fetchone() == (1,) and dba.execute("select 1").fetchone() == (1,)
        dba.execute("rollback")
    with committed_db.connect() as conn:
        assert conn.execute("select count(*) from coord.locks").fetchone() == (0,), "the held lease rolled back"
        assert conn.execute("select actor_type::text, decision, target_id from audit.events "
                            "where action = 'login.transaction_ended'").fetchall() == \
            [("system", "ended", mallory.role_name)]


def test_removing_a_login_ends_its_sessions(committed_db: Database, logins: list[str]) -> None:
    alice, _, _ = two_tenants(committed_db)
    login = bind(committed_db, logins, "ta-host", "ta", comment="the build box")
    listed = admin.list_logins(committed_db.admin_dsn, tenant="ta")
    assert [(r["name"], r["role_name"], r["connection_limit"], r["comment"], r["drift"]) for r in listed] == [
        ("ta-host", login.role_name, 20, "the build box", None)]
    assert "ta" not in login.role_name and "host" not in login.role_name  # opaque in pg_roles
    with psycopg.connect(login.dsn, autocommit=True) as held:
        assert admin.remove_login(committed_db.admin_dsn, "ta-host", tenant="ta") == login.role_name
        with pytest.raises(psycopg.OperationalError):
            held.execute("select 1")
    assert refused(login.dsn, "select 1") == "connect"
    assert admin.list_logins(committed_db.admin_dsn) == []
    with pytest.raises(errors.NotFound) as caught:
        admin.remove_login(committed_db.admin_dsn, "ta-host", tenant="ta")
    assert caught.value.code == "CO521"
    with pytest.raises(errors.InvalidArgument):
        admin.add_login(committed_db.admin_dsn, "ta-host", tenant="ta", connection_limit=0)
    assert alice

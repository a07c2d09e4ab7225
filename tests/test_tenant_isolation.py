"""Tenant isolation, checked over the live catalog so that every table and function added later
is covered too: tenant_id everywhere (or a stated reason), RLS enabled, forced and keyed on the
verified tenant, nothing granted to request roles or PUBLIC, column-listed grants only, and a
short, reviewed list of functions that run with BYPASSRLS.

(Already in tests/test_catalog.py: RLS forced on every table, no overloads, search_path pinned,
no function executable by PUBLIC, request roles without table privileges or schema usage.)
"""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import Database, make_principal
from tests.personas import PRIVATE_SCHEMAS, REQUEST_ROLES

# Tables without tenant_id, and why each is global.
GLOBAL_TABLES = {
    "coord.tenants": "the tenant registry itself: its id is the tenant (its policy compares id)",
    "coord.schema_migrations": "the migration ledger of the database, read and written only by the migrator",
    "coord.secrets": "database-wide keys (the vouch MAC key), readable only by coord_auth",
    "coord.clock": "the one injectable clock offset (tests move time; zero in production)",
    "coord.loopback": "the connection string of the revoked-token loopback: one row of configuration",
    "coord.login_policy": "the settings every client login must carry: one row of configuration",
    "coord.webhook_policy": "how coord maintain shares a webhook delivery run between tenants: one row of "
                            "configuration",
    "authz.guardrail_defaults_v1": "the first shipped guardrail rule set, product data kept as it was",
}
# Tables without any policy (RLS on and forced, so nobody but BYPASSRLS roles sees a row).
NO_POLICY_TABLES = {
    "coord.schema_migrations": "only the migrator (a superuser) touches the ledger",
    "coord.secrets": "only coord_auth (BYPASSRLS) reads the keys",
    "coord.loopback": "only coord_auth (BYPASSRLS) reads the loopback's connection string",
}
# Functions owned by coord_auth run with BYPASSRLS: they must find the principal before any
# tenant is known. Each was reviewed to confine itself to the token's own tenant.
BYPASSRLS_FUNCTIONS = {
    "api.authenticate()": "verifies the token; the session header must match the token's own tenant and principal",
    "coord.verify_token(text)": "looks a token up by its hash across tenants (the tenant is not known yet)",
    "coord.vouch_mac(text)": "reads the vouch key",
    "coord.try_principal()": "reads only request settings and the vouch key",
    "coord.current_tenant_id()": "the tenant of the vouched principal",
    "coord.evaluate_alert_rules(audit.events)": "reads rules, alerts and events of the event's own tenant only",
    "coord.note_revoked_token(bytea,jsonb)": "loopback: audits into the tenant of the revoked token with that hash",
    "coord.record_revoked_token_use(bytea)": "hands a revoked token's hash to the loopback; reads only its conninfo",
    "coord.fleet_channel(uuid)": "the fleet NOTIFY channel of the tenant whose rows a statement changed (no caller "
                                 "is vouched when the loopback raises an alert)",
    "coord.token_caller(bytea,uuid)": "looks a token up by hash or id across tenants (the tenant is not known yet)",
    "coord.take_task_floor(uuid,text,text)": "the claim floors are a pool shared by every tenant: it reads every "
                                             "tenant's floors and writes the caller's row and rows of earlier runs",
    "coord.verify_jwt(text)": "maps a verified JWT's jti to its token (coord.token_caller) and checks the claims match",
    "coord.jwt_claims(text)": "reads the JWT keys (coord.secrets jwt:<kid>) to verify a signature",
    "coord.jwt_sign(jsonb)": "reads the signing key; called only by coord.issue_jwt (admin path)",
    "coord.jwt_signing_key()": "reads (or makes, on first use) the newest JWT key",
    "coord.rotate_jwt_key()": "admin only: adds a JWT key",
    "coord.retire_jwt_key(text)": "admin only: deletes a JWT key",
    "coord.jwt_keys_jwks()": "admin only: the JWT keys as a JWK set for PostgREST's jwt-secret",
    # the event stream: reads of audit.events for one tenant, the caller's (api) or a webhook's (fan-out)
    "coord.event_stream(uuid,xid8,bigint,text[],integer)": "the events of the tenant it is given, after a position; "
                                                           "only coord_owner may call it, the api passes the caller's",
    "coord.audit_stream(uuid,xid8,bigint,integer)": "the same over every action (api.audit_since passes the caller's)",
    "coord.event_horizon(uuid)": "the tenant's stream horizon: reads pg_locks (granted to coord_auth), no table",
    "coord.transaction_changed_tasks()": "whether this transaction holds a write lock on coord.tasks or "
    "coord.task_ready_floors: reads pg_locks (granted to coord_auth) for its own backend only, no table",
    "coord.holds_advisory_shared(bigint)": "whether this session holds an advisory lock shared (a waiting claimer's "
    "registration): reads pg_locks (granted to coord_auth) for its own backend only, no table",
    "coord.event_position(uuid,bigint)": "the position of an event id within the tenant it is given",
    "coord.event_head(uuid)": "the last position and held count of the tenant it is given",
    "coord.has_event_followers(uuid)": "whether the tenant it is given has an event follower (a column grant on "
                                       "coord.event_followers.tenant_id); audit.wake_followers asks for an "
                                       "event's tenant",
    "coord.events_channel(uuid)": "the events NOTIFY channel of an event's tenant (no caller is vouched for system "
                                  "events and the loopback)",
    # agents' memory
    "coord.memory_candidates(uuid,text,uuid,uuid,boolean,text[],text[],timestamp with time zone,tsquery,tsquery,"
    "tsquery,real[],boolean)": "recall's index reads (RLS would forbid the full-text and HNSW indexes): filters on "
                               "the caller's tenant, repository and visibility, returns ids that coord.rank_memories "
                               "reads again under the tenant policy; only coord_owner may call it",
}
# Table-level grants beyond the owner's, each with the reason it is not a column list.
TABLE_GRANTS = {
    ("coord.alerts", "coord_auth", "SELECT"):
        "coord.evaluate_alert_rules upserts RETURNING xmax, a system column, which has no column privilege",
    ("audit.events", "coord_auth", "SELECT"): "alert evaluation reads whole events of the event's tenant",
    ("audit.events", "coord_auth", "INSERT"): "alert raises and the revoked-token loopback append events",
    ("coord.task_ready_floors", "coord_auth", "DELETE"): "coord.take_task_floor removes floors of earlier server "
                                                         "runs (no column list)",
    ("coord.secrets", "coord_auth", "DELETE"): "coord.retire_jwt_key deletes a jwt:<kid> row (no column list)",
    ("coord.memories", "coord_auth", "SELECT"): "coord.memory_candidates reads the embedding column, which exists "
                                               "only where pgvector is installed, so a column list cannot be fixed",
}
# api functions that run as the caller: PostgreSQL forbids SET ROLE inside security definer.
INVOKER_API_FUNCTIONS = {
    "api.pre_request()": "switches to the principal's request role (SET ROLE)",
    "api.login(text)": "api.pre_request for psql",
    "api.begin_request(text,text,boolean)": "api.pre_request for the Python client, with the request context",
}
OWNER_ROLES = ("coord_owner", "coord_auth")


def _rows(db: psycopg.Connection, query: str, *params: object) -> list[tuple]:
    return db.execute(query, params).fetchall()


def _tables(db: psycopg.Connection) -> list[tuple[str, bool, bool]]:
    """(name, is a partition, has tenant_id) for every table of the private schemas."""
    return _rows(db, """select c.oid::regclass::text, c.relispartition,
                               exists (select from pg_attribute a where a.attrelid = c.oid
                                       and a.attname = 'tenant_id' and not a.attisdropped)
                        from pg_class c join pg_namespace n on n.oid = c.relnamespace
                        where n.nspname = any(%s) and c.relkind in ('r', 'p') order by 1""", list(PRIVATE_SCHEMAS))


def test_every_table_carries_tenant_id_or_a_reason(db: psycopg.Connection) -> None:
    tables = _tables(db)
    assert len(tables) >= 12 and any(partition for _, partition, _ in tables)
    assert [t for t, _, has in tables if not has and t not in GLOBAL_TABLES] == []
    assert [t for t in GLOBAL_TABLES if (t, False, False) not in tables] == [], "stale GLOBAL_TABLES entry"


def test_tenant_id_is_never_null(db: psycopg.Connection) -> None:
    rows = _rows(db, """select c.oid::regclass::text, a.attnotnull
                        from pg_class c join pg_namespace n on n.oid = c.relnamespace
                        join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id'
                        where n.nspname = any(%s) and c.relkind in ('r', 'p')""", list(PRIVATE_SCHEMAS))
    assert len(rows) >= 8
    assert [r[0] for r in rows if not r[1]] == []


def test_every_table_has_a_policy_or_a_reason(db: psycopg.Connection) -> None:
    missing = _rows(db, """select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
                           where n.nspname = any(%s) and c.relkind in ('r', 'p') and not c.relispartition
                             and not exists (select from pg_policy p where p.polrelid = c.oid)""",
                    list(PRIVATE_SCHEMAS))
    assert sorted(m[0] for m in missing) == sorted(NO_POLICY_TABLES)


def test_partitions_have_no_policies_of_their_own(db: psycopg.Connection) -> None:
    """A partition is reached through its parent's policies; a policy on a partition would be a
    second, unreviewed door (and RLS stays enabled and forced on it: tests/test_catalog.py)."""
    assert _rows(db, """select p.polrelid::regclass from pg_policy p join pg_class c on c.oid = p.polrelid
                        where c.relispartition""") == []


def test_tenant_policies_compare_the_verified_tenant(db: psycopg.Connection) -> None:
    """Every policy of a table with tenant_id is keyed on coord.current_tenant_id() in USING and
    WITH CHECK (as the command allows); none is written for PUBLIC or a request role."""
    policies = _rows(db, """select c.oid::regclass::text, p.polname, p.polcmd::text,
                                   pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
                                   array(select coalesce(pg_get_userbyid(nullif(r, 0)), 'public')
                                         from unnest(p.polroles) r)
                            from pg_policy p join pg_class c on c.oid = p.polrelid
                            join pg_namespace n on n.oid = c.relnamespace where n.nspname = any(%s)""",
                     list(PRIVATE_SCHEMAS))
    assert len(policies) >= 10
    tenant_tables = {t for t, _, has in _tables(db) if has} | {"coord.tenants"}
    key = "= ( SELECT coord.current_tenant_id() AS current_tenant_id)"
    problems = []
    for table, name, cmd, using, check in ((p[0], p[1], p[2], p[3], p[4]) for p in policies):
        if table not in tenant_tables:
            continue
        column = "id" if table == "coord.tenants" else "tenant_id"
        expected = f"({column} {key})"
        if cmd in ("r", "w", "d", "*") and using != expected:
            problems.append(f"{table}.{name} using {using}")
        if cmd in ("a", "w", "*") and check != expected:
            problems.append(f"{table}.{name} with check {check}")
    assert problems == []
    assert [(p[0], p[1], p[5]) for p in policies if not set(p[5]) <= set(OWNER_ROLES)] == []


def test_nothing_private_is_granted_to_request_roles_or_public(db: psycopg.Connection) -> None:
    roles = [*REQUEST_ROLES, "public"]
    tables = _rows(db, """select c.oid::regclass::text, r
                          from pg_class c join pg_namespace n on n.oid = c.relnamespace, unnest(%s::text[]) r
                          where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'f')
                            and has_table_privilege(r, c.oid,
                                  'select, insert, update, delete, truncate, references, trigger')""",
                   roles, list(PRIVATE_SCHEMAS))
    columns = _rows(db, """select c.oid::regclass::text, a.attname, r
                           from pg_class c join pg_namespace n on n.oid = c.relnamespace
                           join pg_attribute a on a.attrelid = c.oid and a.attnum > 0, unnest(%s::text[]) r
                           where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v')
                             and has_column_privilege(r, c.oid, a.attnum, 'select, insert, update, references')""",
                    roles, list(PRIVATE_SCHEMAS))
    sequences = _rows(db, """select c.oid::regclass::text, r
                             from pg_class c join pg_namespace n on n.oid = c.relnamespace, unnest(%s::text[]) r
                             where n.nspname = any(%s) and c.relkind = 'S'
                               and has_sequence_privilege(r, c.oid, 'usage, select, update')""",
                      roles, list(PRIVATE_SCHEMAS))
    functions = _rows(db, """select p.oid::regprocedure::text, r
                             from pg_proc p join pg_namespace n on n.oid = p.pronamespace, unnest(%s::text[]) r
                             where n.nspname = any(%s) and has_function_privilege(r, p.oid, 'execute')""",
                      roles, list(PRIVATE_SCHEMAS))
    assert (tables, columns, sequences, functions) == ([], [], [], [])
    counted = _rows(db, """select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                           where n.nspname = any(%s)""", list(PRIVATE_SCHEMAS))
    assert counted[0][0] >= 40


def test_request_roles_use_no_schema_but_api_and_create_in_none(db: psycopg.Connection) -> None:
    """Every other schema (the private ones, and extension schemas such as dblink) is closed to
    the request roles and PUBLIC, and they may create objects nowhere."""
    roles = [*REQUEST_ROLES, "public"]
    usage = _rows(db, """select n.nspname, r from pg_namespace n, unnest(%s::text[]) r
                         where n.nspname !~ '^pg_' and n.nspname not in ('information_schema', 'api', 'public', 'tap')
                           and has_schema_privilege(r, n.oid, 'usage')""", roles)
    create = _rows(db, """select n.nspname, r from pg_namespace n, unnest(%s::text[]) r
                          where n.nspname !~ '^pg_toast' and has_schema_privilege(r, n.oid, 'create')""", roles)
    assert (usage, create) == ([], [])
    assert len(_rows(db, "select from pg_namespace where nspname !~ '^pg_'")) >= 5


def test_table_grants_are_column_listed(db: psycopg.Connection) -> None:
    """Beyond the owner's implicit rights, a table is granted column by column, never whole."""
    grants = _rows(db, """select c.oid::regclass::text, coalesce(pg_get_userbyid(nullif(a.grantee, 0)), 'public'),
                                 a.privilege_type
                          from pg_class c join pg_namespace n on n.oid = c.relnamespace,
                               aclexplode(c.relacl) a
                          where n.nspname = any(%s) and c.relkind in ('r', 'p') and a.grantee <> c.relowner""",
                   list(PRIVATE_SCHEMAS))
    assert sorted(g for g in grants if g not in TABLE_GRANTS) == []
    column_grants = _rows(db, """select count(*) from pg_attribute a join pg_class c on c.oid = a.attrelid
                                 join pg_namespace n on n.oid = c.relnamespace
                                 where n.nspname = any(%s) and a.attacl is not null""", list(PRIVATE_SCHEMAS))
    assert column_grants[0][0] >= 10, "the column grants of coord_auth were not found"


def test_only_reviewed_functions_bypass_row_level_security(db: psycopg.Connection) -> None:
    bypass_roles = _rows(db, "select rolname from pg_roles where rolbypassrls and not rolsuper "
                             "and rolname like 'coord%%'")
    assert bypass_roles == [("coord_auth",)]
    owned = _rows(db, """select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                         where n.nspname = any(%s) and pg_get_userbyid(p.proowner) = 'coord_auth'""",
                  ["api", *PRIVATE_SCHEMAS])
    assert sorted(o[0] for o in owned) == sorted(BYPASSRLS_FUNCTIONS)
    tables = _rows(db, """select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
                          where n.nspname = any(%s) and pg_get_userbyid(c.relowner) = 'coord_auth'""",
                   list(PRIVATE_SCHEMAS))
    assert tables == [], "a table owned by coord_auth would escape forced RLS for its functions"


def test_api_functions_are_security_definer_except_the_role_switchers(db: psycopg.Connection) -> None:
    """Request roles reach no private schema, so an api function works only as a definer; the
    two that switch roles cannot be one. Definers run as their owner, never as a superuser."""
    rows = _rows(db, """select p.oid::regprocedure::text, p.prosecdef, pg_get_userbyid(p.proowner)
                        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'api'""")
    assert sorted(r[0] for r in rows if not r[1]) == sorted(INVOKER_API_FUNCTIONS)
    assert [r for r in rows if r[2] not in OWNER_ROLES] == []
    superusers = _rows(db, """select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                              join pg_roles r on r.oid = p.proowner
                              where n.nspname = any(%s)
                                and (r.rolsuper or r.rolbypassrls and r.rolname <> 'coord_auth')""",
                      ["api", *PRIVATE_SCHEMAS])
    assert superusers == []


def test_private_views_run_under_the_owners_rls(db: psycopg.Connection) -> None:
    """A view reads its tables as the view's owner; owned by coord_owner, forced RLS applies."""
    views = _rows(db, """select c.oid::regclass::text, pg_get_userbyid(c.relowner) from pg_class c
                         join pg_namespace n on n.oid = c.relnamespace
                         where n.nspname = any(%s) and c.relkind in ('v', 'm')""", list(PRIVATE_SCHEMAS))
    assert views and [v for v in views if v[1] != "coord_owner"] == []


# --- the shared login: other tenants' sessions are neither visible nor killable ---------------

SESSION_PROBES = [
    "select query from pg_stat_activity where pid = %(pid)s",
    "select pg_stat_get_backend_activity(b) from pg_stat_get_backend_idset() b "
    "where pg_stat_get_backend_pid(b) = %(pid)s",
    "select query from pg_stat_get_activity(%(pid)s)",
    "select pg_cancel_backend(%(pid)s)",
    "select pg_terminate_backend(%(pid)s)",
    "select pg_terminate_backend(%(pid)s, 0)",
]


def test_clients_cannot_watch_or_kill_other_sessions(committed_db: Database) -> None:
    """Every client logs in as coord_authenticator, and PostgreSQL lets a login role read the
    query text of and signal every backend of the same role. Unless bootstrap.sql closes that, a
    holder of the client DSN, without any token, reads another tenant's
    `select api.login('<token>')` from pg_stat_activity and terminates its session."""
    with committed_db.connect() as admin:
        bob = make_principal(admin, "bob", tenant="tb", role="operator")
        alice = make_principal(admin, "alice", tenant="ta", role="agent")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as victim, \
            psycopg.connect(committed_db.client_dsn, autocommit=True) as attacker:
        victim.execute("begin")
        victim.execute(f"select api.login('{bob.token}')")  # psql style: the token is in the query text
        pid = victim.info.backend_pid
        for identity in (None, alice.token):  # a bare authenticator session, and one inside a request
            for probe in SESSION_PROBES:
                with pytest.raises(psycopg.Error) as caught, attacker.transaction():
                    if identity:
                        attacker.execute("select api.login(%s)", (identity,))
                    attacker.execute(probe, {"pid": pid})
                assert caught.value.sqlstate == "42501", (identity is not None, probe)
        assert victim.execute("select count(*) from api.list_principals()").fetchone()[0] >= 1
        victim.execute("commit")
    with committed_db.connect() as admin:  # monitoring keeps its view (superuser, pg_read_all_stats)
        assert admin.execute("select count(*) from pg_stat_activity").fetchone()[0] >= 1


def test_the_session_probes_work_for_monitoring_roles(committed_db: Database) -> None:
    """The probes above are live: the monitoring roles that keep the rights can use them."""
    with committed_db.connect() as admin:
        admin.execute("create role coord_test_monitor login password 'x' in role pg_read_all_stats, pg_signal_backend")
        try:
            dsn = f"postgresql://coord_test_monitor:x@127.0.0.1:{committed_db.cluster.state.port}/{committed_db.name}"
            with psycopg.connect(committed_db.client_dsn, autocommit=True) as victim, \
                    psycopg.connect(dsn, autocommit=True) as monitor:
                victim.execute("select 'seen by monitoring'")
                pid = victim.info.backend_pid
                assert monitor.execute(SESSION_PROBES[0], {"pid": pid}).fetchone() == ("select 'seen by monitoring'",)
                assert monitor.execute(SESSION_PROBES[3], {"pid": pid}).fetchone() == (True,)
                assert monitor.execute("select count(*) from pg_locks").fetchone()[0] >= 1
        finally:
            admin.execute("drop role coord_test_monitor")


def _victim_keys(attacker: psycopg.Connection, pid: int) -> list[int]:
    rows = attacker.execute("select classid::bigint, objid::bigint from pg_locks "
                            "where locktype = 'advisory' and objsubid = 1 and pid = %s", (pid,)).fetchall()
    return [(high << 32 | low) - (1 << 64 if high >= 1 << 31 else 0) for high, low in rows]


def test_clients_cannot_hold_other_tenants_lock_keys(committed_db: Database) -> None:
    """Lease decisions serialize on advisory locks keyed by hash(tenant, path). Unless
    bootstrap.sql closes pg_locks and the advisory lock functions, a client reads another
    tenant's keys from pg_locks while it acquires, takes them with pg_advisory_lock in its own
    session, and from then on every acquire of that tenant under that directory hangs until
    lock_timeout (55P03): a cross-tenant denial of service."""
    with committed_db.connect() as admin:
        bob = make_principal(admin, "bob", tenant="tb")
        alice = make_principal(admin, "alice", tenant="ta")
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as victim, \
            psycopg.connect(committed_db.client_dsn, autocommit=True) as attacker:
        victim.execute("begin")
        victim.execute("select api.login(%s)", (bob.token,))
        assert victim.execute("select code from api.acquire_lock('src/app.py')").fetchone() == ("granted",)
        for identity in (None, alice.token):
            for probe in ("select count(*) from pg_locks", "select count(*) from pg_lock_status()",
                          "select pg_advisory_lock(1)", "select pg_try_advisory_lock(1)",
                          "select pg_advisory_lock_shared(1, 2)", "select pg_advisory_xact_lock(1)",
                          "select pg_try_advisory_xact_lock_shared(1)", "select pg_advisory_unlock_all()"):
                with pytest.raises(psycopg.Error) as caught, attacker.transaction():
                    if identity:
                        attacker.execute("select api.login(%s)", (identity,))
                    attacker.execute(probe)
                assert caught.value.sqlstate == "42501", (identity is not None, probe)
        victim.execute("commit")
        victim.execute("begin")
        victim.execute("select api.login(%s)", (bob.token,))
        assert victim.execute("select code from api.acquire_lock('src/other.py')").fetchone() == ("granted",)
        victim.execute("commit")
    with committed_db.connect() as admin:  # the owner roles still take them (leases work), and monitoring sees them
        assert admin.execute("select has_function_privilege('coord_owner', 'pg_advisory_xact_lock(bigint)', "
                             "'execute')").fetchone() == (True,)


def test_other_databases_of_the_cluster_are_closed_to_clients(committed_db: Database) -> None:
    with psycopg.connect(committed_db.client_dsn, autocommit=True) as victim:
        victim.execute("select 'seen from elsewhere'")
        elsewhere = committed_db.client_dsn.rsplit("/", 1)[0] + "/postgres"
        with pytest.raises(psycopg.OperationalError):  # refused at connect: no CONNECT privilege
            psycopg.connect(elsewhere, autocommit=True).close()
